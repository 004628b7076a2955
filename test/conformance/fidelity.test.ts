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
import { nodeDrainTargetMachine, nodeLivenessMachine } from 'opcharts';
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
