/**
 * The node-side dispatcher drain target (`maintainer_manager_node.go:tryUpdateDispatcherDrainTarget`),
 * spec §2.5.4 (node side) and §2.6.3 (coordinator bootstrap reply).
 *
 * States: `Cleared` (no target, or the empty target at some epoch) and `Targeted` (a non-empty
 * target node at an epoch).
 *
 * Rules encoded:
 * - A request not from the known coordinator is ignored and gets no heartbeat.
 * - A lower epoch is rejected; at the same epoch only non-empty → empty (the clear) is accepted; a
 *   higher epoch always wins. An accepted update fans out to the node's maintainers.
 * - **Every** request from the coordinator, accepted or not, is answered by a forced NodeHeartbeat
 *   reporting the node's current (target, epoch): that heartbeat is the ack — once the node is
 *   bootstrapped (adopted coordinator version > 0, `isBootstrap()`): node heartbeats are never sent
 *   before that, so a request after a version-0 bootstrap is applied but not acknowledged.
 * - COORDINATOR_BOOTSTRAP with a version not older than the one seen adopts the sender and answers
 *   with the current drain target (and drain protocol version 1); the source sends this bootstrap
 *   response whatever the version.
 *
 * Events in: SET_DISPATCHER_DRAIN_TARGET {from, target, epoch}, COORDINATOR_BOOTSTRAP {from, version}.
 * Effects out: NodeDrainHeartbeat {to, target, epoch}, CoordinatorBootstrapResponse,
 * maintainers.setDrainTarget.
 * Simplification: the heartbeat here carries only the drain-target fields (liveness and node epoch
 * are the node liveness machine's).
 */
import { setup, emit, assign, enqueueActions } from 'xstate';
import type { Uint64 } from './epoch.js';
import type { NodeId } from './protocol.js';
import { fromValidInput } from './boundary.js';

export interface NodeDrainTargetContext {
  coordinatorId: NodeId;
  coordinatorVersion: Uint64;
  target: NodeId;
  epoch: Uint64;
}

export type NodeDrainTargetEvent =
  | { type: 'SET_DISPATCHER_DRAIN_TARGET'; from: NodeId; target: NodeId; epoch: Uint64 }
  | { type: 'COORDINATOR_BOOTSTRAP'; from: NodeId; version: Uint64 };

export type NodeDrainTargetEffect =
  | { type: 'NodeDrainHeartbeat'; to: NodeId; target: NodeId; epoch: Uint64 }
  | { type: 'CoordinatorBootstrapResponse'; to: NodeId; drainProtocolVersion: 1; target: NodeId; epoch: Uint64 }
  | { type: 'maintainers.setDrainTarget'; target: NodeId; epoch: Uint64 };

export const nodeDrainTargetMachine = setup({
  types: {
    input: {} as { coordinatorId: NodeId; coordinatorVersion: Uint64 },
    context: {} as NodeDrainTargetContext,
    events: {} as NodeDrainTargetEvent,
    emitted: {} as NodeDrainTargetEffect,
  },
  guards: {
    isNotFromCoordinator: ({ context, event }) => event.type === 'SET_DISPATCHER_DRAIN_TARGET' && event.from !== context.coordinatorId,
    isAcceptedTarget: ({ context, event }) =>
      event.type === 'SET_DISPATCHER_DRAIN_TARGET' && event.target !== '' &&
      event.epoch > context.epoch,
    isAcceptedClear: ({ context, event }) =>
      event.type === 'SET_DISPATCHER_DRAIN_TARGET' && event.target === '' &&
      (event.epoch > context.epoch || (event.epoch === context.epoch && context.target !== '')),
    isCurrentOrNewerCoordinator: ({ context, event }) => event.type === 'COORDINATOR_BOOTSTRAP' && event.version >= context.coordinatorVersion,
  },
  actions: {
    apply: assign(({ event }) => (event.type === 'SET_DISPATCHER_DRAIN_TARGET' ? { target: event.target, epoch: event.epoch } : {})),
    fanOut: emit(({ context }) => ({ type: 'maintainers.setDrainTarget' as const, target: context.target, epoch: context.epoch })),
    /** `sendNodeHeartbeat(true)`: a no-op until a coordinator with version > 0 bootstrapped the node. */
    ackIfBootstrapped: enqueueActions(({ context, enqueue }) => {
      if (context.coordinatorVersion > 0n) {
        enqueue.emit({ type: 'NodeDrainHeartbeat', to: context.coordinatorId, target: context.target, epoch: context.epoch });
      }
    }),
    adopt: assign(({ event }) => (event.type === 'COORDINATOR_BOOTSTRAP' ? { coordinatorId: event.from, coordinatorVersion: event.version } : {})),
    replyBootstrap: emit(({ context }) => ({
      type: 'CoordinatorBootstrapResponse' as const,
      to: context.coordinatorId,
      drainProtocolVersion: 1 as const,
      target: context.target,
      epoch: context.epoch,
    })),
  },
}).createMachine({
  id: 'nodeDrainTarget',
  context: fromValidInput('nodeDrainTarget', (input) => ({ coordinatorId: input.coordinatorId, coordinatorVersion: input.coordinatorVersion, target: '', epoch: 0n })),
  initial: 'Cleared',
  on: {
    COORDINATOR_BOOTSTRAP: { guard: 'isCurrentOrNewerCoordinator', actions: ['adopt', 'replyBootstrap'] },
  },
  states: {
    Cleared: {
      on: {
        SET_DISPATCHER_DRAIN_TARGET: [
          { guard: 'isNotFromCoordinator' },
          { guard: 'isAcceptedTarget', target: 'Targeted', actions: ['apply', 'fanOut', 'ackIfBootstrapped'] },
          { guard: 'isAcceptedClear', actions: ['apply', 'fanOut', 'ackIfBootstrapped'] },
          { actions: 'ackIfBootstrapped' },
        ],
      },
    },
    Targeted: {
      on: {
        SET_DISPATCHER_DRAIN_TARGET: [
          { guard: 'isNotFromCoordinator' },
          { guard: 'isAcceptedTarget', actions: ['apply', 'fanOut', 'ackIfBootstrapped'] },
          { guard: 'isAcceptedClear', target: 'Cleared', actions: ['apply', 'fanOut', 'ackIfBootstrapped'] },
          { actions: 'ackIfBootstrapped' },
        ],
      },
    },
  },
});
