import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests import the package by its name, as a host would; they run against the sources, and
    // test/package.test.ts checks the built package separately.
    alias: [
      { find: /^opcharts$/, replacement: fileURLToPath(new URL('./index.ts', import.meta.url)) },
      { find: /^opcharts\/graph$/, replacement: fileURLToPath(new URL('./graph/index.ts', import.meta.url)) },
      { find: /^opcharts\/explorer$/, replacement: fileURLToPath(new URL('./explorer/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // A safety net, not a speed check: the largest generated-path checks take tens of seconds on a loaded 2-core machine.
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
