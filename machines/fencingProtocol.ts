/**
 * Receiver-side vocabulary: the messages of the catalogue (spec §1.1) that the maintainer registry,
 * the dispatcher managers and the dispatcher orchestrator send, and the fencing rules of §2.7 that
 * are pure functions of a few values — the dispatcher manager's owner-update rule, the tombstone
 * rule, the bootstrap-response operator filter and the orchestrator's queue admission (`TryEnqueue`).
 *
 * The request/response rules shared with the coordinator side (`match`, `strictAllow`, `dmAllow`)
 * live in `epoch.ts`. Every epoch is a uint64 `bigint`.
 */
import { dmAllow, maxEpoch, type Uint64 } from './epoch.js';
import type { ChangefeedId, MaintainerState, NodeId } from './protocol.js';

// ---------------------------------------------------------------------------------------------
// Pure rules (§2.7.1, §2.7.3)
// ---------------------------------------------------------------------------------------------

/**
 * `isNewerMaintainerEpoch(cur, req)` (§2.7.1 step 3): `req ≠ 0 ∧ (cur = 0 ∨ req > cur)`. Epoch 0 is
 * never newer; any non-zero epoch is newer than a compatibility (0) maintainer.
 */
export function isNewerMaintainerEpoch(current: Uint64, request: Uint64): boolean {
  return request !== 0n && (current === 0n || request > current);
}

/**
 * `canUpdateMaintainerLocked(from, e)` (§2.7.3): epoch 0 only while the owner epoch is 0; never to a
 * lower epoch; at the same epoch never to a different sender once an owner is known. So the owner
 * epoch never decreases and never returns to 0 (I10).
 */
export function canUpdateOwner(owner: NodeId, ownerEpoch: Uint64, from: NodeId, e: Uint64): boolean {
  if (e === 0n) return ownerEpoch === 0n;
  if (ownerEpoch > e) return false;
  if (ownerEpoch === e && owner !== '' && owner !== from) return false;
  return true;
}

/**
 * `recordClosedMaintainerEpochLocked(cf, e, removed)` (§2.7.3): an epoch-0 close records nothing
 * unless it removes the changefeed (a compatibility pause must not block a compatibility resume,
 * §5.1 B17); otherwise the tombstone keeps the maximum. `null` = no tombstone (presence matters,
 * because 0 is a valid tombstone).
 */
export function nextTombstone(current: Uint64 | null, e: Uint64, removed: boolean): Uint64 | null {
  if (e === 0n && !removed) return current;
  return current === null ? e : maxEpoch(current, e);
}

/** A tombstone refuses a bootstrap with epoch 0 or at or below it (§2.7.3 step 1, I11). */
export function tombstoneRefuses(tombstone: Uint64 | null, e: Uint64): boolean {
  return tombstone !== null && (e === 0n || e <= tombstone);
}

/** A dispatcher operator stored in a dispatcher manager's `currentOperatorMap`, with its sender. */
export interface StoredOperator {
  dispatcher: string;
  kind: 'create' | 'remove';
  owner: NodeId;
  ownerEpoch: Uint64;
}

/**
 * `retrieveOperatorsForBootstrapResponse` (§2.7.3 step 5, §5.1 B12): the stored operators that pass
 * `dmAllow` for the owner snapshot, plus a stale **Remove** whose dispatcher is in the same
 * snapshot's spans (the cleanup intent is kept); stale creates are never restored.
 */
export function operatorsForBootstrap(
  operators: readonly StoredOperator[],
  spans: readonly string[],
  owner: NodeId,
  ownerEpoch: Uint64,
): StoredOperator[] {
  return operators.filter(
    (op) => dmAllow(op.owner, op.ownerEpoch, owner, ownerEpoch) || (op.kind === 'remove' && spans.includes(op.dispatcher)),
  );
}

export type QueuedType = 'bootstrap' | 'postBootstrap' | 'close';

/** A control message waiting in the orchestrator's pending queue. */
export interface QueuedMessage {
  type: QueuedType;
  from: NodeId;
  maintainerEpoch: Uint64;
  /** Close only. */
  removed?: boolean;
}

/**
 * `shouldReplacePendingMessage` (`dispatcherorchestrator/helper.go`, §2.7.3): a newcomer replaces
 * the queued message iff its maintainer epoch is higher, or it is a removing close replacing a
 * non-removing close at an epoch at least as high. The queued message keeps its FIFO position.
 */
export function replacesQueued(queued: QueuedMessage, incoming: QueuedMessage): boolean {
  if (incoming.maintainerEpoch > queued.maintainerEpoch) return true;
  return (
    incoming.type === 'close' &&
    queued.type === 'close' &&
    incoming.removed === true &&
    queued.removed !== true &&
    incoming.maintainerEpoch >= queued.maintainerEpoch
  );
}

// ---------------------------------------------------------------------------------------------
// Messages the receivers send (§1.1). `to` is the receiving node.
// ---------------------------------------------------------------------------------------------

/** mm → coordinator: one `MaintainerStatus` (in a `MaintainerHeartbeat`). */
export interface MaintainerStatusMessage {
  type: 'MaintainerStatus';
  to: NodeId;
  changefeedId: ChangefeedId;
  state: MaintainerState;
  maintainerEpoch: Uint64;
  bootstrapDone: boolean;
  /** Running errors were recorded since the last status (`MaintainerStatus.Err` non-empty). */
  error: boolean;
}
/** maintainer → orch(n). `tableTriggerId` is set only on the request to the maintainer's own node. */
export interface MaintainerBootstrapRequest {
  type: 'MaintainerBootstrapRequest';
  to: NodeId;
  changefeedId: ChangefeedId;
  maintainerEpoch: Uint64;
  tableTriggerId: string | null;
}
/** maintainer → orch(own node), after every node answered the bootstrap. */
export interface MaintainerPostBootstrapRequest {
  type: 'MaintainerPostBootstrapRequest';
  to: NodeId;
  changefeedId: ChangefeedId;
  maintainerEpoch: Uint64;
  tableTriggerId: string;
}
/** maintainer → orch(n) during a cascade remove. */
export interface MaintainerCloseRequest {
  type: 'MaintainerCloseRequest';
  to: NodeId;
  changefeedId: ChangefeedId;
  removed: boolean;
  maintainerEpoch: Uint64;
}
/**
 * orch(n) → maintainer. A successful response carries the dispatcher manager's owner epoch after
 * the update, its spans and the filtered operators; an error response carries the request epoch.
 */
export interface MaintainerBootstrapResponse {
  type: 'MaintainerBootstrapResponse';
  to: NodeId;
  changefeedId: ChangefeedId;
  maintainerEpoch: Uint64;
  spans: string[];
  operators: StoredOperator[];
  error: string | null;
}
/** orch(n) → maintainer; echoes the request epoch. */
export interface MaintainerPostBootstrapResponse {
  type: 'MaintainerPostBootstrapResponse';
  to: NodeId;
  changefeedId: ChangefeedId;
  maintainerEpoch: Uint64;
  error: string | null;
}
/** orch(n) → maintainer; echoes the request epoch. */
export interface MaintainerCloseResponse {
  type: 'MaintainerCloseResponse';
  to: NodeId;
  changefeedId: ChangefeedId;
  success: boolean;
  maintainerEpoch: Uint64;
}
