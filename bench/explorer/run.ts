/**
 * Benchmark (not a test): the fencing kernel of issue 13 item 6, three ways, on the model defined
 * once in bench/explorer/README.md:
 *   (a) the explorer (explorer/) over XState component machines held as hash-consed ids, in exact
 *       and 64-bit hash-compaction mode;
 *   (b) SPIN on the same model in Promela (`spin -a`, `gcc -O2 -DSAFETY`, pan -E);
 *   (c) `xstate/graph`'s `getAdjacencyMap` on the world as one XState machine (small size only).
 * First every tool's distinct-state count is checked equal (exit 1 if not), then rounds alternate
 * the order of the tools; ratios are taken within a round. Each measurement runs in its own
 * process (fresh heap; pan is a process anyway) and is timed by the tool itself (search only).
 *
 * Run: npx tsx bench/explorer/run.ts [--rounds 3] [--sizes small,large] [--write] [--json]
 * `--write` replaces the "Explorer kernel" section of bench/RESULTS.md (other sections are kept).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { getAdjacencyMap } from 'xstate/graph';
import { explore, type VisitedMode } from '../../explorer/index.js';
import { kernelWorld } from './kernel/world.js';
import { kernelReceiverMachine } from './kernel/receiver.js';
import type { KernelSize } from './kernel/size.js';
import { kernelPromela } from './promela.js';
import { checkWorldInvariants, kernelWorldMachine, worldEvents, worldKey } from './worldMachine.js';

export const SIZES: Record<string, KernelSize> = {
  small: { name: 'small', maxEpoch: 4, bagCapacity: 3, lossBudget: 1, dupBudget: 1 },
  large: { name: 'large', maxEpoch: 6, bagCapacity: 4, lossBudget: 2, dupBudget: 2 },
};

interface Measurement {
  tool: string;
  states: number;
  millis: number;
  statesPerSecond: number;
  /** Search-structure bytes per state (explorer: visited set + provenance; SPIN: its "actual memory usage for states"). */
  bytesPerState?: number;
  peakRssBytes?: number;
  violations: number;
  /** Explorer: real XState steps taken (transition-cache misses). */
  machineSteps?: number;
}

// ---- one measurement, in a child process -------------------------------------------------------

function runExplorer(size: KernelSize, mode: VisitedMode): Measurement {
  const world = kernelWorld(size);
  const r = explore(world.model, { mode, invariants: world.invariants, checkDeadlocks: false, expectedStates: size.name === 'large' ? 12_000_000 : 0 });
  if (r.stopReason !== 'complete') throw new Error(`explorer stopped: ${r.stopReason} ${r.violations.map((v) => v.message).join('; ')}`);
  return {
    machineSteps: world.tables.coordinator.misses + world.tables.receiver.misses,
    tool: `explorer-${mode}`,
    states: r.states,
    millis: r.millis,
    statesPerSecond: r.statesPerSecond,
    bytesPerState: r.bytesPerState,
    peakRssBytes: r.peakRssBytes,
    violations: r.violations.length,
  };
}

function runGraph(size: KernelSize): Measurement {
  const start = performance.now();
  const adj = getAdjacencyMap(kernelWorldMachine, { events: worldEvents as never, serializeState: worldKey as never, input: size } as never);
  const millis = performance.now() - start;
  const states = Object.keys(adj).length;
  const errors = checkWorldInvariants(adj as never);
  return { tool: 'xstate-graph', states, millis, statesPerSecond: Math.round((states * 1000) / millis), violations: errors.length, peakRssBytes: process.memoryUsage.rss() };
}

/** Compiles the size's Promela once per run (cached in `dir`). */
function panFor(size: KernelSize, dir: string): string {
  const pan = join(dir, `pan-${size.name}`);
  if (existsSync(pan)) return pan;
  const work = mkdtempSync(join(dir, `${size.name}-`));
  writeFileSync(join(work, 'kernel.pml'), kernelPromela(size));
  execFileSync('spin', ['-a', 'kernel.pml'], { cwd: work, stdio: 'pipe' });
  execFileSync('gcc', ['-O2', '-DSAFETY', '-o', pan, 'pan.c'], { cwd: work, stdio: 'pipe' });
  return pan;
}

function runSpin(size: KernelSize, dir: string): Measurement {
  const pan = panFor(size, dir);
  // -E: states where nothing is enabled are expected (budgets spent), not invalid end states.
  const w = size.name === 'large' ? 25 : 18;
  const out = execFileSync(pan, ['-E', '-m1000000', `-w${w}`], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const num = (re: RegExp) => {
    const m = re.exec(out);
    if (!m) throw new Error(`pan output lacks ${re}:\n${out}`);
    return Number(m[1]);
  };
  const states = num(/^\s*(\d+) states, stored/m);
  const errors = num(/errors: (\d+)/);
  if (/max search depth too small/.test(out)) throw new Error('pan: -m too small');
  const seconds = num(/pan: elapsed time ([\d.e+]+) seconds/);
  const memMb = num(/^\s*([\d.]+)\s+actual memory usage for states/m) + num(/^\s*([\d.]+)\s+memory used for hash table/m);
  return {
    tool: 'spin',
    states,
    millis: seconds * 1000,
    statesPerSecond: seconds > 0 ? Math.round(states / seconds) : 0,
    bytesPerState: (memMb * 1024 * 1024) / states,
    violations: errors,
  };
}

/** Runs `tool` on `size` in a fresh Node process (the same tsx loader) and returns its measurement. */
function measure(tool: string, size: KernelSize, dir: string): Measurement {
  if (tool === 'spin') return runSpin(size, dir);
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, [...process.execArgv, '--max-old-space-size=12000', self, '--one', tool, '--size', size.name], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (child.status !== 0) throw new Error(`${tool} on ${size.name} failed:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Measurement;
}

/**
 * The invariants are not vacuous: with a receiver that applies every ADD (no fencing), the
 * explorer must find a stale delivery on the small size. Returns the shortest trace's labels.
 */
function unfencedCounterexample(): string {
  const unfenced = kernelReceiverMachine.provide({ guards: { newerThanSeen: () => true } });
  const world = kernelWorld(SIZES.small!, { receiver: unfenced });
  const r = explore(world.model, { invariants: world.invariants, checkDeadlocks: false });
  const v = r.violations[0];
  if (!v) throw new Error('an unfenced receiver broke no invariant: the invariants are vacuous');
  return `${v.name} (${v.message}) after ${v.trace.steps.length} steps: ${v.trace.steps.map((s) => s.label).join(' → ')}`;
}

// ---- the benchmark ---------------------------------------------------------------------------------

/** explore()'s provenance (u32 parent + u8 action per state, in chunks of 65,536 states: the kernel has < 256 actions a state), per state. */
function provenanceBytesPerState(states: number) {
  return (Math.ceil(states / 65_536) * 65_536 * 5) / states;
}
const describeBytes = (m: Measurement) =>
  m.bytesPerState === undefined
    ? ''
    : m.tool.startsWith('explorer')
      ? `${m.bytesPerState.toFixed(1)} (visited set ${(m.bytesPerState - provenanceBytesPerState(m.states)).toFixed(1)})`
      : m.bytesPerState.toFixed(1);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const fmtRatio = (n: number) => (n >= 10 ? n.toFixed(0) : n.toFixed(2));

interface SizeResult {
  size: KernelSize;
  counts: Record<string, number>;
  rounds: Array<Record<string, Measurement>>;
}

function benchSize(size: KernelSize, tools: string[], rounds: number, dir: string, log: (s: string) => void): SizeResult {
  const rs: SizeResult = { size, counts: {}, rounds: [] };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? tools : [...tools].reverse();
    const round: Record<string, Measurement> = {};
    for (const tool of order) {
      const m = measure(tool, size, dir);
      if (m.violations > 0) throw new Error(`${tool} on ${size.name}: ${m.violations} invariant violation(s) on the faithful model`);
      round[tool] = m;
      rs.counts[tool] = m.states;
      log(`  ${size.name} round ${r + 1} ${tool}: ${fmt(m.states)} states, ${fmt(m.statesPerSecond)} states/s`);
    }
    rs.rounds.push(round);
    const counts = new Set(Object.values(round).map((m) => m.states));
    if (counts.size !== 1) throw new Error(`${size.name}: the tools disagree on the number of states: ${JSON.stringify(rs.counts)}`);
  }
  return rs;
}

function ratioRow(rs: SizeResult, a: string, b: string) {
  const ratios = rs.rounds.map((r) => r[a]!.statesPerSecond / r[b]!.statesPerSecond);
  return { min: Math.min(...ratios), median: median(ratios), all: ratios };
}

function cpuModel() {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  return /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown CPU';
}

function section(results: SizeResult[], command: string, load: string, spinVersion: string, sanity: string): string {
  const lines: string[] = [];
  lines.push('## Explorer kernel (`bench/explorer/run.ts`)', '');
  lines.push(`Command: \`${command}\``);
  lines.push(`Machine: nproc ${availableParallelism()}, CPU \`${cpuModel()}\` (/proc/cpuinfo "model name"), Node ${process.version}, ${spinVersion}, ${new Date().toISOString().slice(0, 16)}Z.`);
  lines.push(`Load: ${load}`, '');
  lines.push('The model is defined once in bench/explorer/README.md. (a) explorer = `explore()` over the world as an');
  lines.push('Int32Array of hash-consed XState snapshot ids (explorer/machineTable.ts); (b) SPIN 6 on the same model in');
  lines.push('Promela, `gcc -O2 -DSAFETY`, `pan -E`; (c) `getAdjacencyMap` on the world as one XState machine.');
  lines.push('states/s = distinct states ÷ search time as each tool reports it (pan\'s "elapsed time"; the explorer\'s');
  lines.push('report; a timer around `getAdjacencyMap`), each run in its own process, single-threaded. Rounds alternate the');
  lines.push('order of the tools; ratios are taken within a round and given as min / median over the rounds. Each');
  lines.push('JavaScript process first runs its tool once, untimed, on the small size to warm the JIT. The small size is too');
  lines.push('short for a SPIN rate (pan reports elapsed time in 10 ms steps; its run takes about 50 ms): the SPIN goal is');
  lines.push('judged on the large size. bytes/state: the explorer\'s visited set + provenance (u32 parent + action position per');
  lines.push('state, in chunks of 65,536 states; 1-byte positions, the kernel having fewer than 256 actions a state) over distinct states, and in parentheses the visited set alone (derived from');
  lines.push('that chunk size); SPIN: its "actual memory usage for states" plus "memory used for hash table" over states stored.', '');
  lines.push('| size | maxEpoch, bag, loss, dup | tool | distinct states | states/s min / median | bytes/state | peak RSS |');
  lines.push('| --- | --- | --- | ---: | ---: | ---: | ---: |');
  for (const rs of results) {
    const s = rs.size;
    for (const tool of Object.keys(rs.rounds[0]!)) {
      const ms = rs.rounds.map((r) => r[tool]!);
      const sps = ms.map((m) => m.statesPerSecond);
      const rss = Math.max(...ms.map((m) => m.peakRssBytes ?? 0));
      lines.push(
        `| ${s.name} | ${s.maxEpoch}, ${s.bagCapacity}, ${s.lossBudget}, ${s.dupBudget} | ${tool} | ${fmt(rs.counts[tool]!)} | ${fmt(Math.min(...sps))} / ${fmt(median(sps))} | ${describeBytes(ms[ms.length - 1]!)} | ${rss ? `${(rss / 2 ** 20).toFixed(0)} MiB` : ''} |`,
      );
    }
  }
  lines.push('');
  lines.push('| size | ratio (within a round) | min | median | per round |');
  lines.push('| --- | --- | ---: | ---: | --- |');
  const goals: string[] = [];
  for (const rs of results) {
    const tools = Object.keys(rs.rounds[0]!);
    for (const mode of ['explorer-hash-compaction', 'explorer-exact']) {
      for (const other of ['spin', 'xstate-graph']) {
        if (!tools.includes(mode) || !tools.includes(other)) continue;
        const r = ratioRow(rs, mode, other);
        lines.push(`| ${rs.size.name} | ${mode} ÷ ${other} | ${fmtRatio(r.min)} | ${fmtRatio(r.median)} | ${r.all.map(fmtRatio).join(', ')} |`);
      }
    }
  }
  const large = results.find((r) => r.size.name === 'large') ?? results[results.length - 1]!;
  const small = results.find((r) => r.size.name === 'small');
  if (large.rounds[0]!['spin'] && large.rounds[0]!['explorer-hash-compaction']) {
    const r = ratioRow(large, 'explorer-hash-compaction', 'spin');
    goals.push(`- ≥ 1.5× SPIN's states/s single-threaded (${large.size.name}, compaction mode): median ${fmtRatio(r.median)}× — ${r.median >= 1.5 ? 'met' : '**NOT met**'}.`);
  }
  if (small?.rounds[0]!['xstate-graph']) {
    const r = ratioRow(small, 'explorer-hash-compaction', 'xstate-graph');
    goals.push(`- ≥ 200× \`xstate/graph\`'s states/s (small, compaction mode): median ${fmtRatio(r.median)}× — ${r.median >= 200 ? 'met' : '**NOT met**'}.`);
  }
  const compact = large.rounds[large.rounds.length - 1]!['explorer-hash-compaction'];
  if (compact?.bytesPerState !== undefined)
    goals.push(
      `- ≤ 16 bytes/state in hash-compaction mode (${large.size.name}): ${compact.bytesPerState.toFixed(1)} with the trace provenance, ` +
        `${(compact.bytesPerState - provenanceBytesPerState(compact.states)).toFixed(1)} for the visited set alone — ${compact.bytesPerState <= 16 ? 'met' : '**NOT met**'} (judged on the total).`,
    );
  const equal = results.map((rs) => `${rs.size.name}: ${Object.entries(rs.counts).map(([t, n]) => `${t} ${fmt(n)}`).join(', ')}`);
  const steps = results.map((rs) => `${rs.size.name} ${fmt(rs.rounds[0]!['explorer-hash-compaction']?.machineSteps ?? 0)}`).join(', ');
  lines.push('', `Real XState steps the explorer took (transition-cache misses): ${steps}; every other component step was a cache hit.`);
  lines.push('', `Sanity check (the invariants can fail): with a receiver that applies every ADD, the explorer reports ${sanity}.`);
  lines.push('', `Equal distinct-state counts (checked by the script, which fails otherwise) — ${equal.join('; ')}.`, '', 'Goals:', ...goals, '');
  return lines.join('\n');
}

function writeSection(text: string) {
  const path = join(import.meta.dirname, '..', 'RESULTS.md');
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const marker = '\n## Explorer kernel';
  const at = old.indexOf(marker);
  // Our section is the file's last: the epoch-store bench keeps everything from "## Notes" on.
  const kept = at >= 0 ? old.slice(0, at) : old.replace(/\n*$/, '');
  writeFileSync(path, `${kept}\n\n${text.replace(/\n*$/, '\n')}`);
}

const program = new Command()
  .name('bench/explorer/run.ts')
  .description('fencing kernel: explorer vs SPIN vs xstate/graph, equal state counts, states/s and bytes/state')
  .option('--rounds <n>', 'measurement rounds (order alternates)', '3')
  .option('--sizes <list>', 'comma-separated sizes (small, large)', 'small,large')
  .option('--write', 'replace the Explorer kernel section of bench/RESULTS.md')
  .option('--load <text>', 'a note on the machine load during the run, for RESULTS.md', '')
  .option('--json', 'print the measurements as JSON')
  .option('--one <tool>', '(internal) run one measurement and print it as JSON')
  .option('--size <name>', '(internal) the size for --one');
program.parse();
const opts = program.opts<{ rounds: string; sizes: string; write?: boolean; load: string; json?: boolean; one?: string; size?: string }>();

if (opts.one) {
  const size = SIZES[opts.size ?? ''];
  if (!size) throw new Error(`unknown size ${opts.size}`);
  const run = (s: KernelSize) => (opts.one === 'xstate-graph' ? runGraph(s) : runExplorer(s, opts.one === 'explorer-exact' ? 'exact' : 'hash-compaction'));
  // Warm the JIT with an untimed run on the small size, so that short runs measure the search, not compilation.
  run(SIZES.small!);
  console.log(JSON.stringify(run(size)));
} else {
  const dir = mkdtempSync(join(tmpdir(), 'kernel-bench-'));
  try {
    const spinVersion = execFileSync('spin', ['-V'], { encoding: 'utf8' }).trim();
    const log = (s: string) => process.stderr.write(`${s}\n`);
    const sanity = unfencedCounterexample();
    const results: SizeResult[] = [];
    for (const name of opts.sizes.split(',')) {
      const size = SIZES[name];
      if (!size) throw new Error(`unknown size ${name}; known: ${Object.keys(SIZES).join(', ')}`);
      const tools = ['explorer-hash-compaction', 'explorer-exact', 'spin', ...(name === 'small' ? ['xstate-graph'] : [])];
      results.push(benchSize(size, tools, Number(opts.rounds), dir, log));
    }
    const loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const load = `${opts.load ? `${opts.load} ` : ''}load average at the end ${loadavg} on ${availableParallelism()} cores.`;
    const shown = ['--rounds', opts.rounds, '--sizes', opts.sizes, ...(opts.write ? ['--write'] : []), ...(opts.load ? ['--load "…"'] : [])];
    const text = section(results, `npx tsx bench/explorer/run.ts ${shown.join(' ')}`, load, spinVersion, sanity);
    if (opts.write) writeSection(text);
    console.log(opts.json ? JSON.stringify(results, null, 2) : text);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
