import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests import the package by its name, as a host would; they run against the sources, and
    // test/package.test.ts checks the built package separately.
    alias: { opcharts: fileURLToPath(new URL('./index.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    // A safety net, not a speed check: the largest generated-path checks take tens of seconds on a loaded 2-core machine.
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
