/**
 * Conformance: the drain workflow and node liveness against the Go tests paraphrased in spec §6.5
 * items 1–4 (coordinator/drain/controller_test.go) and §6.10 items 1–6 (pkg/liveness,
 * maintainer/node_liveness_test.go).
 *
 * Machines: drainNodeMachine, livenessViewMachine, nodeLivenessMachine.
 * Specs checked: §2.5.1, §2.6.1–§2.6.4; invariants I12, I13, I14, I15; §5.1 B19, B20, B21.
 */
import { describe, expect, it } from 'vitest';
import {
  drainNodeMachine,
  livenessViewMachine,
  nodeLivenessMachine,
  parseEventWith,
  nodeLivenessEventSchemas,
  viewStateAt,
  LIVENESS_BY_VALUE,
  livenessName,
} from 'opcharts';
import { drive } from '../helpers/drive.js';

const observe = (now: number, nodeEpoch: bigint, liveness: 'Alive' | 'Draining' | 'Stopping') =>
  ({ type: 'OBSERVE', now, nodeEpoch, liveness }) as const;
const setLiveness = (target: 'Alive' | 'Draining' | 'Stopping', nodeEpoch: bigint, from = 'coord') =>
  ({ type: 'SET_NODE_LIVENESS', from, target, nodeEpoch }) as const;

describe('§6.5 drain controller (controller_test.go)', () => {
  it('6.5.1 ResendAndPromoteToStopping', () => {
    const d = drive(drainNodeMachine, { node: 'n1' });
    d.send(observe(0, 42n, 'Alive'));
    d.send({ type: 'REQUEST_DRAIN', now: 10 });
    expect(d.take()).toEqual([{ type: 'SetNodeLivenessRequest', to: 'n1', target: 'Draining', nodeEpoch: 42n }]);
    d.send({ type: 'ADVANCE', now: 900, readyToStop: true });
    expect(d.take()).toEqual([]);
    d.send({ type: 'ADVANCE', now: 1010, readyToStop: true });
    expect(d.take()).toEqual([{ type: 'SetNodeLivenessRequest', to: 'n1', target: 'Draining', nodeEpoch: 42n }]);
    d.send(observe(1100, 42n, 'Draining'));
    expect(d.state()).toBe('DrainingObserved');
    d.send({ type: 'ADVANCE', now: 1200, readyToStop: true });
    expect(d.take()).toEqual([{ type: 'SetNodeLivenessRequest', to: 'n1', target: 'Stopping', nodeEpoch: 42n }]);
  });

  it('6.5.2 RemoveNodeClearsState', () => {
    const d = drive(drainNodeMachine, { node: 'n1' });
    d.send(observe(0, 42n, 'Draining'));
    d.send({ type: 'NODE_REMOVED', node: 'n2' });
    expect(d.state()).toBe('DrainingObserved');
    d.send({ type: 'NODE_REMOVED', node: 'n1' });
    expect(d.state()).toBe('Idle');
    expect(d.actor.getSnapshot().context).toMatchObject({ observed: false, nodeEpoch: 0n, lastDrainCmdSentAt: null, lastStopCmdSentAt: null });
  });

  it('6.5.3 ResetObservedStateForNewEpoch', () => {
    const d = drive(drainNodeMachine, { node: 'n1' });
    d.send(observe(0, 42n, 'Draining'));
    d.send({ type: 'ADVANCE', now: 100, readyToStop: true }); // stamps lastStopCmdSentAt
    d.send({ type: 'REQUEST_DRAIN', now: 100 });
    expect(d.actor.getSnapshot().context.lastStopCmdSentAt).toBe(100);
    d.send(observe(200, 43n, 'Alive'));
    const { context } = d.actor.getSnapshot();
    expect(d.state()).toBe('Requested'); // drainRequested kept; draining and stopping no longer observed
    expect(context).toMatchObject({ nodeEpoch: 43n, lastDrainCmdSentAt: null, lastStopCmdSentAt: null });
  });

  it('6.5.4 SkipStoppingForNewEpochWithoutDraining (§5.1 B20): no STOPPING for the restarted process', () => {
    const d = drive(drainNodeMachine, { node: 'n1' });
    d.send(observe(0, 42n, 'Draining'));
    d.take();
    // The host read DrainingObserved and evaluated readyToStop; the restarted node's ALIVE@43
    // arrives before the tick's send. The source sends nothing on this tick; the actor handles the
    // observation first and re-sends DRAINING at the new epoch (as the source's next tick does).
    d.send(observe(10, 43n, 'Alive'), { type: 'ADVANCE', now: 10, readyToStop: true });
    const sent = d.take();
    expect(sent.filter((e) => e.type === 'SetNodeLivenessRequest' && e.target === 'Stopping')).toEqual([]);
    expect(sent).toEqual([{ type: 'SetNodeLivenessRequest', to: 'n1', target: 'Draining', nodeEpoch: 43n }]);
  });

  it('B21: DRAINING is sent with epoch 0 while the node epoch is unknown; the rejection teaches the epoch', () => {
    const d = drive(drainNodeMachine, { node: 'n1' });
    const node = drive(nodeLivenessMachine, { nodeId: 'n1', nodeEpoch: 77n, coordinator: { id: 'coord', version: 1n } });
    d.send({ type: 'REQUEST_DRAIN', now: 0 });
    const [probe] = d.take();
    expect(probe).toEqual({ type: 'SetNodeLivenessRequest', to: 'n1', target: 'Draining', nodeEpoch: 0n });
    node.send(setLiveness('Draining', 0n));
    expect(node.state()).toBe('Alive');
    const [resp] = node.take();
    expect(resp).toMatchObject({ type: 'SetNodeLivenessResponse', applied: 'Alive', nodeEpoch: 77n });
    d.send(observe(100, 77n, 'Alive'));
    d.send({ type: 'ADVANCE', now: 500, readyToStop: false });
    expect(d.take()).toEqual([]); // throttled: less than 1 s since the probe
    d.send({ type: 'ADVANCE', now: 1000, readyToStop: false });
    expect(d.take()).toEqual([{ type: 'SetNodeLivenessRequest', to: 'n1', target: 'Draining', nodeEpoch: 77n }]);
  });

  it('STOPPING needs readyToStop and DRAINING observed, and is throttled separately', () => {
    const d = drive(drainNodeMachine, { node: 'n1' });
    d.send(observe(0, 5n, 'Alive'), { type: 'REQUEST_DRAIN', now: 0 }, { type: 'ADVANCE', now: 2000, readyToStop: true });
    expect(d.take().every((e) => e.type === 'SetNodeLivenessRequest' && e.target === 'Draining')).toBe(true);
    d.send(observe(2100, 5n, 'Draining'), { type: 'ADVANCE', now: 2200, readyToStop: false });
    expect(d.take()).toEqual([]);
    d.send({ type: 'ADVANCE', now: 2300, readyToStop: true }, { type: 'ADVANCE', now: 2400, readyToStop: true });
    expect(d.take()).toHaveLength(1);
    d.send({ type: 'ADVANCE', now: 3300, readyToStop: true });
    expect(d.take()).toEqual([{ type: 'SetNodeLivenessRequest', to: 'n1', target: 'Stopping', nodeEpoch: 5n }]);
    d.send(observe(3400, 5n, 'Stopping'), { type: 'ADVANCE', now: 9000, readyToStop: true });
    expect(d.state()).toBe('StoppingObserved');
    expect(d.take()).toEqual([]);
  });

  it('observing DRAINING marks an unrequested node drain-requested (inherited after failover)', () => {
    const d = drive(drainNodeMachine, { node: 'n1' });
    d.send(observe(0, 5n, 'Draining'));
    expect(d.state()).toBe('DrainingObserved');
  });

  it('lower-epoch and lower-liveness observations are dropped (§5.1 B19)', () => {
    const d = drive(drainNodeMachine, { node: 'n1' });
    d.send(observe(0, 5n, 'Stopping'), observe(1, 5n, 'Draining'), observe(2, 4n, 'Stopping'), observe(3, 5n, 'Alive'));
    expect(d.state()).toBe('StoppingObserved');
    expect(d.actor.getSnapshot().context).toMatchObject({ nodeEpoch: 5n, liveness: 'Stopping' });
  });
});

describe('liveness view (§2.5.1 observation, §2.6.4)', () => {
  it('never observed reads Alive; Unknown strictly after 30 s; monotonic per epoch; reset on a new epoch', () => {
    const v = drive(livenessViewMachine, { node: 'n1' });
    expect(viewStateAt(v.actor.getSnapshot().context, 1e9)).toBe('Alive');
    v.send(observe(1000, 5n, 'Draining'));
    expect(v.state()).toBe('Draining');
    v.send({ type: 'TICK', now: 31_000 });
    expect(v.state()).toBe('Draining'); // exactly 30 s is not past the TTL
    v.send(observe(31_000, 5n, 'Alive')); // lower liveness at the same epoch: dropped, lastSeen not refreshed
    v.send({ type: 'TICK', now: 31_001 });
    expect(v.state()).toBe('Unknown');
    expect(viewStateAt(v.actor.getSnapshot().context, 31_001)).toBe('Unknown');
    v.send(observe(32_000, 6n, 'Alive')); // a restarted process
    expect(v.state()).toBe('Alive');
    v.send({ type: 'NODE_REMOVED', node: 'n1' });
    expect(v.state()).toBe('Unobserved');
  });
});

describe('§6.10 liveness (pkg/liveness, node_liveness_test.go)', () => {
  const node = () =>
    drive(nodeLivenessMachine, { nodeId: 'n1', nodeEpoch: 100n, coordinator: { id: 'coord', version: 1n } });
  const store = (liveness: 'Alive' | 'Draining' | 'Stopping') => ({ type: 'STORE', liveness }) as const;

  it('6.10.1 StoreMonotonic', () => {
    const n = node();
    n.send(store('Draining'));
    expect(n.state()).toBe('Draining');
    n.send(store('Alive'), store('Draining'));
    expect(n.state()).toBe('Draining');
    n.send(store('Stopping'));
    expect(n.state()).toBe('Stopping');
    n.send(store('Alive'), store('Draining'), store('Stopping'));
    expect(n.state()).toBe('Stopping');
  });

  it('6.10.2 StoreDisallowSkip: Alive → Stopping is refused', () => {
    const n = node();
    n.send(store('Stopping'));
    expect(n.state()).toBe('Alive');
  });

  it('6.10.3 StoreRejectInvalidValue: value 3 is refused at the boundary and changes nothing', () => {
    for (const start of [[], ['Draining'], ['Draining', 'Stopping']] as const) {
      const n = node();
      for (const s of start) n.send(store(s));
      const before = n.actor.getSnapshot();
      const r = parseEventWith(nodeLivenessEventSchemas, { type: 'STORE', liveness: 3 });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.field).toBe('liveness');
      // An unvalidated value that slips past the boundary is refused by the machine too.
      n.send({ type: 'STORE', liveness: LIVENESS_BY_VALUE[3] as never });
      expect(n.actor.getSnapshot().value).toBe(before.value);
    }
  });

  it('6.10.4 StringNil: a nil liveness prints Unknown', () => {
    expect(livenessName(null)).toBe('Unknown');
    expect(livenessName(undefined)).toBe('Unknown');
    expect(livenessName(3)).toBe('Unknown');
    expect([0, 1, 2].map(livenessName)).toEqual(['Alive', 'Draining', 'Stopping']);
  });

  it('6.10.5 SetNodeLivenessRejectEpochMismatch: epoch local+1 → ALIVE with the local epoch, unchanged', () => {
    const n = node();
    n.send(setLiveness('Draining', 101n));
    expect(n.state()).toBe('Alive');
    expect(n.take()).toEqual([{ type: 'SetNodeLivenessResponse', to: 'coord', applied: 'Alive', nodeEpoch: 100n }]);
  });

  it('6.10.6 SetNodeLivenessApplyTransition: a NodeHeartbeat and a response; liveness Draining', () => {
    const n = node();
    n.send(setLiveness('Draining', 100n));
    expect(n.state()).toBe('Draining');
    expect(n.take()).toEqual([
      { type: 'NodeHeartbeat', to: 'coord', liveness: 'Draining', nodeEpoch: 100n, forced: true },
      { type: 'SetNodeLivenessResponse', to: 'coord', applied: 'Draining', nodeEpoch: 100n },
    ]);
  });

  it('a skip (Alive → STOPPING) answers unchanged; a non-coordinator sender gets no answer', () => {
    const n = node();
    n.send(setLiveness('Stopping', 100n));
    expect(n.state()).toBe('Alive');
    expect(n.take()).toEqual([{ type: 'SetNodeLivenessResponse', to: 'coord', applied: 'Alive', nodeEpoch: 100n }]);
    n.send(setLiveness('Draining', 100n, 'impostor'));
    expect(n.state()).toBe('Alive');
    expect(n.take()).toEqual([]);
  });

  it('a Stopping node drops AddMaintainer silently (§2.6.1, I16); Draining still admits it', () => {
    const n = node();
    const add = { type: 'ADD_MAINTAINER', from: 'coord', changefeedId: 'cf', maintainerEpoch: 3n } as const;
    n.send(setLiveness('Draining', 100n));
    n.take();
    n.send(add);
    expect(n.take()).toEqual([{ type: 'mm.admitAddMaintainer', changefeedId: 'cf', maintainerEpoch: 3n }]);
    n.send(setLiveness('Stopping', 100n));
    n.take();
    n.send(add);
    expect(n.take()).toEqual([]);
  });

  it('node epoch 0 is mapped to 1, so the 0 probe is always rejected', () => {
    const n = drive(nodeLivenessMachine, { nodeId: 'n1', nodeEpoch: 0n, coordinator: { id: 'coord', version: 1n } });
    n.send(setLiveness('Draining', 0n));
    expect(n.state()).toBe('Alive');
    expect(n.take()).toEqual([{ type: 'SetNodeLivenessResponse', to: 'coord', applied: 'Alive', nodeEpoch: 1n }]);
  });

  it('a coordinator bootstrap with an older version is ignored; a newer one is adopted with a heartbeat', () => {
    const n = node();
    n.send({ type: 'COORDINATOR_BOOTSTRAP', from: 'old', version: 0n });
    expect(n.actor.getSnapshot().context.coordinatorId).toBe('coord');
    n.send({ type: 'COORDINATOR_BOOTSTRAP', from: 'new', version: 2n });
    expect(n.actor.getSnapshot().context.coordinatorId).toBe('new');
    expect(n.take()).toEqual([{ type: 'NodeHeartbeat', to: 'new', liveness: 'Alive', nodeEpoch: 100n, forced: true }]);
    n.send(setLiveness('Draining', 100n, 'coord'));
    expect(n.state()).toBe('Alive');
  });
});
