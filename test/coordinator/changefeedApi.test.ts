/**
 * The changefeed API and state changes (spec §2.4.3, §3.3, §3.4) and the coordinator's §6.9 items
 * 1–3. Store intents run against the cluster model's store (`applyStoreOp`, kept equal to the real
 * adapter by its differential test), so "no status update" and "unconditional put" are checked on
 * the persisted record, not on the intent's shape alone. Stop proposals are handed to the real
 * stopChangefeed machine to see the remove they send.
 */
import { describe, expect, it } from 'vitest';
import {
  addMaintainerInputFor,
  addMaintainerMachine,
  applyStatusCheckpoint,
  bootstrapCoordinator,
  ChangefeedApiError,
  ChangefeedApiErrorCode,
  completeApiCall,
  createChangefeed,
  emptyCoordinatorChangefeeds,
  handleStateChange,
  pauseChangefeed,
  removeChangefeed,
  removeMaintainerCommand,
  resumeChangefeed,
  stateChangeMachine,
  stopChangefeedMachine,
  type ApiStep,
  type ChangefeedStoreOutcome,
  type CoordinatorChangefeeds,
  type PendingApiCall,
  type PersistedChangefeed,
  type StopOperatorProposal,
} from '../../machines/index.js';
import { applyStoreOp, storeOpOf, type StoredChangefeed } from '../../cluster/store.js';
import { EpochRangeError } from '../../machines/errors.js';
import { drive } from '../helpers/drive.js';

const SELF = 'coord';
const warningError = { code: 'CDC:ErrGCTTLExceeded', message: 'gc ttl exceeded' };

/** A coordinator state built by bootstrap from one persisted record and optionally its owner. */
function coordinatorWith(p: Partial<PersistedChangefeed> = {}, owner?: { node: string; epoch: bigint }) {
  const rec: PersistedChangefeed = { id: 'cf', epoch: 7n, state: 'normal', error: null, checkpointTs: 100n, progress: 'None', ...p };
  const boot = bootstrapCoordinator({
    selfNode: SELF,
    persisted: [rec],
    responses: owner ? [{ node: owner.node, statuses: [{ changefeedId: 'cf', maintainerEpoch: owner.epoch, checkpointTs: rec.checkpointTs }] }] : [],
  });
  const stored: StoredChangefeed = { epoch: rec.epoch, state: rec.state, error: rec.error !== null, checkpointTs: rec.checkpointTs, progress: rec.progress };
  return { state: boot.changefeeds, stored };
}

/** Runs a store step against `stored`; returns the new record and the outcome the host reports. */
function runStore(step: ApiStep, stored: StoredChangefeed | undefined, errorOf: (ok: StoredChangefeed) => { code: string; message: string } | null = () => null) {
  if (step.kind !== 'store') throw new Error(`expected a store step, got ${step.kind}`);
  const r = applyStoreOp(stored, storeOpOf(step.intent));
  if (!r.ok) return { stored: r.record, outcome: { ok: false, code: r.failure } as ChangefeedStoreOutcome };
  const rec = r.record;
  const info = rec ? { epoch: rec.epoch, state: rec.state, error: rec.error ? errorOf(rec) : null } : undefined;
  return { stored: rec, outcome: { ok: true, ...(info ? { info } : {}) } as ChangefeedStoreOutcome };
}

function pendingStep(step: ApiStep) {
  if (step.kind !== 'store') throw new Error(`expected a store step, got ${step.kind}`);
  return step;
}
const pendingOf = (step: ApiStep): PendingApiCall => pendingStep(step).pending;

/** The remove the stop operator sends on its first poll (§2.3 Schedule). */
function firstRemove(op: StopOperatorProposal) {
  const d = drive(stopChangefeedMachine, { changefeedId: op.changefeed, nodeId: op.node, coordinatorNode: SELF, maintainerEpoch: op.epoch, removed: op.removed });
  d.send({ type: 'SCHEDULE' });
  return d.take();
}

describe('§6.9 coordinator conformance', () => {
  it('6.9.1 HandleStateChangeBumpsEpochForWarningState: epoch 233, Warning → bump with State=Warning and UpdateError, no status update; memory > 233; the stop removes with 233', () => {
    const { state, stored } = coordinatorWith({ epoch: 233n, checkpointTs: 500n }, { node: 'n1', epoch: 233n });
    const step = handleStateChange(state, { changefeed: 'cf', state: 'warning', error: warningError, candidate: 100n });
    expect(step).toEqual({
      kind: 'store',
      intent: { op: 'bumpEpoch', changefeed: 'cf', candidate: 100n, state: 'warning', error: warningError },
      pending: { call: 'warning', changefeed: 'cf', oldEpoch: 233n },
    });
    // The intent has no status: the persisted status (checkpoint, progress) is untouched.
    expect('status' in pendingStep(step).intent).toBe(false);
    const ran = runStore(step, stored, () => warningError);
    expect(ran.stored).toEqual({ epoch: 234n, state: 'warning', error: true, checkpointTs: 500n, progress: 'None' });

    const done = completeApiCall(state, pendingOf(step), ran.outcome, { selfNode: SELF });
    expect(done.state.meta.get('cf')?.epoch).toBeGreaterThan(233n);
    expect(done.state.meta.get('cf')).toEqual({ epoch: 234n, state: 'warning', error: warningError, checkpointTs: 500n });
    expect(done.operators).toEqual([{ kind: 'stop', changefeed: 'cf', node: 'n1', epoch: 233n, removed: false, entry: 'StopChangefeedWithMaintainerEpoch' }]);
    expect(firstRemove(done.operators[0]!)).toEqual([
      { type: 'RemoveMaintainerRequest', to: 'n1', changefeedId: 'cf', cascade: true, removed: false, maintainerEpoch: 233n },
    ]);
    // Then rescheduled: Absent, unbound, not new.
    expect(done.state.db.get('cf')).toEqual({ nodeId: '', bucket: 'Absent', stopped: false, isNew: false });
  });

  it('6.9.2 NewAddMaintainerMessage: the add request carries the changefeed epoch (7)', () => {
    const { state } = coordinatorWith({ epoch: 7n, checkpointTs: 300n });
    const d = drive(addMaintainerMachine, addMaintainerInputFor(state, 'cf', 'n2'));
    d.send({ type: 'SCHEDULE' });
    expect(d.take().filter((e) => e.type === 'AddMaintainerRequest')).toEqual([
      { type: 'AddMaintainerRequest', to: 'n2', changefeedId: 'cf', maintainerEpoch: 7n, checkpointTs: 300n, isNew: false },
    ]);
    expect(() => addMaintainerInputFor(state, 'other', 'n2')).toThrow(ChangefeedApiError);
  });

  it('6.9.3 RemoveMaintainerMessage: carries the epoch passed in (10), cascade forced by removed', () => {
    expect(removeMaintainerCommand('n1', 'cf', true, 10n)).toEqual({ type: 'RemoveMaintainerRequest', to: 'n1', changefeedId: 'cf', cascade: true, removed: true, maintainerEpoch: 10n });
    const op: StopOperatorProposal = { kind: 'stop', changefeed: 'cf', node: 'n1', epoch: 10n, removed: false, entry: 'StopChangefeedWithMaintainerEpoch' };
    expect(firstRemove(op)).toEqual([{ type: 'RemoveMaintainerRequest', to: 'n1', changefeedId: 'cf', cascade: true, removed: false, maintainerEpoch: 10n }]);
  });
});

describe('§2.4.3 Warning state change', () => {
  it('a failed bump changes nothing, sends no stop and is fatal to the coordinator run loop', () => {
    const { state } = coordinatorWith({ epoch: 233n }, { node: 'n1', epoch: 233n });
    const step = handleStateChange(state, { changefeed: 'cf', state: 'warning', error: warningError, candidate: 1n });
    const done = completeApiCall(state, pendingOf(step), { ok: false, code: 'CAS_EXHAUSTED' }, { selfNode: SELF });
    expect(done.state).toBe(state);
    expect(done.operators).toEqual([]);
    expect(done.error?.code).toBe(ChangefeedApiErrorCode.StoreFailed);
    expect(done.fatal).toBe(true);
  });
  it('the stop keeps the old epoch even while a move is running (hasEpoch ignores originStopTarget)', () => {
    const { state } = coordinatorWith({ epoch: 233n }, { node: 'n1', epoch: 233n });
    const step = handleStateChange(state, { changefeed: 'cf', state: 'warning', error: warningError, candidate: 900n });
    const done = completeApiCall(state, pendingOf(step), { ok: true, info: { epoch: 900n, state: 'warning', error: warningError } }, { selfNode: SELF, moveOrigin: { node: 'n4', epoch: 5n } });
    expect(done.operators.map((o) => [o.node, o.epoch])).toEqual([['n1', 233n]]);
  });
  it('the same warning again (same error code and message) is a no-op; a different message is a change', () => {
    const { state } = coordinatorWith({ state: 'warning', error: warningError });
    expect(handleStateChange(state, { changefeed: 'cf', state: 'warning', error: { ...warningError }, candidate: 1n })).toEqual({ kind: 'done', reason: 'unchangedState' });
    expect(handleStateChange(state, { changefeed: 'cf', state: 'warning', error: { ...warningError, message: 'other' }, candidate: 1n }).kind).toBe('store');
  });
  it('a state change for an unknown changefeed does nothing', () => {
    expect(handleStateChange(emptyCoordinatorChangefeeds, { changefeed: 'cf', state: 'warning', error: warningError, candidate: 1n })).toEqual({ kind: 'done', reason: 'unknownChangefeed' });
  });
  it('a successful bump reported without the info is a typed error', () => {
    const { state } = coordinatorWith();
    const step = handleStateChange(state, { changefeed: 'cf', state: 'warning', error: warningError, candidate: 1n });
    expect(() => completeApiCall(state, pendingOf(step), { ok: true }, { selfNode: SELF })).toThrow(ChangefeedApiError);
  });
});

describe('§2.4.3 / §3.4 Failed and Finished: the unconditional update (faithful on purpose)', () => {
  it('failed: puts the in-memory info (epoch included) with progress Stopping, no CAS, no bump; then a stop with the DB epoch', () => {
    const { state, stored } = coordinatorWith({ epoch: 7n, checkpointTs: 100n }, { node: 'n1', epoch: 7n });
    const err = { code: 'CDC:ErrSink', message: 'sink down' };
    const step = handleStateChange(state, { changefeed: 'cf', state: 'failed', error: err, candidate: 999n });
    expect(step.kind === 'store' && step.intent).toEqual({ op: 'update', changefeed: 'cf', info: { epoch: 7n, state: 'failed', error: err }, status: { checkpointTs: 100n, progress: 'Stopping' } });
    const ran = runStore(step, stored);
    expect(ran.stored).toEqual({ epoch: 7n, state: 'failed', error: true, checkpointTs: 100n, progress: 'Stopping' });
    const done = completeApiCall(state, pendingOf(step), ran.outcome, { selfNode: SELF });
    expect(done.state.meta.get('cf')).toEqual({ epoch: 7n, state: 'failed', error: err, checkpointTs: 100n });
    expect(done.state.db.get('cf')?.stopped).toBe(true);
    expect(done.operators).toEqual([{ kind: 'stop', changefeed: 'cf', node: 'n1', epoch: 7n, removed: false, entry: 'StopChangefeed' }]);
  });
  it('finished after a concurrent bump moves the persisted epoch backwards to the one held in memory (§3.4)', () => {
    const { state } = coordinatorWith({ epoch: 7n }, { node: 'n1', epoch: 7n });
    // Another writer bumped the store to 12 meanwhile; memory still holds 7.
    const stored: StoredChangefeed = { epoch: 12n, state: 'normal', error: false, checkpointTs: 100n, progress: 'None' };
    const step = handleStateChange(state, { changefeed: 'cf', state: 'finished', error: null, candidate: 1n });
    expect(runStore(step, stored).stored?.epoch).toBe(7n);
  });
  it('the clone taken at call time replaces the memory on success, even if an admission bump set a newer epoch meanwhile', () => {
    const { state } = coordinatorWith({ epoch: 7n }, { node: 'n1', epoch: 7n });
    const step = handleStateChange(state, { changefeed: 'cf', state: 'finished', error: null, candidate: 1n });
    const bumpedMeanwhile: CoordinatorChangefeeds = { db: state.db, meta: new Map(state.meta).set('cf', { ...state.meta.get('cf')!, epoch: 20n }) };
    const done = completeApiCall(bumpedMeanwhile, pendingOf(step), { ok: true }, { selfNode: SELF });
    expect(done.state.meta.get('cf')?.epoch).toBe(7n);
    expect(done.operators[0]?.epoch).toBe(7n);
  });
  it('other states (normal, pending) are updated with progress None and stop nothing', () => {
    const { state } = coordinatorWith({ state: 'warning', error: warningError }, { node: 'n1', epoch: 7n });
    const step = handleStateChange(state, { changefeed: 'cf', state: 'normal', error: null, candidate: 1n });
    expect(step.kind === 'store' && step.intent.op === 'update' && step.intent.status.progress).toBe('None');
    const done = completeApiCall(state, pendingOf(step), { ok: true }, { selfNode: SELF });
    expect(done.operators).toEqual([]);
    expect(done.state.db.get('cf')?.bucket).toBe('Replicating');
    expect(done.state.meta.get('cf')?.state).toBe('normal');
  });
  it('a failed update changes nothing and is fatal', () => {
    const { state } = coordinatorWith({}, { node: 'n1', epoch: 7n });
    const step = handleStateChange(state, { changefeed: 'cf', state: 'failed', error: null, candidate: 1n });
    const done = completeApiCall(state, pendingOf(step), { ok: false, code: 'UNAVAILABLE' }, { selfNode: SELF });
    expect(done).toMatchObject({ state, operators: [], fatal: true });
  });
});

describe('§2.4.3 CreateChangefeed', () => {
  it('persists the generated epoch with state normal and checkpoint startTs, then Absent and new', () => {
    const step = createChangefeed(emptyCoordinatorChangefeeds, { changefeed: 'cf', epoch: 4242n, startTs: 50n, initialized: true, hasOperator: false });
    const ran = runStore(step, undefined);
    expect(ran.stored).toEqual({ epoch: 4242n, state: 'normal', error: false, checkpointTs: 50n, progress: 'None' });
    const done = completeApiCall(emptyCoordinatorChangefeeds, pendingOf(step), ran.outcome, { selfNode: SELF });
    expect(done.state.db.get('cf')).toEqual({ nodeId: '', bucket: 'Absent', stopped: false, isNew: true });
    expect(done.state.meta.get('cf')).toEqual({ epoch: 4242n, state: 'normal', error: null, checkpointTs: 50n });
  });
  it('refused before bootstrap, for an existing changefeed, and while an operator holds the name', () => {
    const { state } = coordinatorWith();
    const code = (s: ApiStep) => (s.kind === 'rejected' ? s.error.code : s.kind);
    expect(code(createChangefeed(emptyCoordinatorChangefeeds, { changefeed: 'cf', epoch: 1n, startTs: 1n, initialized: false, hasOperator: false }))).toBe(ChangefeedApiErrorCode.NotInitialized);
    expect(code(createChangefeed(state, { changefeed: 'cf', epoch: 1n, startTs: 1n, initialized: true, hasOperator: false }))).toBe(ChangefeedApiErrorCode.AlreadyExists);
    expect(code(createChangefeed(emptyCoordinatorChangefeeds, { changefeed: 'cf', epoch: 1n, startTs: 1n, initialized: true, hasOperator: true }))).toBe(ChangefeedApiErrorCode.InScheduling);
  });
  it('a store refusal (already exists in etcd) leaves the DB empty', () => {
    const step = createChangefeed(emptyCoordinatorChangefeeds, { changefeed: 'cf', epoch: 1n, startTs: 1n, initialized: true, hasOperator: false });
    const ran = runStore(step, { epoch: 3n, state: 'normal', error: false, checkpointTs: 1n, progress: 'None' });
    const done = completeApiCall(emptyCoordinatorChangefeeds, pendingOf(step), ran.outcome, { selfNode: SELF });
    expect(done.state.db.size).toBe(0);
    expect(done.error?.code).toBe(ChangefeedApiErrorCode.StoreFailed);
    expect(done.fatal).toBe(false);
  });
  it('a non-uint64 epoch is a typed error', () => {
    expect(() => createChangefeed(emptyCoordinatorChangefeeds, { changefeed: 'cf', epoch: -1n, startTs: 1n, initialized: true, hasOperator: false })).toThrow(EpochRangeError);
  });
});

describe('§2.4.3 RemoveChangefeed', () => {
  it('progress Removing first, then a removed stop to the bound node with the in-memory epoch; the DB forgets it; returns the checkpoint', () => {
    const { state, stored } = coordinatorWith({ checkpointTs: 321n }, { node: 'n1', epoch: 7n });
    const step = removeChangefeed(state, { changefeed: 'cf' });
    expect(step.kind === 'store' && step.intent).toEqual({ op: 'setProgress', changefeed: 'cf', progress: 'Removing' });
    const ran = runStore(step, stored);
    expect(ran.stored?.progress).toBe('Removing');
    const done = completeApiCall(state, pendingOf(step), ran.outcome, { selfNode: SELF });
    expect(done.operators).toEqual([{ kind: 'stop', changefeed: 'cf', node: 'n1', epoch: 7n, removed: true, entry: 'StopChangefeed' }]);
    expect(done.state.db.has('cf')).toBe(false);
    expect(done.state.meta.has('cf')).toBe(false);
    expect(done.checkpointTs).toBe(321n);
    expect(firstRemove(done.operators[0]!)[0]).toMatchObject({ removed: true, cascade: true, maintainerEpoch: 7n });
  });
  it('during a move whose target is not bound yet the stop goes to the origin with the origin epoch (§2.3.2 step 4)', () => {
    const { state } = coordinatorWith({ epoch: 8n }, { node: 'n2', epoch: 8n });
    const step = removeChangefeed(state, { changefeed: 'cf' });
    const done = completeApiCall(state, pendingOf(step), { ok: true }, { selfNode: SELF, moveOrigin: { node: 'n1', epoch: 7n } });
    expect(done.operators.map((o) => [o.node, o.epoch])).toEqual([['n1', 7n]]);
  });
  it('an unbound (Absent) changefeed is stopped on the coordinator\'s own node', () => {
    const { state } = coordinatorWith();
    const step = removeChangefeed(state, { changefeed: 'cf' });
    const done = completeApiCall(state, pendingOf(step), { ok: true }, { selfNode: SELF });
    expect(done.operators[0]?.node).toBe(SELF);
  });
  it('an unknown changefeed is refused; a failed progress write changes nothing', () => {
    const r = removeChangefeed(emptyCoordinatorChangefeeds, { changefeed: 'cf' });
    expect(r.kind === 'rejected' && r.error.code).toBe(ChangefeedApiErrorCode.NotFound);
    const { state } = coordinatorWith({}, { node: 'n1', epoch: 7n });
    const step = removeChangefeed(state, { changefeed: 'cf' });
    const done = completeApiCall(state, pendingOf(step), { ok: false, code: 'NOT_FOUND' }, { selfNode: SELF });
    expect(done).toMatchObject({ state, operators: [], fatal: false });
  });
});

describe('§2.4.3 PauseChangefeed', () => {
  it('state stopped and progress Stopping persisted; in memory stopped; a non-removed stop; the changefeed is in the Stopped map', () => {
    const { state, stored } = coordinatorWith({}, { node: 'n1', epoch: 7n });
    const step = pauseChangefeed(state, { changefeed: 'cf' });
    const ran = runStore(step, stored);
    expect(ran.stored).toMatchObject({ state: 'stopped', progress: 'Stopping', epoch: 7n });
    const done = completeApiCall(state, pendingOf(step), ran.outcome, { selfNode: SELF });
    expect(done.state.meta.get('cf')?.state).toBe('stopped');
    expect(done.state.db.get('cf')).toEqual({ nodeId: '', bucket: undefined, stopped: true, isNew: false });
    expect(done.operators).toEqual([{ kind: 'stop', changefeed: 'cf', node: 'n1', epoch: 7n, removed: false, entry: 'StopChangefeed' }]);
  });
  it('an unknown changefeed is refused; a failed write changes nothing', () => {
    expect(pauseChangefeed(emptyCoordinatorChangefeeds, { changefeed: 'cf' }).kind).toBe('rejected');
    const { state } = coordinatorWith({}, { node: 'n1', epoch: 7n });
    const step = pauseChangefeed(state, { changefeed: 'cf' });
    expect(completeApiCall(state, pendingOf(step), { ok: false, code: 'X' }, { selfNode: SELF }).state).toBe(state);
  });
});

describe('§2.4.3 / §3.3 ResumeChangefeed', () => {
  it('only stopped, failed or finished changefeeds resume', () => {
    for (const s of ['normal', 'warning', 'pending'] as const) {
      const { state } = coordinatorWith({ state: s });
      const r = resumeChangefeed(state, { changefeed: 'cf', candidate: 1n, newCheckpointTs: 0n, overwriteCheckpointTs: false });
      expect(r.kind === 'rejected' && r.error.code).toBe(ChangefeedApiErrorCode.UpdateRefused);
    }
    for (const s of ['stopped', 'failed', 'finished'] as const) {
      expect(resumeChangefeed(coordinatorWith({ state: s }).state, { changefeed: 'cf', candidate: 1n, newCheckpointTs: 0n, overwriteCheckpointTs: false }).kind).toBe('store');
    }
    expect(resumeChangefeed(emptyCoordinatorChangefeeds, { changefeed: 'cf', candidate: 1n, newCheckpointTs: 0n, overwriteCheckpointTs: false }).kind).toBe('rejected');
  });
  it('one write: new epoch, state normal, error cleared, checkpoint kept, progress None; the persisted info wins; then Absent', () => {
    const { state, stored } = coordinatorWith({ state: 'failed', error: { code: 'E', message: 'm' }, epoch: 8n, checkpointTs: 300n, progress: 'None' });
    const step = resumeChangefeed(state, { changefeed: 'cf', candidate: 7n, newCheckpointTs: 0n, overwriteCheckpointTs: false });
    expect(step.kind === 'store' && step.intent).toEqual({ op: 'resume', changefeed: 'cf', candidate: 7n, checkpointTs: 300n });
    const ran = runStore(step, { ...stored, progress: 'Stopping' });
    expect(ran.stored).toEqual({ epoch: 9n, state: 'normal', error: false, checkpointTs: 300n, progress: 'None' });
    const done = completeApiCall(state, pendingOf(step), ran.outcome, { selfNode: SELF });
    expect(done.state.meta.get('cf')).toEqual({ epoch: 9n, state: 'normal', error: null, checkpointTs: 300n });
    expect(done.state.db.get('cf')).toEqual({ nodeId: '', bucket: 'Absent', stopped: false, isNew: false });
    expect(done.operators).toEqual([]);
  });
  it('a new checkpoint overwrites the old one even backwards (forced, not monotonic); overwriteCheckpointTs marks it new', () => {
    const { state } = coordinatorWith({ state: 'stopped', checkpointTs: 300n });
    const step = resumeChangefeed(state, { changefeed: 'cf', candidate: 50n, newCheckpointTs: 120n, overwriteCheckpointTs: true });
    expect(step.kind === 'store' && step.intent.op === 'resume' && step.intent.checkpointTs).toBe(120n);
    const done = completeApiCall(state, pendingOf(step), { ok: true, info: { epoch: 50n, state: 'normal', error: null } }, { selfNode: SELF });
    expect(done.state.meta.get('cf')?.checkpointTs).toBe(120n);
    expect(done.state.db.get('cf')?.isNew).toBe(true);
  });
  it('a failed resume write changes nothing', () => {
    const { state } = coordinatorWith({ state: 'stopped' });
    const step = resumeChangefeed(state, { changefeed: 'cf', candidate: 1n, newCheckpointTs: 0n, overwriteCheckpointTs: false });
    const done = completeApiCall(state, pendingOf(step), { ok: false, code: 'EPOCH_OVERFLOW' }, { selfNode: SELF });
    expect(done.state).toBe(state);
    expect(done.error).toBeInstanceOf(ChangefeedApiError);
  });
});

describe('§2.4.4 step 5: checkpoint monotonicity of the in-memory status', () => {
  it('advances forward, ignores a regression without errors, clamps one with errors', () => {
    const { state } = coordinatorWith({ checkpointTs: 100n }, { node: 'n1', epoch: 7n });
    const fwd = applyStatusCheckpoint(state, { changefeed: 'cf', checkpointTs: 150n, hasErrors: false });
    expect(fwd.applied).toBe(true);
    expect(fwd.state.meta.get('cf')?.checkpointTs).toBe(150n);
    const back = applyStatusCheckpoint(fwd.state, { changefeed: 'cf', checkpointTs: 90n, hasErrors: false });
    expect(back).toEqual({ state: fwd.state, applied: false });
    const clamped = applyStatusCheckpoint(fwd.state, { changefeed: 'cf', checkpointTs: 90n, hasErrors: true });
    expect(clamped.applied).toBe(true);
    expect(clamped.state.meta.get('cf')?.checkpointTs).toBe(150n);
  });
  it('an unknown changefeed is left alone; a non-uint64 checkpoint is a typed error', () => {
    expect(applyStatusCheckpoint(emptyCoordinatorChangefeeds, { changefeed: 'cf', checkpointTs: 1n, hasErrors: false }).applied).toBe(false);
    const { state } = coordinatorWith();
    expect(() => applyStatusCheckpoint(state, { changefeed: 'cf', checkpointTs: 1n << 64n, hasErrors: false })).toThrow(EpochRangeError);
  });
});

describe('§2.4.3 the stateChange machine agrees with the pure functions', () => {
  it('6.9.1 through the machine: epoch 233, Warning → bump (State=Warning, UpdateError, no status), then setInfo 234, stop with 233, reschedule', () => {
    const m = drive(stateChangeMachine, { changefeedId: 'cf', state: 'warning' });
    m.send({ type: 'CHECK', changefeedExists: true, unchanged: false, epoch: 233n, checkpointTs: 500n });
    expect(m.take()).toEqual([{ type: 'store.bumpEpoch', changefeedId: 'cf', state: 'warning', updateError: true, updateStatus: false }]);
    expect(m.state()).toBe('Bumping');
    m.send({ type: 'BUMPED', epoch: 234n });
    expect(m.take()).toEqual([
      { type: 'controller.setInfo', changefeedId: 'cf', epoch: 234n, state: 'warning' },
      { type: 'controller.stopChangefeedWithMaintainerEpoch', changefeedId: 'cf', removed: false, maintainerEpoch: 233n },
      { type: 'db.moveToSchedulingQueue', changefeedId: 'cf', resetBackoff: false, overwriteCheckpointTs: false },
    ]);
    expect(m.state()).toBe('Restarted');
  });

  it('for every state and write outcome, the machine and handleStateChange/completeApiCall write, stop and keep the same epochs', () => {
    for (const target of ['warning', 'failed', 'finished', 'normal'] as const) {
      for (const ok of [true, false]) {
        const { state } = coordinatorWith({ epoch: 233n, checkpointTs: 500n, state: target === 'normal' ? 'warning' : 'normal', error: target === 'normal' ? warningError : null }, { node: 'n1', epoch: 233n });
        const step = handleStateChange(state, { changefeed: 'cf', state: target, error: target === 'normal' ? null : warningError, candidate: 234n });
        const m = drive(stateChangeMachine, { changefeedId: 'cf', state: target });
        m.send({ type: 'CHECK', changefeedExists: true, unchanged: false, epoch: 233n, checkpointTs: 500n });
        const [write] = m.take();
        const intent = pendingStep(step).intent;
        expect(write?.type).toBe(`store.${intent.op}`);
        if (intent.op === 'update' && write?.type === 'store.update') {
          expect([write.epoch, write.checkpointTs, write.progress]).toEqual([intent.info.epoch, intent.status.checkpointTs, intent.status.progress]);
        }
        const bumped = target === 'warning';
        m.send(bumped ? (ok ? { type: 'BUMPED', epoch: 234n } : { type: 'BUMP_FAILED', code: 'X' }) : ok ? { type: 'UPDATED' } : { type: 'UPDATE_FAILED', code: 'X' });
        const effects = m.take();
        const done = completeApiCall(state, pendingOf(step), ok ? { ok: true, ...(bumped ? { info: { epoch: 234n, state: 'warning', error: warningError } } : {}) } : { ok: false, code: 'X' }, { selfNode: SELF });
        const machineStopEpochs = effects.flatMap((e) =>
          e.type === 'controller.stopChangefeedWithMaintainerEpoch' ? [e.maintainerEpoch] : e.type === 'controller.stopChangefeed' ? [233n] : [],
        );
        expect(done.operators.map((o) => o.epoch), `${target} ok=${ok}`).toEqual(machineStopEpochs);
        const setInfo = effects.find((e) => e.type === 'controller.setInfo');
        expect(done.state.meta.get('cf')?.epoch).toBe(setInfo && setInfo.type === 'controller.setInfo' ? setInfo.epoch : 233n);
        expect(done.state.db.get('cf')?.bucket === 'Absent').toBe(effects.some((e) => e.type === 'db.moveToSchedulingQueue'));
        expect(m.state()).toBe(!ok ? 'Failed' : bumped ? 'Restarted' : target === 'normal' ? 'Updated' : 'Stopped');
      }
    }
  });

  it('a missing changefeed or an unchanged state is skipped with no write, as handleStateChange says', () => {
    for (const [changefeedExists, unchanged] of [[false, false], [true, true], [false, true]] as const) {
      const m = drive(stateChangeMachine, { changefeedId: 'cf', state: 'warning' });
      m.send({ type: 'CHECK', changefeedExists, unchanged, epoch: 233n, checkpointTs: 500n });
      expect(m.take()).toEqual([]);
      expect(m.state()).toBe('Skipped');
    }
  });
});
