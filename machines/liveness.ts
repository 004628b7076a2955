/**
 * Shared liveness events and the observation rule of the coordinator's drain controller
 * (`coordinator/drain/controller.go:observeLivenessLocked`, spec §2.5.1), used by both
 * {@link drainNodeMachine} and {@link livenessViewMachine}, which in the source are two readings of
 * one per-node record.
 */
import type { Uint64 } from './epoch.js';
import { LIVENESS_ORDER, type Liveness, type NodeId } from './protocol.js';

/** A liveness observation from a NodeHeartbeat or a SetNodeLivenessResponse, stamped with the host's clock. */
export interface ObserveEvent {
  type: 'OBSERVE';
  now: number;
  nodeEpoch: Uint64;
  liveness: Liveness;
}
/** The node left membership (`RemoveNode`): its record is deleted. */
export interface NodeLeftEvent {
  type: 'NODE_REMOVED';
  node: NodeId;
}

export interface ObservedRecord {
  observed: boolean;
  nodeEpoch: Uint64;
  liveness: Liveness;
}

/**
 * The drop rule of `observeLivenessLocked`: once observed, an older node epoch is dropped (a stale
 * process), and at the same epoch a lower liveness is dropped (the view never regresses within an
 * epoch, §5.1 B19, I13).
 */
export function isStaleObservation(rec: ObservedRecord, e: { nodeEpoch: Uint64; liveness: Liveness }): boolean {
  if (!rec.observed) return false;
  if (e.nodeEpoch < rec.nodeEpoch) return true;
  return e.nodeEpoch === rec.nodeEpoch && LIVENESS_ORDER[e.liveness] < LIVENESS_ORDER[rec.liveness];
}

/**
 * True when an already-observed node reports a higher epoch: a new process lifetime, so the record
 * is reset first (§2.5.1). A first observation resets nothing (the send timestamps survive it).
 */
export function isNewEpoch(rec: ObservedRecord, e: { nodeEpoch: Uint64 }): boolean {
  return rec.observed && e.nodeEpoch > rec.nodeEpoch;
}
