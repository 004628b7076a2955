/**
 * The drain session and `DrainNode(target)` (spec §2.5.5), driven on the machine
 * (machines/coordinator/drainSession.ts): every row of the DrainNode table in order, with cases;
 * `remaining` and `complete` (I17); RemoveNode ordering; clear-state acknowledgement; later-joining
 * nodes; target propagation and resend (§2.5.4 coordinator side); the gates the session installs
 * (§2.5.1). Machines: drainSessionMachine.
 */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import {
  drainSessionMachine,
  type ChangefeedDrainView,
  type DrainSessionEffect,
  type DrainSessionEvent,
  type TargetObservation,
} from '../../machines/coordinator/drain.js';

const ALL = ['n1', 'n2', 'n3'];
const TSO = { physicalMs: 1_000n, logical: 0n }; // candidate 1_000_000_000
const FIRST_EPOCH = 1_000_000_001n;

function cf(id: string, over: Partial<ChangefeedDrainView> = {}): ChangefeedDrainView {
  return { id, replicating: true, shouldRun: true, drainProgress: null, ...over };
}
function obs(over: Partial<TargetObservation> = {}): TargetObservation {
  return { view: 'Draining', drainingObserved: true, stoppingObserved: false, maintainersOnTarget: 0, operatorsInvolvingTarget: 0, changefeeds: [], ...over };
}
const DONE = obs({ view: 'Stopping', stoppingObserved: true });

function harness() {
  const actor = createActor(drainSessionMachine, { input: {} });
  const effects: DrainSessionEffect[] = [];
  actor.on('*', (e) => effects.push(e as DrainSessionEffect));
  actor.start();
  let now = 0;
  const send = (e: DrainSessionEvent) => {
    effects.length = 0;
    actor.send(e);
    return [...effects];
  };
  const api = {
    actor,
    ctx: () => actor.getSnapshot().context,
    value: () => actor.getSnapshot().value as { session: string; tombstone: string },
    send,
    drain(target: string, o: TargetObservation = obs(), opts: { alive?: string[]; initialized?: boolean; caps?: Record<string, number | null>; tso?: typeof TSO | null } = {}) {
      now += 100;
      const alive = opts.alive ?? ALL;
      const out = send({
        type: 'DRAIN_NODE',
        now,
        target,
        cluster: { aliveNodes: alive, initialized: opts.initialized ?? true, drainProtocol: opts.caps ?? Object.fromEntries(alive.map((n) => [n, 1])) },
        observation: o,
        tso: opts.tso === undefined ? TSO : opts.tso,
        wallClockNs: 0n,
      });
      const r = out.find((e) => e.type === 'drain.result');
      if (r?.type !== 'drain.result') throw new Error('no drain.result');
      return { ...r, effects: out.filter((e) => e.type !== 'drain.result') };
    },
    remove(node: string, o: TargetObservation, alive: string[]) {
      now += 100;
      return send({ type: 'NODE_REMOVED', now, node, observation: o, aliveNodes: alive });
    },
    heartbeat(from: string, target: string, epoch: bigint, opts: { nodeEpoch?: bigint; participant?: boolean; clearParticipants?: string[] } = {}) {
      now += 100;
      const nodeEpoch = opts.nodeEpoch ?? 1n;
      return send({ type: 'NODE_HEARTBEAT', now, from, nodeEpoch, view: { observed: true, nodeEpoch }, drainTarget: { target, epoch }, participant: opts.participant ?? true, clearParticipants: opts.clearParticipants ?? ['n2', 'n3'] });
    },
    tick(at: number, o: TargetObservation = obs(), alive = ALL) {
      now = at;
      return send({ type: 'TICK', now, initialized: true, aliveNodes: alive, observation: o });
    },
    at: () => now,
  };
  return api;
}
type H = ReturnType<typeof harness>;
const broadcasts = (effs: DrainSessionEffect[]) =>
  effs.filter((e) => e.type === 'SetDispatcherDrainTargetRequest').map((e) => e.type === 'SetDispatcherDrainTargetRequest' && `${e.to}:${e.targetNodeId}@${e.targetEpoch}`);

/** A completed drain of n1: session, then n1 removed while complete. */
function completedDrainOfN1(): H {
  const h = harness();
  h.drain('n1');
  h.remove('n1', DONE, ['n2', 'n3']);
  return h;
}

describe('§2.5.5 DrainNode row 1: target gone and drainCompleted == target → 0', () => {
  it('answers 0 with no side effect, after the completed target left', () => {
    const h = completedDrainOfN1();
    expect(h.value().tombstone).toBe('Completed');
    const before = h.ctx();
    const r = h.drain('n1', obs(), { alive: ['n2', 'n3'] });
    expect([r.row, r.remaining, r.error, r.effects]).toEqual([1, 0, null, []]);
    expect(h.ctx()).toBe(before);
  });

  it('the tombstone is cleared when the same node re-joins: the next call without it is row 3', () => {
    const h = completedDrainOfN1();
    h.send({ type: 'NODE_ADDED', node: 'n1' });
    expect(h.ctx().completed).toBeNull();
    expect(h.drain('n1', obs(), { alive: ['n2', 'n3'] })).toMatchObject({ row: 3, error: 'CAPTURE_NOT_EXIST' });
  });

  it('the tombstone answers only for its own node, and a re-join of another node keeps it', () => {
    const h = completedDrainOfN1();
    h.send({ type: 'NODE_ADDED', node: 'n2' });
    expect(h.ctx().completed).toBe('n1');
    expect(h.drain('n4', obs(), { alive: ['n2', 'n3'] })).toMatchObject({ row: 3, remaining: 0, error: 'CAPTURE_NOT_EXIST' });
  });

  it('a target removed while not complete leaves no tombstone (and is then row 3)', () => {
    const h = harness();
    h.drain('n1');
    h.remove('n1', obs(), ['n2', 'n3']);
    expect(h.value().tombstone).toBe('None');
    expect(h.drain('n1', obs(), { alive: ['n2', 'n3'] }).row).toBe(3);
  });
});

describe('§2.5.5 DrainNode row 2: target gone with an active session on it (RemoveNode not yet processed)', () => {
  it('0 if completion is observed; no command sent and no state cleared', () => {
    const h = harness();
    h.drain('n1');
    const before = h.ctx();
    const r = h.drain('n1', DONE, { alive: ['n2', 'n3'] });
    expect([r.row, r.remaining, r.error, r.effects]).toEqual([2, 0, null, []]);
    expect(h.ctx()).toBe(before);
    expect(h.value().session).toBe('Active');
  });

  it('otherwise max(remaining, 1): the remaining count, or 1 when only STOPPING is missing', () => {
    const h = harness();
    h.drain('n1');
    expect(h.drain('n1', obs({ maintainersOnTarget: 3 }), { alive: ['n2'] })).toMatchObject({ row: 2, remaining: 3 });
    expect(h.drain('n1', obs({ view: 'Stopping' }), { alive: ['n2'] })).toMatchObject({ row: 2, remaining: 1 });
  });
});

describe('§2.5.5 DrainNode row 3: target not in membership → ErrCaptureNotExist', () => {
  it('error with remaining 0, nothing changes, also with a session on another node', () => {
    const h = harness();
    expect(h.drain('ghost')).toMatchObject({ row: 3, remaining: 0, error: 'CAPTURE_NOT_EXIST', effects: [] });
    h.drain('n1');
    const before = h.ctx();
    expect(h.drain('ghost')).toMatchObject({ row: 3, error: 'CAPTURE_NOT_EXIST', effects: [] });
    expect(h.ctx()).toBe(before);
  });
});

describe('§2.5.5 DrainNode row 4: one drain at a time (I18)', () => {
  it('a session on a different target → 1, no error, no new session', () => {
    const h = harness();
    h.drain('n1');
    const before = h.ctx();
    expect(h.drain('n2')).toMatchObject({ row: 4, remaining: 1, error: null, effects: [] });
    expect(h.ctx()).toBe(before);
  });

  it('a complete session still blocks other targets until its target leaves', () => {
    const h = harness();
    h.drain('n1', DONE);
    expect(h.drain('n1', DONE)).toMatchObject({ row: 8, remaining: 0 });
    expect(h.drain('n2')).toMatchObject({ row: 4, remaining: 1 });
  });

  it('a clear state blocks every target, the cleared one included', () => {
    const h = harness();
    h.drain('n1');
    h.remove('n1', obs(), ['n2', 'n3']);
    expect(h.value().session).toBe('Clearing');
    expect(h.drain('n2')).toMatchObject({ row: 4, remaining: 1 });
    expect(h.drain('n3')).toMatchObject({ row: 4, remaining: 1 });
  });
});

describe('§2.5.5 DrainNode row 5: coordinator not initialized → 1', () => {
  it('no session is created', () => {
    const h = harness();
    expect(h.drain('n1', obs(), { initialized: false })).toMatchObject({ row: 5, remaining: 1, effects: [] });
    expect(h.ctx().session).toBeNull();
  });
  it('with a session on the target nothing is sent either', () => {
    const h = harness();
    h.drain('n1');
    expect(h.drain('n1', DONE, { initialized: false })).toMatchObject({ row: 5, remaining: 1, effects: [] });
  });
});

describe('§2.5.5 DrainNode row 6: no session and an alive node with an unobserved capability → 1', () => {
  it('answers 1, even when another node is legacy (row 6 comes first)', () => {
    const h = harness();
    expect(h.drain('n1', obs(), { caps: { n1: 1, n2: null, n3: 1 } })).toMatchObject({ row: 6, remaining: 1 });
    expect(h.drain('n1', obs(), { caps: { n1: 1, n2: null, n3: 0 } })).toMatchObject({ row: 6, remaining: 1 });
    expect(h.ctx().session).toBeNull();
  });
  it('does not apply once a session on the target exists', () => {
    const h = harness();
    h.drain('n1');
    expect(h.drain('n1', obs(), { caps: { n1: 1, n2: null, n3: 1 } }).row).toBe(8);
  });
});

describe('§2.5.5 DrainNode row 7: no session and a legacy (version 0) node → 0, the legacy fallback', () => {
  it('answers 0 without a session, nothing sent', () => {
    const h = harness();
    expect(h.drain('n1', obs(), { caps: { n1: 1, n2: 0, n3: 1 } })).toMatchObject({ row: 7, remaining: 0, error: null, effects: [] });
    expect(h.ctx().session).toBeNull();
  });
  it('does not apply to a session already running: that answer stays the session\'s', () => {
    const h = harness();
    h.drain('n1');
    expect(h.drain('n1', obs({ maintainersOnTarget: 2 }), { caps: { n1: 1, n2: 0, n3: 1 } })).toMatchObject({ row: 8, remaining: 2 });
  });
});

describe('§2.5.5 DrainNode row 8: ensureDispatcherDrainTarget', () => {
  it('a new session: TSO-based epoch, tracked = replicating cfs meant to run, sync = alive nodes, gate, broadcast, RequestDrain', () => {
    const h = harness();
    const cfs = [cf('a'), cf('b', { replicating: false }), cf('c', { shouldRun: false }), cf('d')];
    const r = h.drain('n1', obs({ changefeeds: cfs }));
    expect(r).toMatchObject({ row: 8, remaining: 2, error: null });
    const s = h.ctx().session!;
    expect(s).toMatchObject({ target: 'n1', epoch: FIRST_EPOCH, trackedChangefeeds: ['a', 'd'], pendingStatus: ['a', 'd'], targetSyncNodes: ALL, dirty: false });
    expect(h.ctx().lastGeneratedDrainEpoch).toBe(FIRST_EPOCH);
    expect(h.ctx().gate).toEqual({ kind: 'target', target: 'n1', epoch: FIRST_EPOCH, ackedNodes: {} });
    expect(broadcasts(r.effects)).toEqual(ALL.map((n) => `${n}:n1@${FIRST_EPOCH}`));
    expect(r.effects).toContainEqual({ type: 'drain.requestDrain', node: 'n1' });
  });

  it('the same target reuses the session (same epoch), re-broadcasts and re-requests the drain', () => {
    const h = harness();
    h.drain('n1');
    const r = h.drain('n1');
    expect(h.ctx().session!.epoch).toBe(FIRST_EPOCH);
    expect(h.ctx().lastGeneratedDrainEpoch).toBe(FIRST_EPOCH);
    expect(broadcasts(r.effects)).toHaveLength(3);
    expect(r.effects).toContainEqual({ type: 'drain.requestDrain', node: 'n1' });
  });

  it('a new session clears the completed tombstone, and its epoch exceeds the previous one and every observed epoch (I19)', () => {
    const h = completedDrainOfN1();
    h.heartbeat('n2', '', 5_000_000_000n); // a clear observed at a higher epoch
    h.heartbeat('n3', '', FIRST_EPOCH);
    expect(h.value().session).toBe('NoSession');
    h.drain('n2', obs(), { alive: ['n2', 'n3'] });
    expect(h.ctx().completed).toBeNull();
    expect(h.value().tombstone).toBe('None');
    expect(h.ctx().session!.epoch).toBe(5_000_000_001n);
  });

  it('PD failure and overflow are typed errors that change nothing', () => {
    const h = harness();
    const before = h.ctx();
    expect(h.drain('n1', obs(), { tso: null })).toMatchObject({ row: 8, error: 'PD_UNAVAILABLE', effects: [] });
    expect(h.drain('n1', obs(), { tso: { physicalMs: 1n << 60n, logical: 0n } })).toMatchObject({ error: 'DRAIN_EPOCH_OVERFLOW', effects: [] });
    expect(h.ctx()).toBe(before);
    h.heartbeat('n2', '', (1n << 64n) - 1n); // maxObserved at 2^64−1: no epoch left
    expect(h.drain('n1')).toMatchObject({ error: 'DRAIN_EPOCH_OVERFLOW' });
    expect(h.ctx().session).toBeNull();
  });
});

describe('§2.5.5 remaining and complete (I17)', () => {
  const mine = (dispatcherCount: number, inflightMoves: number) => ({ target: 'n1', epoch: FIRST_EPOCH, dispatcherCount, inflightMoves });

  it('remaining is the max of maintainers, operators, Σ dispatchers, Σ in-flight moves and |pendingStatus|', () => {
    const h = harness();
    h.drain('n1', obs({ changefeeds: [cf('a'), cf('b')] }));
    const both = (a: ReturnType<typeof mine>, b: ReturnType<typeof mine>) => [cf('a', { drainProgress: a }), cf('b', { drainProgress: b })];
    expect(h.drain('n1', obs({ changefeeds: both(mine(3, 1), mine(4, 0)) })).remaining).toBe(7);
    expect(h.drain('n1', obs({ changefeeds: both(mine(0, 2), mine(0, 3)) })).remaining).toBe(5);
    expect(h.drain('n1', obs({ maintainersOnTarget: 9, changefeeds: both(mine(0, 0), mine(0, 0)) })).remaining).toBe(9);
    expect(h.drain('n1', obs({ operatorsInvolvingTarget: 4, changefeeds: both(mine(0, 0), mine(0, 0)) })).remaining).toBe(4);
  });

  it('Σ terms count only tracked, replicating changefeeds reporting exactly (target, epoch)', () => {
    const h = harness();
    h.drain('n1', obs({ changefeeds: [cf('a'), cf('b')] }));
    h.drain('n1', obs({ changefeeds: [cf('a', { drainProgress: mine(0, 0) }), cf('b', { drainProgress: mine(0, 0) })] }));
    const r = h.drain('n1', obs({
      ...DONE,
      changefeeds: [
        cf('a', { drainProgress: { ...mine(5, 5), epoch: FIRST_EPOCH - 1n } }),
        cf('b', { replicating: false, drainProgress: mine(6, 6) }),
        cf('untracked', { drainProgress: mine(7, 7) }),
      ],
    }));
    expect(r.remaining).toBe(0);
  });

  it('pendingStatus only shrinks: by an exact report, by leaving the DB, by no longer running; never by a wrong epoch', () => {
    const h = harness();
    h.drain('n1', obs({ changefeeds: [cf('a'), cf('b'), cf('c'), cf('d')] }));
    const r = h.drain('n1', obs({
      changefeeds: [cf('a', { drainProgress: mine(0, 0) }), cf('b', { shouldRun: false }), cf('d', { drainProgress: { ...mine(0, 0), target: 'n2' } })],
    }));
    expect(h.ctx().session!.pendingStatus).toEqual(['d']);
    expect(r.remaining).toBe(1);
    // A changefeed reappearing does not re-enter it.
    h.drain('n1', obs({ changefeeds: [cf('a'), cf('b'), cf('c'), cf('d')] }));
    expect(h.ctx().session!.pendingStatus).toEqual(['d']);
  });

  it('0 only after STOPPING (and DRAINING) observed with the view not Unknown and nothing remaining', () => {
    const h = harness();
    h.drain('n1');
    expect(h.drain('n1', obs({ view: 'Draining', stoppingObserved: false })).remaining).toBe(1);
    expect(h.drain('n1', obs({ view: 'Unknown', stoppingObserved: true })).remaining).toBe(1);
    expect(h.drain('n1', obs({ view: 'Stopping', stoppingObserved: true, drainingObserved: false })).remaining).toBe(1);
    expect(h.drain('n1', { ...DONE, maintainersOnTarget: 1 }).remaining).toBe(1);
    expect(h.drain('n1', DONE).remaining).toBe(0);
  });

  it('a first call never answers 0 while tracked changefeeds have not reported', () => {
    const h = harness();
    expect(h.drain('n1', { ...DONE, changefeeds: [cf('a')] }).remaining).toBe(1);
  });
});

describe('§2.5.5 RemoveNode ordering', () => {
  it('complete is computed from the observation before OnNodeRemoved: the tombstone is recorded, the clear goes to the alive sync nodes', () => {
    const h = harness();
    h.drain('n1');
    const out = h.remove('n1', DONE, ['n2', 'n3']);
    expect(h.ctx().completed).toBe('n1');
    expect(h.ctx().session).toBeNull();
    expect(h.ctx().clear).toMatchObject({ target: 'n1', epoch: FIRST_EPOCH, pendingNodes: ['n2', 'n3'] });
    expect(h.ctx().gate).toEqual({ kind: 'clear', target: 'n1', epoch: FIRST_EPOCH, pendingNodes: ['n2', 'n3'] });
    expect(broadcasts(out)).toEqual([`n2:@${FIRST_EPOCH}`, `n3:@${FIRST_EPOCH}`]);
  });

  it('no alive sync node left: no clear state, nothing sent, the gate goes; a complete session still leaves the tombstone', () => {
    const h = harness();
    h.drain('n1', obs(), { alive: ['n1'] });
    const out = h.remove('n1', DONE, []);
    expect(out).toEqual([]);
    expect(h.ctx()).toMatchObject({ session: null, clear: null, gate: null, completed: 'n1' });
    expect(h.value()).toEqual({ session: 'NoSession', tombstone: 'Completed' });
  });

  it('removing a node pending the clear counts as its ack; the last one drops the clear state and gate', () => {
    const h = harness();
    h.drain('n1');
    h.remove('n1', obs(), ['n2', 'n3']);
    h.remove('n2', obs(), ['n3']);
    expect(h.ctx().clear!.pendingNodes).toEqual(['n3']);
    h.remove('n3', obs(), []);
    expect(h.ctx()).toMatchObject({ clear: null, gate: null });
    expect(h.value().session).toBe('NoSession');
  });

  it('removing another node during a session keeps the session and drops that node\'s gate ack', () => {
    const h = harness();
    h.drain('n1');
    h.heartbeat('n2', 'n1', FIRST_EPOCH);
    expect(h.ctx().gate).toMatchObject({ ackedNodes: { n2: 1n } });
    h.remove('n2', obs(), ['n1', 'n3']);
    expect(h.ctx().session!.target).toBe('n1');
    expect(h.ctx().gate).toMatchObject({ ackedNodes: {} });
  });
});

describe('§2.5.5 clear-state acknowledgement', () => {
  function clearing() {
    const h = harness();
    h.drain('n1');
    h.remove('n1', obs(), ['n2', 'n3']);
    return h;
  }
  it('a lower epoch is ignored', () => {
    const h = clearing();
    h.heartbeat('n2', '', FIRST_EPOCH - 1n);
    expect(h.ctx().clear!.pendingNodes).toEqual(['n2', 'n3']);
  });
  it('equal epoch, empty target: ack; the last ack drops the clear state and its gate', () => {
    const h = clearing();
    h.heartbeat('n2', '', FIRST_EPOCH);
    expect(h.ctx().clear!.pendingNodes).toEqual(['n3']);
    expect(h.ctx().gate).toMatchObject({ kind: 'clear', pendingNodes: ['n3'] });
    h.heartbeat('n3', '', FIRST_EPOCH);
    expect(h.ctx()).toMatchObject({ clear: null, gate: null });
  });
  it('equal epoch, non-empty target: the node is (again) pending', () => {
    const h = clearing();
    h.heartbeat('n2', '', FIRST_EPOCH);
    h.heartbeat('n2', 'n1', FIRST_EPOCH);
    expect(h.ctx().clear!.pendingNodes).toEqual(['n2', 'n3']);
  });
  it('higher epoch, empty target: ack', () => {
    const h = clearing();
    h.heartbeat('n3', '', FIRST_EPOCH + 10n);
    expect(h.ctx().clear!.pendingNodes).toEqual(['n2']);
  });
  it('higher epoch, non-empty target: a new clear state for that (target, epoch)', () => {
    const h = clearing();
    h.heartbeat('n3', 'n9', FIRST_EPOCH + 10n, { clearParticipants: ['n2', 'n3', 'n4'] });
    expect(h.ctx().clear).toMatchObject({ target: 'n9', epoch: FIRST_EPOCH + 10n, pendingNodes: ['n2', 'n3', 'n4'] });
    expect(h.ctx().gate).toMatchObject({ kind: 'clear', target: 'n9', epoch: FIRST_EPOCH + 10n });
  });
  it('a non-participant that is not pending is ignored; a pending one is heard', () => {
    const h = clearing();
    h.heartbeat('n4', 'n9', FIRST_EPOCH + 10n, { participant: false });
    expect(h.ctx().clear!.target).toBe('n1');
    h.heartbeat('n2', '', FIRST_EPOCH, { participant: false });
    expect(h.ctx().clear!.pendingNodes).toEqual(['n3']);
  });
  it('without session and clear state, a participant reporting a target starts a clear state (stale-target recovery), also from a bootstrap', () => {
    const h = harness();
    h.heartbeat('n2', 'n1', 77n, { participant: false });
    expect(h.ctx().clear).toBeNull();
    // No alive participant to pend on: nothing starts.
    h.send({ type: 'BOOTSTRAP_RESPONSE', now: 1, from: 'n2', drainProtocolVersion: 1, drainTarget: { target: 'n1', epoch: 77n }, participant: true, clearParticipants: [] });
    expect(h.ctx().clear).toBeNull();
    h.send({ type: 'BOOTSTRAP_RESPONSE', now: 1, from: 'n2', drainProtocolVersion: 1, drainTarget: { target: 'n1', epoch: 77n }, participant: true, clearParticipants: ['n2', 'n3'] });
    expect(h.ctx().clear).toMatchObject({ target: 'n1', epoch: 77n, pendingNodes: ['n2', 'n3'], dirty: true });
    expect(h.ctx().maxObservedDrainEpoch).toBe(77n);
    const out = h.tick(2);
    expect(broadcasts(out)).toEqual(['n2:@77', 'n3:@77']);
  });
  it('during an active session, reports do not touch clear acks', () => {
    const h = harness();
    h.drain('n1');
    h.heartbeat('n2', 'n9', FIRST_EPOCH + 10n);
    expect(h.ctx().clear).toBeNull();
    expect(h.ctx().maxObservedDrainEpoch).toBe(FIRST_EPOCH + 10n);
  });
});

describe('§2.5.5 later-joining nodes and §2.5.4 target propagation', () => {
  it('a drain-capable bootstrap joins targetSyncNodes and gets the target; a legacy one does not', () => {
    const h = harness();
    h.drain('n1', obs(), { alive: ['n1', 'n2'] });
    const legacy = h.send({ type: 'BOOTSTRAP_RESPONSE', now: 1, from: 'n4', drainProtocolVersion: 0, drainTarget: { target: '', epoch: 0n }, participant: false, clearParticipants: [] });
    expect(legacy).toEqual([]);
    const out = h.send({ type: 'BOOTSTRAP_RESPONSE', now: 1, from: 'n3', drainProtocolVersion: 1, drainTarget: { target: '', epoch: 0n }, participant: true, clearParticipants: [] });
    expect(broadcasts(out)).toEqual([`n3:n1@${FIRST_EPOCH}`]);
    expect(h.ctx().session!.targetSyncNodes).toEqual(['n1', 'n2', 'n3']);
    // and it is cleared with the rest
    expect(broadcasts(h.remove('n1', obs(), ['n2', 'n3']))).toEqual([`n2:@${FIRST_EPOCH}`, `n3:@${FIRST_EPOCH}`]);
  });

  it('the target is resent to the alive sync nodes 5 s after the last send, not before', () => {
    const h = harness();
    h.drain('n1');
    const sent = h.at();
    expect(broadcasts(h.tick(sent + 4_999))).toEqual([]);
    expect(broadcasts(h.tick(sent + 5_000, obs(), ['n1', 'n3']))).toEqual([`n1:n1@${FIRST_EPOCH}`, `n3:n1@${FIRST_EPOCH}`]);
    expect(broadcasts(h.tick(sent + 6_000))).toEqual([]);
  });

  it('the clear is resent to the alive pending nodes every 5 s', () => {
    const h = harness();
    h.drain('n1');
    h.remove('n1', obs(), ['n2', 'n3']);
    const sent = h.at();
    expect(broadcasts(h.tick(sent + 1_000))).toEqual([]);
    expect(broadcasts(h.tick(sent + 5_000, obs(), ['n2']))).toEqual([`n2:@${FIRST_EPOCH}`]);
  });

  it('the periodic task advances the drain workflow: readyToStop only with DRAINING observed, not Unknown, nothing remaining', () => {
    const h = harness();
    h.drain('n1');
    const adv = (o: TargetObservation) => h.tick(h.at() + 500, o).filter((e) => e.type === 'drain.advance');
    expect(adv(obs({ maintainersOnTarget: 1 }))).toEqual([{ type: 'drain.advance', node: 'n1', readyToStop: false }]);
    expect(adv(obs({ view: 'Unknown' }))).toEqual([{ type: 'drain.advance', node: 'n1', readyToStop: false }]);
    expect(adv(obs({ drainingObserved: false }))).toEqual([{ type: 'drain.advance', node: 'n1', readyToStop: false }]);
    expect(adv(obs())).toEqual([{ type: 'drain.advance', node: 'n1', readyToStop: true }]);
    // An uninitialized coordinator advances nothing (advanceActiveDrainLiveness).
    const uninit = h.send({ type: 'TICK', now: h.at() + 500, initialized: false, aliveNodes: ALL, observation: obs() });
    expect(uninit.filter((e) => e.type === 'drain.advance')).toEqual([]);
  });

  it('no session: the periodic task advances nothing', () => {
    const h = harness();
    expect(h.tick(1_000)).toEqual([]);
  });
});

describe('§2.5.1 gates held by the session', () => {
  it('a target-gate ack is recorded from a heartbeat reporting exactly (target, epoch) at the view\'s node epoch, and reset by a restart (§5.1 B22)', () => {
    const h = harness();
    h.drain('n1');
    h.heartbeat('n2', 'n1', FIRST_EPOCH, { nodeEpoch: 1n });
    h.heartbeat('n3', 'n1', FIRST_EPOCH - 1n, { nodeEpoch: 1n });
    h.heartbeat('n1', 'n1', FIRST_EPOCH, { nodeEpoch: 1n });
    expect(h.ctx().gate).toMatchObject({ ackedNodes: { n2: 1n } });
    h.heartbeat('n2', '', 0n, { nodeEpoch: 2n });
    expect(h.ctx().gate).toMatchObject({ ackedNodes: {} });
  });
});
