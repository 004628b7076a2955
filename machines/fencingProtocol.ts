/**
 * Receiver-side messages (§1.1) and the fencing rules of §2.7.3 that are pure functions: the
 * dispatcher manager's owner-update rule, the tombstone rule, and the orchestrator's queue
 * admission (`TryEnqueue`).
 */
import { maxEpoch, type Uint64 } from './epoch.js';
import type { ChangefeedId, MaintainerState, NodeId } from './protocol.js';

/** `canUpdateMaintainerLocked(from, e)` (§2.7.3): the owner epoch never decreases and never returns to 0. */
export function canUpdateOwner(owner: NodeId, ownerEpoch: Uint64, from: NodeId, e: Uint64): boolean {
  if (e === 0n) return ownerEpoch === 0n;
  if (ownerEpoch > e) return false;
  if (ownerEpoch === e && owner !== '' && owner !== from) return false;
  return true;
}

/**
 * `recordClosedMaintainerEpoch(cf, e, removed)` (§2.7.3): an epoch-0 close records nothing unless
 * it is a remove (a compatibility pause must not block a compatibility resume, §5.1 B17);
 * otherwise the tombstone keeps the maximum. `null` = no tombstone (presence matters: 0 is valid).
 */
export function nextTombstone(current: Uint64 | null, e: Uint64, removed: boolean): Uint64 | null {
  if (e === 0n && !removed) return current;
  return current === null ? e : maxEpoch(current, e);
}

/** A tombstone refuses a bootstrap with epoch 0 or at or below it (I11). */
export function tombstoneRefuses(tombstone: Uint64 | null, e: Uint64): boolean {
  return tombstone !== null && (e === 0n || e <= tombstone);
}

export type QueuedType = 'bootstrap' | 'postBootstrap' | 'close';

export interface QueuedMessage {
  type: QueuedType;
  from: NodeId;
  maintainerEpoch: Uint64;
  /** Close only. */
  removed?: boolean;
}

/**
 * `TryEnqueue` (helper.go, §2.7.3): at most one queued message per (changefeed, type). A newcomer
 * replaces the queued one iff its epoch is higher, or it is a removing close replacing a
 * non-removing close at an epoch at least as high. Otherwise it is dropped.
 */
export function replacesQueued(queued: QueuedMessage, incoming: QueuedMessage): boolean {
  if (incoming.maintainerEpoch > queued.maintainerEpoch) return true;
  return (
    incoming.type === 'close' &&
    incoming.removed === true &&
    queued.removed !== true &&
    incoming.maintainerEpoch >= queued.maintainerEpoch
  );
}

/** A dispatcher operator stored in a dispatcher manager, with the owner that created it. */
export interface StoredOperator {
  dispatcher: string;
  kind: 'create' | 'remove';
  owner: NodeId;
  ownerEpoch: Uint64;
}

// Messages the receivers emit.
export interface MaintainerStatusMessage {
  type: 'MaintainerStatus';
  to: NodeId;
  changefeedId: ChangefeedId;
  state: MaintainerState;
  maintainerEpoch: Uint64;
  bootstrapDone: boolean;
}
export interface MaintainerCloseRequest {
  type: 'MaintainerCloseRequest';
  to: NodeId;
  changefeedId: ChangefeedId;
  removed: boolean;
  maintainerEpoch: Uint64;
}
export interface MaintainerBootstrapRequest {
  type: 'MaintainerBootstrapRequest';
  to: NodeId;
  changefeedId: ChangefeedId;
  maintainerEpoch: Uint64;
}
export interface MaintainerBootstrapResponse {
  type: 'MaintainerBootstrapResponse';
  to: NodeId;
  changefeedId: ChangefeedId;
  /** The dispatcher manager's owner epoch after handling the request. */
  maintainerEpoch: Uint64;
  operators: StoredOperator[];
  error: string | null;
}
export interface MaintainerCloseResponse {
  type: 'MaintainerCloseResponse';
  to: NodeId;
  changefeedId: ChangefeedId;
  success: boolean;
  /** Echo of the request epoch. */
  maintainerEpoch: Uint64;
}
