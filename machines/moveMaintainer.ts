/**
 * MoveMaintainerOperator (`coordinator/operator/operator_move.go`), spec §2.2, on the controller
 * queue of §2.0. An origin-first handoff: stop the old owner, then add the new one; at no point
 * are both asked to run (invariant I6).
 *
 * States (§2.2 table): `RemoveOrigin` (keep sending a non-cascade remove to origin with
 * `originEpoch`) → `OriginStopped` (origin seen stopped, or its node is gone; target not yet
 * bound) → `AddTarget` (bound to target; keep sending AddMaintainer) → `DoneSuccess`; any
 * abort lands in `DoneNoPostFinish`. Both Done states are the source's `IsFinished`; they wait for
 * `POST_FINISH` and end in `Disposed`.
 *
 * Rules encoded:
 * - `originEpoch` is captured at creation (before the admission bump, §2.4), so the remove carries
 *   the epoch the origin actually owns (§5.1 B4, I23). The add carries the post-bump
 *   `maintainerEpoch`.
 * - Start marks the changefeed Scheduling; it stays bound to origin.
 * - OriginStopped → AddTarget happens on the next SCHEDULE tick, as in the source: `Schedule()`
 *   runs `enterAddTarget` (bind origin → target) and returns the first AddMaintainer.
 * - Check: in RemoveOrigin a status from origin with `match(epoch, originEpoch)` and not Working
 *   → OriginStopped; in AddTarget a status from target with `match(epoch, maintainerEpoch)`,
 *   Working and BootstrapDone → DoneSuccess. Ignored when finished.
 * - OnNodeRemove, every row of the onTargetRemoved table: target removed in RemoveOrigin falls
 *   back to target := origin unless target == origin (then finishAsAbsent); in OriginStopped it
 *   falls back unless target == origin or the origin was already removed (`originRemoved`, §5.1
 *   B7); in AddTarget or DoneSuccess it always finishes as Absent (never rebind: §5.1 B6, B8, I22).
 *   Origin removed in RemoveOrigin → OriginStopped (treated as stopped); elsewhere it only sets
 *   `originRemoved`. Ignored in DoneNoPostFinish.
 * - TASK_REMOVED → DoneNoPostFinish from any state, marking nothing.
 * - POST_FINISH marks Replicating only from DoneSuccess.
 *
 * Events in: SCHEDULE, STATUS, NODE_REMOVED, TASK_REMOVED, POST_FINISH.
 * Effects out: RemoveMaintainerRequest (to origin, cascade=false, removed=false, originEpoch),
 * AddMaintainerRequest (to target, maintainerEpoch), db.markMaintainerScheduling,
 * db.bindChangefeedToNode (origin → target), db.markMaintainerAbsent, db.markMaintainerReplicating.
 * Query: {@link originStopTarget} is the source's `originStopTarget()`, used by the stop path (§2.3.2).
 *
 * Simplifications: as for the add operator, `maintainerEpoch` and `checkpointTs` are input, fixed
 * at creation. When both nodes are dead at push time (§2.2 combination 8) the source skips Start
 * (no markScheduling); here the host sends the NODE_REMOVED events right after creation, so the
 * machine emits markScheduling then markAbsent: the changefeed ends Absent in both.
 */
import { setup, emit, assign } from 'xstate';
import { match, type Uint64 } from './epoch.js';
import type { ChangefeedId, NodeId, OperatorEvent, MoveMaintainerEffect } from './protocol.js';
import { fromValidInput } from './boundary.js';

export interface MoveMaintainerInput {
  changefeedId: ChangefeedId;
  origin: NodeId;
  dest: NodeId;
  /** `cf.info.Epoch` at construction: the epoch the origin maintainer owns. */
  originEpoch: Uint64;
  /** `cf.info.Epoch` after the admission bump, carried by the AddMaintainer. */
  maintainerEpoch: Uint64;
  checkpointTs: Uint64;
}

export interface MoveMaintainerContext {
  changefeedId: ChangefeedId;
  origin: NodeId;
  /** The destination; falls back to origin when the destination dies early. */
  target: NodeId;
  originEpoch: Uint64;
  maintainerEpoch: Uint64;
  checkpointTs: Uint64;
  originRemoved: boolean;
}

const removed = (e: OperatorEvent) => (e.type === 'NODE_REMOVED' ? e.node : undefined);

export const moveMaintainerMachine = setup({
  types: {
    input: {} as MoveMaintainerInput,
    context: {} as MoveMaintainerContext,
    events: {} as OperatorEvent,
    emitted: {} as MoveMaintainerEffect,
  },
  guards: {
    isOriginStoppedStatus: ({ context, event }) =>
      event.type === 'STATUS' &&
      event.from === context.origin &&
      match(event.maintainerEpoch, context.originEpoch) &&
      event.state !== 'Working',
    isTargetSuccessStatus: ({ context, event }) =>
      event.type === 'STATUS' &&
      event.from === context.target &&
      match(event.maintainerEpoch, context.maintainerEpoch) &&
      event.state === 'Working' &&
      event.bootstrapDone,
    isTargetRemovedWithNoFallback: ({ context, event }) =>
      removed(event) === context.target && context.target === context.origin,
    isTargetRemovedAfterOriginGone: ({ context, event }) =>
      removed(event) === context.target && (context.target === context.origin || context.originRemoved),
    isTargetRemoved: ({ context, event }) => removed(event) === context.target,
    isOriginRemoved: ({ context, event }) => removed(event) === context.origin,
  },
  actions: {
    markScheduling: emit(({ context }) => ({
      type: 'db.markMaintainerScheduling' as const,
      changefeedId: context.changefeedId,
    })),
    sendRemoveToOrigin: emit(({ context }) => ({
      type: 'RemoveMaintainerRequest' as const,
      to: context.origin,
      changefeedId: context.changefeedId,
      cascade: false,
      removed: false,
      maintainerEpoch: context.originEpoch,
    })),
    bindOriginToTarget: emit(({ context }) => ({
      type: 'db.bindChangefeedToNode' as const,
      changefeedId: context.changefeedId,
      from: context.origin,
      to: context.target,
    })),
    sendAddToTarget: emit(({ context }) => ({
      type: 'AddMaintainerRequest' as const,
      to: context.target,
      changefeedId: context.changefeedId,
      maintainerEpoch: context.maintainerEpoch,
      checkpointTs: context.checkpointTs,
      isNew: false,
    })),
    fallBackToOrigin: assign({ target: ({ context }) => context.origin }),
    recordOriginRemoved: assign({ originRemoved: true }),
    markAbsent: emit(({ context }) => ({
      type: 'db.markMaintainerAbsent' as const,
      changefeedId: context.changefeedId,
    })),
    markReplicating: emit(({ context }) => ({
      type: 'db.markMaintainerReplicating' as const,
      changefeedId: context.changefeedId,
      clearIsNew: false,
    })),
  },
}).createMachine({
  id: 'moveMaintainer',
  context: fromValidInput('moveMaintainer', (input) => ({
    changefeedId: input.changefeedId,
    origin: input.origin,
    target: input.dest,
    originEpoch: input.originEpoch,
    maintainerEpoch: input.maintainerEpoch,
    checkpointTs: input.checkpointTs,
    originRemoved: false,
  })),
  entry: 'markScheduling',
  initial: 'RemoveOrigin',
  states: {
    RemoveOrigin: {
      on: {
        SCHEDULE: { actions: 'sendRemoveToOrigin' },
        STATUS: { guard: 'isOriginStoppedStatus', target: 'OriginStopped' },
        NODE_REMOVED: [
          { guard: 'isTargetRemovedWithNoFallback', target: 'DoneNoPostFinish', actions: 'markAbsent' },
          { guard: 'isTargetRemoved', actions: 'fallBackToOrigin' },
          { guard: 'isOriginRemoved', target: 'OriginStopped', actions: 'recordOriginRemoved' },
        ],
        TASK_REMOVED: { target: 'DoneNoPostFinish' },
      },
    },
    OriginStopped: {
      on: {
        SCHEDULE: { target: 'AddTarget', actions: ['bindOriginToTarget', 'sendAddToTarget'] },
        NODE_REMOVED: [
          { guard: 'isTargetRemovedAfterOriginGone', target: 'DoneNoPostFinish', actions: 'markAbsent' },
          { guard: 'isTargetRemoved', actions: 'fallBackToOrigin' },
          { guard: 'isOriginRemoved', actions: 'recordOriginRemoved' },
        ],
        TASK_REMOVED: { target: 'DoneNoPostFinish' },
      },
    },
    AddTarget: {
      on: {
        SCHEDULE: { actions: 'sendAddToTarget' },
        STATUS: { guard: 'isTargetSuccessStatus', target: 'DoneSuccess' },
        NODE_REMOVED: [
          { guard: 'isTargetRemoved', target: 'DoneNoPostFinish', actions: 'markAbsent' },
          { guard: 'isOriginRemoved', actions: 'recordOriginRemoved' },
        ],
        TASK_REMOVED: { target: 'DoneNoPostFinish' },
      },
    },
    DoneSuccess: {
      on: {
        NODE_REMOVED: [
          { guard: 'isTargetRemoved', target: 'DoneNoPostFinish', actions: 'markAbsent' },
          { guard: 'isOriginRemoved', actions: 'recordOriginRemoved' },
        ],
        TASK_REMOVED: { target: 'DoneNoPostFinish' },
        POST_FINISH: { target: 'Disposed', actions: 'markReplicating' },
      },
    },
    DoneNoPostFinish: {
      on: {
        POST_FINISH: { target: 'Disposed' },
      },
    },
    Disposed: { type: 'final' },
  },
});

/**
 * `originStopTarget()` (§2.2): while the move is in RemoveOrigin or OriginStopped, a stop for the
 * changefeed must go to the origin with `originEpoch` (§2.3.2 step 4, §5.1 B5, I23).
 */
export function originStopTarget(snapshot: {
  value: unknown;
  context: MoveMaintainerContext;
}): { node: NodeId; maintainerEpoch: Uint64 } | undefined {
  if (snapshot.value === 'RemoveOrigin' || snapshot.value === 'OriginStopped') {
    return { node: snapshot.context.origin, maintainerEpoch: snapshot.context.originEpoch };
  }
  return undefined;
}
