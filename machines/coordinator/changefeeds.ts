/**
 * What the coordinator holds per changefeed besides its DB placement (spec §1 glossary, §2.0):
 * the in-memory info (epoch, state, error) and status (checkpoint), plus the placement half of
 * `stopChangefeed` (§2.3.2 steps 1, 3–5) that bootstrap (§2.4.2) and the changefeed API (§2.4.3)
 * both need.
 *
 * The DB of `changefeedDb.ts` keeps placement only (node, bucket, Stopped); the info lives here in
 * a parallel map so that file stays the operator controller's. Both maps hold the same keys: an
 * entry removed from the DB (`StopByChangefeedID(cf, remove=true)`) is removed here too.
 *
 * Operators are described as plain proposals ({@link StopOperatorProposal}); the operator
 * controller pushes them (§2.3.2 step 6: keep an existing removed stop, else replace).
 *
 * Simplifications: keyspaces are not modelled (every changefeed is in the default keyspace); the
 * error keeps only code and message (TiCDC also compares `Addr`); config is not held in memory.
 */
import type { FeedState, RunningError } from '../../adapters/types.js';
import type { Uint64 } from '../epoch.js';
import type { ChangefeedId, NodeId, RemoveMaintainerRequest } from '../protocol.js';
import { stopByChangefeedId, type ChangefeedDb } from './changefeedDb.js';

export interface ChangefeedMeta {
  /** The in-memory `info.Epoch` (§2.4.3: replaced by the persisted info after every bump). */
  readonly epoch: Uint64;
  readonly state: FeedState;
  readonly error: RunningError | null;
  /** The in-memory status checkpoint (§2.4.4 step 5 keeps it monotonic). */
  readonly checkpointTs: Uint64;
}

export type ChangefeedMetas = ReadonlyMap<ChangefeedId, ChangefeedMeta>;

/** The coordinator's changefeed state: placement (§2.0 DB) and in-memory info, same keys. */
export interface CoordinatorChangefeeds {
  readonly db: ChangefeedDb;
  readonly meta: ChangefeedMetas;
}

export const emptyCoordinatorChangefeeds: CoordinatorChangefeeds = { db: new Map(), meta: new Map() };

/**
 * A stop operator to push (§2.3): `RemoveMaintainerRequest(to=node, cascade=true, removed, epoch)`
 * until the node reports a non-Working status. `entry` names the controller entry point of §2.3.1
 * that created it, for traces.
 */
export interface StopOperatorProposal {
  readonly kind: 'stop';
  readonly changefeed: ChangefeedId;
  readonly node: NodeId;
  readonly epoch: Uint64;
  readonly removed: boolean;
  readonly entry: 'StopChangefeed' | 'StopChangefeedWithMaintainerEpoch' | 'StopRemoteMaintainerWithMaintainerEpoch';
}

/** §2.3.2 step 2's answer from the operator controller: the running move's origin while it must be stopped there. */
export interface MoveOriginStopTarget {
  readonly node: NodeId;
  readonly epoch: Uint64;
}

/**
 * §2.3.2 steps 1 and 3–5 of `stopChangefeed`: the DB change (`StopByChangefeedID`, which always
 * runs) and the stop operator's node and epoch. Step 2 needs the controller's current operator,
 * so the caller passes `moveOrigin` when that operator is a move whose `originStopTarget()` holds;
 * it is ignored when `epoch` is given (`hasEpoch`). Step 6 (replace-or-keep) is the controller's.
 *
 * A changefeed missing from the DB is not an error here (TiCDC: epoch stays the input, 0 for a
 * plain stop, and the stop goes to the coordinator's own node).
 */
export function planStopChangefeed(
  state: CoordinatorChangefeeds,
  args: {
    changefeed: ChangefeedId;
    removed: boolean;
    selfNode: NodeId;
    /** `StopChangefeedWithMaintainerEpoch`'s epoch; undefined for plain `StopChangefeed`. */
    epoch?: Uint64;
    moveOrigin?: MoveOriginStopTarget;
  },
): { state: CoordinatorChangefeeds; operator: StopOperatorProposal } {
  const { changefeed, removed, selfNode } = args;
  const hasEpoch = args.epoch !== undefined;
  const meta = state.meta.get(changefeed);
  // Step 1.
  let epoch = hasEpoch ? (args.epoch as Uint64) : meta ? meta.epoch : 0n;
  // Step 3: StopByChangefeedID always runs (a no-op returning '' for an unknown changefeed).
  let node: NodeId = '';
  let db = state.db;
  let metas = state.meta;
  if (state.db.has(changefeed)) {
    const r = stopByChangefeedId(state.db, changefeed, removed);
    db = r.db;
    node = r.previousNodeId;
    if (removed) {
      const m = new Map(metas);
      m.delete(changefeed);
      metas = m;
    }
  }
  // Step 4.
  if (!hasEpoch && args.moveOrigin) {
    node = args.moveOrigin.node;
    epoch = args.moveOrigin.epoch;
  }
  // Step 5.
  if (node === '') node = selfNode;
  return {
    state: { db, meta: metas },
    operator: {
      kind: 'stop',
      changefeed,
      node,
      epoch,
      removed,
      entry: hasEpoch ? 'StopChangefeedWithMaintainerEpoch' : 'StopChangefeed',
    },
  };
}

/** `RemoveMaintainerMessage(to, cf, cascade=true, removed, epoch)`, the best-effort direct command (§2.4.2 steps 6–7). */
export function removeMaintainerCommand(to: NodeId, changefeedId: ChangefeedId, removed: boolean, maintainerEpoch: Uint64): RemoveMaintainerRequest {
  return { type: 'RemoveMaintainerRequest', to, changefeedId, cascade: true, removed, maintainerEpoch };
}

/** TiCDC `shouldRunChangefeed`: every state but stopped, failed and finished runs (§2.4.2 step 4). */
export function shouldRunChangefeed(state: FeedState): boolean {
  return state !== 'stopped' && state !== 'failed' && state !== 'finished';
}
