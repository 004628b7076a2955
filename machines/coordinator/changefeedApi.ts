/**
 * The changefeed API and state changes on the coordinator (spec §2.4.3, §3.3, §3.4; TiCDC
 * `coordinator/controller.go:CreateChangefeed/RemoveChangefeed/PauseChangefeed/ResumeChangefeed`,
 * `coordinator/coordinator.go:handleStateChange`), as pure functions.
 *
 * Every store write is asynchronous, so a call that writes returns `{ kind: 'store', intent,
 * pending }`: the host performs `intent` on its `EpochStore`, then calls {@link completeApiCall}
 * with `pending` (plain data: what to do next) and the outcome. A call that needs no write returns
 * `{ kind: 'done' }`; bad input or a refused call returns `{ kind: 'rejected', error }` and changes
 * nothing. The DB and infos at completion time are passed again, since they may have changed while
 * the write ran; operators are plain proposals for the controller (§2.3.2 step 6 is its own).
 *
 * Rules encoded:
 * - Create: refused before bootstrap, for an existing changefeed, or while the name has an operator;
 *   the generated epoch is persisted with state normal and checkpoint = startTs; then Absent, isNew.
 * - Remove: progress Removing first, then `StopChangefeed(cf, removed=true)`; returns the checkpoint.
 * - Pause: `PauseChangefeed` (state stopped, progress Stopping), in-memory state stopped, then
 *   `StopChangefeed(cf, false)`.
 * - Resume (§3.3): only stopped / failed / finished; one write sets the new epoch, state normal, no
 *   error, the checkpoint and progress None; the returned info replaces the in-memory one, the
 *   in-memory checkpoint is forced (not monotonic), then `MoveToSchedulingQueue(cf, true, overwrite)`.
 * - Warning (§2.4.3, §6.9 item 1): a bump with State=Warning and the error (UpdateError, no status);
 *   on success the returned info replaces the in-memory one, the stop carries the epoch from
 *   *before* the bump, then the changefeed goes back to Absent. On failure nothing changes and the
 *   error is fatal to the coordinator (TiCDC's run loop returns it).
 * - Failed / finished / any other state: the **unconditional** `UpdateChangefeed` of §3.4 with the
 *   info cloned at call time (its epoch included: no CAS, no bump; faithful on purpose, it can move
 *   the persisted epoch backwards), progress Stopping for failed/finished else None; on success the
 *   clone replaces the in-memory info (again its epoch included), then `StopChangefeed(cf, false)`
 *   for failed/finished.
 * - An unchanged state (same state, same error code and message) or an unknown changefeed: no-op.
 * - Checkpoint monotonicity of a status (§2.4.4 step 5): {@link applyStatusCheckpoint}.
 *
 * Simplifications (README "Model limits"): create's wait-and-retry while an operator exists
 * (`createChangefeedMaxRetry`) is a refusal the host may retry; the API's wait for the stop
 * operator to finish is the host's; the changefeed config and keyspaces are not held (the host
 * supplies the config of the unconditional update); backoff, GC safepoints, the last-saved
 * checkpoint and the checkpoint message are not modelled; error comparison ignores `Addr`.
 */
import type { FeedState, RunningError } from '../../adapters/types.js';
import { assertUint64, type Uint64 } from '../epoch.js';
import { OpchartsError } from '../errors.js';
import type { ChangefeedId, NodeId, Progress } from '../protocol.js';
import { addAbsentChangefeed, moveToSchedulingQueue } from './changefeedDb.js';
import {
  planStopChangefeed,
  type ChangefeedMeta,
  type CoordinatorChangefeeds,
  type MoveOriginStopTarget,
  type StopOperatorProposal,
} from './changefeeds.js';
import { nextCheckpoint } from './heartbeat.js';

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

export class ChangefeedApiError extends OpchartsError {
  constructor(code: string, readonly changefeedId: ChangefeedId, message: string) {
    super(code, `changefeed ${changefeedId}: ${message}`);
  }
}
/** The `code` of each {@link ChangefeedApiError}. */
export const ChangefeedApiErrorCode = {
  /** CreateChangefeed before bootstrap finished ("not initialized, wait a moment"). */
  NotInitialized: 'COORDINATOR_NOT_INITIALIZED',
  /** CreateChangefeed for a changefeed the DB holds. */
  AlreadyExists: 'CHANGEFEED_ALREADY_EXISTS',
  /** CreateChangefeed while an operator holds the name ("still in scheduling"). */
  InScheduling: 'CHANGEFEED_IN_SCHEDULING',
  /** Remove / pause / resume of a changefeed the DB does not hold ("changefeed not found"). */
  NotFound: 'CHANGEFEED_NOT_FOUND',
  /** Resume of a changefeed that is not stopped, failed or finished (`ErrChangefeedUpdateRefused`). */
  UpdateRefused: 'CHANGEFEED_UPDATE_REFUSED',
  /** The store write failed; nothing changed in memory. */
  StoreFailed: 'CHANGEFEED_STORE_FAILED',
  /** A successful resume or bump reported without the persisted info (host bug). */
  InvalidStoreOutcome: 'INVALID_STORE_OUTCOME',
} as const;
const Code = ChangefeedApiErrorCode;

// ---------------------------------------------------------------------------------------------
// Store intents and pending continuations (plain data)
// ---------------------------------------------------------------------------------------------

/** The in-memory half of `ChangeFeedInfo` the control plane reads (config is the host's). */
export interface ChangefeedInfoView {
  readonly epoch: Uint64;
  readonly state: FeedState;
  readonly error: RunningError | null;
}

/** One `EpochStore` call (adapters/types.ts), named after its method. */
export type ChangefeedStoreIntent =
  | { op: 'create'; changefeed: ChangefeedId; info: ChangefeedInfoView; status: { checkpointTs: Uint64; progress: Progress } }
  | { op: 'setProgress'; changefeed: ChangefeedId; progress: Progress }
  | { op: 'pause'; changefeed: ChangefeedId }
  | { op: 'resume'; changefeed: ChangefeedId; candidate: Uint64; checkpointTs: Uint64 }
  /** `bumpEpoch(id, candidate, {state, error})`: the Warning bump, no status (§6.9 item 1). */
  | { op: 'bumpEpoch'; changefeed: ChangefeedId; candidate: Uint64; state: FeedState; error: RunningError | null }
  /** `update(id, info, status)`: the unconditional put of §3.4. */
  | { op: 'update'; changefeed: ChangefeedId; info: ChangefeedInfoView; status: { checkpointTs: Uint64; progress: Progress } };

/** What to do when the intent's write completes. */
export type PendingApiCall =
  | { call: 'create'; changefeed: ChangefeedId; info: ChangefeedInfoView; startTs: Uint64 }
  | { call: 'remove'; changefeed: ChangefeedId }
  | { call: 'pause'; changefeed: ChangefeedId }
  | { call: 'resume'; changefeed: ChangefeedId; checkpointTs: Uint64; overwriteCheckpointTs: boolean }
  | { call: 'warning'; changefeed: ChangefeedId; oldEpoch: Uint64 }
  | { call: 'stateChange'; changefeed: ChangefeedId; info: ChangefeedInfoView; stop: boolean };

export type ApiStep =
  | { kind: 'rejected'; error: ChangefeedApiError }
  /** Nothing to write; `reason` says why nothing happened. */
  | { kind: 'done'; reason: 'unknownChangefeed' | 'unchangedState' }
  | { kind: 'store'; intent: ChangefeedStoreIntent; pending: PendingApiCall };

/** The write's outcome: resume and bumpEpoch return the persisted info. */
export type ChangefeedStoreOutcome = { ok: true; info?: ChangefeedInfoView } | { ok: false; code: string };

export interface ApiCompletion {
  readonly state: CoordinatorChangefeeds;
  readonly operators: readonly StopOperatorProposal[];
  /** Remove returns the checkpoint it saw. */
  readonly checkpointTs?: Uint64;
  /** Set when the write failed; the state is then unchanged. */
  readonly error?: ChangefeedApiError;
  /** A failed state-change write ends TiCDC's coordinator run loop (`handleStateChange` returns it). */
  readonly fatal?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Calls
// ---------------------------------------------------------------------------------------------

const reject = (code: string, cf: ChangefeedId, message: string): ApiStep => ({ kind: 'rejected', error: new ChangefeedApiError(code, cf, message) });

/** §2.4.3 CreateChangefeed with the generated epoch `epoch` (§3.5) and the start checkpoint. */
export function createChangefeed(
  state: CoordinatorChangefeeds,
  args: { changefeed: ChangefeedId; epoch: Uint64; startTs: Uint64; initialized: boolean; hasOperator: boolean },
): ApiStep {
  const { changefeed } = args;
  assertUint64(args.epoch, 'epoch');
  assertUint64(args.startTs, 'startTs');
  if (!args.initialized) return reject(Code.NotInitialized, changefeed, 'not initialized, wait a moment');
  if (state.db.has(changefeed)) return reject(Code.AlreadyExists, changefeed, 'changefeed already exists');
  if (args.hasOperator) return reject(Code.InScheduling, changefeed, 'changefeed is still in scheduling, please try again later');
  const info: ChangefeedInfoView = { epoch: args.epoch, state: 'normal', error: null };
  return {
    kind: 'store',
    intent: { op: 'create', changefeed, info, status: { checkpointTs: args.startTs, progress: 'None' } },
    pending: { call: 'create', changefeed, info, startTs: args.startTs },
  };
}

/** §2.4.3 / §2.3.1 RemoveChangefeed: progress Removing, then a removed stop. */
export function removeChangefeed(state: CoordinatorChangefeeds, args: { changefeed: ChangefeedId }): ApiStep {
  if (!state.db.has(args.changefeed)) return reject(Code.NotFound, args.changefeed, 'changefeed not found');
  return {
    kind: 'store',
    intent: { op: 'setProgress', changefeed: args.changefeed, progress: 'Removing' },
    pending: { call: 'remove', changefeed: args.changefeed },
  };
}

/** §2.4.3 / §2.3.1 PauseChangefeed: state stopped and progress Stopping, then a stop. */
export function pauseChangefeed(state: CoordinatorChangefeeds, args: { changefeed: ChangefeedId }): ApiStep {
  if (!state.db.has(args.changefeed)) return reject(Code.NotFound, args.changefeed, 'changefeed not found');
  return { kind: 'store', intent: { op: 'pause', changefeed: args.changefeed }, pending: { call: 'pause', changefeed: args.changefeed } };
}

/** TiCDC `FeedState.IsResumable`. */
export function isResumable(state: FeedState): boolean {
  return state === 'stopped' || state === 'failed' || state === 'finished';
}

/**
 * §2.4.3 ResumeChangefeed / §3.3 with the generated `candidate` epoch. `newCheckpointTs` 0 keeps
 * the in-memory checkpoint.
 */
export function resumeChangefeed(
  state: CoordinatorChangefeeds,
  args: { changefeed: ChangefeedId; candidate: Uint64; newCheckpointTs: Uint64; overwriteCheckpointTs: boolean },
): ApiStep {
  const { changefeed } = args;
  assertUint64(args.candidate, 'candidate');
  assertUint64(args.newCheckpointTs, 'newCheckpointTs');
  const meta = state.meta.get(changefeed);
  if (!state.db.has(changefeed) || !meta) return reject(Code.NotFound, changefeed, 'changefeed not found');
  if (!isResumable(meta.state)) {
    return reject(Code.UpdateRefused, changefeed, `can only resume changefeed when it is stopped, failed, or finished, but current state is ${meta.state}`);
  }
  const checkpointTs = args.newCheckpointTs > 0n ? args.newCheckpointTs : meta.checkpointTs;
  return {
    kind: 'store',
    intent: { op: 'resume', changefeed, candidate: args.candidate, checkpointTs },
    pending: { call: 'resume', changefeed, checkpointTs, overwriteCheckpointTs: args.overwriteCheckpointTs },
  };
}

/** TiCDC `isUnchangedRuntimeState`: same state and the same error signature (code, message; Addr not modelled). */
export function isUnchangedRuntimeState(info: ChangefeedInfoView, state: FeedState, error: RunningError | null): boolean {
  if (info.state !== state) return false;
  if (info.error === null || error === null) return info.error === error;
  return info.error.code === error.code && info.error.message === error.message;
}

/**
 * §2.4.3 state changes (`handleStateChange`) with the generated `candidate` epoch (used only by
 * Warning). Warning bumps; every other state is the unconditional update of §3.4.
 */
export function handleStateChange(
  state: CoordinatorChangefeeds,
  args: { changefeed: ChangefeedId; state: FeedState; error: RunningError | null; candidate: Uint64 },
): ApiStep {
  const { changefeed } = args;
  assertUint64(args.candidate, 'candidate');
  const meta = state.meta.get(changefeed);
  if (!meta || !state.db.has(changefeed)) return { kind: 'done', reason: 'unknownChangefeed' };
  if (isUnchangedRuntimeState(meta, args.state, args.error)) return { kind: 'done', reason: 'unchangedState' };
  if (args.state === 'warning') {
    return {
      kind: 'store',
      intent: { op: 'bumpEpoch', changefeed, candidate: args.candidate, state: 'warning', error: args.error },
      pending: { call: 'warning', changefeed, oldEpoch: meta.epoch },
    };
  }
  const stop = args.state === 'failed' || args.state === 'finished';
  // The clone carries the in-memory epoch: the write below puts it whatever the store holds (§3.4).
  const info: ChangefeedInfoView = { epoch: meta.epoch, state: args.state, error: args.error };
  return {
    kind: 'store',
    intent: { op: 'update', changefeed, info, status: { checkpointTs: meta.checkpointTs, progress: stop ? 'Stopping' : 'None' } },
    pending: { call: 'stateChange', changefeed, info, stop },
  };
}

// ---------------------------------------------------------------------------------------------
// Completion
// ---------------------------------------------------------------------------------------------

function withMeta(state: CoordinatorChangefeeds, cf: ChangefeedId, f: (m: ChangefeedMeta) => ChangefeedMeta): CoordinatorChangefeeds {
  const m = state.meta.get(cf);
  if (!m) return state;
  return { db: state.db, meta: new Map(state.meta).set(cf, f(m)) };
}

function requireInfo(outcome: ChangefeedStoreOutcome, pending: PendingApiCall): ChangefeedInfoView {
  if (!outcome.ok || !outcome.info) throw new ChangefeedApiError(Code.InvalidStoreOutcome, pending.changefeed, `${pending.call}: a successful write must return the persisted info`);
  assertUint64(outcome.info.epoch, 'info.epoch');
  return outcome.info;
}

/**
 * Finishes a call once its store write completed. `selfNode` and `moveOrigin` (the controller's
 * answer to §2.3.2 step 2 at this moment) place any stop. A failed write changes nothing.
 */
export function completeApiCall(
  state: CoordinatorChangefeeds,
  pending: PendingApiCall,
  outcome: ChangefeedStoreOutcome,
  ctx: { selfNode: NodeId; moveOrigin?: MoveOriginStopTarget },
): ApiCompletion {
  const cf = pending.changefeed;
  if (!outcome.ok) {
    const fatal = pending.call === 'warning' || pending.call === 'stateChange';
    return { state, operators: [], error: new ChangefeedApiError(Code.StoreFailed, cf, `${pending.call}: store write failed (${outcome.code})`), fatal };
  }
  const stop = (s: CoordinatorChangefeeds, removed: boolean, epoch?: Uint64) =>
    planStopChangefeed(s, { changefeed: cf, removed, selfNode: ctx.selfNode, epoch, moveOrigin: ctx.moveOrigin });
  switch (pending.call) {
    case 'create': {
      const db = addAbsentChangefeed(state.db, cf);
      const meta = new Map(state.meta).set(cf, { ...pending.info, checkpointTs: pending.startTs });
      return { state: { db, meta }, operators: [] };
    }
    case 'remove': {
      const checkpointTs = state.meta.get(cf)?.checkpointTs;
      const r = stop(state, true);
      return { state: r.state, operators: [r.operator], ...(checkpointTs !== undefined ? { checkpointTs } : {}) };
    }
    case 'pause': {
      const r = stop(withMeta(state, cf, (m) => ({ ...m, state: 'stopped' })), false);
      return { state: r.state, operators: [r.operator] };
    }
    case 'resume': {
      const info = requireInfo(outcome, pending);
      if (!state.db.has(cf)) return { state, operators: [] };
      const s = withMeta(state, cf, () => ({ epoch: info.epoch, state: info.state, error: info.error, checkpointTs: pending.checkpointTs }));
      return { state: { db: moveToSchedulingQueue(s.db, cf, pending.overwriteCheckpointTs), meta: s.meta }, operators: [] };
    }
    case 'warning': {
      const info = requireInfo(outcome, pending);
      const bumped = withMeta(state, cf, (m) => ({ ...m, epoch: info.epoch, state: info.state, error: info.error }));
      // The stop is fenced with the epoch from before the bump (§6.9 item 1), then a restart.
      const r = stop(bumped, false, pending.oldEpoch);
      const db = r.state.db.has(cf) ? moveToSchedulingQueue(r.state.db, cf, false) : r.state.db;
      return { state: { db, meta: r.state.meta }, operators: [r.operator] };
    }
    case 'stateChange': {
      const updated = withMeta(state, cf, (m) => ({ ...m, ...pending.info }));
      if (!pending.stop) return { state: updated, operators: [] };
      const r = stop(updated, false);
      return { state: r.state, operators: [r.operator] };
    }
  }
}

/**
 * §2.4.4 step 5 checkpoint monotonicity on the in-memory status (with `nextCheckpoint` of
 * heartbeat.ts): a regressing checkpoint without errors is ignored, with errors it is clamped.
 * An unknown changefeed is left alone.
 */
export function applyStatusCheckpoint(
  state: CoordinatorChangefeeds,
  args: { changefeed: ChangefeedId; checkpointTs: Uint64; hasErrors: boolean },
): { state: CoordinatorChangefeeds; applied: boolean } {
  assertUint64(args.checkpointTs, 'checkpointTs');
  const m = state.meta.get(args.changefeed);
  if (!m) return { state, applied: false };
  const next = nextCheckpoint(m.checkpointTs, args.checkpointTs, args.hasErrors);
  if (next.checkpointTs === m.checkpointTs) return { state, applied: next.applied };
  return { state: withMeta(state, args.changefeed, (x) => ({ ...x, checkpointTs: next.checkpointTs })), applied: next.applied };
}

/**
 * The AddMaintainer operator's input for `cf` on `dest` (§6.9 item 2: the request carries the
 * in-memory epoch, here after any bump was applied), from the in-memory info and status.
 */
export function addMaintainerInputFor(
  state: CoordinatorChangefeeds,
  changefeed: ChangefeedId,
  dest: NodeId,
): { changefeedId: ChangefeedId; dest: NodeId; maintainerEpoch: Uint64; checkpointTs: Uint64; isNew: boolean } {
  const m = state.meta.get(changefeed);
  const e = state.db.get(changefeed);
  if (!m || !e) throw new ChangefeedApiError(Code.NotFound, changefeed, 'changefeed not found');
  return { changefeedId: changefeed, dest, maintainerEpoch: m.epoch, checkpointTs: m.checkpointTs, isNew: e.isNew };
}
