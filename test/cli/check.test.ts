/**
 * `opcharts check` end to end (cli/check.ts through cli/main.ts): exit codes 0 / 1 / 2, the JSON
 * summary, the report files, typed errors for a bad configuration file, invariant module or variant,
 * and a counterexample scenario that `opcharts replay` replays to the same violation.
 * Specs: §4 (the invariants checked), §5.1 B14 (the seeded bug).
 */
import { builtInInvariants } from '../../cluster/specs.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateItf } from '../../explorer/itf.js';
import { oneNodeFile } from '../cluster/fixtures/checkConfigs.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opcharts-check-'));
  writeFileSync(join(dir, 'one-node.json'), JSON.stringify(oneNodeFile));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...oneNodeFile, budgets: { loss: 'one', duplication: 0, crashes: 0 } }));
  writeFileSync(join(dir, 'not-invariants.mjs'), 'export const threshold = 3;\n');
  // A user invariant over the exported world type: the maintainer of n1 never reaches Running.
  writeFileSync(
    join(dir, 'never-running.mjs'),
    "export const neverRunning = { name: 'n1 never running', doc: 'a reachability probe', check: (w) => w.nodes.n1?.registries.cf?.value?.Maintainer !== 'Running' || 'n1 runs cf' };\n",
  );
});

describe('opcharts check', () => {
  it('the small preset finishes with every built-in invariant checked, exit 0, and --json parses', () => {
    const r = cli('check', '--config', 'small', '--json', '--report', join(dir, 'small'));
    expect(r.code).toBe(0);
    expect(r.err).toBe(''); // no progress bar when stderr is not a TTY
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ stopReason: 'complete', mode: 'hash-compaction', mayMissStates: true, violations: [], variant: null });
    expect(s.invariantsChecked).toEqual(builtInInvariants.map((i) => i.name));
    expect(s.completeness).toMatch(/may have missed states/);
    expect(s.states).toBeGreaterThan(100);
    const summary = JSON.parse(readFileSync(join(dir, 'small', 'summary.json'), 'utf8'));
    expect(summary.states).toBe(s.states);
    expect(readFileSync(join(dir, 'small', 'README.md'), 'utf8')).toContain('**No violation.**');
  });

  it('--exact says that no state was missed and finds the same number of states', () => {
    const compact = JSON.parse(cli('check', '--config', 'small', '--json', '--no-report').out);
    const exact = JSON.parse(cli('check', '--config', 'small', '--exact', '--json', '--no-report').out);
    expect(exact).toMatchObject({ mode: 'exact', mayMissStates: false, states: compact.states, transitions: compact.transitions });
  });

  it('--workers 2 (worker threads over a shared table) finds the same states and transitions as one thread', () => {
    const one = JSON.parse(cli('check', '--config', 'small', '--json', '--no-report').out);
    const two = JSON.parse(cli('check', '--config', 'small', '--workers', '2', '--json', '--no-report').out);
    expect(two).toMatchObject({ workers: 2, mode: 'hash-compaction', mayMissStates: true, stopReason: 'complete', states: one.states, transitions: one.transitions, depth: one.depth });
  });

  it('variant B14 breaks I9: exit 1, and the scenario replays to the same violation', () => {
    const report = join(dir, 'b14');
    const r = cli('check', '--config', join(dir, 'one-node.json'), '--variant', 'B14', '--report', report);
    expect(r.code).toBe(1);
    expect(r.out).toContain('✗ I9 stale request never mutates a maintainer: n1/cf: AddMaintainerRequest at epoch 5 changed the maintainer Stopped at epoch 5');
    expect(r.out).toContain(`opcharts inspect ${join(report, 'violation-1-I9.scenario.json')}`);
    const itf = JSON.parse(readFileSync(join(report, 'violation-1-I9.itf.json'), 'utf8'));
    expect(validateItf(itf)).toEqual([]);
    expect(readFileSync(join(report, 'violation-1-I9.mmd'), 'utf8')).toMatch(/^sequenceDiagram\n[\s\S]*VIOLATED I9/);
    const replayed = cli('replay', join(report, 'violation-1-I9.scenario.json'), '--json');
    expect(replayed.code).toBe(0);
    const trace = JSON.parse(replayed.out) as { steps: Array<{ violations: Array<{ name: string; message: string }> }>; failures: string[] };
    expect(trace.failures).toEqual([]);
    const summary = JSON.parse(readFileSync(join(report, 'summary.json'), 'utf8'));
    expect(trace.steps.at(-1)!.violations).toContainEqual({ name: summary.violations[0].invariant, message: summary.violations[0].message });
  });

  it("a user invariant module is checked, and the scenario of its violation replays with it", () => {
    const report = join(dir, 'user');
    const r = cli('check', '--config', 'small', '--invariant', join(dir, 'never-running.mjs'), '--report', report, '--json');
    expect(r.code).toBe(1);
    const s = JSON.parse(r.out);
    expect(s.invariantsChecked).toContain('n1 never running');
    expect(s.violations.map((v: { invariant: string }) => v.invariant)).toEqual(['n1 never running']);
    const replayed = cli('replay', s.violations[0].files.scenario);
    expect(replayed.code).toBe(0);
    expect(replayed.out).toContain('✗ n1 never running: n1 runs cf');
  });

  it.each([
    ['a bad configuration file', ['--config', 'BAD'], 'INVALID_CONFIG', 'budgets.loss'],
    ['a missing configuration', ['--config', 'no-such-config'], 'INVALID_CONFIG', 'neither a preset'],
    ['a module that exports no invariant', ['--config', 'small', '--invariant', 'NOTINV'], 'INVALID_INVARIANT_MODULE', 'export "threshold" is not an invariant'],
    ['an unknown variant', ['--config', 'small', '--variant', 'B99'], 'UNKNOWN_VARIANT', 'unknown variant "B99"'],
    ['--exact with two workers', ['--config', 'small', '--exact', '--workers', '2'], 'EXACT_NEEDS_ONE_WORKER', '--exact needs --workers 1'],
  ])('%s is a usage error: exit 2 with a typed message, and no report', (_what, args, code, text) => {
    const report = join(dir, `bad-${code}`);
    const resolved = args.map((a) => (a === 'BAD' ? join(dir, 'bad.json') : a === 'NOTINV' ? join(dir, 'not-invariants.mjs') : a));
    const plain = cli('check', ...resolved, '--report', report);
    expect(plain.code).toBe(2);
    expect(plain.err).toContain(text);
    const json = cli('check', ...resolved, '--report', report, '--json');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.out).error).toMatchObject({ code, exitCode: 2 });
    expect(existsSync(report)).toBe(false);
  });
});
