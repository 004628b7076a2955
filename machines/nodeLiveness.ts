/**
 * The node-side liveness register and its request handling (`pkg/liveness`,
 * `maintainer/maintainer_manager_node.go`), spec §2.6.1–§2.6.3.
 *
 * States: `Alive` → `Draining` → `Stopping`, one step at a time, never back (I12).
 *
 * Rules encoded:
 * - STORE (a local writer such as `server.localFence`, §2.6.1) applies only the next step; a skip,
 *   a repeat or a step back is refused and changes nothing (Store returns false).
 * - SET_NODE_LIVENESS (§2.6.2): a sender other than the adopted coordinator is ignored with no
 *   response; a node epoch other than this process's own (including the 0 probe) changes nothing
 *   and answers `{applied: current, nodeEpoch: real}` (I15, §5.1 B21); at the right epoch the next
 *   step is applied, answered, and followed by a **forced NodeHeartbeat**; any other target (a
 *   skip such as Alive → STOPPING, a repeat, a step back) answers with the unchanged state.
 * - COORDINATOR_BOOTSTRAP (§2.6.3): a version older than the one seen is ignored; otherwise the
 *   sender is adopted as the coordinator and a forced NodeHeartbeat is sent.
 * - "Bootstrapped" means an adopted coordinator version > 0 (`isBootstrap()`): a version-0
 *   bootstrap adopts the sender, but node heartbeats (forced ones included) are sent only once
 *   bootstrapped, and adds are dropped until then. Liveness requests from the adopted sender are
 *   still handled and answered (the source checks only the sender there).
 * - ADD_MAINTAINER (§2.6.1, §2.7.1 step 1): while Stopping the add is silently dropped (I16); in
 *   Alive and Draining it is admitted (forwarded to the maintainer registry). Adds from a sender
 *   other than the coordinator, or before a bootstrap with version > 0, are ignored.
 *
 * Events in: SET_NODE_LIVENESS {from, target, nodeEpoch}, STORE {liveness},
 * COORDINATOR_BOOTSTRAP {from, version}, ADD_MAINTAINER {from, changefeedId, maintainerEpoch}.
 * Effects out: SetNodeLivenessResponse {to: coordinator, applied, nodeEpoch},
 * NodeHeartbeat {to: coordinator, liveness, nodeEpoch, forced: true}, mm.admitAddMaintainer.
 *
 * Simplifications: the periodic (5 s throttled) node heartbeat and the drain-target fields of the
 * heartbeat are left to the host; only the forced heartbeats are modelled. A raw liveness value
 * outside {Alive, Draining, Stopping} (the source's `Store(3)`) is refused at the input boundary.
 * The bootstrap reply (statuses, drain protocol version, drain target) belongs to the registry.
 */
import { setup, emit, assign, and } from 'xstate';
import type { Uint64 } from './epoch.js';
import { LIVENESS_ORDER, type ChangefeedId, type Effect, type Liveness, type NodeId } from './protocol.js';
import { fromValidInput } from './boundary.js';

export interface NodeLivenessInput {
  nodeId: NodeId;
  /** UnixNano at process start; 0 is mapped to 1 (§1). */
  nodeEpoch: Uint64;
  /** The coordinator adopted by a bootstrap before this machine starts, if any. */
  coordinator?: { id: NodeId; version: Uint64 };
}

export interface NodeLivenessContext {
  nodeId: NodeId;
  nodeEpoch: Uint64;
  coordinatorId: NodeId;
  coordinatorVersion: Uint64;
}

export type NodeLivenessEvent =
  | { type: 'SET_NODE_LIVENESS'; from: NodeId; target: Liveness; nodeEpoch: Uint64 }
  | { type: 'STORE'; liveness: Liveness }
  | { type: 'COORDINATOR_BOOTSTRAP'; from: NodeId; version: Uint64 }
  | { type: 'ADD_MAINTAINER'; from: NodeId; changefeedId: ChangefeedId; maintainerEpoch: Uint64 };

export interface AdmitAddMaintainerIntent {
  type: 'mm.admitAddMaintainer';
  changefeedId: ChangefeedId;
  maintainerEpoch: Uint64;
}

export type NodeLivenessEffect = Effect | AdmitAddMaintainerIntent;

/**
 * Adopt a current-or-newer coordinator; a bootstrapping one (version > 0) is answered with a forced
 * heartbeat of the current liveness.
 */
function bootstrapIn(current: Liveness) {
  return [
    {
      guard: and(['isCurrentOrNewerCoordinator', 'isBootstrappingVersion']),
      actions: ['adoptCoordinator' as const, { type: 'sendForcedHeartbeat' as const, params: { applied: current } }],
    },
    { guard: 'isCurrentOrNewerCoordinator' as const, actions: 'adoptCoordinator' as const },
  ];
}

/** Apply the next step at the right epoch and answer; the forced heartbeat only once bootstrapped. */
function stepTo(from: Liveness, to: Liveness) {
  return [
    {
      guard: and([{ type: 'isNextStep' as const, params: { from } }, 'isBootstrapped']),
      target: to,
      actions: [
        { type: 'sendForcedHeartbeat' as const, params: { applied: to } },
        { type: 'respond' as const, params: { applied: to } },
      ],
    },
    { guard: { type: 'isNextStep' as const, params: { from } }, target: to, actions: { type: 'respond' as const, params: { applied: to } } },
  ];
}

export const nodeLivenessMachine = setup({
  types: {
    input: {} as NodeLivenessInput,
    context: {} as NodeLivenessContext,
    events: {} as NodeLivenessEvent,
    emitted: {} as NodeLivenessEffect,
  },
  guards: {
    isNotFromCoordinator: ({ context, event }) =>
      (event.type === 'SET_NODE_LIVENESS' || event.type === 'ADD_MAINTAINER') &&
      (context.coordinatorId === '' || event.from !== context.coordinatorId),
    isEpochMismatch: ({ context, event }) =>
      event.type === 'SET_NODE_LIVENESS' && event.nodeEpoch !== context.nodeEpoch,
    isNextStep: ({ event }, params: { from: Liveness }) => {
      const target = event.type === 'SET_NODE_LIVENESS' ? event.target : event.type === 'STORE' ? event.liveness : undefined;
      return target !== undefined && LIVENESS_ORDER[target] === LIVENESS_ORDER[params.from] + 1;
    },
    isCurrentOrNewerCoordinator: ({ context, event }) =>
      event.type === 'COORDINATOR_BOOTSTRAP' && event.version >= context.coordinatorVersion,
    isBootstrappingVersion: ({ event }) => event.type === 'COORDINATOR_BOOTSTRAP' && event.version > 0n,
    isBootstrapped: ({ context }) => context.coordinatorVersion > 0n,
    isNotBootstrapped: ({ context }) => context.coordinatorVersion === 0n,
  },
  actions: {
    respond: emit(({ context }, params: { applied: Liveness }) => ({
      type: 'SetNodeLivenessResponse' as const,
      to: context.coordinatorId,
      applied: params.applied,
      nodeEpoch: context.nodeEpoch,
    })),
    sendForcedHeartbeat: emit(({ context }, params: { applied: Liveness }) => ({
      type: 'NodeHeartbeat' as const,
      to: context.coordinatorId,
      liveness: params.applied,
      nodeEpoch: context.nodeEpoch,
      forced: true,
    })),
    adoptCoordinator: assign(({ event }) =>
      event.type === 'COORDINATOR_BOOTSTRAP' ? { coordinatorId: event.from, coordinatorVersion: event.version } : {},
    ),
    admitAdd: emit(({ event }) => ({
      type: 'mm.admitAddMaintainer' as const,
      changefeedId: event.type === 'ADD_MAINTAINER' ? event.changefeedId : '',
      maintainerEpoch: event.type === 'ADD_MAINTAINER' ? event.maintainerEpoch : 0n,
    })),
  },
}).createMachine({
  id: 'nodeLiveness',
  context: fromValidInput('nodeLiveness', (input) => ({
    nodeId: input.nodeId,
    nodeEpoch: input.nodeEpoch === 0n ? 1n : input.nodeEpoch,
    coordinatorId: input.coordinator?.id ?? '',
    coordinatorVersion: input.coordinator?.version ?? 0n,
  })),
  initial: 'Alive',
  states: {
    Alive: {
      on: {
        SET_NODE_LIVENESS: [
          { guard: 'isNotFromCoordinator' },
          { guard: 'isEpochMismatch', actions: { type: 'respond', params: { applied: 'Alive' } } },
          ...stepTo('Alive', 'Draining'),
          { actions: { type: 'respond', params: { applied: 'Alive' } } },
        ],
        STORE: { guard: { type: 'isNextStep', params: { from: 'Alive' } }, target: 'Draining' },
        ADD_MAINTAINER: [{ guard: 'isNotFromCoordinator' }, { guard: 'isNotBootstrapped' }, { actions: 'admitAdd' }],
        COORDINATOR_BOOTSTRAP: bootstrapIn('Alive'),
      },
    },
    Draining: {
      on: {
        SET_NODE_LIVENESS: [
          { guard: 'isNotFromCoordinator' },
          { guard: 'isEpochMismatch', actions: { type: 'respond', params: { applied: 'Draining' } } },
          ...stepTo('Draining', 'Stopping'),
          { actions: { type: 'respond', params: { applied: 'Draining' } } },
        ],
        STORE: { guard: { type: 'isNextStep', params: { from: 'Draining' } }, target: 'Stopping' },
        ADD_MAINTAINER: [{ guard: 'isNotFromCoordinator' }, { guard: 'isNotBootstrapped' }, { actions: 'admitAdd' }],
        COORDINATOR_BOOTSTRAP: bootstrapIn('Draining'),
      },
    },
    Stopping: {
      on: {
        SET_NODE_LIVENESS: [
          { guard: 'isNotFromCoordinator' },
          { actions: { type: 'respond', params: { applied: 'Stopping' } } },
        ],
        // Dropped silently: a Stopping node accepts no new owners (I16).
        ADD_MAINTAINER: {},
        COORDINATOR_BOOTSTRAP: bootstrapIn('Stopping'),
      },
    },
  },
});
