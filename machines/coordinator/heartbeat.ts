/**
 * Heartbeat status filtering on the coordinator (spec §2.4.4), as a pure classification.
 *
 * The host calls `classifyMaintainerStatus` for each status of an admitted heartbeat, in order,
 * after delivering it to the operator (step 1 is the host's: `UpdateOperatorStatus` sees every
 * admitted status, stale ones included). Checkpoint handling of step 5 (`cf.UpdateStatus`) is not
 * done here; the verdict `apply` says the status reaches it.
 */
import { match, type Uint64 } from '../epoch.js';
import type { MaintainerState, NodeId } from '../protocol.js';

/** Whether the whole heartbeat from `from` is admitted (§2.4.4 preamble). */
export function heartbeatAdmitted(coordinatorInitialized: boolean, nodeInitialized: boolean): boolean {
  return coordinatorInitialized && nodeInitialized;
}

export interface ChangefeedView {
  /** '' when unbound. */
  readonly nodeId: string;
  readonly epoch: Uint64;
}

export type StatusVerdict =
  /** Step 2: unknown changefeed, Working, no operator: cascade-remove it with the status's epoch. */
  | { kind: 'removeUnknown'; to: NodeId; maintainerEpoch: Uint64 }
  /** Step 2 without Working or with an operator, or step 3: ignored. */
  | { kind: 'ignore'; step: 2 | 3 }
  /** Step 4: epoch mismatch, dropped as stale. */
  | { kind: 'stale' }
  /** Step 5: reaches `cf.UpdateStatus`. */
  | { kind: 'apply' };

export function classifyMaintainerStatus(args: {
  from: NodeId;
  state: MaintainerState;
  maintainerEpoch: Uint64;
  changefeed: ChangefeedView | undefined;
  hasOperator: boolean;
}): StatusVerdict {
  const { from, state, maintainerEpoch, changefeed, hasOperator } = args;
  if (!changefeed) {
    return state === 'Working' && !hasOperator
      ? { kind: 'removeUnknown', to: from, maintainerEpoch }
      : { kind: 'ignore', step: 2 };
  }
  if (changefeed.nodeId === '' || changefeed.nodeId !== from) return { kind: 'ignore', step: 3 };
  if (!match(maintainerEpoch, changefeed.epoch)) return { kind: 'stale' };
  return { kind: 'apply' };
}

/**
 * Step 5's checkpoint monotonicity (§2.4.4): a regressing checkpoint without errors is ignored
 * (the status is not applied); with errors it is clamped to the current one and the errors still
 * count. Returns the checkpoint to keep and whether the status is applied.
 */
export function nextCheckpoint(current: Uint64, reported: Uint64, hasErrors: boolean): { checkpointTs: Uint64; applied: boolean } {
  if (reported >= current) return { checkpointTs: reported, applied: true };
  return hasErrors ? { checkpointTs: current, applied: true } : { checkpointTs: current, applied: false };
}
