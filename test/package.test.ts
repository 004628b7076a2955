/**
 * The package as a host sees it: after the build (`npm test` builds first), a project with
 * opcharts installed by path (node_modules/opcharts → this directory, what `npm install ../opcharts`
 * creates) imports the machines and epoch helpers by name, and so does the package itself by
 * self-reference. Also the CLI's exit codes.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

const PROBE = `
import { addMaintainerMachine, moveMaintainerMachine, stopChangefeedMachine, drainNodeMachine,
  nodeLivenessMachine, livenessViewMachine, advance, parseUint64, formatUint64, match, strictAllow,
  dmAllow, MAX_UINT64 } from 'opcharts';
import { createActor } from 'xstate';
const ids = [addMaintainerMachine, moveMaintainerMachine, stopChangefeedMachine, drainNodeMachine,
  nodeLivenessMachine, livenessViewMachine].map((m) => m.id);
const a = createActor(addMaintainerMachine, { input: { changefeedId: 'cf', dest: 'n1', maintainerEpoch: 3n, checkpointTs: 1n, isNew: true } }).start();
a.send({ type: 'STATUS', from: 'n1', state: 'Working', bootstrapDone: true, maintainerEpoch: 3n });
console.log(JSON.stringify({ ids, state: a.getSnapshot().value, next: formatUint64(advance(parseUint64('7'), MAX_UINT64 - 1n)),
  rules: [match(0n, 5n), strictAllow(0n, 5n), dmAllow('m', 1n, 'm', 1n)] }));
`;

const EXPECTED = {
  ids: ['addMaintainer', 'moveMaintainer', 'stopChangefeed', 'drainNode', 'nodeLiveness', 'livenessView'],
  state: 'Succeeded',
  next: '18446744073709551615',
  rules: [true, false, true],
};

describe('the built package', () => {
  it('a host project that installed opcharts by path imports everything by name', () => {
    const host = mkdtempSync(join(tmpdir(), 'opcharts-host-'));
    try {
      mkdirSync(join(host, 'node_modules'));
      symlinkSync(root, join(host, 'node_modules', 'opcharts'), 'dir');
      symlinkSync(join(root, 'node_modules', 'xstate'), join(host, 'node_modules', 'xstate'), 'dir');
      writeFileSync(join(host, 'package.json'), JSON.stringify({ name: 'host', type: 'module', dependencies: { opcharts: 'file:../opcharts' } }));
      writeFileSync(join(host, 'probe.mjs'), PROBE);
      const out = execFileSync(process.execPath, ['probe.mjs'], { cwd: host, encoding: 'utf8' });
      expect(JSON.parse(out)).toEqual(EXPECTED);
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });

  it('the package imports itself by name (self-reference through "exports")', () => {
    const dir = mkdtempSync(join(root, 'dist', '.selfref-'));
    try {
      writeFileSync(join(dir, 'probe.mjs'), PROBE);
      const out = execFileSync(process.execPath, [join(dir, 'probe.mjs')], { cwd: root, encoding: 'utf8' });
      expect(JSON.parse(out)).toEqual(EXPECTED);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the opcharts command', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [join(root, 'bin', 'opcharts.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

  it('--help lists the commands and exits 0', () => {
    const r = cli('--help');
    expect(r.status).toBe(0);
    for (const c of ['machines', 'diagrams', 'docs', 'paths']) expect(r.stdout).toContain(c);
  });

  it('machines --json reports 100% coverage for every machine', () => {
    const r = cli('machines', '--json');
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ machine: string; coverage: Record<string, number> }>;
    expect(rows.map((x) => x.machine)).toEqual(EXPECTED.ids.concat(rows.slice(EXPECTED.ids.length).map((x) => x.machine)));
    for (const row of rows) {
      expect(row.coverage.statesReached).toBe(row.coverage.statesDefined);
      expect(row.coverage.transitionsTaken).toBe(row.coverage.transitionsDefined);
    }
  });

  it('paths moveMaintainer --to DoneSuccess --mermaid prints a sequence diagram ending in DoneSuccess', () => {
    const r = cli('paths', 'moveMaintainer', '--to', 'DoneSuccess', '--mermaid');
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('sequenceDiagram\n')).toBe(true);
    expect(r.stdout).toMatch(/moveMaintainer->>n2: AddMaintainerRequest\(.*maintainerEpoch=6/);
    expect(r.stdout.trimEnd().endsWith('Note over moveMaintainer: DoneSuccess')).toBe(true);
  });

  it('an unknown machine or state exits non-zero with a message', () => {
    const bad = cli('paths', 'nope');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('unknown machine "nope"');
    const badState = cli('paths', 'moveMaintainer', '--to', 'Nowhere');
    expect(badState.status).toBe(2);
    expect(badState.stderr).toContain('has no state "Nowhere"');
  });

  it('paths --json is machine-readable with epochs as decimal strings', () => {
    const r = cli('paths', 'addMaintainer', '--json');
    expect(r.status).toBe(0);
    const paths = JSON.parse(r.stdout) as Array<{ events: Array<Record<string, unknown>> }>;
    expect(paths.length).toBeGreaterThan(0);
    const status = paths.flatMap((p) => p.events).find((e) => e.type === 'STATUS');
    expect(status?.maintainerEpoch).toMatch(/^(0|[1-9][0-9]*)$/);
  });
});
