/**
 * Conformance tests for the coordinator schedulers: spec §6.6 items 1–6
 * (`coordinator/scheduler/drain_test.go`), and the rules of §2.4.1 (basic, balance) and §2.5.3
 * (drain) case by case, including the tie-breaks (every outcome, and the host default among them).
 * Machines: none (pure functions of machines/coordinator/schedulers.ts over gates.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addAbsentChangefeed,
  balanceSchedulerOutcomes,
  balanceSchedulerTick,
  balanceShortfall,
  basicSchedulerOutcomes,
  basicSchedulerTick,
  initialBalanceSchedulerState,
  bindChangefeedToNode,
  drainSchedulerOutcomes,
  drainSchedulerTick,
  emptyChangefeedDb,
  initialDrainSchedulerState,
  markMaintainerReplicating,
  SchedulerInputError,
  type ChangefeedDb,
  type SchedulerOperatorView,
  type SchedulerProposal,
  type BalanceSchedulerState,
  type SchedulerView,
  type SchedulerTickResult,
} from '../../machines/coordinator/index.js';
import { isSchedulableDest, isSchedulingFrozen, recordHeartbeat, startTargetGate, type DestView, type SchedulerGate } from '../../machines/coordinator/drain.js';

/** A DB with the given changefeeds replicating on the given nodes ('' = absent, 'n~' = Scheduling on n). */
function dbOf(placement: Record<string, string>): ChangefeedDb {
  let db = emptyChangefeedDb;
  for (const [cf, node] of Object.entries(placement)) {
    db = addAbsentChangefeed(db, cf);
    if (node.endsWith('~')) db = bindChangefeedToNode(db, cf, node.slice(0, -1));
    else if (node !== '') db = markMaintainerReplicating(bindChangefeedToNode(db, cf, node), cf);
  }
  return db;
}

const alive = (nodeEpoch = 1n): DestView => ({ state: 'Alive', observed: true, nodeEpoch });
const draining = (nodeEpoch = 1n): DestView => ({ state: 'Draining', observed: true, nodeEpoch });

function view(partial: Partial<SchedulerView> & Pick<SchedulerView, 'db' | 'aliveNodes'>): SchedulerView {
  return {
    operators: [],
    epochBumping: [],
    nodeViews: {},
    gate: null,
    hasActiveSession: true,
    batchSize: 10,
    ...partial,
  };
}

const move = (changefeed: string, origin: string, dest: string): SchedulerProposal => ({ kind: 'move', changefeed, origin, dest });
const add = (changefeed: string, dest: string): SchedulerProposal => ({ kind: 'add', changefeed, dest });

/** SchedulerProposal lists as order-free sets, for comparing outcome sets. */
function asSets<S>(outcomes: readonly SchedulerTickResult<S>[]): string[][] {
  return outcomes.map((o) => o.proposals.map((p) => JSON.stringify(p)).sort()).sort();
}
const sets = (...lists: SchedulerProposal[][]): string[][] => lists.map((l) => l.map((p) => JSON.stringify(p)).sort()).sort();

describe('§6.6 drain scheduler conformance (coordinator/scheduler/drain_test.go)', () => {
  it('§6.6.1 CreatesMoveOperators: origin Draining, dest-hot has 2, dest-cold 0 → move to dest-cold', () => {
    const v = view({
      db: dbOf({ cf: 'origin', h1: 'dest-hot', h2: 'dest-hot' }),
      aliveNodes: ['origin', 'dest-hot', 'dest-cold'],
      nodeViews: { origin: draining() },
    });
    const tick = drainSchedulerTick(v, initialDrainSchedulerState);
    expect(tick.proposals).toEqual([move('cf', 'origin', 'dest-cold')]);
    expect(asSets(drainSchedulerOutcomes(v, initialDrainSchedulerState))).toEqual(sets([move('cf', 'origin', 'dest-cold')]));
  });

  it('§6.6.2 SkipsChangefeedWithInflightOperator: cf1 has a move; batch 2 → only cf2 gets a move', () => {
    const v = view({
      db: dbOf({ cf1: 'origin', cf2: 'origin' }),
      aliveNodes: ['origin', 'dest'],
      nodeViews: { origin: draining() },
      operators: [{ changefeed: 'cf1', kind: 'move', origin: 'origin' }],
      batchSize: 2,
    });
    const tick = drainSchedulerTick(v, initialDrainSchedulerState);
    expect(tick.proposals).toEqual([move('cf2', 'origin', 'dest')]);
    expect(tick.rejected).toEqual([]);
    for (const o of drainSchedulerOutcomes(v, initialDrainSchedulerState)) {
      expect(o.proposals.map((p) => p.changefeed)).not.toContain('cf1');
    }
  });

  it('§6.6.3 IgnoresUnrelatedOperatorCapacity: an unrelated move other→dest does not use the batch-1 budget', () => {
    const v = view({
      db: dbOf({ cf: 'origin', other: 'other' }),
      aliveNodes: ['origin', 'dest', 'other'],
      nodeViews: { origin: draining() },
      operators: [{ changefeed: 'other', kind: 'move', origin: 'other' }],
      batchSize: 1,
    });
    expect(drainSchedulerTick(v, initialDrainSchedulerState).proposals).toEqual([move('cf', 'origin', 'dest')]);
    // The budget counts only moves out of draining nodes: one such move fills batch 1.
    const full = { ...v, db: dbOf({ cf: 'origin', cf0: 'origin', other: 'other' }), operators: [{ changefeed: 'cf0', kind: 'move', origin: 'origin' } as const] };
    const blocked = drainSchedulerTick(full, initialDrainSchedulerState);
    expect(blocked.proposals).toEqual([]);
    expect(blocked.nextRunInMs).toBe(200);
  });

  it('§6.6.4 RotatesAcrossDrainingNodes: batch 1 moves cf-a first, then (after it finishes) cf-b', () => {
    const base = view({
      db: dbOf({ 'cf-a': 'origin-a', 'cf-b': 'origin-b' }),
      aliveNodes: ['origin-a', 'origin-b', 'dest'],
      nodeViews: { 'origin-a': draining(), 'origin-b': draining() },
      batchSize: 1,
    });
    const first = drainSchedulerTick(base, initialDrainSchedulerState);
    expect(first.proposals).toEqual([move('cf-a', 'origin-a', 'dest')]);
    expect(first.state.rrCursor).toBe(1);
    // The move finished: cf-a now replicates on dest and the controller holds no operator.
    const after = { ...base, db: dbOf({ 'cf-a': 'dest', 'cf-b': 'origin-b' }) };
    const second = drainSchedulerTick(after, first.state);
    expect(second.proposals).toEqual([move('cf-b', 'origin-b', 'dest')]);
    // Without the cursor the first origin would be served again (origin-a has nothing left, so
    // with cf-a back on origin-a it would win): the cursor is what rotates.
    expect(drainSchedulerTick(base, first.state).proposals).toEqual([move('cf-b', 'origin-b', 'dest')]);
  });

  it('§6.6.5 RequiresTargetAckBeforeUsingDestination: gate(origin, 7); only dest-acked reported it', () => {
    let gate: SchedulerGate = startTargetGate('origin', 7n);
    gate = recordHeartbeat(gate, 'dest-acked', 1n, { observed: true, nodeEpoch: 1n }, { target: 'origin', epoch: 7n });
    gate = recordHeartbeat(gate, 'dest-pending', 1n, { observed: true, nodeEpoch: 1n }, { target: '', epoch: 0n });
    const v = view({
      db: dbOf({ cf: 'origin', x1: 'dest-acked', x2: 'dest-acked' }),
      aliveNodes: ['origin', 'dest-acked', 'dest-pending'],
      nodeViews: { origin: draining(), 'dest-acked': alive(), 'dest-pending': alive() },
      gate,
    });
    // dest-pending is less loaded but unacknowledged, so the move still goes to dest-acked.
    expect(asSets(drainSchedulerOutcomes(v, initialDrainSchedulerState))).toEqual(sets([move('cf', 'origin', 'dest-acked')]));
  });

  it('§6.6.6 SkipsWhenSchedulingFrozen: no session and a node Draining → no operator', () => {
    const v = view({
      db: dbOf({ cf: 'origin' }),
      aliveNodes: ['origin', 'dest'],
      nodeViews: { origin: draining(), dest: alive() },
      hasActiveSession: false,
    });
    const tick = drainSchedulerTick(v, initialDrainSchedulerState);
    expect(tick.proposals).toEqual([]);
    expect(tick.nextRunInMs).toBe(1000);
    expect(drainSchedulerTick({ ...v, hasActiveSession: true }, initialDrainSchedulerState).proposals).toEqual([
      move('cf', 'origin', 'dest'),
    ]);
  });
});

describe('§2.5.3 drain scheduler rules', () => {
  it('an Unknown node is not draining: nothing to evacuate, next run in 1 s', () => {
    const v = view({
      db: dbOf({ cf: 'origin' }),
      aliveNodes: ['origin', 'dest'],
      nodeViews: { origin: { state: 'Unknown', observed: true, nodeEpoch: 1n } },
    });
    expect(drainSchedulerTick(v, initialDrainSchedulerState)).toMatchObject({ proposals: [], nextRunInMs: 1000 });
    // A Stopping origin is still evacuated.
    const stopping = { ...v, nodeViews: { origin: { state: 'Stopping', observed: true, nodeEpoch: 1n } as DestView } };
    expect(drainSchedulerTick(stopping, initialDrainSchedulerState).proposals).toEqual([move('cf', 'origin', 'dest')]);
  });

  it('the least-loaded destination is re-evaluated after every accepted move within the tick', () => {
    const v = view({
      db: dbOf({ c1: 'origin', c2: 'origin', c3: 'origin', h: 'd1' }),
      aliveNodes: ['origin', 'd1', 'd2'],
      nodeViews: { origin: draining() },
    });
    const tick = drainSchedulerTick(v, initialDrainSchedulerState);
    expect(tick.proposals).toEqual([move('c1', 'origin', 'd2'), move('c2', 'origin', 'd1'), move('c3', 'origin', 'd2')]);
    // In every outcome the final loads are balanced: d1 and d2 end with 2 each.
    for (const o of drainSchedulerOutcomes(v, initialDrainSchedulerState)) {
      const to = (d: string) => o.proposals.filter((p) => p.dest === d).length;
      expect([to('d1'), to('d2')]).toEqual([1, 2]);
    }
  });

  it('the budget is batch minus drain moves: batch 2 with one drain move in flight proposes one', () => {
    const v = view({
      db: dbOf({ c0: 'origin', c1: 'origin', c2: 'origin' }),
      aliveNodes: ['origin', 'dest'],
      nodeViews: { origin: draining() },
      operators: [{ changefeed: 'c0', kind: 'move', origin: 'origin' }],
      batchSize: 2,
    });
    const outcomes = drainSchedulerOutcomes(v, initialDrainSchedulerState);
    expect(asSets(outcomes)).toEqual(sets([move('c1', 'origin', 'dest')], [move('c2', 'origin', 'dest')]));
  });

  it('a draining origin is never its own destination, and no other destination means no move', () => {
    const v = view({ db: dbOf({ cf: 'origin' }), aliveNodes: ['origin'], nodeViews: { origin: draining() } });
    expect(drainSchedulerTick(v, initialDrainSchedulerState)).toMatchObject({ proposals: [], nextRunInMs: 1000 });
  });

  it('round robin: batch 3 over origins a (3 cfs) and b (1 cf) from cursor 1 serves b, a, a', () => {
    const v = view({
      db: dbOf({ a1: 'a', a2: 'a', a3: 'a', b1: 'b' }),
      aliveNodes: ['a', 'b', 'd'],
      nodeViews: { a: draining(), b: draining() },
      batchSize: 3,
    });
    const tick = drainSchedulerTick(v, { rrCursor: 1 });
    expect(tick.proposals.map((p) => p.changefeed)).toEqual(['b1', 'a1', 'a2']);
    // Round 1 starts at b (b1, a1), round 2 at a (a2, budget spent): the cursor advanced twice.
    expect(tick.state.rrCursor).toBe(1);
    // From cursor 0 the same budget goes a1, b1, a2.
    expect(drainSchedulerTick(v, initialDrainSchedulerState).proposals.map((p) => p.changefeed)).toEqual(['a1', 'b1', 'a2']);
  });

  it('a cursor past the end of the draining list restarts at 0; a round without progress ends the tick', () => {
    const v = view({ db: dbOf({ a1: 'a' }), aliveNodes: ['a', 'd'], nodeViews: { a: draining() } });
    const tick = drainSchedulerTick(v, { rrCursor: 5 });
    expect(tick.proposals).toEqual([move('a1', 'a', 'd')]);
    expect(tick.state.rrCursor).toBe(0);
    // With two origins, cursor 3 restarts at 0 (not 3 mod 2 = 1): origin a is served first.
    const two = view({ db: dbOf({ a1: 'a', b1: 'b' }), aliveNodes: ['a', 'b', 'd'], nodeViews: { a: draining(), b: draining() }, batchSize: 1 });
    expect(drainSchedulerTick(two, { rrCursor: 3 }).proposals).toEqual([move('a1', 'a', 'd')]);
  });

  it('a rejected move uses up that maintainer and the origin offers its next one', () => {
    const v = view({ db: dbOf({ c1: 'o', c2: 'o' }), aliveNodes: ['o', 'd'], nodeViews: { o: draining() }, batchSize: 1 });
    const tick = drainSchedulerTick(v, initialDrainSchedulerState, (p) => p.changefeed !== 'c1');
    expect(tick.rejected).toEqual([move('c1', 'o', 'd')]);
    expect(tick.proposals).toEqual([move('c2', 'o', 'd')]);
    // A changefeed reserved by an epoch bump is rejected by the predicted admission (§2.4 precheck).
    const bumping = drainSchedulerTick({ ...v, epochBumping: ['c1'] }, initialDrainSchedulerState);
    expect(bumping.rejected).toEqual([move('c1', 'o', 'd')]);
    expect(bumping.proposals).toEqual([move('c2', 'o', 'd')]);
  });

  it('ties: every least-loaded destination is an outcome, the default is the smallest id', () => {
    const v = view({ db: dbOf({ cf: 'o' }), aliveNodes: ['o', 'd3', 'd1', 'd2'], nodeViews: { o: draining() } });
    const outcomes = drainSchedulerOutcomes(v, initialDrainSchedulerState);
    expect(asSets(outcomes)).toEqual(sets([move('cf', 'o', 'd1')], [move('cf', 'o', 'd2')], [move('cf', 'o', 'd3')]));
    const def = drainSchedulerTick(v, initialDrainSchedulerState);
    expect(def.proposals).toEqual([move('cf', 'o', 'd1')]);
    expect(asSets(outcomes)).toContainEqual(asSets([def])[0]);
  });

  it('ties: batch 1 with two free maintainers on one origin → either may move (map order)', () => {
    const v = view({ db: dbOf({ c1: 'o', c2: 'o' }), aliveNodes: ['o', 'd'], nodeViews: { o: draining() }, batchSize: 1 });
    expect(asSets(drainSchedulerOutcomes(v, initialDrainSchedulerState))).toEqual(
      sets([move('c1', 'o', 'd')], [move('c2', 'o', 'd')]),
    );
  });

  it('bad input is a typed error', () => {
    const v = view({ db: dbOf({}), aliveNodes: [] });
    expect(() => drainSchedulerTick(v, { rrCursor: -1 })).toThrow(SchedulerInputError);
    expect(() => drainSchedulerTick({ ...v, batchSize: 1.5 }, initialDrainSchedulerState)).toThrow(SchedulerInputError);
  });
});

describe('§2.4.1 basic scheduler rules', () => {
  const ops = (n: number): SchedulerOperatorView[] => Array.from({ length: n }, (_, i) => ({ changefeed: `busy${i}`, kind: 'add' }));

  it('adds each absent changefeed to the least-loaded schedulable node, loads raised as it goes', () => {
    const v = view({ db: dbOf({ a1: '', a2: '', a3: '', r: 'n1' }), aliveNodes: ['n1', 'n2'] });
    const tick = basicSchedulerTick(v);
    expect(tick.proposals).toEqual([add('a1', 'n2'), add('a2', 'n1'), add('a3', 'n2')]);
    expect(tick.nextRunInMs).toBe(500);
    for (const o of basicSchedulerOutcomes(v)) {
      expect(o.proposals.filter((p) => p.dest === 'n2')).toHaveLength(2);
    }
  });

  it('a changefeed still Scheduling counts toward its node load (GetTaskSizePerNode)', () => {
    const v = view({ db: dbOf({ s: 'n1~', a: '' }), aliveNodes: ['n1', 'n2'] });
    expect(asSets(basicSchedulerOutcomes(v))).toEqual(sets([add('a', 'n2')]));
  });

  it('batch rule: available = batch − OperatorSize; below batch/2 it waits 100 ms, at 0 it waits 500 ms', () => {
    const db = dbOf({ a1: '', a2: '', a3: '' });
    // batch 4, 2 operators: available 2 = batch/2 → runs, at most 2 adds.
    const runs = basicSchedulerTick(view({ db, aliveNodes: ['n'], operators: ops(2), batchSize: 4 }));
    expect(runs.proposals).toHaveLength(2);
    // batch 4, 3 operators: available 1 < 2 → skipped, retried soon.
    expect(basicSchedulerTick(view({ db, aliveNodes: ['n'], operators: ops(3), batchSize: 4 }))).toMatchObject({
      proposals: [],
      nextRunInMs: 100,
    });
    // batch 5, 3 operators: available 2 = floor(5/2) → runs (integer division).
    expect(basicSchedulerTick(view({ db, aliveNodes: ['n'], operators: ops(3), batchSize: 5 })).proposals).toHaveLength(2);
    expect(basicSchedulerTick(view({ db, aliveNodes: ['n'], operators: ops(4), batchSize: 4 }))).toMatchObject({
      proposals: [],
      nextRunInMs: 500,
    });
    // Nothing absent: nothing to do.
    expect(basicSchedulerTick(view({ db: dbOf({ r: 'n' }), aliveNodes: ['n'] })).proposals).toEqual([]);
  });

  it('the batch limit picks any `available` absent changefeeds (map order): every subset is an outcome', () => {
    const v = view({ db: dbOf({ a1: '', a2: '', a3: '' }), aliveNodes: ['n'], batchSize: 2 });
    expect(asSets(basicSchedulerOutcomes(v))).toEqual(
      sets([add('a1', 'n'), add('a2', 'n')], [add('a1', 'n'), add('a3', 'n')], [add('a2', 'n'), add('a3', 'n')]),
    );
  });

  it('destinations pass §2.5.2: not Draining, not the gate target, acknowledged, not frozen', () => {
    const db = dbOf({ a: '' });
    const base = { db, aliveNodes: ['busy', 'free', 'drn'] };
    const loaded = dbOf({ a: '', x: 'busy' });
    // free is the least loaded but Draining → busy.
    expect(
      basicSchedulerTick(view({ ...base, db: loaded, nodeViews: { free: draining(), drn: draining() } })).proposals,
    ).toEqual([add('a', 'busy')]);
    // Frozen (no session, a node Draining): no destination at all.
    expect(basicSchedulerTick(view({ ...base, nodeViews: { drn: draining() }, hasActiveSession: false })).proposals).toEqual([]);
    // Target gate: only the acknowledged node qualifies.
    let gate: SchedulerGate = startTargetGate('drn', 3n);
    gate = recordHeartbeat(gate, 'busy', 1n, { observed: true, nodeEpoch: 1n }, { target: 'drn', epoch: 3n });
    const gated = view({ ...base, db: loaded, gate, nodeViews: { busy: alive(), free: alive(), drn: draining() } });
    expect(asSets(basicSchedulerOutcomes(gated))).toEqual(sets([add('a', 'busy')]));
    // A node outside alive membership is never a destination even if the view says Alive.
    expect(basicSchedulerTick(view({ db, aliveNodes: ['n1'], nodeViews: { n0: alive() } })).proposals).toEqual([add('a', 'n1')]);
  });

  it('ties: every least-loaded node is an outcome and the default is among them', () => {
    const v = view({ db: dbOf({ a: '' }), aliveNodes: ['n2', 'n1'] });
    const outcomes = basicSchedulerOutcomes(v);
    expect(asSets(outcomes)).toEqual(sets([add('a', 'n1')], [add('a', 'n2')]));
    expect(asSets(outcomes)).toContainEqual(asSets([basicSchedulerTick(v)])[0]);
  });

  it('a rejected add raises no load, and the next absent changefeed still gets the least-loaded node', () => {
    const v = view({ db: dbOf({ a1: '', a2: '', x: 'n2' }), aliveNodes: ['n1', 'n2'], operators: [{ changefeed: 'a1', kind: 'move' }] });
    const tick = basicSchedulerTick(v);
    expect(tick.rejected).toEqual([add('a1', 'n1')]);
    expect(tick.proposals).toEqual([add('a2', 'n1')]);
  });
});

describe('§2.4.1 balance scheduler rules', () => {
  const timing = (now: number, intervalMs = 1000) => ({ now, intervalMs });
  // Created long ago, so the interval since the last rebalance has passed.
  const fresh: BalanceSchedulerState = initialBalanceSchedulerState(0);
  const unbalanced = view({ db: dbOf({ c1: 'n1', c2: 'n1', c3: 'n1', c4: 'n1' }), aliveNodes: ['n1', 'n2'] });

  it('moves from the most to the least loaded node up to the lower limit, origin = the changefeed node', () => {
    const tick = balanceSchedulerTick(unbalanced, fresh, timing(5000));
    expect(tick.proposals).toEqual([move('c1', 'n1', 'n2'), move('c2', 'n1', 'n2')]);
    expect(tick.state).toEqual({ lastRebalanceAt: 5000, forceBalance: false, drainBlockedUntil: null });
    // The shuffle makes any two of n1's changefeeds an outcome.
    expect(balanceSchedulerOutcomes(unbalanced, fresh, timing(5000))).toHaveLength(6);
  });

  it('the batch caps the moves and then forces the next tick (forceBalance)', () => {
    const v = { ...unbalanced, batchSize: 1 };
    const tick = balanceSchedulerTick(v, fresh, timing(5000));
    expect(tick.proposals).toHaveLength(1);
    expect(tick.state.forceBalance).toBe(true);
    // Forced: the next tick does not wait for the interval.
    const moved = { ...v, db: dbOf({ c1: 'n2', c2: 'n1', c3: 'n1', c4: 'n1' }) };
    expect(balanceSchedulerTick(moved, tick.state, timing(5100)).proposals).toEqual([move('c2', 'n1', 'n2')]);
    // Not forced: within one interval of the last rebalance it waits for the rest of the interval.
    const waiting = balanceSchedulerTick(moved, { ...tick.state, forceBalance: false }, timing(5100));
    expect(waiting).toMatchObject({ proposals: [], nextRunInMs: 900 });
  });

  it('skipped while a node is observed Draining or Stopping, and for one interval after', () => {
    const withDrain = { ...unbalanced, aliveNodes: ['n1', 'n2', 'd'], nodeViews: { d: draining() } };
    const t1 = balanceSchedulerTick(withDrain, fresh, timing(5000));
    expect(t1.proposals).toEqual([]);
    expect(t1.state.drainBlockedUntil).toBe(6000);
    // Each observation extends the window.
    const t2 = balanceSchedulerTick(withDrain, t1.state, timing(5500));
    expect(t2.state.drainBlockedUntil).toBe(6500);
    // The drain is over (d left), but the window still blocks until 6500.
    const calm = { ...unbalanced };
    expect(balanceSchedulerTick(calm, t2.state, timing(6499)).proposals).toEqual([]);
    expect(balanceSchedulerTick(calm, t2.state, timing(6500)).proposals).toHaveLength(2);
    // An interval of 0 blocks for 1 s.
    expect(balanceSchedulerTick(withDrain, fresh, timing(5000, 0)).state.drainBlockedUntil).toBe(6000);
    // An Unknown node is not draining and does not block.
    const stale = { ...unbalanced, nodeViews: { d: { state: 'Unknown', observed: true, nodeEpoch: 1n } as DestView } };
    expect(balanceSchedulerTick(stale, fresh, timing(5000)).proposals).toHaveLength(2);
  });

  it('skipped while any operator exists or any changefeed is absent', () => {
    const op = { ...unbalanced, operators: [{ changefeed: 'x', kind: 'stop' } as const] };
    expect(balanceSchedulerTick(op, fresh, timing(5000)).proposals).toEqual([]);
    const absent = { ...unbalanced, db: addAbsentChangefeed(unbalanced.db, 'new') };
    expect(balanceSchedulerTick(absent, fresh, timing(5000)).proposals).toEqual([]);
  });

  it('the balance check counts only schedulable nodes; an unschedulable empty node gets nothing', () => {
    // n2 is pending a clear: no schedulable node is short, so nothing moves.
    const gated = { ...unbalanced, gate: { kind: 'clear', target: 't', epoch: 1n, pendingNodes: ['n2'] } as SchedulerGate };
    const skipped = balanceSchedulerTick(gated, fresh, timing(5000));
    expect(skipped.proposals).toEqual([]);
    expect(skipped.state).toBe(fresh); // a skip is not a rebalance: lastRebalanceAt stays
    // n1 and n2 are even (3 each), n3 (1, Unknown) is short only if it counted: nothing moves,
    // although Go's Balance over all hosting nodes would fill n3 (limit ⌊7/3⌋ = 2).
    const even = view({
      db: dbOf({ a1: 'n1', a2: 'n1', a3: 'n1', b1: 'n2', b2: 'n2', b3: 'n2', c1: 'n3' }),
      aliveNodes: ['n1', 'n2', 'n3'],
      nodeViews: { n3: { state: 'Unknown', observed: true, nodeEpoch: 1n } },
    });
    expect(balanceSchedulerTick(even, fresh, timing(5000)).proposals).toEqual([]);
    expect(balanceShortfall(new Map([['n1', 4]]), ['n1', 'n2'])).toBe(2);
    expect(balanceShortfall(new Map([['n1', 4]]), [])).toBe(0);
  });

  it('faithful to Go: a node that hosts a changefeed but fails §2.5.2 can still receive a balance move', () => {
    // n3 hosts one changefeed and is pending a clear; n2 is empty and schedulable. The check passes
    // (n2 is short), and the balance then fills n3 as well because it is below the limit.
    const v = view({
      db: dbOf({ c1: 'n1', c2: 'n1', c3: 'n1', c4: 'n1', c5: 'n1', c6: 'n1', c7: 'n1', x: 'n3' }),
      aliveNodes: ['n1', 'n2', 'n3'],
      gate: { kind: 'clear', target: 't', epoch: 1n, pendingNodes: ['n3'] },
    });
    const dests = new Set(balanceSchedulerTick(v, fresh, timing(5000)).proposals.map((p) => p.dest));
    expect(dests).toEqual(new Set(['n2', 'n3']));
  });

  it('ties: every least-loaded target and every most-loaded victim are outcomes; the default is one of them', () => {
    const v = view({ db: dbOf({ a: 'n1', b: 'n2' }), aliveNodes: ['n1', 'n2', 'e1', 'e2'], batchSize: 1 });
    // 2 changefeeds over 4 nodes: lower limit 0, nothing to move.
    expect(balanceSchedulerTick(v, fresh, timing(5000)).proposals).toEqual([]);
    const v2 = view({ db: dbOf({ a1: 'n1', a2: 'n1', b1: 'n2', b2: 'n2' }), aliveNodes: ['n1', 'n2', 'e1', 'e2'], batchSize: 1 });
    const outcomes = balanceSchedulerOutcomes(v2, fresh, timing(5000));
    const expected: SchedulerProposal[][] = [];
    for (const [cf, origin] of [['a1', 'n1'], ['a2', 'n1'], ['b1', 'n2'], ['b2', 'n2']] as const) {
      for (const dest of ['e1', 'e2']) expected.push([move(cf, origin, dest)]);
    }
    expect(asSets(outcomes)).toEqual(sets(...expected));
    expect(asSets(outcomes)).toContainEqual(asSets([balanceSchedulerTick(v2, fresh, timing(5000))])[0]);
  });

  it('a rejected move ends the tick (Go retries it; see the file header)', () => {
    const tick = balanceSchedulerTick(unbalanced, fresh, timing(5000), () => false);
    expect(tick.proposals).toEqual([]);
    expect(tick.rejected).toEqual([move('c1', 'n1', 'n2')]);
  });

  it('bad timing is a typed error', () => {
    expect(() => balanceSchedulerTick(unbalanced, fresh, timing(5000, -1))).toThrow(SchedulerInputError);
    expect(() => balanceSchedulerTick(unbalanced, fresh, timing(Number.NaN))).toThrow(SchedulerInputError);
  });
});

/** Seeded random small clusters: every outcome obeys the rules, checked step by step from outside. */
describe('§2.4.1 / §2.5.3 properties over random small views', () => {
  const NODES = ['n1', 'n2', 'n3', 'n4'];
  const viewArb = fc
    .record({
      alive: fc.subarray(NODES, { minLength: 1 }),
      states: fc.array(fc.constantFrom('none', 'Alive', 'Draining', 'Stopping', 'Unknown'), { minLength: 4, maxLength: 4 }),
      cfs: fc.array(fc.constantFrom('', '', 'n1', 'n2', 'n3', 'n4', 'n1~', 'n2~', 'n3~', 'n4~'), { maxLength: 4 }),
      withOp: fc.array(fc.constantFrom(false, false, false, true), { minLength: 4, maxLength: 4 }),
      clearPending: fc.subarray(NODES),
      useClear: fc.boolean(),
      session: fc.boolean(),
      batch: fc.integer({ min: 0, max: 4 }),
      cursor: fc.integer({ min: 0, max: 3 }),
    })
    .map((r): { v: SchedulerView; cursor: number } => {
      const placement: Record<string, string> = {};
      r.cfs.forEach((n, i) => (placement[`cf${i}`] = n));
      const nodeViews: Record<string, DestView> = {};
      r.states.forEach((st, i) => {
        if (st !== 'none') nodeViews[NODES[i] as string] = { state: st as DestView['state'], observed: true, nodeEpoch: 1n };
      });
      const operators: SchedulerOperatorView[] = r.cfs.flatMap((n, i) =>
        r.withOp[i] ? [{ changefeed: `cf${i}`, kind: 'move' as const, origin: n === '' ? 'n1' : n.replace('~', '') }] : [],
      );
      const gate: SchedulerGate = r.useClear ? { kind: 'clear', target: 'n1', epoch: 1n, pendingNodes: [...r.clearPending].sort() } : null;
      return {
        v: view({ db: dbOf(placement), aliveNodes: r.alive, nodeViews, operators, gate, hasActiveSession: r.session, batchSize: r.batch }),
        cursor: r.cursor,
      };
    });

  const schedulable = (v: SchedulerView) => {
    const frozen = isSchedulingFrozen(v.hasActiveSession, Object.values(v.nodeViews).map((x) => x.state));
    const unobserved: DestView = { state: 'Alive', observed: false, nodeEpoch: 0n };
    return v.aliveNodes.filter((n) => isSchedulableDest(frozen, v.gate, n, v.nodeViews[n] ?? unobserved));
  };
  const loads = (v: SchedulerView) => {
    const m = new Map<string, number>();
    for (const e of v.db.values()) if (e.nodeId !== '') m.set(e.nodeId, (m.get(e.nodeId) ?? 0) + 1);
    return m;
  };
  const key = (o: SchedulerTickResult<unknown>) =>
    JSON.stringify([o.proposals.map((p) => JSON.stringify(p)).sort(), o.rejected.map((p) => JSON.stringify(p)).sort(), o.state, o.nextRunInMs]);

  it('basic: only absent, operator-free changefeeds, each to a then least-loaded schedulable node, within the budget', () => {
    fc.assert(
      fc.property(viewArb, ({ v }) => {
        const outcomes = basicSchedulerOutcomes(v);
        expect(outcomes.map(key)).toContain(key(basicSchedulerTick(v)));
        const dests = schedulable(v);
        const busy = new Set(v.operators.map((o) => o.changefeed));
        const available = v.batchSize - v.operators.length;
        for (const o of outcomes) {
          const load = loads(v);
          expect(o.proposals.length).toBeLessThanOrEqual(Math.max(0, available));
          for (const p of o.proposals) {
            expect(v.db.get(p.changefeed)?.bucket).toBe('Absent');
            expect(busy.has(p.changefeed)).toBe(false);
            expect(dests).toContain(p.dest);
            const min = Math.min(...dests.map((n) => load.get(n) ?? 0));
            expect(load.get(p.dest) ?? 0).toBe(min);
            load.set(p.dest, (load.get(p.dest) ?? 0) + 1);
          }
        }
      }),
      { seed: 20261123, numRuns: 500 },
    );
  });

  it('drain: only operator-free maintainers of Draining/Stopping origins, each to a then least-loaded other schedulable node', () => {
    fc.assert(
      fc.property(viewArb, ({ v, cursor }) => {
        const state = { rrCursor: cursor };
        const outcomes = drainSchedulerOutcomes(v, state);
        expect(outcomes.map(key)).toContain(key(drainSchedulerTick(v, state)));
        const dests = schedulable(v);
        const busy = new Set(v.operators.map((o) => o.changefeed));
        const origins = Object.entries(v.nodeViews).filter(([, x]) => x.state === 'Draining' || x.state === 'Stopping').map(([n]) => n);
        const inFlight = v.operators.filter((o) => o.kind === 'move' && origins.includes(o.origin ?? '')).length;
        for (const o of outcomes) {
          const load = loads(v);
          expect(o.proposals.length).toBeLessThanOrEqual(Math.max(0, v.batchSize - inFlight));
          // A changefeed with an operator is passed over (HasOperator), never offered to AddOperator.
          expect(o.rejected).toEqual([]);
          for (const p of o.proposals) {
            if (p.kind !== 'move') throw new Error('drain proposes moves only');
            expect(origins).toContain(p.origin);
            expect(v.db.get(p.changefeed)?.nodeId).toBe(p.origin);
            expect(busy.has(p.changefeed)).toBe(false);
            expect(p.dest).not.toBe(p.origin);
            expect(dests).toContain(p.dest);
            const min = Math.min(...dests.filter((n) => n !== p.origin).map((n) => load.get(n) ?? 0));
            expect(load.get(p.dest) ?? 0).toBe(min);
            load.set(p.dest, (load.get(p.dest) ?? 0) + 1);
          }
        }
      }),
      { seed: 20261123, numRuns: 500 },
    );
  });

  it('balance: never while a node is Draining/Stopping; moves go from a most-loaded to a least-loaded node', () => {
    fc.assert(
      fc.property(viewArb, ({ v }) => {
        const st = initialBalanceSchedulerState(0);
        const t = { now: 10_000, intervalMs: 1000 };
        const outcomes = balanceSchedulerOutcomes(v, st, t);
        expect(outcomes.map(key)).toContain(key(balanceSchedulerTick(v, st, t)));
        const drainingSeen = Object.values(v.nodeViews).some((x) => x.state === 'Draining' || x.state === 'Stopping');
        for (const o of outcomes) {
          if (drainingSeen || v.operators.length > 0) expect(o.proposals).toEqual([]);
          expect(o.proposals.length).toBeLessThanOrEqual(Math.max(1, v.batchSize));
          for (const p of o.proposals) {
            if (p.kind !== 'move') throw new Error('balance proposes moves only');
            expect(v.db.get(p.changefeed)).toMatchObject({ nodeId: p.origin, bucket: 'Replicating' });
            expect(p.dest).not.toBe(p.origin);
          }
        }
      }),
      { seed: 20261123, numRuns: 500 },
    );
  });
});
