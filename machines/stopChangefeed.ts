/**
 * StopChangefeedOperator (`coordinator/operator/operator_stop.go`), spec §2.3, on the controller
 * queue of §2.0.
 *
 * Lifecycle: `Sending` (keep sending a cascade remove to `nodeId` with the fixed
 * `maintainerEpoch`) → `Finished` when that node reports a non-Working status with a matching epoch,
 * or the task is removed → `POST_FINISH` → `Disposed`.
 *
 * Rules encoded (§2.3 table):
 * - Every remove is cascade (`RemoveMaintainerMessage` forces `cascade || removed`, and the stop
 *   always passes cascade=true) and carries `removed` = `changefeedRemoved`.
 * - STATUS finishes the stop only from `nodeId`, with `match(epoch, maintainerEpoch)` and a state
 *   other than Working: a Working status never finishes it.
 * - NODE_REMOVED(nodeId) redirects the stop to the coordinator's own node, **without** finishing:
 *   that node's maintainer manager creates a remove-only maintainer with the same epoch and
 *   cascade-closes the dispatchers everywhere (§2.7.2).
 * - POST_FINISH: removed → delete the changefeed (info and status in one txn); not removed → set
 *   progress None. The source only logs errors of both, so the intents are fire-and-forget.
 *
 * Events in: SCHEDULE, STATUS, NODE_REMOVED, TASK_REMOVED, POST_FINISH.
 * Effects out: RemoveMaintainerRequest, store.deleteChangefeed, store.setChangefeedProgress(None).
 *
 * Simplifications: which node and epoch the stop starts with is the caller's decision (§2.3.2:
 * the origin and `originEpoch` while a move has not bound its target, else the DB node and the
 * current epoch, else the coordinator's node) and is input here; see `originStopTarget` in
 * moveMaintainer.ts. The replace-or-keep rule of `pushStopChangefeedOperator` belongs to the
 * controller that owns the operator map, not to one operator.
 */
import { setup, emit, assign } from 'xstate';
import { match, type Uint64 } from './epoch.js';
import type { ChangefeedId, NodeId, OperatorEvent, StopChangefeedEffect } from './protocol.js';
import { fromValidInput } from './boundary.js';

export interface StopChangefeedInput {
  changefeedId: ChangefeedId;
  nodeId: NodeId;
  coordinatorNode: NodeId;
  maintainerEpoch: Uint64;
  /** true for RemoveChangefeed, false for a pause or a failed/finished/warning stop. */
  removed: boolean;
}

export interface StopChangefeedContext extends StopChangefeedInput {}

export const stopChangefeedMachine = setup({
  types: {
    input: {} as StopChangefeedInput,
    context: {} as StopChangefeedContext,
    events: {} as OperatorEvent,
    emitted: {} as StopChangefeedEffect,
  },
  guards: {
    isStoppedStatus: ({ context, event }) =>
      event.type === 'STATUS' &&
      event.from === context.nodeId &&
      match(event.maintainerEpoch, context.maintainerEpoch) &&
      event.state !== 'Working',
    isNodeRemoved: ({ context, event }) => event.type === 'NODE_REMOVED' && event.node === context.nodeId,
    isChangefeedRemoved: ({ context }) => context.removed,
  },
  actions: {
    sendCascadeRemove: emit(({ context }) => ({
      type: 'RemoveMaintainerRequest' as const,
      to: context.nodeId,
      changefeedId: context.changefeedId,
      cascade: true,
      removed: context.removed,
      maintainerEpoch: context.maintainerEpoch,
    })),
    redirectToCoordinator: assign({ nodeId: ({ context }) => context.coordinatorNode }),
    deleteChangefeed: emit(({ context }) => ({
      type: 'store.deleteChangefeed' as const,
      changefeedId: context.changefeedId,
    })),
    resetProgress: emit(({ context }) => ({
      type: 'store.setChangefeedProgress' as const,
      changefeedId: context.changefeedId,
      progress: 'None' as const,
    })),
  },
}).createMachine({
  id: 'stopChangefeed',
  context: fromValidInput('stopChangefeed', (input) => ({ ...input })),
  initial: 'Sending',
  states: {
    Sending: {
      on: {
        SCHEDULE: { actions: 'sendCascadeRemove' },
        STATUS: { guard: 'isStoppedStatus', target: 'Finished' },
        NODE_REMOVED: { guard: 'isNodeRemoved', actions: 'redirectToCoordinator' },
        TASK_REMOVED: { target: 'Finished' },
      },
    },
    Finished: {
      on: {
        POST_FINISH: [
          { guard: 'isChangefeedRemoved', target: 'Disposed', actions: 'deleteChangefeed' },
          { target: 'Disposed', actions: 'resetProgress' },
        ],
      },
    },
    Disposed: { type: 'final' },
  },
});
