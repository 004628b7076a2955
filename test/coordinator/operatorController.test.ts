/**
 * The operator controller (machines/coordinator/operatorController.ts) against spec §2.0, §2.3.1–
 * §2.3.2, §2.4, the operator conformance scenarios §6.1–§6.3 driven through the controller, §5.1
 * B2–B5 and the controller's part of §6.9 items 1–3. Each test names the rule it checks and fails
 * if that rule is broken.
 */
import { describe, expect, it } from 'vitest';
import * as oc from '../../machines/coordinator/operatorController.js';
import { UnknownChangefeedError } from '../../machines/coordinator/changefeedDb.js';
import type { Effect, MaintainerState } from '../../machines/protocol.js';

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
