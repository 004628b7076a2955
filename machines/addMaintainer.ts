/**
 * AddMaintainerOperator (`coordinator/operator/operator_add.go`), spec §2.1, on the controller
 * queue of §2.0.
 *
 * Lifecycle: `Sending` until the destination reports Working + BootstrapDone with a matching epoch
 * (`Succeeded`), or the destination leaves membership (`CanceledNodeRemoved`), or the changefeed is
 * stopped (`CanceledTaskRemoved`). The three are the source's `finished` flag; each waits for
 * `POST_FINISH`, whose effect depends on the outcome, and ends in `Disposed`.
 *
 * Rules encoded (§2.1 events table):
 * - Start binds the changefeed to `dest` (`db.bindChangefeedToNode` with from = "") on creation,
 *   even if dest is already known dead (the source's `checkAffectedNodes` runs before Start but
 *   Start still binds).
 * - A status completes the add only if it is from `dest`, `match(status.epoch, epoch)`, Working and
 *   BootstrapDone. BootstrapDone=false never completes it (a remove-only maintainer reports Working).
 * - NODE_REMOVED(dest) overrides everything, success included (§5.1 B8, invariant I22).
 * - TASK_REMOVED overrides everything; NODE_REMOVED(dest) overrides a TaskRemoved cancellation too.
 * - POST_FINISH: success → mark Replicating and clear isNew; NodeRemoved → mark Absent (the basic
 *   scheduler re-adds later with a fresh bump); TaskRemoved → nothing.
 *
 * Events in: SCHEDULE, STATUS, NODE_REMOVED, TASK_REMOVED, POST_FINISH.
 * Effects out (emitted): AddMaintainerRequest (to dest, carrying `maintainerEpoch`),
 * db.bindChangefeedToNode, db.markMaintainerReplicating, db.markMaintainerAbsent.
 *
 * Simplifications: the source reads the live `cf.info.Epoch` at send time; here the epoch is input,
 * fixed at creation. That is the post-bump epoch (§2.4: push happens after SetInfo), and every path
 * that changes the epoch of a changefeed with an operator replaces the operator first (§2.3.2).
 * The checkpoint carried by the request is likewise input.
 */
import { setup, emit, assign } from 'xstate';
import { match, type Uint64 } from './epoch.js';
import type { ChangefeedId, NodeId, OperatorEvent, AddMaintainerEffect } from './protocol.js';
import { fromValidInput } from './boundary.js';

export interface AddMaintainerInput {
  changefeedId: ChangefeedId;
  dest: NodeId;
  /** `cf.info.Epoch` after the admission bump (§2.4). */
  maintainerEpoch: Uint64;
  checkpointTs: Uint64;
  isNew: boolean;
}

export interface AddMaintainerContext extends AddMaintainerInput {}

export const addMaintainerMachine = setup({
  types: {
    input: {} as AddMaintainerInput,
    context: {} as AddMaintainerContext,
    events: {} as OperatorEvent,
    emitted: {} as AddMaintainerEffect,
  },
  guards: {
    isSuccessStatus: ({ context, event }) =>
      event.type === 'STATUS' &&
      event.from === context.dest &&
      match(event.maintainerEpoch, context.maintainerEpoch) &&
      event.state === 'Working' &&
      event.bootstrapDone,
    isDestRemoved: ({ context, event }) => event.type === 'NODE_REMOVED' && event.node === context.dest,
  },
  actions: {
    bindToDest: emit(({ context }) => ({
      type: 'db.bindChangefeedToNode' as const,
      changefeedId: context.changefeedId,
      from: '',
      to: context.dest,
    })),
    sendAddMaintainer: emit(({ context }) => ({
      type: 'AddMaintainerRequest' as const,
      to: context.dest,
      changefeedId: context.changefeedId,
      maintainerEpoch: context.maintainerEpoch,
      checkpointTs: context.checkpointTs,
      isNew: context.isNew,
    })),
    markReplicating: emit(({ context }) => ({
      type: 'db.markMaintainerReplicating' as const,
      changefeedId: context.changefeedId,
      clearIsNew: true,
    })),
    clearIsNew: assign({ isNew: false }),
    markAbsent: emit(({ context }) => ({
      type: 'db.markMaintainerAbsent' as const,
      changefeedId: context.changefeedId,
    })),
  },
}).createMachine({
  id: 'addMaintainer',
  context: fromValidInput('addMaintainer', (input) => ({ ...input })),
  initial: 'Sending',
  states: {
    Sending: {
      entry: 'bindToDest',
      on: {
        SCHEDULE: { actions: 'sendAddMaintainer' },
        STATUS: { guard: 'isSuccessStatus', target: 'Succeeded' },
        NODE_REMOVED: { guard: 'isDestRemoved', target: 'CanceledNodeRemoved' },
        TASK_REMOVED: { target: 'CanceledTaskRemoved' },
      },
    },
    Succeeded: {
      on: {
        NODE_REMOVED: { guard: 'isDestRemoved', target: 'CanceledNodeRemoved' },
        TASK_REMOVED: { target: 'CanceledTaskRemoved' },
        POST_FINISH: { target: 'Disposed', actions: ['markReplicating', 'clearIsNew'] },
      },
    },
    CanceledNodeRemoved: {
      on: {
        TASK_REMOVED: { target: 'CanceledTaskRemoved' },
        POST_FINISH: { target: 'Disposed', actions: 'markAbsent' },
      },
    },
    CanceledTaskRemoved: {
      on: {
        NODE_REMOVED: { guard: 'isDestRemoved', target: 'CanceledNodeRemoved' },
        POST_FINISH: { target: 'Disposed' },
      },
    },
    Disposed: { type: 'final' },
  },
});
