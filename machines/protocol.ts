/**
 * The vocabulary every machine shares: node IDs, the message catalogue of spec §1.1 as typed
 * payloads, and the persistence / changefeed-DB intents of §2.0 and §2.3 that machines emit.
 *
 * Machines never perform I/O. What they want done leaves them as one of the {@link Effect} values
 * below (through XState's `emit`), and the host carries it out: sends the message, updates its
 * ChangefeedDB, or calls its epoch store.
 */
import type { Uint64 } from './epoch.js';

export type NodeId = string;
export type ChangefeedId = string;

/**
 * A component state as reported in `MaintainerStatus.State` and dispatcher statuses: every name of
 * the protobuf enum `heartbeatpb.ComponentState`, so a status the model did not expect is still a
 * valid message. Receivers compare as the Go code does: operators test `!= Working`, the registry's
 * span bookkeeping `== Stopped`; any other state is simply "not Working" (spec §1.1, §2.0).
 */
export const MAINTAINER_STATES = ['Working', 'Stopped', 'Removed', 'Initializing', 'Preparing', 'MergeReady', 'WaitingMerge'] as const;
export type MaintainerState = (typeof MAINTAINER_STATES)[number];

/** Node-side liveness (`pkg/liveness`), ordered: Alive=0 < Draining=1 < Stopping=2 (§2.6.1). */
export type Liveness = 'Alive' | 'Draining' | 'Stopping';
export const LIVENESS_ORDER: Record<Liveness, number> = { Alive: 0, Draining: 1, Stopping: 2 };
export const LIVENESS_BY_VALUE: readonly Liveness[] = ['Alive', 'Draining', 'Stopping'];

/** The name of a raw liveness value, as `Liveness.String()`: "Unknown" for nil or out of range. */
export function livenessName(value: number | null | undefined): Liveness | 'Unknown' {
  return value === null || value === undefined ? 'Unknown' : (LIVENESS_BY_VALUE[value] ?? 'Unknown');
}

/** Changefeed progress in `ChangeFeedStatus` (§1): None=1, Removing=2, Stopping=3. */
export type Progress = 'None' | 'Removing' | 'Stopping';

// ---------------------------------------------------------------------------------------------
// Events shared by the coordinator-side operators (§2.0: Check, OnNodeRemove, OnTaskRemoved,
// Schedule, PostFinish).
// ---------------------------------------------------------------------------------------------

/** A `MaintainerStatus` from node `from`, delivered to an operator's `Check` (§2.0, §2.4.4). */
export interface StatusEvent {
  type: 'STATUS';
  from: NodeId;
  state: MaintainerState;
  bootstrapDone: boolean;
  maintainerEpoch: Uint64;
}
/** Node `node` left membership (`OnNodeRemove`): the only authoritative death signal (§1). */
export interface NodeRemovedEvent {
  type: 'NODE_REMOVED';
  node: NodeId;
}
/** The changefeed is being stopped or removed (`OnTaskRemoved`). */
export interface TaskRemovedEvent {
  type: 'TASK_REMOVED';
}
/** The controller's poll reached this operator (`Schedule`): (re)send its command (§2.0). */
export interface ScheduleEvent {
  type: 'SCHEDULE';
}
/** The controller found the operator finished and runs `PostFinish` before dropping it. */
export interface PostFinishEvent {
  type: 'POST_FINISH';
}

export type OperatorEvent = StatusEvent | NodeRemovedEvent | TaskRemovedEvent | ScheduleEvent | PostFinishEvent;

// ---------------------------------------------------------------------------------------------
// Outgoing messages (§1.1). `to` is the receiving node.
// ---------------------------------------------------------------------------------------------

export interface AddMaintainerRequest {
  type: 'AddMaintainerRequest';
  to: NodeId;
  changefeedId: ChangefeedId;
  maintainerEpoch: Uint64;
  checkpointTs: Uint64;
  isNew: boolean;
}
export interface RemoveMaintainerRequest {
  type: 'RemoveMaintainerRequest';
  to: NodeId;
  changefeedId: ChangefeedId;
  /** `RemoveMaintainerMessage` forces `cascade = cascade || removed`; the machines emit the forced value. */
  cascade: boolean;
  removed: boolean;
  maintainerEpoch: Uint64;
}
export interface SetNodeLivenessRequest {
  type: 'SetNodeLivenessRequest';
  to: NodeId;
  target: Liveness;
  nodeEpoch: Uint64;
}
export interface SetNodeLivenessResponse {
  type: 'SetNodeLivenessResponse';
  to: NodeId;
  applied: Liveness;
  nodeEpoch: Uint64;
}
export interface NodeHeartbeat {
  type: 'NodeHeartbeat';
  to: NodeId;
  liveness: Liveness;
  nodeEpoch: Uint64;
  /** true for the forced heartbeat after an applied liveness change (§2.6.2 step 3). */
  forced: boolean;
}

export type OutgoingMessage =
  | AddMaintainerRequest
  | RemoveMaintainerRequest
  | SetNodeLivenessRequest
  | SetNodeLivenessResponse
  | NodeHeartbeat;

// ---------------------------------------------------------------------------------------------
// Intents for the host's ChangefeedDB (§2.0 table) and epoch store (§2.3 PostFinish).
// ---------------------------------------------------------------------------------------------

export interface BindChangefeedIntent {
  type: 'db.bindChangefeedToNode';
  changefeedId: ChangefeedId;
  from: NodeId;
  to: NodeId;
}
export interface MarkSchedulingIntent {
  type: 'db.markMaintainerScheduling';
  changefeedId: ChangefeedId;
}
export interface MarkReplicatingIntent {
  type: 'db.markMaintainerReplicating';
  changefeedId: ChangefeedId;
  /** AddMaintainer's PostFinish also clears `cf.isNew`. */
  clearIsNew: boolean;
}
export interface MarkAbsentIntent {
  type: 'db.markMaintainerAbsent';
  changefeedId: ChangefeedId;
}
export interface DeleteChangefeedIntent {
  type: 'store.deleteChangefeed';
  changefeedId: ChangefeedId;
}
export interface SetProgressIntent {
  type: 'store.setChangefeedProgress';
  changefeedId: ChangefeedId;
  progress: Progress;
}

export type Intent =
  | BindChangefeedIntent
  | MarkSchedulingIntent
  | MarkReplicatingIntent
  | MarkAbsentIntent
  | DeleteChangefeedIntent
  | SetProgressIntent;

/** Everything a machine may emit. */
export type Effect = OutgoingMessage | Intent;

/**
 * What each operator emits, so that a host's `switch (effect.type)` over one machine's effects is
 * exhaustive (the union above is every machine's together).
 */
export type AddMaintainerEffect = AddMaintainerRequest | BindChangefeedIntent | MarkReplicatingIntent | MarkAbsentIntent;
export type MoveMaintainerEffect =
  | AddMaintainerRequest
  | RemoveMaintainerRequest
  | BindChangefeedIntent
  | MarkSchedulingIntent
  | MarkReplicatingIntent
  | MarkAbsentIntent;
export type StopChangefeedEffect = RemoveMaintainerRequest | DeleteChangefeedIntent | SetProgressIntent;
export type DrainNodeEffect = SetNodeLivenessRequest;
