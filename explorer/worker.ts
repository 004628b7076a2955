/**
 * One thread of a parallel search (see parallel.ts): loads the model module, then expands the
 * frontier slices the main thread hands it, one breadth-first level at a time.
 *
 * A model without `decode` keeps its frontier here instead ("local" mode): the states this thread
 * added are the ones it expands at the next level; `seed` hands it states by index (rebuilt by
 * replaying their paths from the shared provenance) and `give` takes some away, so that the main
 * thread can balance the threads' shares.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FULL, PackedFrontier, SEEN, SharedTable, forEachPacked, type SharedBuffers } from './shared.js';
import type { ModelFactory } from './parallel.js';
import { rebuildTrace } from './explore.js';

interface Init {
  moduleUrl: string;
  exportName: string;
  config: unknown;
  buffers: SharedBuffers;
  checkDeadlocks: boolean;
}

export type LevelResult = {
  type: 'level';
  frontier: Int32Array;
  transitions: number;
  violations: Array<{ kind: 'invariant' | 'deadlock'; name: string; message: string; index: number }>;
  full: boolean;
  /** Local mode: how many states this thread holds for the next level. */
  size?: number;
};

const init = workerData as Init;
const mod = (await import(init.moduleUrl)) as Record<string, unknown>;
const factory = mod[init.exportName] as ModelFactory<unknown, unknown> | undefined;
if (typeof factory !== 'function') throw new Error(`${init.moduleUrl} has no export ${init.exportName}`);
const { model, invariants = [] } = factory(init.config);
const table = new SharedTable(init.buffers);

/** Local mode: the states this thread expands next, and their indices in the shared table. */
let localStates: unknown[] = [];
let localIndices: number[] = [];

type Msg = { type: 'level'; frontier: Int32Array } | { type: 'expand' } | { type: 'seed'; indices: number[] } | { type: 'give'; count: number };

parentPort!.on('message', (msg: Msg) => {
  if (msg.type === 'seed') {
    for (const index of msg.indices) {
      const trace = rebuildTrace(model, table, index);
      localStates.push(trace.steps.length ? trace.steps[trace.steps.length - 1]!.state : trace.initial);
      localIndices.push(index);
    }
    parentPort!.postMessage({ type: 'seeded', size: localStates.length });
    return;
  }
  if (msg.type === 'give') {
    const given = localIndices.splice(localIndices.length - msg.count, msg.count);
    localStates.splice(localStates.length - msg.count, msg.count);
    parentPort!.postMessage({ type: 'given', indices: given, size: localStates.length });
    return;
  }
  if (msg.type === 'expand') {
    const nextStates: unknown[] = [];
    const nextIndices: number[] = [];
    const violations: LevelResult['violations'] = [];
    let transitions = 0;
    let full = false;
    for (let f = 0; f < localStates.length && !full; f++) {
      const state = localStates[f];
      const from = localIndices[f]!;
      const actions = model.actions(state);
      if (actions.length === 0 && init.checkDeadlocks && !(model.isTerminal?.(state) ?? false)) {
        violations.push({ kind: 'deadlock', name: 'deadlock', message: 'no action is enabled and the state is not terminal', index: from });
      }
      for (let a = 0; a < actions.length; a++) {
        const action = actions[a]!;
        const succ = model.apply(state, action);
        transitions++;
        const added = table.add(model.encode(succ), from, a);
        if (added === SEEN) continue;
        if (added === FULL) {
          full = true;
          break;
        }
        for (const inv of invariants) {
          const v = inv.check(succ, { prev: state, action });
          if (v !== true) violations.push({ kind: 'invariant', name: inv.name, message: v === false ? 'violated' : v, index: added });
        }
        nextStates.push(succ);
        nextIndices.push(added);
      }
    }
    localStates = nextStates;
    localIndices = nextIndices;
    const result: LevelResult = { type: 'level', frontier: new Int32Array(0), transitions, violations, full, size: nextStates.length };
    parentPort!.postMessage(result);
    return;
  }
  const next = new PackedFrontier();
  const violations: LevelResult['violations'] = [];
  let transitions = 0;
  let full = false;
  forEachPacked(msg.frontier, (from, words) => {
    if (full) return;
    const state = model.decode!(words);
    const actions = model.actions(state);
    if (actions.length === 0 && init.checkDeadlocks && !(model.isTerminal?.(state) ?? false)) {
      violations.push({ kind: 'deadlock', name: 'deadlock', message: 'no action is enabled and the state is not terminal', index: from });
    }
    for (let a = 0; a < actions.length; a++) {
      const action = actions[a]!;
      const succ = model.apply(state, action);
      transitions++;
      const enc = model.encode(succ);
      const added = table.add(enc, from, a);
      if (added === SEEN) continue;
      if (added === FULL) {
        full = true;
        return;
      }
      for (const inv of invariants) {
        const v = inv.check(succ, { prev: state, action });
        if (v !== true) violations.push({ kind: 'invariant', name: inv.name, message: v === false ? 'violated' : v, index: added });
      }
      next.push(added, enc);
    }
  });
  const frontier = next.take();
  const result: LevelResult = { type: 'level', frontier, transitions, violations, full };
  parentPort!.postMessage(result, [frontier.buffer as ArrayBuffer]);
});
parentPort!.postMessage({ type: 'ready' });
