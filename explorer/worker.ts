/**
 * One thread of a parallel search (see parallel.ts): loads the model module, then expands the
 * frontier slices the main thread hands it, one breadth-first level at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FULL, PackedFrontier, SEEN, SharedTable, forEachPacked, type SharedBuffers } from './shared.js';
import type { ModelFactory } from './parallel.js';

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
};

const init = workerData as Init;
const mod = (await import(init.moduleUrl)) as Record<string, unknown>;
const factory = mod[init.exportName] as ModelFactory<unknown, unknown> | undefined;
if (typeof factory !== 'function') throw new Error(`${init.moduleUrl} has no export ${init.exportName}`);
const { model, invariants = [] } = factory(init.config);
const table = new SharedTable(init.buffers);

parentPort!.on('message', (msg: { type: 'level'; frontier: Int32Array }) => {
  const next = new PackedFrontier();
  const violations: LevelResult['violations'] = [];
  let transitions = 0;
  let full = false;
  forEachPacked(msg.frontier, (from, words) => {
    if (full) return;
    const state = model.decode(words);
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
