/**
 * Conformance: the divergences an audit found between the machines and the spec / TiCDC source
 * (issue 8), each named after the spec section it restores. Every test here failed on the code
 * before its fix.
 *
 * Machines: nodeLivenessMachine, nodeDrainTargetMachine, drainNodeMachine, livenessViewMachine,
 * maintainerRegistryMachine, dispatcherManagerMachine.
 * Specs checked: §2.5.1, §2.6.3, §2.7.1–§2.7.3; invariants I10, I13, I14; §5.1 B12.
 */
import { describe, expect, it } from 'vitest';
import { drainNodeMachine, livenessViewMachine, nodeDrainTargetMachine, nodeLivenessMachine, viewStateAt } from 'opcharts';
import { drive } from '../helpers/drive.js';

describe('§2.6.3 a coordinator bootstrap with version 0 does not bootstrap the node (isBootstrap() needs version > 0)', () => {
  it('nodeLiveness: the sender is adopted, but no forced heartbeat is sent and adds are dropped', () => {
    const d = drive(nodeLivenessMachine, { nodeId: 'n1', nodeEpoch: 42n });
    d.send({ type: 'COORDINATOR_BOOTSTRAP', from: 'coord', version: 0n });
    expect(d.take()).toEqual([]);
    expect(d.actor.getSnapshot().context).toMatchObject({ coordinatorId: 'coord', coordinatorVersion: 0n });
    d.send({ type: 'ADD_MAINTAINER', from: 'coord', changefeedId: 'cf', maintainerEpoch: 3n });
    expect(d.take()).toEqual([]);
  });

  it('nodeLiveness: a liveness request from the adopted sender is applied and answered, but no heartbeat goes out until bootstrapped', () => {
    const d = drive(nodeLivenessMachine, { nodeId: 'n1', nodeEpoch: 42n });
    d.send({ type: 'COORDINATOR_BOOTSTRAP', from: 'coord', version: 0n });
    d.send({ type: 'SET_NODE_LIVENESS', from: 'coord', target: 'Draining', nodeEpoch: 42n });
    expect(d.state()).toBe('Draining');
    expect(d.take()).toEqual([{ type: 'SetNodeLivenessResponse', to: 'coord', applied: 'Draining', nodeEpoch: 42n }]);
    d.send({ type: 'COORDINATOR_BOOTSTRAP', from: 'coord', version: 1n });
    expect(d.take()).toEqual([{ type: 'NodeHeartbeat', to: 'coord', liveness: 'Draining', nodeEpoch: 42n, forced: true }]);
    d.send({ type: 'ADD_MAINTAINER', from: 'coord', changefeedId: 'cf', maintainerEpoch: 3n });
    expect(d.take()).toEqual([{ type: 'mm.admitAddMaintainer', changefeedId: 'cf', maintainerEpoch: 3n }]);
  });

  it('nodeDrainTarget: a request after a version-0 bootstrap is applied but not acknowledged; the ack comes only once bootstrapped', () => {
    const d = drive(nodeDrainTargetMachine, { coordinatorId: '', coordinatorVersion: 0n });
    d.send({ type: 'COORDINATOR_BOOTSTRAP', from: 'coord', version: 0n });
    // The bootstrap response itself is sent whatever the version.
    expect(d.take()).toEqual([{ type: 'CoordinatorBootstrapResponse', to: 'coord', drainProtocolVersion: 1, target: '', epoch: 0n }]);
    d.send({ type: 'SET_DISPATCHER_DRAIN_TARGET', from: 'coord', target: 'n2', epoch: 5n });
    expect(d.take()).toEqual([{ type: 'maintainers.setDrainTarget', target: 'n2', epoch: 5n }]);
    expect(d.actor.getSnapshot().context).toMatchObject({ target: 'n2', epoch: 5n });
    d.send({ type: 'COORDINATOR_BOOTSTRAP', from: 'coord', version: 3n });
    d.take();
    d.send({ type: 'SET_DISPATCHER_DRAIN_TARGET', from: 'coord', target: 'n2', epoch: 5n });
    expect(d.take()).toEqual([{ type: 'NodeDrainHeartbeat', to: 'coord', target: 'n2', epoch: 5n }]);
  });
});

describe('§2.5.1 RemoveNode deletes the per-node record; the next request or observation recreates it', () => {
  const observe = (now: number, nodeEpoch: bigint, liveness: 'Alive' | 'Draining' | 'Stopping') =>
    ({ type: 'OBSERVE', now, nodeEpoch, liveness }) as const;

  it('drainNode: NODE_REMOVED then REQUEST_DRAIN sends DRAINING again, with the 0 probe (the epoch is unknown again)', () => {
    const d = drive(drainNodeMachine, { node: 'n1' });
    d.send(observe(0, 42n, 'Draining'));
    d.send({ type: 'NODE_REMOVED', node: 'n1' });
    d.take();
    d.send({ type: 'REQUEST_DRAIN', now: 100 });
    expect(d.take()).toEqual([{ type: 'SetNodeLivenessRequest', to: 'n1', target: 'Draining', nodeEpoch: 0n }]);
    expect(d.state()).toBe('Requested');
  });

  it('drainNode: NODE_REMOVED then an observation records it as a first observation, even at an older epoch', () => {
    const d = drive(drainNodeMachine, { node: 'n1' });
    d.send(observe(0, 42n, 'Stopping'));
    d.send({ type: 'NODE_REMOVED', node: 'n1' });
    d.send(observe(10, 41n, 'Draining'));
    expect(d.state()).toBe('DrainingObserved');
    expect(d.actor.getSnapshot().context).toMatchObject({ observed: true, nodeEpoch: 41n, liveness: 'Draining' });
  });

  it('the drain workflow and the liveness view agree on a removed node: never observed (view Alive), then the same first observation', () => {
    const d = drive(drainNodeMachine, { node: 'n1' });
    const v = drive(livenessViewMachine, { node: 'n1' });
    for (const e of [observe(0, 42n, 'Draining'), { type: 'NODE_REMOVED', node: 'n1' } as const]) {
      d.send(e);
      v.send(e);
    }
    expect(d.actor.getSnapshot().context.observed).toBe(false);
    expect(v.actor.getSnapshot().context.observed).toBe(false);
    expect(viewStateAt(v.actor.getSnapshot().context, 10)).toBe('Alive');
    d.send(observe(20, 7n, 'Alive'));
    v.send(observe(20, 7n, 'Alive'));
    expect(d.actor.getSnapshot().context).toMatchObject({ observed: true, nodeEpoch: 7n, liveness: 'Alive' });
    expect(v.actor.getSnapshot().context).toMatchObject({ observed: true, nodeEpoch: 7n, liveness: 'Alive' });
  });
});
