/**
 * Conformance: receiver-side fencing against the Go tests paraphrased in spec §6.11 and §6.10
 * items 7–11, and the historical bugs of §5.1 that live on this side (B12–B18, B25, B26), each as
 * a test of the behaviour that prevents it.
 *
 * Machines: maintainerRegistryMachine, dispatcherManagerMachine, dispatcherQueueMachine,
 * quiesceMachine, nodeDrainTargetMachine. Specs: §2.5.4, §2.7, §2.8; invariants I5, I9, I10, I11,
 * I16, I21.
 */
import { describe, expect, it } from 'vitest';
import {
  canUpdateOwner,
  dispatcherManagerMachine,
  dispatcherQueueMachine,
  maintainerRegistryMachine,
  maintainerStatusOf,
  ddlSpanId,
  minCheckpoint,
  nodeDrainTargetMachine,
  quiesceMachine,
  type QueuedMessage,
} from 'opcharts';
import { drive } from '../helpers/drive.js';

const COORD = 'coord';
const registry = () =>
  drive(maintainerRegistryMachine, { changefeedId: 'cf', node: 'n1', coordinatorId: COORD, aliveNodes: ['n1', 'n2'] });
const add = (maintainerEpoch: bigint, extra: Partial<{ from: string; configEpoch: bigint; checkpointTs: bigint; configValid: boolean }> = {}) =>
  ({ type: 'ADD_MAINTAINER', from: COORD, maintainerEpoch, configEpoch: maintainerEpoch, checkpointTs: 100n, configValid: true, ...extra }) as const;
const remove = (maintainerEpoch: bigint, cascade = false, removed = false, from = COORD) =>
  ({ type: 'REMOVE_MAINTAINER', from, maintainerEpoch, cascade, removed }) as const;
const created = (effects: ReadonlyArray<{ type: string }>) => effects.filter((e) => e.type === 'maintainer.created');

const bootstrapResponse = (from: string, maintainerEpoch: bigint, error = false) => ({ type: 'BOOTSTRAP_RESPONSE', from, maintainerEpoch, error }) as const;
const postBootstrapResponse = (maintainerEpoch: bigint, error = false) => ({ type: 'POST_BOOTSTRAP_RESPONSE', from: 'n1', maintainerEpoch, error }) as const;

/** A registry whose maintainer at `epoch` has bootstrapped (both alive nodes answered). */
function running(epoch: bigint) {
  const r = registry();
  r.send(add(epoch), bootstrapResponse('n1', epoch), bootstrapResponse('n2', epoch));
  r.take();
  return r;
}

/** The DDL-trigger span of the registry's current maintainer reported no longer Working. */
const ddlStopped = (r: ReturnType<typeof registry>) =>
  ({ type: 'DISPATCHER_STATUS', dispatcher: ddlSpanId(r.actor.getSnapshot().context), state: 'Stopped', hasOperator: true }) as const;

/**
 * A registry whose maintainer at `epoch` was removed and is Stopped (fully stopped): the DDL span
 * stops, and the coordinator's next remove (its 500 ms resend) finds it closed.
 */
function fullyStopped(epoch: bigint) {
  const r = running(epoch);
  r.send(remove(epoch));
  r.send(ddlStopped(r), remove(epoch));
  r.take();
  return r;
}

describe('§6.11 maintainer manager (maintainer_manager_test.go)', () => {
  it('6.11.1 AddMaintainerRejectsLiveNewerEpoch: live epoch 1, add epoch 2 → same object, epoch 1', () => {
    const r = running(1n);
    r.send(add(2n));
    expect(r.actor.getSnapshot().context).toMatchObject({ generation: 1, epoch: 1n });
    expect(created(r.take())).toEqual([]);
  });

  it('6.11.2 AddMaintainerAfterStoppedKeepsReplacement (§5.1 B15): replacement survives a stale cleanup', () => {
    const r = fullyStopped(1n);
    expect(r.state()).toEqual({ Maintainer: 'Stopped' });
    r.send(add(2n));
    expect(r.actor.getSnapshot().context).toMatchObject({ generation: 2, epoch: 2n });
    expect(r.take()).toContainEqual({ type: 'maintainer.closed', changefeedId: 'cf', generation: 1 });
    r.send({ type: 'CLEANUP', generation: 1 }); // the cleanup Range still holds the old value
    expect(r.state()).toEqual({ Maintainer: 'Bootstrapping' });
    expect(r.actor.getSnapshot().context.generation).toBe(2);
    r.send(remove(2n, true), { type: 'CLOSE_RESPONSE', from: 'n1', maintainerEpoch: 2n, success: true }, { type: 'CLOSE_RESPONSE', from: 'n2', maintainerEpoch: 2n, success: true });
    r.send({ type: 'CLEANUP', generation: 2 });
    expect(r.state()).toBe('Empty');
  });

  it('6.11.3 AddMaintainerKeepsCompatibilityEpoch: wire 0 with config epoch 3 → epoch 0; a retry with 0 keeps it', () => {
    const r = registry();
    r.send(add(0n, { configEpoch: 3n }));
    expect(r.actor.getSnapshot().context).toMatchObject({ epoch: 0n, generation: 1 });
    r.send(add(0n, { configEpoch: 3n }));
    expect(r.actor.getSnapshot().context.generation).toBe(1);
  });

  it('6.11.4 AddMaintainerRejectsOlderEpoch: live epoch 2; adds with 1 or 0 are rejected', () => {
    const r = running(2n);
    r.send(add(1n), add(0n));
    expect(r.actor.getSnapshot().context).toMatchObject({ epoch: 2n, generation: 1 });
  });

  it('6.11.5 AddMaintainerDoesNotCreateRejectedDuplicate (§5.1 B14): 3, 2, 1, 0 construct nothing', () => {
    const r = running(2n);
    r.send(add(3n), add(2n), add(1n), add(0n));
    expect(created(r.take())).toEqual([]);
    expect(r.actor.getSnapshot().context.generation).toBe(1);
  });

  it('6.11.6 RemoveMissingMaintainerReportsRequestEpoch (§5.1 B18): Stopped with epoch 7', () => {
    const r = registry();
    r.send(remove(7n));
    expect(r.take()).toEqual([
      { type: 'MaintainerStatus', to: COORD, changefeedId: 'cf', state: 'Stopped', maintainerEpoch: 7n, bootstrapDone: false, error: false },
    ]);
    expect(r.state()).toBe('Empty');
  });

  it('a cascade remove for a missing maintainer creates a remove-only maintainer at the request epoch that closes everywhere', () => {
    const r = registry();
    r.send(remove(7n, true, true));
    const out = r.take();
    expect(out).toContainEqual({ type: 'maintainer.created', changefeedId: 'cf', generation: 1, maintainerEpoch: 7n, removeOnly: true });
    expect(out.filter((e) => e.type === 'MaintainerCloseRequest')).toEqual([
      { type: 'MaintainerCloseRequest', to: 'n1', changefeedId: 'cf', removed: true, maintainerEpoch: 7n },
      { type: 'MaintainerCloseRequest', to: 'n2', changefeedId: 'cf', removed: true, maintainerEpoch: 7n },
    ]);
    expect(maintainerStatusOf(r.actor.getSnapshot())).toMatchObject({ state: 'Working', maintainerEpoch: 7n });
  });

  it('6.11.7 EpochRequestRequiresCompatOrCurrentEpoch: compat allows 0 and 2; strict(2) rejects 0 and 1, allows 2', () => {
    for (const e of [0n, 2n]) {
      const compat = running(0n);
      compat.send(remove(e));
      expect(compat.state()).toEqual({ Maintainer: 'Removing' });
    }
    for (const e of [0n, 1n]) {
      const strict = running(2n);
      const before = strict.actor.getSnapshot();
      strict.send(remove(e));
      expect(strict.actor.getSnapshot()).toBe(before); // I9: unchanged
    }
    const strict = running(2n);
    strict.send(remove(2n));
    expect(strict.state()).toEqual({ Maintainer: 'Removing' });
  });

  it('6.11.8 PostBootstrapResponseRequiresCurrentEpoch: epoch 1 ignored, epoch 2 clears the pending post-bootstrap', () => {
    const r = running(2n);
    expect(r.actor.getSnapshot().context.postBootstrapPending).toBe(true);
    r.send(postBootstrapResponse(1n));
    expect(r.actor.getSnapshot().context.postBootstrapPending).toBe(true);
    r.send(postBootstrapResponse(2n));
    expect(r.actor.getSnapshot().context.postBootstrapPending).toBe(false);
  });

  it('6.11.9 CloseResponseIgnoredBeforeRemoving (§5.1 B16): no effect while not removing', () => {
    const r = running(2n);
    const before = r.actor.getSnapshot();
    r.send({ type: 'CLOSE_RESPONSE', from: 'n2', maintainerEpoch: 0n, success: true });
    expect(r.actor.getSnapshot()).toBe(before);
    expect(r.take()).toEqual([]);
  });

  it('close responses while removing count only with a matching epoch and success', () => {
    const r = running(2n);
    r.send(remove(2n, true));
    r.take();
    r.send({ type: 'CLOSE_RESPONSE', from: 'n1', maintainerEpoch: 1n, success: true }, { type: 'CLOSE_RESPONSE', from: 'n2', maintainerEpoch: 2n, success: false });
    expect(r.actor.getSnapshot().context.closedNodes).toEqual([]);
    r.send({ type: 'CLOSE_RESPONSE', from: 'n1', maintainerEpoch: 2n, success: true });
    expect(r.state()).toEqual({ Maintainer: 'Removing' });
    r.send({ type: 'CLOSE_RESPONSE', from: 'n2', maintainerEpoch: 0n, success: true });
    expect(r.state()).toEqual({ Maintainer: 'Stopped' });
    r.send({ type: 'HEARTBEAT' });
    expect(r.take()).toContainEqual({ type: 'MaintainerStatus', to: COORD, changefeedId: 'cf', state: 'Stopped', maintainerEpoch: 2n, bootstrapDone: true, error: false });
  });

  it('6.11.10 HeartbeatDuringRemovingSkipsFailoverRecovery: a stopped span with no operator is marked absent only when not removing', () => {
    const span = { type: 'DISPATCHER_STATUS', dispatcher: 't1', state: 'Stopped', hasOperator: false } as const;
    const r = running(2n);
    r.send(span);
    expect(r.take().map((e) => e.type)).toEqual(['maintainer.spanStatusUpdated', 'maintainer.markSpanAbsent']);
    r.send(remove(2n));
    r.take();
    r.send(span);
    expect(r.take().map((e) => e.type)).toEqual(['maintainer.spanStatusUpdated']);
  });

  it('6.11.11 RemovingSuppressesLegacyControlPlaneActions: resend sends nothing, block status ignored; cascade resends closes', () => {
    const r = running(2n);
    r.send(remove(2n));
    r.take();
    r.send({ type: 'RESEND' }, { type: 'BLOCK_STATUS', dispatcher: 't1' });
    expect(r.take()).toEqual([]);
    const c = running(2n);
    c.send(remove(2n, true));
    c.take();
    c.send({ type: 'RESEND' });
    expect(c.take().map((e) => (e.type === 'MaintainerCloseRequest' ? e.to : e.type))).toEqual(['n1', 'n2']);
  });

  it('B26: a non-cascade remove before bootstrap is ignored, so the maintainer can still bootstrap', () => {
    const r = registry();
    r.send(add(3n), remove(3n));
    expect(r.state()).toEqual({ Maintainer: 'Bootstrapping' });
    r.send(bootstrapResponse('n1', 3n), bootstrapResponse('n2', 3n));
    expect(r.state()).toEqual({ Maintainer: 'Running' });
    r.send(remove(3n));
    expect(r.state()).toEqual({ Maintainer: 'Removing' });
  });

  it('§6.10.11 AddMaintainerIgnoreInvalidConfig / InvalidCheckpointTs: no maintainer is created', () => {
    const r = registry();
    r.send(add(2n, { configValid: false }), add(2n, { checkpointTs: 0n }));
    expect(r.state()).toBe('Empty');
    expect(r.take()).toEqual([]);
  });

  it('I16: a Stopping node drops adds; requests from another sender are ignored', () => {
    const r = registry();
    r.send({ type: 'LIVENESS', liveness: 'Stopping' }, add(2n));
    expect(r.state()).toBe('Empty');
    const s = registry();
    s.send(add(2n, { from: 'impostor' }), remove(2n, true, true, 'impostor'));
    expect(s.state()).toBe('Empty');
    expect(s.take()).toEqual([]);
  });

  it('a removed node no longer owes a close response: the next remove retry finishes the cascade without it', () => {
    const r = running(2n);
    r.send(remove(2n, true), { type: 'CLOSE_RESPONSE', from: 'n1', maintainerEpoch: 2n, success: true });
    r.send({ type: 'NODE_REMOVED', node: 'n2' });
    expect(r.state()).toEqual({ Maintainer: 'Removing' });
    r.send(remove(2n, true));
    expect(r.state()).toEqual({ Maintainer: 'Stopped' });
  });
});

describe('§6.11.12 quiesce (operator controller), §2.8', () => {
  const q = () => {
    const d = drive(quiesceMachine, undefined as never);
    d.send({ type: 'ADD_OPERATOR', id: 'ddl', checkpointTs: 50n }, { type: 'ADD_OPERATOR', id: 't1', checkpointTs: 10n });
    d.take();
    d.send({ type: 'QUIESCE_EXCEPT', allowed: ['ddl', ''] });
    return d;
  };

  it('FreezesNonAllowedOperators: allowed checked and scheduled; blocked neither; node removal a no-op; new blocked add rejected; min checkpoint keeps the blocked one', () => {
    const d = q();
    d.send({ type: 'STATUS', id: 'ddl' }, { type: 'POLL', id: 'ddl' }, { type: 'STATUS', id: 't1' });
    expect(d.take()).toEqual([
      { type: 'operator.checked', id: 'ddl' },
      { type: 'operator.scheduled', id: 'ddl' },
    ]);
    d.send({ type: 'NODE_REMOVED', node: 'n2' }, { type: 'ADD_OPERATOR', id: 't2', checkpointTs: 1n });
    expect(d.take()).toEqual([{ type: 'operator.rejected', id: 't2' }]);
    expect(minCheckpoint(d.actor.getSnapshot().context)).toBe(10n);
    expect(d.actor.getSnapshot().context.allowed).toEqual(['ddl']);
  });

  it('DropsBlockedOnlyQueueFromExecution (§5.1 B25): the blocked item leaves the queue once, stays in the map', () => {
    const d = q();
    d.send({ type: 'POLL', id: 't1' }, { type: 'POLL', id: 't1' }, { type: 'POLL', id: 't1' });
    expect(d.take()).toEqual([{ type: 'operator.dequeued', id: 't1' }]);
    expect(d.actor.getSnapshot().context.operators.t1).toEqual({ checkpointTs: 10n, queued: false });
    d.send({ type: 'OPERATOR_FINISHED', id: 'ddl' });
    expect(minCheckpoint(d.actor.getSnapshot().context)).toBe(10n);
  });

  it('WaitsForInFlightSchedule / InFlightPush (modelled): an event before the quiesce completes wholly, one after is refused', () => {
    const d = drive(quiesceMachine, undefined as never);
    d.send({ type: 'ADD_OPERATOR', id: 't1', checkpointTs: 10n }, { type: 'POLL', id: 't1' }, { type: 'QUIESCE_EXCEPT', allowed: ['ddl'] }, { type: 'POLL', id: 't1' }, { type: 'ADD_OPERATOR', id: 't3', checkpointTs: 5n });
    expect(d.take()).toEqual([
      { type: 'operator.started', id: 't1' },
      { type: 'operator.scheduled', id: 't1' },
      { type: 'operator.dequeued', id: 't1' },
      { type: 'operator.rejected', id: 't3' },
    ]);
  });

  it('before quiesce, node removal reaches the operators', () => {
    const d = drive(quiesceMachine, undefined as never);
    d.send({ type: 'NODE_REMOVED', node: 'n2' });
    expect(d.take()).toEqual([{ type: 'controller.nodeRemoved', node: 'n2' }]);
  });
});

describe('§6.11.13 dispatcher orchestrator', () => {
  const dm = (tombstone: bigint | null = null) => drive(dispatcherManagerMachine, { changefeedId: 'cf', node: 'n2', tombstone });
  const bootstrap = (from: string, maintainerEpoch: bigint, triggerId: string | null = null) => ({ type: 'BOOTSTRAP', from, maintainerEpoch, triggerId }) as const;
  const close = (from: string, maintainerEpoch: bigint, removed = false) => ({ type: 'CLOSE', from, maintainerEpoch, removed }) as const;
  const request = (from: string, maintainerEpoch: bigint, dispatcher: string, kind: 'create' | 'remove') =>
    ({ type: 'REQUEST', from, maintainerEpoch, dispatcher, kind }) as const;
  /** Close through TryClose: the first allowed close starts it, the runtime finishes, the next one deletes. */
  const closeFully = (d: ReturnType<typeof dm>, from: string, e: bigint, removed = false) =>
    d.send(close(from, e, removed), { type: 'CLOSE_FINISHED' }, close(from, e, removed));

  it('bootstrap response keeps current operators plus stale Removes only if in the span snapshot (§5.1 B12)', () => {
    const d = dm();
    d.send(bootstrap('m1', 1n), request('m1', 1n, 'd1', 'create'), { type: 'DISPATCHER_CREATED', dispatcher: 'd1' });
    d.send(request('m1', 1n, 'd1', 'remove'), request('m1', 1n, 'd3', 'create'));
    d.take();
    d.send(bootstrap('m2', 2n));
    const [resp] = d.take();
    expect(resp).toMatchObject({ type: 'MaintainerBootstrapResponse', to: 'm2', maintainerEpoch: 2n, spans: ['d1'], error: null });
    expect((resp as { operators: unknown[] }).operators).toEqual([{ dispatcher: 'd1', kind: 'remove', owner: 'm1', ownerEpoch: 1n }]);
  });

  it('a trigger mismatch keeps the old owner and answers with an error carrying the request epoch; a nil trigger with an existing one is rejected', () => {
    const d = dm();
    d.send(bootstrap('m1', 1n, 'trig-a'));
    d.take();
    d.send(bootstrap('m2', 2n, 'trig-b'));
    expect(d.take()).toEqual([expect.objectContaining({ type: 'MaintainerBootstrapResponse', to: 'm2', error: 'table trigger dispatcher ID mismatch during bootstrap', maintainerEpoch: 2n })]);
    expect(d.actor.getSnapshot().context).toMatchObject({ owner: 'm1', ownerEpoch: 1n, triggerId: 'trig-a' });
    d.send(bootstrap('m2', 2n, null));
    expect(d.actor.getSnapshot().context).toMatchObject({ owner: 'm1', ownerEpoch: 1n });
    d.send(bootstrap('m2', 2n, 'trig-a'));
    expect(d.actor.getSnapshot().context).toMatchObject({ owner: 'm2', ownerEpoch: 2n });
  });

  it('a removed DDL-trigger dispatcher leaves the trigger slot (cleanEventDispatcher), so a move\'s new owner bootstraps with a nil trigger (§2.2, §2.7.3)', () => {
    const d = dm();
    d.send(bootstrap('m1', 1n, 'trig-a'), request('m1', 1n, 'trig-a', 'remove'), { type: 'DISPATCHER_REMOVED', dispatcher: 'trig-a' }, { type: 'REMOVE_CLEANED', dispatcher: 'trig-a' });
    expect(d.actor.getSnapshot().context).toMatchObject({ triggerId: null, triggerInitialized: false, operators: [] });
    d.take();
    d.send(bootstrap('m2', 2n, null));
    expect(d.take()).toEqual([expect.objectContaining({ type: 'MaintainerBootstrapResponse', to: 'm2', error: null, maintainerEpoch: 2n })]);
    expect(d.actor.getSnapshot().context).toMatchObject({ owner: 'm2', ownerEpoch: 2n, triggerId: null });
  });

  it('a stale close is acked (Success) without closing and without a tombstone (I10)', () => {
    const d = dm();
    d.send(bootstrap('m2', 2n));
    d.take();
    d.send(close('m1', 1n, true));
    expect(d.take()).toEqual([{ type: 'MaintainerCloseResponse', to: 'm1', changefeedId: 'cf', success: true, maintainerEpoch: 1n }]);
    expect(d.state()).toEqual({ Active: 'Open' });
    expect(d.actor.getSnapshot().context.tombstone).toBeNull();
  });

  it('an allowed close that has not finished closing answers success=false and keeps the manager; once closed, the next close deletes it', () => {
    const d = dm();
    d.send(bootstrap('m2', 2n), close('m2', 2n, false));
    expect(d.effects.at(-1)).toMatchObject({ type: 'MaintainerCloseResponse', success: false });
    expect(d.state()).toEqual({ Active: 'Closing' });
    d.send(close('m2', 2n, false));
    expect(d.effects.at(-1)).toMatchObject({ type: 'MaintainerCloseResponse', success: false });
    d.send({ type: 'CLOSE_FINISHED' }, close('m2', 2n, false));
    expect(d.effects.at(-1)).toMatchObject({ type: 'MaintainerCloseResponse', success: true });
    expect(d.state()).toBe('Absent');
    expect(d.actor.getSnapshot().context.tombstone).toBe(2n);
  });

  it('B13 (modelled): whatever path a request takes, the manager takes the next close and bootstrap', () => {
    const d = dm();
    d.send(bootstrap('m2', 2n), request('m1', 1n, 'd1', 'create'), bootstrap('m1', 1n));
    d.send({ type: 'POST_BOOTSTRAP', from: 'm2', maintainerEpoch: 2n, triggerId: null, writePathClosed: true });
    closeFully(d, 'm2', 2n, true);
    expect(d.state()).toBe('Absent');
    d.send(bootstrap('m3', 3n));
    expect(d.state()).toEqual({ Active: 'Open' });
  });

  it('tombstone 2 rejects a bootstrap with epoch 1 (I11), silently', () => {
    const d = dm(2n);
    d.send(bootstrap('m1', 1n), bootstrap('m0', 0n), bootstrap('m2', 2n));
    expect(d.state()).toBe('Absent');
    expect(d.take()).toEqual([]);
    d.send(bootstrap('m3', 3n));
    expect(d.state()).toEqual({ Active: 'Open' });
    expect(d.actor.getSnapshot().context.tombstone).toBeNull();
  });

  it('B17: an epoch-0 non-removed close records no tombstone; an epoch-0 removed close records 0, which rejects an epoch-0 bootstrap', () => {
    const d = dm();
    d.send(close('m0', 0n, false));
    expect(d.actor.getSnapshot().context.tombstone).toBeNull();
    d.send(bootstrap('m0', 0n));
    expect(d.state()).toEqual({ Active: 'Open' });
    closeFully(d, 'm0', 0n, true);
    expect(d.actor.getSnapshot().context.tombstone).toBe(0n);
    d.send(bootstrap('m0', 0n));
    expect(d.state()).toBe('Absent');
    d.send(bootstrap('m1', 1n));
    expect(d.state()).toEqual({ Active: 'Open' });
  });

  it('the tombstone keeps the maximum', () => {
    const d = dm(5n);
    d.send(close('m1', 3n, true));
    expect(d.actor.getSnapshot().context.tombstone).toBe(5n);
    d.send(close('m1', 7n, false));
    expect(d.actor.getSnapshot().context.tombstone).toBe(7n);
  });

  describe('queue (TryEnqueue)', () => {
    const msg = (type: QueuedMessage['type'], maintainerEpoch: bigint, removed?: boolean): QueuedMessage => ({ type, from: 'm', maintainerEpoch, ...(removed === undefined ? {} : { removed }) });
    const enqueue = (message: QueuedMessage) => ({ type: 'ENQUEUE', message }) as const;

    it('removed=true replaces removed=false', () => {
      const qd = drive(dispatcherQueueMachine, undefined as never);
      qd.send(enqueue(msg('close', 2n, false)), enqueue(msg('close', 2n, true)));
      expect(qd.actor.getSnapshot().context.queued).toEqual(msg('close', 2n, true));
    });
    it('a stale removed close (epoch 1) cannot replace a newer close (epoch 2)', () => {
      const qd = drive(dispatcherQueueMachine, undefined as never);
      qd.send(enqueue(msg('close', 2n, false)), enqueue(msg('close', 1n, true)));
      expect(qd.actor.getSnapshot().context.queued).toEqual(msg('close', 2n, false));
      expect(qd.take().at(-1)).toEqual({ type: 'queue.dropped', message: msg('close', 1n, true) });
    });
    it('a newer-epoch bootstrap replaces an older queued one; an equal one is dropped', () => {
      const qd = drive(dispatcherQueueMachine, undefined as never);
      qd.send(enqueue(msg('bootstrap', 1n)), enqueue(msg('bootstrap', 2n)), enqueue(msg('bootstrap', 2n)));
      expect(qd.actor.getSnapshot().context.queued).toEqual(msg('bootstrap', 2n));
    });
    it('an upgrade after a pop is queued again', () => {
      const qd = drive(dispatcherQueueMachine, undefined as never);
      qd.send(enqueue(msg('close', 2n, false)), { type: 'POP' }, enqueue(msg('close', 2n, true)));
      expect(qd.state()).toBe('Queued');
      expect(qd.actor.getSnapshot().context.queued).toEqual(msg('close', 2n, true));
    });
  });
});

describe('§6.11.14 dispatcher manager', () => {
  const dm = () => drive(dispatcherManagerMachine, { changefeedId: 'cf', node: 'n2' });
  const request = (from: string, maintainerEpoch: bigint, dispatcher = 'd1') => ({ type: 'REQUEST', from, maintainerEpoch, dispatcher, kind: 'create' }) as const;

  it('preCheckForSchedulerHandler: old@1 dropped; current@2 accepted; current@0 dropped by a strict dm, accepted by a compat dm', () => {
    const strict = dm();
    strict.send({ type: 'BOOTSTRAP', from: 'm1', maintainerEpoch: 1n, triggerId: null }, { type: 'BOOTSTRAP', from: 'm2', maintainerEpoch: 2n, triggerId: null });
    strict.take();
    strict.send(request('m1', 1n), request('m2', 0n));
    expect(strict.take()).toEqual([]);
    strict.send(request('m2', 2n));
    expect(strict.take()).toEqual([{ type: 'dm.createDispatcher', changefeedId: 'cf', dispatcher: 'd1', maintainerEpoch: 2n }]);
    const compat = dm();
    compat.send({ type: 'BOOTSTRAP', from: 'm2', maintainerEpoch: 0n, triggerId: null });
    compat.take();
    compat.send(request('m2', 0n));
    expect(compat.take()).toHaveLength(1);
  });

  it("a stale stored operator is evicted when the current owner's request for its dispatcher arrives", () => {
    const d = dm();
    d.send({ type: 'BOOTSTRAP', from: 'm1', maintainerEpoch: 1n, triggerId: null }, request('m1', 1n, 'd9'));
    d.send({ type: 'BOOTSTRAP', from: 'm2', maintainerEpoch: 2n, triggerId: null });
    expect(d.actor.getSnapshot().context.operators).toHaveLength(1);
    d.send(request('m2', 2n, 'd9'));
    expect(d.actor.getSnapshot().context.operators).toEqual([{ dispatcher: 'd9', kind: 'create', owner: 'm2', ownerEpoch: 2n }]);
  });

  it('TryUpdateMaintainer: a strict dm rejects 0; CanUpdate(new, 3) does not mutate; a compat dm accepts a new owner at 0 (I10)', () => {
    expect(canUpdateOwner('m2', 2n, 'm3', 0n)).toBe(false);
    const d = dm();
    d.send({ type: 'BOOTSTRAP', from: 'm2', maintainerEpoch: 2n, triggerId: null });
    const before = d.actor.getSnapshot().context;
    expect(canUpdateOwner(before.owner, before.ownerEpoch, 'm3', 3n)).toBe(true);
    expect(d.actor.getSnapshot().context).toBe(before);
    d.send({ type: 'BOOTSTRAP', from: 'm3', maintainerEpoch: 0n, triggerId: null });
    expect(d.actor.getSnapshot().context).toMatchObject({ owner: 'm2', ownerEpoch: 2n });
    expect(canUpdateOwner('m1', 0n, 'm9', 0n)).toBe(true);
    expect(canUpdateOwner('m1', 2n, 'm9', 2n)).toBe(false);
    expect(canUpdateOwner('m1', 3n, 'm9', 2n)).toBe(false);
  });
});

describe('§6.10 items 7–10: node-side dispatcher drain target', () => {
  const node = () => drive(nodeDrainTargetMachine, { coordinatorId: COORD, coordinatorVersion: 1n });
  const set = (target: string, epoch: bigint, from = COORD) => ({ type: 'SET_DISPATCHER_DRAIN_TARGET', from, target, epoch }) as const;
  const ctx = (d: ReturnType<typeof node>) => ({ target: d.actor.getSnapshot().context.target, epoch: d.actor.getSnapshot().context.epoch });

  it('6.10.7 SetDispatcherDrainTargetApplyAndClear: (n2, 1) then ("", 1) → ("", 1)', () => {
    const d = node();
    d.send(set('n2', 1n));
    expect(ctx(d)).toEqual({ target: 'n2', epoch: 1n });
    d.send(set('', 1n));
    expect(ctx(d)).toEqual({ target: '', epoch: 1n });
    expect(d.state()).toBe('Cleared');
  });

  it('6.10.8 RejectStaleUpdate: after ("", 1), (n2, 1) and (n3, 0) are ignored, (n4, 2) is applied', () => {
    const d = node();
    d.send(set('n2', 1n), set('', 1n), set('n2', 1n), set('n3', 0n));
    expect(ctx(d)).toEqual({ target: '', epoch: 1n });
    d.send(set('n4', 2n));
    expect(ctx(d)).toEqual({ target: 'n4', epoch: 2n });
  });

  it('6.10.9 SendsNodeHeartbeatAck: every request, rejected ones included, yields a heartbeat with the current snapshot; another sender gets none', () => {
    const d = node();
    d.send(set('n2', 1n), set('n3', 0n), set('n9', 9n, 'impostor'));
    expect(d.take().filter((e) => e.type === 'NodeDrainHeartbeat')).toEqual([
      { type: 'NodeDrainHeartbeat', to: COORD, target: 'n2', epoch: 1n },
      { type: 'NodeDrainHeartbeat', to: COORD, target: 'n2', epoch: 1n },
    ]);
  });

  it('6.10.10 CoordinatorBootstrapResponseIncludesDispatcherDrainTarget: (n2, 7) is echoed', () => {
    const d = node();
    d.send(set('n2', 7n));
    d.take();
    d.send({ type: 'COORDINATOR_BOOTSTRAP', from: 'coord2', version: 2n });
    expect(d.take()).toEqual([{ type: 'CoordinatorBootstrapResponse', to: 'coord2', drainProtocolVersion: 1, target: 'n2', epoch: 7n }]);
  });
});
