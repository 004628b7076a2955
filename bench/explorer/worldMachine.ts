/**
 * (c) The whole fencing kernel as ONE XState machine, for `xstate/graph`'s `getAdjacencyMap`:
 * the coordinator's phase is the state value, everything else (store, receivers, bag, budgets) is
 * context, every action of the model (bench/explorer/README.md) is an event with a guard.
 * Written from the prose, not from the component machines, so that its state count is an
 * independent check on (a) and (b).
 */
import { setup, assign } from 'xstate';
import { kindCount, kindIndex, kindOf, type KernelSize } from './kernel/size.js';

interface NodeState {
  /** Owned epoch, 0 when not owned. */
  epoch: bigint;
  seen: bigint;
}

export interface WorldContext {
  size: KernelSize;
  owner: number | null;
  epoch: bigint;
  dest: number | null;
  persisted: bigint;
  nodes: NodeState[];
  /** Messages in flight: a count per kind (kernel/size.ts `kindIndex`). */
  bag: number[];
  inFlight: number;
  loss: number;
  dup: number;
  crashes: number;
}

export type WorldEvent =
  | { type: 'MOVE'; dest: number }
  | { type: 'SEND' }
  | { type: 'CRASH' }
  | { type: 'RESTART' }
  | { type: 'DELIVER'; kind: number }
  | { type: 'LOSE'; kind: number }
  | { type: 'DUP'; kind: number };

const kindOfEvent = (e: WorldEvent) => ('kind' in e ? e.kind : -1);
const removeTargets = (c: WorldContext) => (c.owner === null ? [0, 1, 2].filter((n) => n !== c.dest) : [c.owner]);
const withCount = (bag: number[], k: number, d: number) => bag.map((v, i) => (i === k ? v + d : v));

export const kernelWorldMachine = setup({
  types: { context: {} as WorldContext, events: {} as WorldEvent, input: {} as KernelSize },
  guards: {
    canMove: ({ context: c, event: e }) => e.type === 'MOVE' && e.dest !== c.owner && c.persisted < BigInt(c.size.maxEpoch),
    roomToSend: ({ context: c }) => c.inFlight + 1 + removeTargets(c).length <= c.size.bagCapacity,
    canCrash: ({ context: c }) => c.crashes > 0,
    inBag: ({ context: c, event: e }) => c.bag[kindOfEvent(e)]! > 0,
    canLose: ({ context: c, event: e }) => c.loss > 0 && c.bag[kindOfEvent(e)]! > 0,
    canDup: ({ context: c, event: e }) => c.dup > 0 && c.bag[kindOfEvent(e)]! > 0 && c.inFlight < c.size.bagCapacity,
  },
  actions: {
    bumpAndPersist: assign(({ context: c, event: e }) => ({
      dest: e.type === 'MOVE' ? e.dest : null,
      epoch: c.epoch + 1n,
      persisted: c.epoch + 1n,
    })),
    send: assign(({ context: c }) => {
      let bag = withCount(c.bag, kindIndex(c.size, false, c.dest!, Number(c.epoch)), 1);
      const removes = removeTargets(c);
      for (const o of removes) bag = withCount(bag, kindIndex(c.size, true, o, Number(c.epoch) - 1), 1);
      return { bag, inFlight: c.inFlight + 1 + removes.length, owner: c.dest, dest: null };
    }),
    crash: assign(({ context: c }) => ({ owner: null, epoch: 0n, dest: null, crashes: c.crashes - 1 })),
    restart: assign(({ context: c }) => ({ owner: null, epoch: c.persisted })),
    deliver: assign(({ context: c, event: e }) => {
      const k = kindOfEvent(e);
      const m = kindOf(c.size, k);
      const epoch = BigInt(m.epoch);
      const node = c.nodes[m.node]!;
      const fresh = m.remove ? epoch >= node.seen : epoch > node.seen;
      const nodes = fresh ? c.nodes.map((n, i) => (i === m.node ? { epoch: m.remove ? 0n : epoch, seen: epoch } : n)) : c.nodes;
      return { bag: withCount(c.bag, k, -1), inFlight: c.inFlight - 1, nodes };
    }),
    lose: assign(({ context: c, event: e }) => ({ bag: withCount(c.bag, kindOfEvent(e), -1), inFlight: c.inFlight - 1, loss: c.loss - 1 })),
    duplicate: assign(({ context: c, event: e }) => ({ bag: withCount(c.bag, kindOfEvent(e), 1), inFlight: c.inFlight + 1, dup: c.dup - 1 })),
  },
}).createMachine({
  id: 'kernelWorld',
  initial: 'Idle',
  context: ({ input }) => ({
    size: input,
    owner: 0,
    epoch: 1n,
    dest: null,
    persisted: 1n,
    nodes: [
      { epoch: 1n, seen: 1n },
      { epoch: 0n, seen: 0n },
      { epoch: 0n, seen: 0n },
    ],
    bag: new Array(kindCount(input)).fill(0),
    inFlight: 0,
    loss: input.lossBudget,
    dup: input.dupBudget,
    crashes: 1,
  }),
  on: {
    DELIVER: { guard: 'inBag', actions: 'deliver' },
    LOSE: { guard: 'canLose', actions: 'lose' },
    DUP: { guard: 'canDup', actions: 'duplicate' },
  },
  states: {
    Idle: {
      on: {
        MOVE: { guard: 'canMove', target: 'Moving', actions: 'bumpAndPersist' },
        CRASH: { guard: 'canCrash', target: 'Crashed', actions: 'crash' },
      },
    },
    Moving: {
      on: {
        SEND: { guard: 'roomToSend', target: 'Idle', actions: 'send' },
        CRASH: { guard: 'canCrash', target: 'Crashed', actions: 'crash' },
      },
    },
    Crashed: { on: { RESTART: { target: 'Idle', actions: 'restart' } } },
  },
});

/** The key `getAdjacencyMap` de-duplicates by: every field of the model's state, nothing else. */
export function worldKey(s: { value: unknown; context: WorldContext }): string {
  const c = s.context;
  return `${String(s.value)}|${c.owner}|${c.epoch}|${c.dest}|${c.persisted}|${c.nodes.map((n) => `${n.epoch}/${n.seen}`).join(',')}|${c.bag.join(',')}|${c.loss}|${c.dup}|${c.crashes}`;
}

/** Candidate events of a state (the machine's guards decide; this only skips empty bag slots). */
export function worldEvents(s: { context: WorldContext }): WorldEvent[] {
  const out: WorldEvent[] = [{ type: 'MOVE', dest: 0 }, { type: 'MOVE', dest: 1 }, { type: 'MOVE', dest: 2 }, { type: 'SEND' }, { type: 'CRASH' }, { type: 'RESTART' }];
  s.context.bag.forEach((v, kind) => {
    if (v > 0) out.push({ type: 'DELIVER', kind }, { type: 'LOSE', kind }, { type: 'DUP', kind });
  });
  return out;
}

/** Both invariants over an adjacency map: ownership epochs on every state, freshness on every delivery. */
export function checkWorldInvariants(adj: Record<string, { state: { context: WorldContext }; transitions: Record<string, { event: WorldEvent; state: { context: WorldContext } }> }>): string[] {
  const errors: string[] = [];
  for (const [key, { state, transitions }] of Object.entries(adj)) {
    const own = state.context.nodes.map((n) => n.epoch);
    for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) if (own[i]! > 0n && own[i] === own[j]) errors.push(`no two nodes own with the same epoch: ${key}`);
    for (const { event, state: next } of Object.values(transitions)) {
      if (event.type !== 'DELIVER') continue;
      const m = kindOf(state.context.size, event.kind);
      const before = state.context.nodes[m.node]!;
      const after = next.context.nodes[m.node]!;
      if (before.epoch === after.epoch && before.seen === after.seen) continue;
      const e = BigInt(m.epoch);
      if (!(m.remove ? e >= before.seen : e > before.seen)) errors.push(`no stale message applied: ${key} --${JSON.stringify(event)}`);
    }
  }
  return errors;
}
