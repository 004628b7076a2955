/**
 * The full cluster model checked on its presets (issue 13 item 6; not a test): `opcharts check`'s
 * search, single-threaded, hash compaction, each configuration in its own process. Reports states,
 * transitions, depth, time, states/s and peak memory; the anchor it is compared to is the fencing
 * kernel (bench/explorer), measured in the same run on its small size, so the cost of the composed
 * world per state shows beside the kernel's.
 *
 * Run: npx tsx bench/cluster/run.ts [--configs small,reference,coordinator,large] [--write] [--load "…"]
 * `--write` puts the "Cluster model" section into bench/RESULTS.md, before the Check workers section.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { cpuModel, writeResultsSection } from '../results.js';
import { runCheck } from '../../cluster/check.js';
import { resolveConfig } from '../../cli/check.js';
import { explore } from '../../explorer/index.js';
import { kernelWorld } from '../explorer/kernel/world.js';

interface Run {
  config: string;
  states: number;
  transitions: number;
  depth: number;
  stopReason: string;
  millis: number;
  statesPerSecond: number;
  peakRssBytes: number;
}

const program = new Command()
  .name('bench/cluster/run.ts')
  .option('--configs <list>', 'presets or files, comma-separated', 'small,reference,coordinator,large')
  .option('--write', 'write the Cluster model section of bench/RESULTS.md')
  .option('--load <text>', 'a note on the machine load during the run', '')
  .option('--one <config>', '(internal) one run, printed as JSON');
program.parse();
const opts = program.opts<{ configs: string; write?: boolean; load: string; one?: string }>();
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

if (opts.one === 'kernel') {
  const size = { name: 'small', maxEpoch: 4, bagCapacity: 3, lossBudget: 1, dupBudget: 1 };
  explore(kernelWorld(size).model, { mode: 'hash-compaction', checkDeadlocks: false }); // JIT warm-up
  const w = kernelWorld(size);
  const r = explore(w.model, { mode: 'hash-compaction', invariants: w.invariants, checkDeadlocks: false });
  const out: Run = { config: 'kernel (small)', states: r.states, transitions: r.transitions, depth: r.depth, stopReason: r.stopReason, millis: r.millis, statesPerSecond: r.statesPerSecond, peakRssBytes: r.peakRssBytes };
  console.log(JSON.stringify(out));
} else if (opts.one) {
  const r = await runCheck({ config: resolveConfig(opts.one), mode: 'hash-compaction' });
  const out: Run = { config: opts.one, states: r.states, transitions: r.transitions, depth: r.depth, stopReason: r.stopReason, millis: r.millis, statesPerSecond: r.statesPerSecond, peakRssBytes: r.peakRssBytes };
  console.log(JSON.stringify(out));
} else {
  const self = fileURLToPath(import.meta.url);
  const runs: Run[] = [];
  for (const c of ['kernel', ...opts.configs.split(',')]) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--one', c], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const r = JSON.parse(out.trim().split('\n').pop()!) as Run;
    process.stderr.write(`${r.config}: ${fmt(r.states)} states (${r.stopReason}) in ${(r.millis / 1000).toFixed(1)} s, ${fmt(r.statesPerSecond)} states/s\n`);
    runs.push(r);
  }
  const cpu = cpuModel();
  const loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const kernel = runs[0]!;
  const lines = [
    '## Cluster model (`bench/cluster/run.ts`)',
    '',
    `Command: \`npx tsx bench/cluster/run.ts --configs ${opts.configs}${opts.write ? ' --write' : ''}${opts.load ? ' --load "…"' : ''}\``,
    `Machine: nproc ${availableParallelism()}, CPU \`${cpu}\`, Node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z.`,
    `Load: ${opts.load ? `${opts.load} ` : ''}load average at the end ${loadavg} on ${availableParallelism()} cores.`,
    '',
    '`opcharts check --config NAME` as `npm start` runs it (hash compaction, one worker, the preset\'s bounds), each in its',
    'own process; time, states/s and peak RSS as the explorer reports them. The anchor is the fencing kernel of',
    'bench/explorer on its small size, explored by the same `explore()` in the same run: the composed world costs',
    'more per state because each world holds every node\'s machines, the coordinator\'s controller and the bag.',
    '',
    '| configuration | states | transitions | depth | stopped | time | states/s | ÷ kernel | peak RSS |',
    '| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
    ...runs.map(
      (r) =>
        `| ${r.config} | ${fmt(r.states)} | ${fmt(r.transitions)} | ${r.depth} | ${r.stopReason} | ${(r.millis / 1000).toFixed(1)} s | ${fmt(r.statesPerSecond)} | ${(r.statesPerSecond / kernel.statesPerSecond).toFixed(3)} | ${fmt(r.peakRssBytes / 2 ** 20)} MiB |`,
    ),
    '',
  ];
  const text = lines.join('\n');
  if (opts.write) writeResultsSection('## Cluster model', text, '## Check workers');
  console.log(text);
}
