/**
 * The operator controller (machines/coordinator/operatorController.ts) against spec §2.0, §2.3.1–
 * §2.3.2, §2.4, the operator conformance scenarios §6.1–§6.3 driven through the controller, §5.1
 * B2–B5 and the controller's part of §6.9 items 1–3. Each test names the rule it checks and fails
 * if that rule is broken.
 */
import { describe, expect, it } from 'vitest';
import * as oc from '../../machines/coordinator/operatorController.js';
import { UnknownChangefeedError } from '../../machines/coordinator/changefeedDb.js';
import { EpochRangeError } from '../../machines/errors.js';
import type { Effect, MaintainerState, OutgoingMessage } from '../../machines/protocol.js';
import { MemoryEpochStore, NotFoundError, type EpochStore } from '../../adapters/index.js';
import { CoordinatorHost, EpochClock } from '../../services/index.js';

type State = oc.OperatorControllerState;

function controller(opts: { alive?: string[]; batchSize?: number; epoch?: bigint; cfs?: string[] } = {}): State {
  let s = oc.createOperatorController({ selfNode: 'coord', aliveNodes: opts.alive ?? ['coord', 'n1', 'n2', 'n3'], batchSize: opts.batchSize });
  for (const cf of opts.cfs ?? ['cf']) s = oc.addChangefeed(s, cf, { epoch: opts.epoch ?? 1n, checkpointTs: 100n }).state;
  return s;
}

const status = (state: MaintainerState, maintainerEpoch: bigint, bootstrapDone = true): oc.MaintainerStatusReport => ({ state, maintainerEpoch, bootstrapDone });
const sent = (effects: readonly Effect[]) => effects.filter((e) => e.type === 'AddMaintainerRequest' || e.type === 'RemoveMaintainerRequest');
const types = (effects: readonly Effect[]) => effects.map((e) => e.type);

/** A changefeed replicating on `node` with the in-memory epoch, through add → poll → status → poll. */
function replicatingOn(s: State, node: string, cf = 'cf'): State {
  s = oc.pushOperator(s, oc.newAddOperator(s, cf, node)).state;
  s = oc.poll(s, s.clockMs).state;
  s = oc.updateOperatorStatus(s, cf, node, status('Working', s.infos.get(cf)!.epoch)).state;
  s = oc.poll(s, s.clockMs + 500).state;
  expect(s.db.get(cf)).toMatchObject({ nodeId: node, bucket: 'Replicating' });
  expect(oc.hasOperator(s, cf)).toBe(false);
  return s;
}

describe('§2.0 pushOperator: checkAffectedNodes before Start', () => {
  it('§2.0 step 1 / §2.1: an add to a dead dest is canceled before Start; Start still binds; the first poll PostFinishes it to Absent and sends nothing', () => {
    let s = controller({ alive: ['coord', 'n1'] });
    const pushed = oc.pushOperator(s, oc.newAddOperator(s, 'cf', 'n9'));
    s = pushed.state;
    expect(oc.operatorOf(s, 'cf')?.value).toBe('CanceledNodeRemoved');
    expect(types(pushed.effects)).toEqual(['db.bindChangefeedToNode']);
    expect(s.db.get('cf')).toMatchObject({ nodeId: 'n9', bucket: 'Scheduling' });
    const polled = oc.poll(s, 0);
    expect(sent(polled.effects)).toEqual([]);
    expect(types(polled.effects)).toEqual(['db.markMaintainerAbsent']);
    expect(polled.state.db.get('cf')).toMatchObject({ nodeId: '', bucket: 'Absent' });
    expect(oc.hasOperator(polled.state, 'cf')).toBe(false);
  });

  it('§2.0 step 1 / §2.2 combination 8: a move with origin and dest both dead is finished-absent before Start, and Start (markScheduling) is skipped', () => {
    let s = replicatingOn(controller(), 'n1');
    s = oc.onNodeRemoved(s, 'n1').state; // n1 dies with no operator: Absent
    // Rebind by hand to model a move constructed from a stale view: origin n1, dest n2, both dead.
    const spec: oc.OperatorSpec = { kind: 'move', changefeedId: 'cf', origin: 'n1', dest: 'n2', originEpoch: 1n };
    s = oc.onNodeRemoved(s, 'n2').state;
    const pushed = oc.pushOperator(s, spec);
    expect(types(pushed.effects)).toEqual(['db.markMaintainerAbsent']);
    expect(oc.operatorOf(pushed.state, 'cf')?.value).toBe('DoneNoPostFinish');
  });

  it('§2.0 step 1: a move whose dest is dead at push falls back to origin before Start, so its first remove still goes to origin with originEpoch', () => {
    let s = replicatingOn(controller(), 'n1');
    const spec = oc.newMoveOperator(s, 'cf', 'n2');
    s = oc.onNodeRemoved(s, 'n2').state;
    const pushed = oc.pushOperator(s, spec);
    expect(types(pushed.effects)).toEqual(['db.markMaintainerScheduling']);
    expect(oc.operatorOf(pushed.state, 'cf')).toMatchObject({ value: 'RemoveOrigin', context: { target: 'n1' } });
    expect(oc.countOperatorsInvolvingNode(pushed.state, 'n2')).toBe(0);
  });

  it('§2.0: a second operator for the same changefeed is a typed error and changes nothing', () => {
    const s = oc.pushOperator(controller(), oc.newAddOperator(controller(), 'cf', 'n1')).state;
    expect(() => oc.pushOperator(s, oc.newAddOperator(s, 'cf', 'n2'))).toThrow(oc.OperatorExistsError);
    expect(oc.operatorOf(s, 'cf')?.context).toMatchObject({ dest: 'n1' });
  });

  it('unknown changefeed → UnknownChangefeedError when constructing an operator', () => {
    expect(() => oc.newAddOperator(controller(), 'nope', 'n1')).toThrow(UnknownChangefeedError);
  });
});

describe('§2.0 Execute: the 500 ms poll', () => {
  it('§2.0: each operator (re)sends its command at most every 500 ms, indefinitely (no timeout)', () => {
    let s = oc.pushOperator(controller(), oc.newAddOperator(controller(), 'cf', 'n1')).state;
    const at = (t: number) => {
      const r = oc.poll(s, t);
      s = r.state;
      return sent(r.effects).length;
    };
    expect(at(0)).toBe(1);
    expect(at(499)).toBe(0);
    expect(at(500)).toBe(1);
    expect(at(600)).toBe(0);
    expect(at(3_600_000)).toBe(1);
    expect(oc.operatorOf(s, 'cf')?.value).toBe('Sending');
  });

  it('§2.0: at most batchSize operators are scheduled per round; the rest wait for the next round', () => {
    let s = controller({ cfs: ['a', 'b', 'c'], batchSize: 2 });
    for (const cf of ['a', 'b', 'c']) s = oc.pushOperator(s, oc.newAddOperator(s, cf, 'n1')).state;
    const first = oc.poll(s, 0);
    expect(sent(first.effects).map((e) => e.changefeedId)).toEqual(['a', 'b']);
    const second = oc.poll(first.state, 1);
    expect(sent(second.effects).map((e) => e.changefeedId)).toEqual(['c']);
  });

  it('§2.0: a finished operator gets PostFinish and leaves its slot even before it is due again; its command is not sent', () => {
    let s = oc.pushOperator(controller(), oc.newAddOperator(controller(), 'cf', 'n1')).state;
    s = oc.poll(s, 0).state; // scheduled; due again at 500
    s = oc.updateOperatorStatus(s, 'cf', 'n1', status('Working', 1n)).state;
    const r = oc.poll(s, 10);
    expect(types(r.effects)).toEqual(['db.markMaintainerReplicating']);
    expect(r.state.db.get('cf')).toMatchObject({ bucket: 'Replicating', nodeId: 'n1', isNew: false });
    expect(oc.hasOperator(r.state, 'cf')).toBe(false);
  });

  it('§2.0: a poll going back in time is a typed error', () => {
    const s = oc.poll(controller(), 1000).state;
    expect(() => oc.poll(s, 999)).toThrow(oc.InvalidControllerArgumentError);
  });
});

describe('§2.0 UpdateOperatorStatus, before any filtering', () => {
  it('§2.0 / §2.4.4 step 1: a status stale for the changefeed (old epoch) still reaches the move, which needs it to see the origin stopped', () => {
    let s = replicatingOn(controller(), 'n1');
    s = oc.pushOperator(s, oc.newMoveOperator(s, 'cf', 'n2')).state;
    s = oc.setInfo(s, 'cf', 5n).state; // the in-memory epoch moved on: epoch 1 is now stale at the cf level
    s = oc.updateOperatorStatus(s, 'cf', 'n1', status('Stopped', 1n)).state;
    expect(oc.operatorOf(s, 'cf')?.value).toBe('OriginStopped');
  });

  it('§2.0: a status for a changefeed without an operator changes nothing', () => {
    const s = controller();
    const r = oc.updateOperatorStatus(s, 'cf', 'n1', status('Working', 1n));
    expect(r.state).toBe(s);
    expect(r.effects).toEqual([]);
  });
});

describe('§2.0 OnNodeRemoved', () => {
  it('§2.0: changefeeds bound to the node without an operator become Absent; ones with an operator are left to the operator', () => {
    let s = controller({ cfs: ['a', 'b'] });
    s = replicatingOn(s, 'n1', 'a');
    s = replicatingOn(s, 'n1', 'b');
    s = oc.pushOperator(s, oc.newMoveOperator(s, 'b', 'n2')).state;
    const r = oc.onNodeRemoved(s, 'n1');
    expect(r.state.db.get('a')).toMatchObject({ bucket: 'Absent', nodeId: '' });
    // b's move treats the origin as stopped (§2.2): it stays Scheduling on n1 until it binds n2.
    expect(r.state.db.get('b')).toMatchObject({ bucket: 'Scheduling', nodeId: 'n1' });
    expect(oc.operatorOf(r.state, 'b')?.value).toBe('OriginStopped');
    expect(r.state.aliveNodes.has('n1')).toBe(false);
  });

  it('§2.0: every operator gets OnNodeRemove, not only those bound to the node', () => {
    let s = controller({ cfs: ['a', 'b'] });
    s = oc.pushOperator(s, oc.newAddOperator(s, 'a', 'n1')).state;
    s = oc.pushOperator(s, oc.newAddOperator(s, 'b', 'n2')).state;
    s = oc.onNodeRemoved(s, 'n2').state;
    expect(oc.operatorOf(s, 'a')?.value).toBe('Sending');
    expect(oc.operatorOf(s, 'b')?.value).toBe('CanceledNodeRemoved');
  });

  it('an unknown node is a typed error and changes nothing', () => {
    const s = controller();
    expect(() => oc.onNodeRemoved(s, 'n9')).toThrow(oc.UnknownNodeError);
    expect(s.aliveNodes.has('n1')).toBe(true);
  });
});

describe('§6.1 AddMaintainerOperator through the controller', () => {
  it('§6.1.1 OnNodeRemove: removing n2 leaves the add running; removing n1 cancels it, nothing is sent, PostFinish marks Absent', () => {
    let s = oc.pushOperator(controller(), oc.newAddOperator(controller(), 'cf', 'n1')).state;
    s = oc.onNodeRemoved(s, 'n2').state;
    expect(oc.operatorOf(s, 'cf')?.value).toBe('Sending');
    s = oc.onNodeRemoved(s, 'n1').state;
    expect(oc.operatorOf(s, 'cf')?.value).toBe('CanceledNodeRemoved');
    const r = oc.poll(s, 0);
    expect(sent(r.effects)).toEqual([]);
    expect(r.state.db.get('cf')).toMatchObject({ bucket: 'Absent', nodeId: '' });
  });

  it('§6.1.2 OnTaskRemoved: finished, nothing sent, PostFinish does nothing', () => {
    let s = oc.pushOperator(controller(), oc.newAddOperator(controller(), 'cf', 'n1')).state;
    s = oc.onTaskRemoved(s, 'cf').state;
    expect(oc.operatorOf(s, 'cf')?.value).toBe('CanceledTaskRemoved');
    const r = oc.poll(s, 0);
    expect(r.effects).toEqual([]);
    expect(oc.hasOperator(r.state, 'cf')).toBe(false);
    expect(r.state.db.get('cf')).toMatchObject({ bucket: 'Scheduling', nodeId: 'n1' });
  });

  it('OnTaskRemoved without an operator is a typed error', () => {
    expect(() => oc.onTaskRemoved(controller(), 'cf')).toThrow(oc.NoOperatorError);
  });

  it('§6.1.3 CheckRequiresBootstrapDone: Working without BootstrapDone never completes the add; with it, it does', () => {
    let s = oc.pushOperator(controller(), oc.newAddOperator(controller(), 'cf', 'n1')).state;
    s = oc.updateOperatorStatus(s, 'cf', 'n1', status('Working', 0n, false)).state;
    expect(oc.operatorOf(s, 'cf')?.value).toBe('Sending');
    s = oc.updateOperatorStatus(s, 'cf', 'n1', status('Working', 1n, true)).state;
    expect(oc.operatorOf(s, 'cf')?.value).toBe('Succeeded');
  });

  it('§6.1.4 CheckAcceptsCompatEpochDuringRollingUpgrade: epoch 0 matches a cf at epoch 2', () => {
    let s = controller({ epoch: 2n });
    s = oc.pushOperator(s, oc.newAddOperator(s, 'cf', 'n1')).state;
    s = oc.updateOperatorStatus(s, 'cf', 'n1', status('Working', 0n)).state;
    expect(oc.operatorOf(s, 'cf')?.value).toBe('Succeeded');
  });

  it('§5.1 B8: success then dest removed before PostFinish → Absent, not Replicating', () => {
    let s = oc.pushOperator(controller(), oc.newAddOperator(controller(), 'cf', 'n1')).state;
    s = oc.updateOperatorStatus(s, 'cf', 'n1', status('Working', 1n)).state;
    s = oc.onNodeRemoved(s, 'n1').state;
    s = oc.poll(s, 0).state;
    expect(s.db.get('cf')).toMatchObject({ bucket: 'Absent', nodeId: '' });
  });
});

describe('§6.9 items 1–3 through the controller', () => {
  it('§6.9.2 NewAddMaintainerMessage: the AddMaintainer carries the cf epoch (7)', () => {
    let s = controller({ epoch: 7n });
    s = oc.pushOperator(s, oc.newAddOperator(s, 'cf', 'n1')).state;
    expect(sent(oc.poll(s, 0).effects)).toEqual([
      { type: 'AddMaintainerRequest', to: 'n1', changefeedId: 'cf', maintainerEpoch: 7n, checkpointTs: 100n, isNew: true },
    ]);
  });

  it('§6.9.3 RemoveMaintainerMessage: a stop carries the epoch passed in (10), cascade forced', () => {
    const s = oc.stopRemoteMaintainerWithMaintainerEpoch(controller(), 'cf', 'n1', false, 10n).state;
    expect(sent(oc.poll(s, 0).effects)).toEqual([
      { type: 'RemoveMaintainerRequest', to: 'n1', changefeedId: 'cf', cascade: true, removed: false, maintainerEpoch: 10n },
    ]);
  });

  it('§6.9.1 HandleStateChangeBumpsEpochForWarningState: after the bump past 233, the stop operator\'s remove carries 233', () => {
    let s = replicatingOn(controller({ epoch: 233n }), 'n1');
    const oldEpoch = s.infos.get('cf')!.epoch;
    s = oc.setInfo(s, 'cf', 234n).state; // the Warning bump + SetInfo (§2.4.3)
    s = oc.stopChangefeedWithMaintainerEpoch(s, 'cf', false, oldEpoch).state;
    s = oc.moveToSchedulingQueue(s, 'cf', false).state;
    expect(s.infos.get('cf')!.epoch).toBeGreaterThan(233n);
    const r = oc.poll(s, s.clockMs);
    expect(sent(r.effects)).toEqual([
      { type: 'RemoveMaintainerRequest', to: 'n1', changefeedId: 'cf', cascade: true, removed: false, maintainerEpoch: 233n },
    ]);
    expect(r.state.db.get('cf')).toMatchObject({ bucket: 'Absent', stopped: false });
  });
});

describe('§6.2 MoveMaintainerOperator through the controller (cf epoch 1, replicating on n1, move n1→n2)', () => {
  const moving = () => {
    const s = replicatingOn(controller(), 'n1');
    return oc.pushOperator(s, oc.newMoveOperator(s, 'cf', 'n2')).state;
  };

  it('§6.2.1 dest removed before origin stopped: the remove still goes to n1 with epoch 1; cf bound to n1', () => {
    let s = oc.onNodeRemoved(moving(), 'n2').state;
    const r = oc.poll(s, s.clockMs);
    s = r.state;
    expect(oc.operatorOf(s, 'cf')).toMatchObject({ value: 'RemoveOrigin', context: { target: 'n1' } });
    expect(sent(r.effects)).toEqual([{ type: 'RemoveMaintainerRequest', to: 'n1', changefeedId: 'cf', cascade: false, removed: false, maintainerEpoch: 1n }]);
    expect(s.db.get('cf')?.nodeId).toBe('n1');
  });

  it('§6.2.2 dest removed after origin stopped: the next poll binds n1 and sends the add to n1', () => {
    let s = oc.updateOperatorStatus(moving(), 'cf', 'n1', status('Stopped', 1n)).state;
    s = oc.onNodeRemoved(s, 'n2').state;
    const r = oc.poll(s, s.clockMs);
    expect(sent(r.effects)).toMatchObject([{ type: 'AddMaintainerRequest', to: 'n1' }]);
    expect(oc.operatorOf(r.state, 'cf')?.value).toBe('AddTarget');
    expect(r.state.db.get('cf')).toMatchObject({ nodeId: 'n1', bucket: 'Scheduling' });
  });

  it('§6.2.3 dest removed after the add started: aborted, Absent, nothing on n2, and the poll only drops it', () => {
    let s = oc.updateOperatorStatus(moving(), 'cf', 'n1', status('Stopped', 1n)).state;
    s = oc.poll(s, s.clockMs).state;
    expect(s.db.get('cf')?.nodeId).toBe('n2');
    s = oc.onNodeRemoved(s, 'n2').state;
    expect(s.db.get('cf')).toMatchObject({ bucket: 'Absent', nodeId: '' });
    const r = oc.poll(s, s.clockMs + 500);
    expect(r.effects).toEqual([]);
    expect(oc.hasOperator(r.state, 'cf')).toBe(false);
    expect(r.state.db.get('cf')).toMatchObject({ bucket: 'Absent', nodeId: '' });
  });

  it('§6.2.4 origin removed falls through: OriginStopped, then the add goes to n2', () => {
    let s = oc.onNodeRemoved(moving(), 'n1').state;
    expect(oc.operatorOf(s, 'cf')?.value).toBe('OriginStopped');
    const r = oc.poll(s, s.clockMs);
    expect(sent(r.effects)).toMatchObject([{ type: 'AddMaintainerRequest', to: 'n2' }]);
    expect(r.state.db.get('cf')?.nodeId).toBe('n2');
  });

  it('§6.2.5 / §6.2.6 dest then origin, or origin then dest, removed: finished Absent either way (§5.1 B7)', () => {
    for (const order of [['n2', 'n1'], ['n1', 'n2']]) {
      let s = moving();
      for (const n of order) s = oc.onNodeRemoved(s, n).state;
      expect(oc.operatorOf(s, 'cf')?.value, order.join('→')).toBe('DoneNoPostFinish');
      expect(s.db.get('cf')).toMatchObject({ bucket: 'Absent', nodeId: '' });
      expect(sent(oc.poll(s, s.clockMs).effects)).toEqual([]);
    }
  });

  it('§6.2.10 success then dest removed before PostFinish: Absent wins (§5.1 B8)', () => {
    let s = oc.updateOperatorStatus(moving(), 'cf', 'n1', status('Stopped', 1n)).state;
    s = oc.poll(s, s.clockMs).state;
    s = oc.updateOperatorStatus(s, 'cf', 'n2', status('Working', 1n)).state;
    expect(oc.operatorOf(s, 'cf')?.value).toBe('DoneSuccess');
    s = oc.onNodeRemoved(s, 'n2').state;
    s = oc.poll(s, s.clockMs + 500).state;
    expect(s.db.get('cf')).toMatchObject({ bucket: 'Absent', nodeId: '' });
  });

  it('§6.2.7 OnTaskRemoved: finished, nothing sent, PostFinish marks nothing', () => {
    let s = oc.onTaskRemoved(moving(), 'cf').state;
    expect(oc.operatorOf(s, 'cf')?.value).toBe('DoneNoPostFinish');
    const r = oc.poll(s, s.clockMs);
    expect(r.effects).toEqual([]);
    expect(r.state.db.get('cf')).toMatchObject({ bucket: 'Scheduling', nodeId: 'n1' });
  });

  it('§6.2.8 CheckRequiresDestBootstrapDone (epoch 0): the dest completes the move only with BootstrapDone', () => {
    let s = replicatingOn(controller({ epoch: 0n }), 'n1');
    s = oc.pushOperator(s, oc.newMoveOperator(s, 'cf', 'n2')).state;
    s = oc.updateOperatorStatus(s, 'cf', 'n1', status('Stopped', 0n)).state;
    expect(oc.operatorOf(s, 'cf')?.value).toBe('OriginStopped');
    const r = oc.poll(s, s.clockMs);
    expect(sent(r.effects)).toHaveLength(1);
    s = oc.updateOperatorStatus(r.state, 'cf', 'n2', status('Working', 0n, false)).state;
    expect(oc.operatorOf(s, 'cf')?.value).toBe('AddTarget');
    s = oc.updateOperatorStatus(s, 'cf', 'n2', status('Working', 0n, true)).state;
    expect(oc.operatorOf(s, 'cf')?.value).toBe('DoneSuccess');
    expect(sent(oc.poll(s, s.clockMs + 500).effects)).toEqual([]);
  });

  it('§6.2.9 CheckAcceptsCompatDestEpoch: cf epoch 2, the dest reports epoch 0 → finished', () => {
    let s = replicatingOn(controller({ epoch: 2n }), 'n1');
    s = oc.pushOperator(s, oc.newMoveOperator(s, 'cf', 'n2')).state;
    s = oc.updateOperatorStatus(s, 'cf', 'n1', status('Stopped', 2n)).state;
    s = oc.poll(s, s.clockMs).state;
    s = oc.updateOperatorStatus(s, 'cf', 'n2', status('Working', 0n)).state;
    expect(oc.operatorOf(s, 'cf')?.value).toBe('DoneSuccess');
    s = oc.poll(s, s.clockMs + 500).state;
    expect(s.db.get('cf')).toMatchObject({ bucket: 'Replicating', nodeId: 'n2' });
  });

  it('§2.0 queries: CountOperatorsInvolvingNode and CountMoveMaintainerOperatorsFromNodes', () => {
    let s = moving();
    s = oc.addChangefeed(s, 'other', { epoch: 1n, checkpointTs: 0n }).state;
    s = oc.pushOperator(s, oc.newAddOperator(s, 'other', 'n3')).state;
    expect(oc.countOperatorsInvolvingNode(s, 'n1')).toBe(1);
    expect(oc.countOperatorsInvolvingNode(s, 'n2')).toBe(1);
    expect(oc.countOperatorsInvolvingNode(s, 'n3')).toBe(1);
    expect(oc.countMoveMaintainerOperatorsFromNodes(s, ['n1'])).toBe(1);
    expect(oc.countMoveMaintainerOperatorsFromNodes(s, ['n2', 'n3'])).toBe(0);
    expect(oc.countMoveMaintainerOperatorsFromNodes(s, [])).toBe(0);
    expect(oc.hasOperator(s, 'other')).toBe(true);
    expect(oc.operatorCount(s)).toBe(2);
  });
});

describe('queries other coordinator parts read', () => {
  it('§2.3.2 step 2 moveOriginStopTarget: the origin and originEpoch until the move binds its target', () => {
    let s = replicatingOn(controller(), 'n1');
    expect(oc.moveOriginStopTarget(s, 'cf')).toBeUndefined();
    s = oc.pushOperator(s, oc.newMoveOperator(s, 'cf', 'n2')).state;
    s = oc.setInfo(s, 'cf', 9n).state;
    expect(oc.moveOriginStopTarget(s, 'cf')).toEqual({ node: 'n1', epoch: 1n });
    s = oc.updateOperatorStatus(s, 'cf', 'n1', status('Stopped', 1n)).state;
    expect(oc.moveOriginStopTarget(s, 'cf')).toEqual({ node: 'n1', epoch: 1n });
    s = oc.poll(s, s.clockMs).state;
    expect(oc.moveOriginStopTarget(s, 'cf')).toBeUndefined();
  });

  it('schedulerViewOf: the operators with kinds and move origins, the reservation, membership and batch size, sorted', () => {
    let s = controller({ cfs: ['b', 'a', 'c'], batchSize: 7 });
    s = replicatingOn(s, 'n1', 'a');
    s = oc.pushOperator(s, oc.newMoveOperator(s, 'a', 'n2')).state;
    s = oc.pushOperator(s, oc.newAddOperator(s, 'b', 'n3')).state;
    s = oc.reserveBumping(s, 'c').state;
    const v = oc.schedulerViewOf(s);
    expect(v).toMatchObject({
      operators: [{ changefeed: 'a', kind: 'move', origin: 'n1' }, { changefeed: 'b', kind: 'add' }],
      epochBumping: ['c'],
      aliveNodes: ['coord', 'n1', 'n2', 'n3'],
      batchSize: 7,
    });
    expect(v.db).toBe(s.db);
  });

  it('§2.2 NewMoveMaintainerOperator(cf, origin, dest): an explicit origin is kept', () => {
    const s = replicatingOn(controller(), 'n1');
    expect(oc.newMoveOperator(s, 'cf', 'n3', 'n2')).toMatchObject({ origin: 'n2', dest: 'n3', originEpoch: 1n });
  });
});

describe('§6.3 StopChangefeedOperator through the controller', () => {
  it('§6.3.1 OnNodeRemove: stop(n1, coordinator coord, removed, epoch 10); removing n1 redirects it to coord, not finished', () => {
    let s = oc.stopRemoteMaintainerWithMaintainerEpoch(controller(), 'cf', 'n1', true, 10n).state;
    s = oc.onNodeRemoved(s, 'n1').state;
    expect(oc.operatorOf(s, 'cf')).toMatchObject({ value: 'Sending', context: { nodeId: 'coord' } });
    expect(sent(oc.poll(s, 0).effects)).toEqual([{ type: 'RemoveMaintainerRequest', to: 'coord', changefeedId: 'cf', cascade: true, removed: true, maintainerEpoch: 10n }]);
  });

  it('§6.3.2 OnTaskRemoved → finished', () => {
    let s = oc.stopRemoteMaintainerWithMaintainerEpoch(controller(), 'cf', 'n1', false, 10n).state;
    s = oc.onTaskRemoved(s, 'cf').state;
    expect(oc.operatorOf(s, 'cf')?.value).toBe('Finished');
  });

  it('§6.3.3 PostFinish: removed → delete the changefeed; not removed → progress None (store intents for the host)', () => {
    for (const removed of [true, false]) {
      let s = oc.stopRemoteMaintainerWithMaintainerEpoch(controller(), 'cf', 'n1', removed, 10n).state;
      s = oc.updateOperatorStatus(s, 'cf', 'n1', status('Stopped', 10n)).state;
      const r = oc.poll(s, 0);
      expect(r.effects).toEqual(
        removed ? [{ type: 'store.deleteChangefeed', changefeedId: 'cf' }] : [{ type: 'store.setChangefeedProgress', changefeedId: 'cf', progress: 'None' }],
      );
      expect(oc.hasOperator(r.state, 'cf')).toBe(false);
    }
  });

  it('§2.3: a Working status, or one from another node or with another epoch, never finishes the stop', () => {
    let s = oc.stopRemoteMaintainerWithMaintainerEpoch(controller(), 'cf', 'n1', false, 10n).state;
    s = oc.updateOperatorStatus(s, 'cf', 'n1', status('Working', 10n)).state;
    s = oc.updateOperatorStatus(s, 'cf', 'n2', status('Stopped', 10n)).state;
    s = oc.updateOperatorStatus(s, 'cf', 'n1', status('Stopped', 11n)).state;
    expect(oc.operatorOf(s, 'cf')?.value).toBe('Sending');
  });
});

describe('§2.3.2 stopChangefeed algorithm', () => {
  const stopSent = (s: State) => sent(oc.poll(s, s.clockMs).effects);

  it('§2.3.2 steps 1, 3: a replicating changefeed without an operator → stop to its node with the in-memory epoch; pause leaves it Stopped', () => {
    let s = replicatingOn(controller({ epoch: 4n }), 'n1');
    s = oc.stopChangefeed(s, 'cf', false).state;
    expect(s.db.get('cf')).toMatchObject({ stopped: true, bucket: undefined, nodeId: '' });
    expect(stopSent(s)).toEqual([{ type: 'RemoveMaintainerRequest', to: 'n1', changefeedId: 'cf', cascade: true, removed: false, maintainerEpoch: 4n }]);
  });

  it('§2.3.2 step 3: remove deletes the changefeed from the DB and its in-memory info', () => {
    const s = oc.stopChangefeed(replicatingOn(controller(), 'n1'), 'cf', true).state;
    expect(s.db.has('cf')).toBe(false);
    expect(s.infos.has('cf')).toBe(false);
    expect(oc.operatorOf(s, 'cf')?.context).toMatchObject({ removed: true, nodeId: 'n1' });
  });

  it('§2.3.2 step 5: an unbound changefeed is stopped through the coordinator\'s own node', () => {
    const s = oc.stopChangefeed(controller({ epoch: 3n }), 'cf', false).state;
    expect(stopSent(s)).toMatchObject([{ to: 'coord', maintainerEpoch: 3n }]);
  });

  it('§2.3.2 step 1: a changefeed missing from the DB is stopped at the coordinator with epoch 0 (plain) or the given epoch', () => {
    expect(stopSent(oc.stopChangefeed(controller({ cfs: [] }), 'ghost', true).state)).toMatchObject([{ to: 'coord', maintainerEpoch: 0n, removed: true }]);
    expect(stopSent(oc.stopChangefeedWithMaintainerEpoch(controller({ cfs: [] }), 'ghost', false, 9n).state)).toMatchObject([{ to: 'coord', maintainerEpoch: 9n }]);
  });

  it('§2.3.2 step 6: an existing stop with removed=true is kept; the new stop is dropped', () => {
    let s = replicatingOn(controller(), 'n1');
    s = oc.stopChangefeed(s, 'cf', true).state;
    const kept = oc.operatorOf(s, 'cf');
    const r = oc.stopChangefeedWithMaintainerEpoch(s, 'cf', false, 77n);
    expect(r.effects).toEqual([]);
    expect(oc.operatorOf(r.state, 'cf')).toBe(kept);
  });

  it('§2.3.2 step 6: an existing non-removed stop is replaced; its PostFinish runs (progress None) before the new stop is pushed', () => {
    let s = replicatingOn(controller(), 'n1');
    s = oc.stopChangefeed(s, 'cf', false).state;
    const r = oc.stopChangefeed(s, 'cf', true);
    expect(r.effects).toEqual([{ type: 'store.setChangefeedProgress', changefeedId: 'cf', progress: 'None' }]);
    expect(oc.operatorOf(r.state, 'cf')?.context).toMatchObject({ removed: true });
  });

  it('§2.3.2 step 6: an existing add is replaced (OnTaskRemoved + PostFinish: nothing marked)', () => {
    let s = controller();
    s = oc.pushOperator(s, oc.newAddOperator(s, 'cf', 'n2')).state;
    const r = oc.stopChangefeed(s, 'cf', false);
    expect(r.effects.filter((e) => e.type.startsWith('db.'))).toEqual([]);
    expect(oc.operatorOf(r.state, 'cf')).toMatchObject({ kind: 'stop', context: { nodeId: 'n2', maintainerEpoch: 1n } });
  });

  it('§2.3.2 steps 2, 4 / §5.1 B5: during a move in RemoveOrigin or OriginStopped the stop goes to the origin with originEpoch, not the bumped epoch', () => {
    for (const stoppedOrigin of [false, true]) {
      let s = replicatingOn(controller(), 'n1');
      s = oc.pushOperator(s, oc.newMoveOperator(s, 'cf', 'n2')).state;
      s = oc.setInfo(s, 'cf', 2n).state;
      if (stoppedOrigin) s = oc.updateOperatorStatus(s, 'cf', 'n1', status('Stopped', 1n)).state;
      s = oc.stopChangefeed(s, 'cf', false).state;
      expect(stopSent(s), String(stoppedOrigin)).toEqual([{ type: 'RemoveMaintainerRequest', to: 'n1', changefeedId: 'cf', cascade: true, removed: false, maintainerEpoch: 1n }]);
    }
  });

  it('§2.3.2 step 4: once the move has bound its target (AddTarget), the stop goes to the target with the new epoch', () => {
    let s = replicatingOn(controller(), 'n1');
    const spec = oc.newMoveOperator(s, 'cf', 'n2');
    s = oc.setInfo(s, 'cf', 2n).state; // admission's SetInfo, before the push
    s = oc.pushOperator(s, spec).state;
    s = oc.updateOperatorStatus(s, 'cf', 'n1', status('Stopped', 1n)).state;
    s = oc.poll(s, s.clockMs).state;
    s = oc.stopChangefeed(s, 'cf', false).state;
    expect(stopSent(s)).toMatchObject([{ to: 'n2', maintainerEpoch: 2n }]);
  });

  it('§2.3.2 step 2: with an explicit epoch the move origin is not consulted (the DB node and the given epoch are used)', () => {
    let s = replicatingOn(controller(), 'n1');
    s = oc.pushOperator(s, oc.newMoveOperator(s, 'cf', 'n2')).state;
    s = oc.stopChangefeedWithMaintainerEpoch(s, 'cf', false, 42n).state;
    expect(stopSent(s)).toMatchObject([{ to: 'n1', maintainerEpoch: 42n }]);
  });

  it('§2.3.1 StopRemoteMaintainerWithMaintainerEpoch leaves the DB placement alone', () => {
    const before = replicatingOn(controller(), 'n1');
    const s = oc.stopRemoteMaintainerWithMaintainerEpoch(before, 'cf', 'n3', false, 8n).state;
    expect(s.db).toBe(before.db);
    expect(stopSent(s)).toMatchObject([{ to: 'n3', maintainerEpoch: 8n }]);
  });
});

// ---------------------------------------------------------------------------------------------
// Admission through the controller (§2.4) with a real memory EpochStore, via CoordinatorHost
// ---------------------------------------------------------------------------------------------

/** A store whose bumps wait until `open()` is called: the bump is "in flight" in between. */
function gatedStore(inner: EpochStore) {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let started!: () => void;
  const bumpStarted = new Promise<void>((r) => (started = r));
  const store: EpochStore = {
    create: (...a) => inner.create(...a),
    get: (...a) => inner.get(...a),
    bumpEpoch: async (...a) => {
      started();
      await gate;
      return inner.bumpEpoch(...a);
    },
    resume: (...a) => inner.resume(...a),
    setProgress: (...a) => inner.setProgress(...a),
    update: (...a) => inner.update(...a),
    pause: (...a) => inner.pause(...a),
    delete: (...a) => inner.delete(...a),
    close: () => inner.close(),
  };
  return { store, open: () => open(), bumpStarted };
}

async function hostWith(store: EpochStore, epoch = 5n) {
  await store.create('cf', { epoch, state: 'normal', error: null, config: {} }, { checkpointTs: 100n, progress: 'None' });
  const out: OutgoingMessage[] = [];
  const host = new CoordinatorHost({
    selfNode: 'coord',
    aliveNodes: ['coord', 'n1', 'n2'],
    store,
    send: (m) => out.push(m),
    clock: new EpochClock({ tso: null, nowNanos: () => 1000n }),
  });
  await host.loadChangefeed('cf');
  return { host, out };
}

describe('§2.4 admission with the epochBumping reservation, through the controller', () => {
  it('§2.4 / I4: an accepted add bumps the persisted epoch, SetInfo runs before the push, and the first AddMaintainer carries the new epoch', async () => {
    const store = new MemoryEpochStore();
    const { host, out } = await hostWith(store);
    const r = await host.addOperator('add', 'cf', 'n1');
    expect(r).toMatchObject({ accepted: true, epoch: 1000n });
    expect((await store.get('cf')).info.value.epoch).toBe(1000n);
    expect(host.state.infos.get('cf')?.epoch).toBe(1000n);
    expect(host.state.epochBumping.size).toBe(0);
    host.poll(0);
    expect(out).toMatchObject([{ type: 'AddMaintainerRequest', to: 'n1', maintainerEpoch: 1000n }]);
  });

  it('§2.4 / §5.1 B4: a move captures originEpoch before its bump: the remove carries the old epoch, the add the new one', async () => {
    const store = new MemoryEpochStore();
    const { host, out } = await hostWith(store);
    await host.addOperator('add', 'cf', 'n1');
    host.poll(0);
    host.onStatus('cf', 'n1', status('Working', 1000n));
    host.poll(500);
    const r = await host.addOperator('move', 'cf', 'n2');
    expect(r).toMatchObject({ accepted: true, epoch: 1001n });
    host.poll(1000);
    host.onStatus('cf', 'n1', status('Stopped', 1000n));
    host.poll(1500);
    expect(sent(out).slice(1).map((m) => [m.type, m.to, m.maintainerEpoch])).toEqual([
      ['RemoveMaintainerRequest', 'n1', 1000n],
      ['AddMaintainerRequest', 'n2', 1001n],
    ]);
  });

  it('§5.1 B2: while a bump is in flight, a second Add or Move for the changefeed fails its precheck (bump-in-flight)', async () => {
    const gated = gatedStore(new MemoryEpochStore());
    const { host } = await hostWith(gated.store);
    const first = host.addOperator('add', 'cf', 'n1');
    await gated.bumpStarted;
    expect(host.state.epochBumping.has('cf')).toBe(true);
    const second = await host.addOperator('add', 'cf', 'n2');
    expect(second).toMatchObject({ accepted: false, reason: 'bump-in-flight', persistedEpoch: 'unchanged' });
    gated.open();
    expect(await first).toMatchObject({ accepted: true });
    expect(oc.operatorOf(host.state, 'cf')?.context).toMatchObject({ dest: 'n1' });
  });

  it('§5.1 B3 / §2.3.2: a stop pushed during the bump wins; the add fails its recheck, the persisted epoch is bumped but the in-memory one is not (I2)', async () => {
    const inner = new MemoryEpochStore();
    const gated = gatedStore(inner);
    const { host, out } = await hostWith(gated.store);
    const add = host.addOperator('add', 'cf', 'n1');
    await gated.bumpStarted;
    host.stopChangefeed('cf', false); // not blocked by the reservation
    expect(oc.operatorOf(host.state, 'cf')?.kind).toBe('stop');
    gated.open();
    expect(await add).toMatchObject({ accepted: false, reason: 'operator-took-slot-during-bump', persistedEpoch: 'bumped' });
    expect((await inner.get('cf')).info.value.epoch).toBe(1000n);
    expect(host.state.infos.get('cf')?.epoch).toBe(5n);
    expect(host.state.epochBumping.size).toBe(0);
    host.poll(0);
    expect(out).toMatchObject([{ type: 'RemoveMaintainerRequest', to: 'coord', maintainerEpoch: 5n }]);
  });

  it('§2.4 recheck: a changefeed removed and re-created during the bump is a different changefeed → rejected (replaced)', async () => {
    const gated = gatedStore(new MemoryEpochStore());
    const { host } = await hostWith(gated.store);
    const add = host.addOperator('add', 'cf', 'n1');
    await gated.bumpStarted;
    host.stopChangefeed('cf', true);
    host.poll(0);
    host.onStatus('cf', 'coord', status('Stopped', 5n));
    host.poll(500); // the removing stop finishes, leaves the slot and deletes the records
    await host.idle();
    await gated.store.create('cf', { epoch: 7n, state: 'normal', error: null, config: {} }, { checkpointTs: 0n, progress: 'None' });
    host.addChangefeed('cf', { epoch: 7n, checkpointTs: 0n });
    gated.open();
    expect(await add).toMatchObject({ accepted: false, reason: 'changefeed-replaced-during-bump' });
    expect(host.state.infos.get('cf')?.epoch).toBe(7n);
    expect(oc.hasOperator(host.state, 'cf')).toBe(false);
  });

  it('§2.4 precheck: an operator already in the slot, or an unknown changefeed, is rejected without touching the store', async () => {
    const store = new MemoryEpochStore();
    const { host } = await hostWith(store);
    await host.addOperator('add', 'cf', 'n1');
    expect(await host.addOperator('add', 'cf', 'n2')).toMatchObject({ accepted: false, reason: 'operator-exists' });
    expect((await store.get('cf')).info.value.epoch).toBe(1000n);
    await expect(host.addOperator('add', 'nope', 'n1')).rejects.toThrow(UnknownChangefeedError);
  });

  it('§2.3 PostFinish through the host: a failed store write is only reported (the source logs it); the operator still leaves', async () => {
    const store = new MemoryEpochStore();
    const errors: string[] = [];
    await store.create('cf', { epoch: 5n, state: 'normal', error: null, config: {} }, { checkpointTs: 100n, progress: 'None' });
    const host = new CoordinatorHost({ selfNode: 'coord', aliveNodes: ['coord'], store, send: () => {}, onStoreError: (_e, intent) => errors.push(intent.type) });
    await host.loadChangefeed('cf');
    await store.delete('cf'); // setProgress(None) will find nothing to update
    host.stopChangefeed('cf', false);
    host.poll(0);
    host.onStatus('cf', 'coord', status('Stopped', 5n));
    host.poll(500);
    await host.idle();
    expect(errors).toEqual(['store.setChangefeedProgress']);
    expect(oc.hasOperator(host.state, 'cf')).toBe(false);
  });

  it('§2.3 PostFinish through the host: a removed changefeed is deleted from the store once its stop finishes', async () => {
    const store = new MemoryEpochStore();
    const { host } = await hostWith(store);
    host.stopChangefeed('cf', true);
    host.poll(0);
    host.onStatus('cf', 'coord', status('Stopped', 5n));
    host.poll(500);
    await host.idle();
    await expect(store.get('cf')).rejects.toThrow(NotFoundError);
  });
});

describe('the controller value: immutable, canonical, typed errors', () => {
  it('functions never mutate their argument', () => {
    const s0 = replicatingOn(controller(), 'n1');
    const before = JSON.stringify(oc.canonicalController(s0));
    oc.stopChangefeed(s0, 'cf', true);
    oc.onNodeRemoved(s0, 'n1');
    oc.poll(s0, s0.clockMs + 10_000);
    oc.pushOperator(s0, oc.newMoveOperator(s0, 'cf', 'n2'));
    expect(JSON.stringify(oc.canonicalController(s0))).toBe(before);
  });

  it('the canonical form does not depend on the order things were inserted, and holds uint64 as decimal strings', () => {
    let a = controller({ cfs: ['x', 'y'] });
    let b = controller({ cfs: ['y', 'x'] });
    a = oc.pushOperator(a, oc.newAddOperator(a, 'x', 'n1')).state;
    a = oc.pushOperator(a, oc.newAddOperator(a, 'y', 'n2')).state;
    b = oc.pushOperator(b, oc.newAddOperator(b, 'y', 'n2')).state;
    b = oc.pushOperator(b, oc.newAddOperator(b, 'x', 'n1')).state;
    expect(JSON.stringify(oc.canonicalController(a))).toBe(JSON.stringify(oc.canonicalController(b)));
    // Time enters only relatively: the same operators polled at 0 and at 10 s render the same.
    expect(JSON.stringify(oc.canonicalController(oc.poll(a, 0).state))).toBe(JSON.stringify(oc.canonicalController(oc.poll(b, 10_000).state)));
    expect(JSON.stringify(oc.canonicalController(oc.poll(a, 0).state))).not.toBe(JSON.stringify(oc.canonicalController(a)));
    const big = oc.setInfo(a, 'x', 2n ** 64n - 1n).state;
    expect(JSON.stringify(oc.canonicalController(big))).toContain('"18446744073709551615"');
  });

  it('a node that joins membership can be the destination of an add (checkAffectedNodes sees it alive)', () => {
    let s = controller({ alive: ['coord'] });
    s = oc.addNode(s, 'n5').state;
    s = oc.pushOperator(s, oc.newAddOperator(s, 'cf', 'n5')).state;
    expect(oc.operatorOf(s, 'cf')?.value).toBe('Sending');
    expect(() => oc.addNode(s, 'n5')).toThrow(oc.NodeAlreadyAliveError);
  });

  it('bad input is a typed error: unknown changefeed, duplicate changefeed, non-uint64 epoch, unbound move', () => {
    const s = controller();
    expect(() => oc.setInfo(s, 'nope', 1n)).toThrow(UnknownChangefeedError);
    expect(() => oc.addChangefeed(s, 'cf', { epoch: 1n, checkpointTs: 0n })).toThrow(oc.ChangefeedExistsError);
    expect(() => oc.setInfo(s, 'cf', -1n)).toThrow(EpochRangeError);
    expect(() => oc.setInfo(s, 'cf', 2n ** 64n)).toThrow(EpochRangeError);
    expect(() => oc.newMoveOperator(s, 'cf', 'n2')).toThrow(oc.InvalidControllerArgumentError);
    expect(() => oc.createOperatorController({ selfNode: 'c', aliveNodes: [], batchSize: 0 })).toThrow(oc.InvalidControllerArgumentError);
    expect(() => oc.setCheckpoint(s, 'cf', 99n)).toThrow(oc.InvalidControllerArgumentError); // below 100: the checkpoint never regresses
    expect(oc.setCheckpoint(s, 'cf', 101n).state.infos.get('cf')?.checkpointTs).toBe(101n);
    expect(s.infos.get('cf')).toEqual({ epoch: 1n, checkpointTs: 100n });
  });

  it('§2.4 reservation hooks: reserve and release are visible to isBumping; a stop ignores them (§2.3.2)', () => {
    let s = oc.reserveBumping(replicatingOn(controller(), 'n1'), 'cf').state;
    expect(oc.isBumping(s, 'cf')).toBe(true);
    s = oc.stopChangefeed(s, 'cf', false).state;
    expect(oc.operatorOf(s, 'cf')?.kind).toBe('stop');
    expect(oc.isBumping(s, 'cf')).toBe(true);
    s = oc.releaseBumping(s, 'cf').state;
    expect(oc.isBumping(s, 'cf')).toBe(false);
  });
});

describe('§2.4.4 heartbeat statuses through the host: the operator first, then the coordinator filter', () => {
  const hb = (changefeedId: string, state: MaintainerState, maintainerEpoch: bigint, checkpointTs: bigint, hasErrors = false) => ({
    changefeedId, state, maintainerEpoch, checkpointTs, bootstrapDone: true, hasErrors,
  });
  async function replicating() {
    const store = new MemoryEpochStore();
    const { host, out } = await hostWith(store);
    await host.addOperator('add', 'cf', 'n1');
    host.poll(0);
    host.onStatus('cf', 'n1', status('Working', 1000n));
    host.poll(500);
    out.length = 0;
    return { host, out };
  }

  it('§2.4.4 step 1: a status the filter drops as stale still reaches the operator (a move sees its origin stop)', async () => {
    const { host } = await replicating();
    await host.addOperator('move', 'cf', 'n2'); // bumps to 1001; the origin owns 1000
    const [verdict] = host.onHeartbeat('n1', [hb('cf', 'Stopped', 1000n, 150n)]);
    expect(verdict).toEqual({ kind: 'stale' });
    expect(oc.operatorOf(host.state, 'cf')?.value).toBe('OriginStopped');
    expect(host.state.infos.get('cf')?.checkpointTs).toBe(100n);
  });

  it('§2.4.4 step 2: an unknown changefeed reporting Working without an operator gets a cascade remove with the status epoch; with an operator, nothing', async () => {
    const { host, out } = await replicating();
    expect(host.onHeartbeat('n2', [hb('ghost', 'Working', 77n, 0n)])).toEqual([{ kind: 'removeUnknown', to: 'n2', maintainerEpoch: 77n }]);
    expect(out).toEqual([{ type: 'RemoveMaintainerRequest', to: 'n2', changefeedId: 'ghost', cascade: true, removed: true, maintainerEpoch: 77n }]);
    host.stopRemoteMaintainer('ghost', 'n2', true, 77n);
    out.length = 0;
    expect(host.onHeartbeat('n2', [hb('ghost', 'Working', 77n, 0n)])).toEqual([{ kind: 'ignore', step: 2 }]);
    expect(out).toEqual([]);
  });

  it('§2.4.4 steps 3–5: not from the bound node → ignored; matching → the checkpoint advances, never regresses (clamped with errors)', async () => {
    const { host } = await replicating();
    expect(host.onHeartbeat('n2', [hb('cf', 'Working', 1000n, 500n)])).toEqual([{ kind: 'ignore', step: 3 }]);
    expect(host.state.infos.get('cf')?.checkpointTs).toBe(100n);
    expect(host.onHeartbeat('n1', [hb('cf', 'Working', 1000n, 500n)])).toEqual([{ kind: 'apply' }]);
    expect(host.state.infos.get('cf')?.checkpointTs).toBe(500n);
    host.onHeartbeat('n1', [hb('cf', 'Working', 1000n, 400n), hb('cf', 'Working', 1000n, 300n, true)]);
    expect(host.state.infos.get('cf')?.checkpointTs).toBe(500n);
    // The next add carries the advanced checkpoint (§2.1 Schedule).
    host.onNodeRemoved('n1');
    await host.addOperator('add', 'cf', 'n2');
    const msgs: OutgoingMessage[] = [];
    const probe = oc.poll(host.state, 10_000);
    msgs.push(...(probe.effects.filter((e) => e.type === 'AddMaintainerRequest') as OutgoingMessage[]));
    expect(msgs).toMatchObject([{ to: 'n2', checkpointTs: 500n }]);
  });
});

