/**
 * The package as a user gets it: `npm pack`, the tarball installed into a temporary project outside
 * the repository (so it cannot borrow the repository's node_modules), then the `opcharts` bin and
 * the API used from there. Also: the package imports itself by name, the bin runs the source in a
 * checkout and the build when installed, and the CLI's exit codes (0 ok, 1 failed, 2 usage).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; files: string[] };
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

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

describe('the packed and installed package', () => {
  let host: string;
  const inHost = (cmd: string, args: string[]) =>
    spawnSync(cmd, args, { cwd: host, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 240_000 });

  beforeAll(() => {
    // The tarball holds dist/: build it from the current source first (npm test has, a single run may not have).
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root });
    host = mkdtempSync(join(tmpdir(), 'opcharts-host-'));
    execFileSync(npm, ['pack', '--ignore-scripts', '--silent', '--pack-destination', host], { cwd: root, encoding: 'utf8' });
    const tarball = readdirSync(host).find((f) => f.endsWith('.tgz'))!;
    writeFileSync(join(host, 'package.json'), JSON.stringify({ name: 'host', private: true, type: 'module' }));
    // From npm's cache when it has the dependencies (after `npm ci`), from the registry otherwise.
    const install = inHost(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', `./${tarball}`]);
    expect(install.status, install.stderr).toBe(0);
    return () => rmSync(host, { recursive: true, force: true });
  }, 300_000);

  it('the installed tree has no repository link and carries the spec', () => {
    const installed = join(host, 'node_modules', 'opcharts');
    expect(existsSync(join(installed, 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(installed, 'cli'))).toBe(false);
    expect(existsSync(join(installed, 'spec', 'ticdc-control-plane.md'))).toBe(true);
    expect(lstatSync(installed).isSymbolicLink()).toBe(false);
  });

  it('npx opcharts --help, --version and machines --json work from the installed package', () => {
    const help = inHost(npm, ['exec', '--offline', '--', 'opcharts', '--help']);
    expect(help.status, help.stderr).toBe(0);
    for (const c of ['machines', 'diagrams', 'docs', 'paths']) expect(help.stdout).toContain(c);
    const version = inHost(join(host, 'node_modules', '.bin', 'opcharts'), ['--version']);
    expect(version.stdout.trim()).toBe(pkg.version);
    const machines = inHost(join(host, 'node_modules', '.bin', 'opcharts'), ['machines', '--json']);
    expect(machines.status, machines.stderr).toBe(0);
    expect((JSON.parse(machines.stdout) as unknown[]).length).toBeGreaterThanOrEqual(EXPECTED.ids.length);
  });

  it('a module of the host project imports the API by name', () => {
    writeFileSync(join(host, 'probe.mjs'), PROBE);
    const r = inHost(process.execPath, ['probe.mjs']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(EXPECTED);
  });

  it('the package is ESM-only, as the README says: require() finds no CommonJS entry', () => {
    writeFileSync(join(host, 'probe.cjs'), "try { require('opcharts'); console.log('loaded') } catch (e) { console.log(e.code) }");
    const r = inHost(process.execPath, ['probe.cjs']);
    expect(r.stdout.trim()).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});

describe('the built package', () => {
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

describe('the spec travels with the package', () => {
  it('spec/ticdc-control-plane.md is in "files" and equals the shared spec wherever that is checked out', () => {
    expect(pkg.files).toContain('spec');
    const copy = readFileSync(join(root, 'spec', 'ticdc-control-plane.md'), 'utf8');
    expect(copy).toMatch(/^#+ 2\.2\b/m); // the sections the machines cite
    // CI has ../shared beside the clone; a helper worktree has it two levels up.
    for (const shared of [join(root, '..', 'shared'), join(root, '..', '..', 'shared')]) {
      const original = join(shared, 'spec', 'ticdc-control-plane.md');
      if (existsSync(original)) expect(copy, `${original} changed: copy it to spec/`).toBe(readFileSync(original, 'utf8'));
    }
  });
});

describe('bin/opcharts.js', () => {
  /** A copy of the launcher next to a fake source and a fake build, each printing which one ran. */
  function fakePackage(withSource: boolean): string {
    const dir = mkdtempSync(join(tmpdir(), 'opcharts-bin-'));
    mkdirSync(join(dir, 'bin'));
    cpSync(join(root, 'bin', 'opcharts.js'), join(dir, 'bin', 'opcharts.js'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fake', type: 'module' }));
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    mkdirSync(join(dir, 'dist', 'cli'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'cli', 'main.js'), "console.log('dist');\n");
    if (withSource) {
      mkdirSync(join(dir, 'cli'));
      writeFileSync(join(dir, 'cli', 'main.ts'), "const ran: string = 'source';\nconsole.log(ran);\n");
    }
    return dir;
  }

  it.each([
    [true, 'source'],
    [false, 'dist'],
  ] as const)('with cli/main.ts present=%s it runs the %s', (withSource, expected) => {
    const dir = fakePackage(withSource);
    try {
      const r = spawnSync(process.execPath, [join(dir, 'bin', 'opcharts.js')], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the opcharts command', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [join(root, 'bin', 'opcharts.js'), ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } });

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

  it('--version prints the package version', () => {
    const r = cli('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it.each([
    [['paths', 'nope'], 'unknown machine "nope"'],
    [['paths', 'moveMaintainer', '--to', 'Nowhere'], 'has no state "Nowhere"'],
    [['paths', 'moveMaintainer', '--mermaid', '--index', '0x2'], 'positive decimal integer'],
    [['paths', 'moveMaintainer', '--mermaid', '--index', '1e1'], 'positive decimal integer'],
    [['paths', 'moveMaintainer', '--mermaid', '--index', '9999'], 'out of range'],
    [['paths'], "missing required argument 'machine'"],
    [['machines', '--bogus'], "unknown option '--bogus'"],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['paths', 'moveMaintainer', '--via', 'RemoveMaintainer'], 'no event or effect "RemoveMaintainer"'],
    [['docs', 'extra'], 'too many arguments'],
  ])('usage error %j exits 2 and says %s', (args, message) => {
    const r = cli(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('with --json a failure is a JSON error object on stdout', () => {
    const usage = cli('paths', 'moveMaintainer', '--to', 'Nowhere', '--json');
    expect(usage.status).toBe(2);
    expect(JSON.parse(usage.stdout)).toEqual({ error: { code: 'USAGE', message: expect.stringContaining('Nowhere'), exitCode: 2 } });
    const unknown = cli('frobnicate', '--json');
    expect(JSON.parse(unknown.stdout).error.code).toBe('USAGE');
    const noPath = cli('paths', 'moveMaintainer', '--to', 'RemoveOrigin', '--via', 'AddMaintainerRequest', '--json');
    expect(noPath.status).toBe(1);
    expect(JSON.parse(noPath.stdout)).toEqual({ error: { code: 'NO_PATH', message: expect.stringContaining('AddMaintainerRequest'), exitCode: 1 } });
  });

  it('--to takes a unique leaf name', () => {
    const leaf = cli('paths', 'maintainerRegistry', '--to', 'Stopped', '--json');
    expect(leaf.status, leaf.stderr).toBe(0);
    const paths = JSON.parse(leaf.stdout) as Array<{ finalState: string }>;
    expect(paths.length).toBeGreaterThan(0);
    for (const p of paths) expect(p.finalState).toBe('Maintainer.Stopped');
  });

  it('--via picks a path that contains an effect: a move to DoneSuccess that removes with the origin epoch (§5.1 B4)', () => {
    const r = cli('paths', 'moveMaintainer', '--to', 'DoneSuccess', '--via', 'RemoveMaintainerRequest', '--mermaid');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/moveMaintainer->>n1: RemoveMaintainerRequest\(.*maintainerEpoch=5\)/);
    expect(r.stdout).toMatch(/moveMaintainer->>n2: AddMaintainerRequest\(.*maintainerEpoch=6/);
    expect(r.stdout.trimEnd().endsWith('Note over moveMaintainer: DoneSuccess')).toBe(true);
  });

  it('diagrams --out a directory that cannot be created fails with a typed error instead of hanging', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'opcharts-out-')), 'file');
    writeFileSync(file, '');
    for (const out of ['/proc/opcharts-x', join(file, 'sub')]) {
      const r = spawnSync(process.execPath, [join(root, 'bin', 'opcharts.js'), 'diagrams', '--no-render', '--out', out], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
        timeout: 60_000,
      });
      expect(r.signal, `${out} hung`).toBeNull();
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`cannot use ${out} as the output directory`);
    }
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
