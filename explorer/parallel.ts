/**
 * Breadth-first search on several threads. The visited set is a shared lock-free 64-bit
 * hash-compaction table (so a parallel search, like any compaction search, may miss states and
 * says so); each level's frontier is split evenly among the workers, and the main thread waits
 * for every worker to finish a level before the next starts, so counterexamples stay shortest.
 *
 * Workers build their own copy of the model from a module: `moduleUrl` exports `exportName`, a
 * {@link ModelFactory} called with `config` (structured-clonable). Its model must also `decode`
 * an encoding back to a state, because frontier states travel between threads as encodings.
 */
import { Worker } from 'node:worker_threads';
import { rebuildTrace, ExplorerError, NO_PARENT } from './explore.js';
import { FULL, PackedFrontier, SEEN, SharedTable, allocateShared, splitPacked } from './shared.js';
import type { ExploreReport, Invariant, Model, Progress, StopReason, Violation } from './types.js';
import type { LevelResult } from './worker.js';

export interface DecodableModel<S, A> extends Model<S, A> {
  decode(words: Int32Array): S;
}

/**
 * A model for the parallel search. With `decode`, frontier states travel between threads as
 * encodings and each level is split evenly. Without it (a model whose states cannot be rebuilt
 * from their encoding, such as one whose encoding is a hash of its parts), each worker keeps the
 * states it found and expands them at the next level; the main thread balances the workers'
 * shares by moving states, which the receiving worker rebuilds by replaying their paths.
 * Either way the encoding must be the same in every thread (no per-thread interning).
 */
export type ParallelModel<S, A> = Model<S, A> & { decode?(words: Int32Array): S };

export type ModelFactory<S, A> = (config: any) => { model: ParallelModel<S, A>; invariants?: Invariant<S, A>[] };

/** Local mode: at most this many states move between workers per level (each is rebuilt by replaying its path). */
const MAX_MOVED_PER_LEVEL = 4096;

function countPacked(p: Int32Array): number {
  let n = 0;
  for (let at = 0; at < p.length; at += 2 + p[at + 1]!) n++;
  return n;
}

export interface ParallelOptions {
  moduleUrl: string;
  exportName: string;
  config?: unknown;
  workers: number;
  /** Capacity of the shared table, in states; reaching it stops the search with `maxStates`. */
  maxStates?: number;
  maxDepth?: number;
  maxMillis?: number;
  stopAtFirstViolation?: boolean;
  checkDeadlocks?: boolean;
  onProgress?(p: Progress): void;
  clock?: () => number;
}

/** The worker's entry: the compiled worker.js, or from the sources (tests, tsx) worker.ts behind tsx's loader. */
function spawn(workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { workerData });
  const entry = new URL('./worker.ts', import.meta.url).href;
  const boot = `(async () => { (await import('tsx/esm/api')).register(); await import(${JSON.stringify(entry)}); })().catch((e) => { throw e; });`;
  return new Worker(boot, { eval: true, workerData });
}

export async function exploreParallel<S, A>(options: ParallelOptions): Promise<ExploreReport<S, A>> {
  if (!Number.isInteger(options.workers) || options.workers < 1) throw new ExplorerError('workers must be a positive integer');
  const mod = (await import(options.moduleUrl)) as Record<string, unknown>;
  const factory = mod[options.exportName] as ModelFactory<S, A> | undefined;
  if (typeof factory !== 'function') throw new ExplorerError(`${options.moduleUrl} has no export ${options.exportName}`);
  const { model, invariants = [] } = factory(options.config);
  const clock = options.clock ?? (() => performance.now());
  const stopAtFirst = options.stopAtFirstViolation ?? true;
  const checkDeadlocks = options.checkDeadlocks ?? true;
  const buffers = allocateShared(options.maxStates ?? 1 << 22);
  const table = new SharedTable(buffers);
  const start = clock();
  let peakRss = process.memoryUsage.rss();
  const violations: Violation<S, A>[] = [];
  const violated = new Set<string>();
  const record = (v: { kind: Violation<S, A>['kind']; name: string; message: string; index: number }) => {
    const key = `${v.kind}:${v.name}`;
    if (violated.has(key)) return;
    violated.add(key);
    violations.push({ kind: v.kind, name: v.name, message: v.message, trace: rebuildTrace(model, table, v.index) });
  };

  // Level 0 on the main thread.
  let frontier = new PackedFrontier();
  const local = typeof model.decode !== 'function';
  const initialIndices: number[] = [];
  let stopReason: StopReason = 'complete';
  model.initialStates().forEach((s, ordinal) => {
    const enc = model.encode(s);
    const idx = table.add(enc, NO_PARENT, ordinal);
    if (idx === SEEN || idx === FULL) return;
    if (local) initialIndices.push(idx);
    else frontier.push(idx, enc);
    for (const inv of invariants) {
      const r = inv.check(s);
      if (r !== true) record({ kind: 'invariant', name: inv.name, message: r === false ? 'violated' : r, index: idx });
    }
  });

  const workers = Array.from({ length: options.workers }, () =>
    spawn({ moduleUrl: options.moduleUrl, exportName: options.exportName, config: options.config, buffers, checkDeadlocks }),
  );
  // One pending reply per worker; a worker error fails the search.
  const pending = new Map<Worker, { resolve(v: unknown): void; reject(e: unknown): void }>();
  for (const w of workers) {
    w.on('message', (m) => pending.get(w)?.resolve(m));
    w.on('error', (e) => pending.get(w)?.reject(e));
  }
  const next = (w: Worker) => new Promise<unknown>((resolve, reject) => pending.set(w, { resolve, reject }));
  let transitions = 0;
  let depth = 0;
  try {
    await Promise.all(workers.map(next));
    let parts = [frontier.take()];
    // Local mode: how many frontier states each worker holds.
    let sizes = workers.map((_w, i) => (i === 0 ? initialIndices.length : 0));
    if (local && initialIndices.length) {
      const done = next(workers[0]!);
      workers[0]!.postMessage({ type: 'seed', indices: initialIndices });
      await done;
    }
    const ask = async (w: Worker, msg: unknown) => {
      const done = next(w);
      w.postMessage(msg);
      return (await done) as { indices: number[] };
    };
    /** Moves frontier states from the fullest worker to the emptiest until no worker holds under half its share. */
    const rebalance = async () => {
      const total = sizes.reduce((a, b) => a + b, 0);
      for (let round = 0; round < workers.length; round++) {
        const most = sizes.indexOf(Math.max(...sizes));
        const least = sizes.indexOf(Math.min(...sizes));
        const share = total / workers.length;
        if (sizes[least]! >= share / 2 || total < 2 * workers.length) return;
        const count = Math.min(Math.floor((sizes[most]! - sizes[least]!) / 2), MAX_MOVED_PER_LEVEL);
        if (count <= 0) return;
        const given = await ask(workers[most]!, { type: 'give', count });
        await ask(workers[least]!, { type: 'seed', indices: given.indices });
        sizes[most]! -= count;
        sizes[least]! += count;
      }
    };
    while (!(stopAtFirst && violations.length > 0)) {
      const slices = local ? [] : splitPacked(parts, workers.length);
      if (local ? sizes.every((n) => n === 0) : slices.every((s) => s.length === 0)) break;
      if (options.maxDepth !== undefined && depth >= options.maxDepth) {
        stopReason = 'maxDepth';
        break;
      }
      if (local) await rebalance();
      const results = await Promise.all(
        workers.map((w, i) => {
          const done = next(w);
          if (local) w.postMessage({ type: 'expand' });
          else {
            const slice = slices[i]!;
            w.postMessage({ type: 'level', frontier: slice }, [slice.buffer as ArrayBuffer]);
          }
          return done as Promise<LevelResult>;
        }),
      );
      parts = results.map((r) => r.frontier);
      sizes = results.map((r) => r.size ?? 0);
      const found = local ? sizes.some((n) => n > 0) : results.reduce((n, r) => n + r.frontier.length, 0) > 0;
      if (found) depth++;
      for (const r of results) {
        transitions += r.transitions;
        // Deadlocks are found while expanding the previous level; invariants at the new one: both are shortest.
        for (const v of r.violations.sort((x, y) => x.index - y.index)) record(v);
      }
      const millis = clock() - start;
      const rss = process.memoryUsage.rss();
      if (rss > peakRss) peakRss = rss;
      const queue = local ? sizes.reduce((a, b) => a + b, 0) : parts.reduce((n, p) => n + countPacked(p), 0);
      options.onProgress?.({ states: table.size, transitions, depth, queue, millis, rssBytes: rss });
      if (results.some((r) => r.full)) {
        stopReason = 'maxStates';
        break;
      }
      if (options.maxMillis !== undefined && millis > options.maxMillis) {
        stopReason = 'maxMillis';
        break;
      }
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (violations.length > 0 && (stopReason === 'complete' || stopAtFirst)) stopReason = 'violation';
  const millis = clock() - start;
  return {
    model: model.name,
    mode: 'hash-compaction',
    mayMissStates: true,
    stopReason,
    states: table.size,
    transitions,
    depth,
    millis,
    statesPerSecond: millis > 0 ? Math.round((table.size * 1000) / millis) : 0,
    bytesPerState: table.size ? table.bytes() / table.size : 0,
    peakRssBytes: peakRss,
    invariantsChecked: invariants.map((i) => i.name),
    violations,
  };
}
