#!/usr/bin/env node
// Launcher. In a checkout (cli/main.ts beside this file, tsx installed) it runs the TypeScript
// source, as `npm start` does, so `npx opcharts` never runs a stale dist/. An installed package
// has no cli/ sources and runs the compiled dist/cli/main.js.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../cli/main.ts', import.meta.url);
let register;
if (existsSync(fileURLToPath(source))) {
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    register = undefined; // a checkout without dev dependencies: use the build
  }
}
if (register) {
  register();
  await import(source.href);
} else {
  await import('../dist/cli/main.js');
}
