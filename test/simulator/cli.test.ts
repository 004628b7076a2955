/**
 * `opcharts simulate` and `opcharts report merge` end to end through cli/main.ts (issue 14 items 3
 * and 4): the JSON report, the shard report file, exit codes (0, 1 on a violation, 2 on bad
 * input with a typed code), and the merge of shard reports: sums, the union of violations, and
 * overlapping seed ranges refused.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { mergeReports, ReportMergeError, type SimulationReport } from '../../simulator/report.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 170_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

let dir: string;
let shardA: SimulationReport;
let shardB: SimulationReport;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opcharts-simulate-cli-'));
  writeFileSync(join(dir, 'not-invariants.mjs'), 'export const threshold = 3;\n');
});

describe('opcharts simulate (command line)', () => {
  it('two shards by seed range: exit 0, --json is the report, the shard files are written, no progress bar off a TTY', () => {
    const a = cli('simulate', '--store', 'memory', '--config', 'small', '--steps', '300', '--seeds', '1..2', '--out', dir, '--json');
    expect(a.err).toBe('');
    expect(a.code).toBe(0);
    shardA = JSON.parse(a.out) as SimulationReport;
    expect(shardA.seeds).toEqual([[1, 2]]);
    expect(shardA.steps).toBe(600);
    expect(JSON.parse(readFileSync(join(dir, 'report-1-2.json'), 'utf8'))).toEqual(shardA);
    const b = cli('simulate', '--store', 'memory', '--config', 'small', '--steps', '300', '--seeds', '3..3', '--out', dir);
    expect(b.code).toBe(0);
    expect(b.out).toMatch(/✓ no violation/);
    expect(b.out).toMatch(/operators completed: add \d+, move \d+, stop \d+/);
    shardB = JSON.parse(readFileSync(join(dir, 'report-3-3.json'), 'utf8')) as SimulationReport;
  });

  it('report merge sums the shards and joins their seed ranges', () => {
    const out = join(dir, 'merged.json');
    const r = cli('report', 'merge', join(dir, 'report-1-2.json'), join(dir, 'report-3-3.json'), '--out', out, '--json');
    expect(r.code).toBe(0);
    const m = JSON.parse(r.out) as SimulationReport;
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(m);
    expect(m.seeds).toEqual([[1, 3]]);
    expect(m.steps).toBe(shardA.steps + shardB.steps);
    expect(m.events).toBe(shardA.events + shardB.events);
    expect(m.invariantChecks).toBe(shardA.invariantChecks + shardB.invariantChecks);
    expect(m.actions.deliver).toBe((shardA.actions.deliver ?? 0) + (shardB.actions.deliver ?? 0));
    expect(m.faultsInjected.loss).toBe(shardA.faultsInjected.loss + shardB.faultsInjected.loss);
    expect(m.operatorsCompleted.add).toBe(shardA.operatorsCompleted.add + shardB.operatorsCompleted.add);
  });

  it('report merge refuses overlapping seed ranges and shards of another simulation (exit 2, REPORT_MERGE)', () => {
    const overlap = cli('report', 'merge', join(dir, 'report-1-2.json'), join(dir, 'report-1-2.json'), '--json');
    expect(overlap.code).toBe(2);
    expect(JSON.parse(overlap.out).error.code).toBe('REPORT_MERGE');
    expect(JSON.parse(overlap.out).error.message).toMatch(/seed ranges overlap: 1\.\.2/);
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ ...shardB, config: 'large', seeds: [[9, 9]] }));
    const other = cli('report', 'merge', join(dir, 'report-1-2.json'), join(dir, 'other.json'));
    expect(other.code).toBe(2);
    expect(other.err).toMatch(/config differs/);
    const missing = cli('report', 'merge', join(dir, 'nope.json'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot read \(ENOENT\)/);
  });

  it('merging unites the violations of the shards', () => {
    const v = { kind: 'invariant' as const, invariant: 'I5', message: 'm', seed: 3, episode: 0, step: 4, labels: [], files: null, replay: null };
    const m = mergeReports([
      { report: shardA, where: 'a' },
      { report: { ...shardB, violations: [v] }, where: 'b' },
    ]);
    expect(m.violations).toEqual([v]);
    expect(() => mergeReports([])).toThrow(ReportMergeError);
  });

  it('a variant is found: exit 1 and the printed message names the replay command, which reproduces it', () => {
    const out = join(dir, 'b19');
    const r = cli('simulate', '--store', 'memory', '--variant', 'B19', '--steps', '5000', '--seed', '1', '--out', out);
    expect(r.code).toBe(1);
    const m = /replay it: opcharts replay (\S+)/.exec(r.out);
    expect(m).not.toBeNull();
    const replayed = cli('replay', m![1]!);
    expect(replayed.code).toBe(0);
    expect(replayed.out).toMatch(/✗ I13 /);
    expect(replayed.out).toMatch(/every expectation met/);
  });

  it('bad input exits 2 with a typed error and runs nothing', () => {
    const cases: Array<[string[], string]> = [
      [['--store', 'mysql://db'], 'STORE_SPEC'],
      [['--store', 'etcd://host'], 'STORE_SPEC'],
      [['--config', 'no-such-config'], 'INVALID_CONFIG'],
      [['--config', 'check:nope'], 'INVALID_CONFIG'],
      [['--variant', 'B99'], 'UNKNOWN_VARIANT'],
      [['--invariant', join(dir, 'not-invariants.mjs')], 'INVALID_INVARIANT_MODULE'],
      [['--invariant', join(dir, 'missing.mjs')], 'INVALID_INVARIANT_MODULE'],
      [['--seeds', '9..3'], 'INVALID_SIMULATION'],
      [['--seed', '1', '--seeds', '1..2'], 'INVALID_SIMULATION'],
      [['--steps', '0'], 'USAGE'],
    ];
    for (const [args, code] of cases) {
      const r = cli('simulate', '--store', 'memory', '--steps', '10', '--out', join(dir, 'bad'), ...args, '--json');
      expect(r.code, args.join(' ')).toBe(2);
      expect(JSON.parse(r.out).error.code, args.join(' ')).toBe(code);
    }
  });
});
