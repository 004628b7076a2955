/**
 * Worker speed-up of `opcharts check` (not a test): the same configuration checked single-threaded
 * (explorer/explore.ts over the hash-consed integer encoding), by the parallel search with one
 * worker (its overhead: the thread-independent encoding of cluster/checkWorker.ts, worker start-up,
 * level barriers) and with two workers. Each run is its own process; rounds alternate the order;
 * the state counts must agree (the script fails otherwise).
 *
 * Run: npx tsx bench/check/workers.ts [--config reference] [--rounds 3] [--write] [--load "…"]
 * `--write` puts the "Check workers" section into bench/RESULTS.md, before the Explorer kernel
 * section (whose writer keeps only what precedes it), replacing an earlier one.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { cpuModel, writeResultsSection } from '../results.js';
import { runCheck } from '../../cluster/check.js';
import { resolveConfig } from '../../cli/check.js';

const ARMS = { sequential: { workers: 1, forceParallel: false }, 'parallel-1': { workers: 1, forceParallel: true }, 'parallel-2': { workers: 2, forceParallel: false } } as const;
type Arm = keyof typeof ARMS;

interface Run {
  arm: Arm;
  states: number;
  transitions: number;
  millis: number;
  statesPerSecond: number;
  peakRssBytes: number;
}

const program = new Command()
  .name('bench/check/workers.ts')
  .option('--config <name|file>', 'configuration to check', 'reference')
  .option('--rounds <n>', 'rounds (order alternates)', '3')
  .option('--write', 'write the Check workers section of bench/RESULTS.md')
  .option('--load <text>', 'a note on the machine load during the run', '')
  .option('--one <arm>', '(internal) one run, printed as JSON');
program.parse();
const opts = program.opts<{ config: string; rounds: string; write?: boolean; load: string; one?: Arm }>();

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

if (opts.one) {
  const arm = ARMS[opts.one];
  const r = await runCheck({ config: resolveConfig(opts.config), mode: 'hash-compaction', ...arm });
  const out: Run = { arm: opts.one, states: r.states, transitions: r.transitions, millis: r.millis, statesPerSecond: r.statesPerSecond, peakRssBytes: r.peakRssBytes };
  console.log(JSON.stringify(out));
} else {
  const self = fileURLToPath(import.meta.url);
  const arms = Object.keys(ARMS) as Arm[];
  const runs: Run[] = [];
  for (let round = 0; round < Number(opts.rounds); round++) {
    for (const arm of round % 2 ? [...arms].reverse() : arms) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--config', opts.config, '--one', arm], { encoding: 'utf8', maxBuffer: 1 << 24 });
      const r = JSON.parse(out.trim().split('\n').pop()!) as Run;
      process.stderr.write(`round ${round + 1} ${arm}: ${fmt(r.states)} states in ${(r.millis / 1000).toFixed(1)} s, ${fmt(r.statesPerSecond)} states/s\n`);
      runs.push(r);
    }
  }
  const counts = new Set(runs.map((r) => `${r.states}/${r.transitions}`));
  if (counts.size !== 1) throw new Error(`the arms disagree on states/transitions: ${[...counts].join(', ')}`);
  const by = (arm: Arm) => runs.filter((r) => r.arm === arm);
  const cpu = cpuModel();
  const loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const perRound = (a: Arm, b: Arm) => by(a).map((r, i) => r.millis / by(b)[i]!.millis);
  const speedup = perRound('sequential', 'parallel-2');
  const scaling = perRound('parallel-1', 'parallel-2');
  const lines = [
    '## Check workers (`bench/check/workers.ts`)',
    '',
    `Command: \`npx tsx bench/check/workers.ts --config ${opts.config} --rounds ${opts.rounds}${opts.write ? ' --write' : ''}${opts.load ? ' --load "…"' : ''}\``,
    `Machine: nproc ${availableParallelism()}, CPU \`${cpu}\`, Node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z.`,
    `Load: ${opts.load ? `${opts.load} ` : ''}load average at the end ${loadavg} on ${availableParallelism()} cores.`,
    '',
    `\`opcharts check --config ${opts.config}\` (hash compaction) in three ways, each run its own process, rounds alternating the order:`,
    '`sequential` = `--workers 1` (explore() on this thread, hash-consed integer encoding); `parallel-1` = the parallel',
    'search with one worker thread (thread-independent encoding, worker start-up, a barrier per level); `parallel-2` =',
    '`--workers 2`. Time is the search as the explorer reports it (worker start-up included for the parallel arms).',
    `Every run found ${fmt(runs[0]!.states)} states and ${fmt(runs[0]!.transitions)} transitions.`,
    '',
    '| arm | time min / median | states/s median | peak RSS median |',
    '| --- | ---: | ---: | ---: |',
    ...arms.map((a) => {
      const ms = by(a).map((r) => r.millis);
      return `| ${a} | ${(Math.min(...ms) / 1000).toFixed(1)} s / ${(median(ms) / 1000).toFixed(1)} s | ${fmt(median(by(a).map((r) => r.statesPerSecond)))} | ${fmt(median(by(a).map((r) => r.peakRssBytes)) / 2 ** 20)} MiB |`;
    }),
    '',
    `Speed-up of \`--workers 2\` over \`--workers 1\` (time ratio within a round): median ${median(speedup).toFixed(2)}× (per round ${speedup.map((x) => x.toFixed(2)).join(', ')}).`,
    `Scaling of the parallel search from one worker to two: median ${median(scaling).toFixed(2)}× (per round ${scaling.map((x) => x.toFixed(2)).join(', ')}).`,
    '',
  ];
  const text = lines.join('\n');
  if (opts.write) writeResultsSection('## Check workers', text, '## Explorer kernel');
  console.log(text);
}
