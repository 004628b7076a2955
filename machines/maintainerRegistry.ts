/**
 * One changefeed's slot in a node's maintainer manager, and the maintainer in it
 * (`maintainer/maintainer_manager_maintainers.go`, `maintainer/maintainer.go`), spec §2.7.1–§2.7.2.
 *
 * States: `Empty`, or a `Maintainer` that is `Bootstrapping` → `Running` → `Removing` → `Stopped`
 * (removed and Stopped: fully stopped, waiting for cleanup).
 *
 * Rules encoded:
 * - Requests count only from the adopted coordinator. AddMaintainer is dropped while the node is
 *   Stopping (I16), with a zero checkpoint, or with a config that does not parse. The **wire epoch
 *   wins** over the epoch in the config: an epoch-0 sender yields a compatibility maintainer.
 * - A live maintainer rejects every add (duplicate, older, newer, epoch 0): no maintainer object is
 *   constructed (§5.1 B14). Only a fully stopped one is replaced, and only by a strictly newer
 *   epoch (`newer(cur, req) := req ≠ 0 ∧ (cur = 0 ∨ req > cur)`) (I5).
 * - RemoveMaintainer for a missing maintainer: non-cascade → a Stopped status echoing the request
 *   epoch (§5.1 B18); cascade → a remove-only maintainer at the request epoch that cascade-closes.
 * - Removes need `strictAllow(req, cur)` (I9). A non-cascade, non-removing remove before bootstrap
 *   is ignored (§5.1 B26). An accepted remove enters removing mode: the quiesce of §2.8 (emitted as
 *   `maintainer.enterRemovingMode`), then: non-cascade waits for the DDL-trigger span to stop;
 *   cascade sends MaintainerCloseRequest(removed, epoch) to every alive node not yet closed, and
 *   finishes when none remain.
 * - Close responses count only while removing and with `match(resp, epoch)` (§5.1 B16).
 * - While removing: block-status is dropped, the periodic resend sends only cascade closes, and a
 *   stopped dispatcher with no operator is not marked absent (no self-healing, §6.11.10–11).
 * - Bootstrap and post-bootstrap responses need `match(resp, epoch)`.
 * - Cleanup is a compare-and-delete by maintainer generation: a stale cleanup of a replaced
 *   maintainer never deletes its replacement (§5.1 B15).
 *
 * Events in: ADD_MAINTAINER, REMOVE_MAINTAINER, BOOTSTRAP_RESPONSE, POST_BOOTSTRAP_RESPONSE,
 * CLOSE_RESPONSE, DDL_SPAN_STOPPED, DISPATCHER_STATUS, BLOCK_STATUS, RESEND, NODE_REMOVED,
 * LIVENESS, CLEANUP. Effects out: MaintainerStatus, MaintainerBootstrapRequest,
 * MaintainerCloseRequest, maintainer.created / closed / enterRemovingMode / markSpanAbsent /
 * spanStatusUpdated / blockStatusHandled.
 *
 * Simplifications: a maintainer's bootstrap (one response per node, schema and table scheduling)
 * is one BOOTSTRAP_RESPONSE; the DDL-trigger span's state arrives as DDL_SPAN_STOPPED; Working
 * statuses are the host's periodic heartbeat (`maintainerStatusOf`); "the same object" is the
 * `generation` counter. The config itself is opaque: `configValid` says whether it parsed.
 */
import { setup, emit, assign, enqueueActions } from 'xstate';
import { match, strictAllow, type Uint64 } from './epoch.js';
import type { ChangefeedId, Liveness, MaintainerState, NodeId } from './protocol.js';
import type {
  MaintainerBootstrapRequest,
  MaintainerCloseRequest,
  MaintainerStatusMessage,
} from './fencingProtocol.js';

export interface MaintainerRegistryInput {
  changefeedId: ChangefeedId;
  node: NodeId;
  coordinatorId: NodeId;
  /** Alive nodes of the cluster (this node included). */
  aliveNodes: NodeId[];
}

export interface MaintainerRegistryContext extends MaintainerRegistryInput {
  nodeStopping: boolean;
  /** 0 while empty; +1 for each maintainer object constructed. */
  generation: number;
  epoch: Uint64;
  removeOnly: boolean;
  cascade: boolean;
  removed: boolean;
  closedNodes: NodeId[];
  postBootstrapPending: boolean;
  /** The maintainer finished its bootstrap (reported as BootstrapDone). */
  bootstrapped: boolean;
}

export type MaintainerRegistryEvent =
  | { type: 'ADD_MAINTAINER'; from: NodeId; maintainerEpoch: Uint64; configEpoch: Uint64; checkpointTs: Uint64; configValid: boolean }
  | { type: 'REMOVE_MAINTAINER'; from: NodeId; maintainerEpoch: Uint64; cascade: boolean; removed: boolean }
  | { type: 'BOOTSTRAP_RESPONSE'; from: NodeId; maintainerEpoch: Uint64 }
  | { type: 'POST_BOOTSTRAP_RESPONSE'; from: NodeId; maintainerEpoch: Uint64 }
  | { type: 'CLOSE_RESPONSE'; from: NodeId; maintainerEpoch: Uint64; success: boolean }
  | { type: 'DDL_SPAN_STOPPED' }
  | { type: 'DISPATCHER_STATUS'; dispatcher: string; state: MaintainerState; hasOperator: boolean }
  | { type: 'BLOCK_STATUS'; dispatcher: string }
  | { type: 'RESEND' }
  | { type: 'NODE_REMOVED'; node: NodeId }
  | { type: 'LIVENESS'; liveness: Liveness }
  | { type: 'CLEANUP'; generation: number };

export type MaintainerRegistryEffect =
  | MaintainerStatusMessage
  | MaintainerBootstrapRequest
  | MaintainerCloseRequest
  | { type: 'maintainer.created'; changefeedId: ChangefeedId; generation: number; maintainerEpoch: Uint64; removeOnly: boolean }
  | { type: 'maintainer.closed'; changefeedId: ChangefeedId; generation: number }
  | { type: 'maintainer.enterRemovingMode'; changefeedId: ChangefeedId; allowed: string[] }
  | { type: 'maintainer.markSpanAbsent'; changefeedId: ChangefeedId; dispatcher: string }
  | { type: 'maintainer.spanStatusUpdated'; changefeedId: ChangefeedId; dispatcher: string; state: MaintainerState }
  | { type: 'maintainer.blockStatusHandled'; changefeedId: ChangefeedId; dispatcher: string };

/** The per-maintainer fields of an empty slot. */
const NO_MAINTAINER = {
  epoch: 0n,
  removeOnly: false,
  cascade: false,
  removed: false,
  closedNodes: [] as NodeId[],
  postBootstrapPending: false,
  bootstrapped: false,
};

/** The DDL-trigger dispatcher(s) that stay allowed while quiescing (§2.8). */
export const DDL_SPAN = 'ddl-span';

const pendingClose = (c: MaintainerRegistryContext) => c.aliveNodes.filter((n) => !c.closedNodes.includes(n));
const ev = <T extends MaintainerRegistryEvent['type']>(e: MaintainerRegistryEvent, t: T) =>
  (e.type === t ? e : undefined) as Extract<MaintainerRegistryEvent, { type: T }> | undefined;

/** Reject and remove handling shared by every maintainer state: sender and epoch fences first. */
const REMOVE_FENCES = [{ guard: 'isNotFromCoordinator' }, { guard: 'isDisallowedRemoveEpoch' }] as const;

export const maintainerRegistryMachine = setup({
  types: {
    input: {} as MaintainerRegistryInput,
    context: {} as MaintainerRegistryContext,
    events: {} as MaintainerRegistryEvent,
    emitted: {} as MaintainerRegistryEffect,
  },
  guards: {
    isNotFromCoordinator: ({ context, event }) => 'from' in event && (event.type === 'ADD_MAINTAINER' || event.type === 'REMOVE_MAINTAINER') && event.from !== context.coordinatorId,
    isRefusedAdd: ({ context, event }) => {
      const add = ev(event, 'ADD_MAINTAINER');
      return !!add && (add.from !== context.coordinatorId || context.nodeStopping || add.checkpointTs === 0n || !add.configValid);
    },
    isNewerEpoch: ({ context, event }) => {
      const e = ev(event, 'ADD_MAINTAINER')?.maintainerEpoch ?? 0n;
      return e !== 0n && (context.epoch === 0n || e > context.epoch);
    },
    isCascadeRemove: ({ event }) => !!ev(event, 'REMOVE_MAINTAINER')?.cascade,
    isDisallowedRemoveEpoch: ({ context, event }) => {
      const r = ev(event, 'REMOVE_MAINTAINER');
      return !!r && !strictAllow(r.maintainerEpoch, context.epoch);
    },
    isPlainRemove: ({ event }) => {
      const r = ev(event, 'REMOVE_MAINTAINER');
      return !!r && !r.cascade && !r.removed;
    },
    isMatchingResponse: ({ context, event }) =>
      (event.type === 'BOOTSTRAP_RESPONSE' || event.type === 'POST_BOOTSTRAP_RESPONSE' || event.type === 'CLOSE_RESPONSE') &&
      match(event.maintainerEpoch, context.epoch),
    isPendingPostBootstrap: ({ context, event }) =>
      event.type === 'POST_BOOTSTRAP_RESPONSE' && context.postBootstrapPending && match(event.maintainerEpoch, context.epoch),
    isUsableCloseResponse: ({ context, event }) => {
      const r = ev(event, 'CLOSE_RESPONSE');
      return !!r && context.cascade && r.success && match(r.maintainerEpoch, context.epoch);
    },
    isLastCloseResponse: ({ context, event }) => {
      const r = ev(event, 'CLOSE_RESPONSE');
      if (!r || !context.cascade || !r.success || !match(r.maintainerEpoch, context.epoch)) return false;
      return pendingClose(context).every((n) => n === r.from);
    },
    removalClosesLastNode: ({ context, event }) => {
      const r = ev(event, 'NODE_REMOVED');
      return !!r && context.cascade && pendingClose(context).every((n) => n === r.node);
    },
    isNonCascadeRemoving: ({ context }) => !context.cascade,
    isCascadeRemoving: ({ context }) => context.cascade,
    isOrphanStoppedSpan: ({ event }) => {
      const s = ev(event, 'DISPATCHER_STATUS');
      return !!s && s.state === 'Stopped' && !s.hasOperator;
    },
    isSameGeneration: ({ context, event }) => ev(event, 'CLEANUP')?.generation === context.generation,
  },
  actions: {
    createMaintainer: enqueueActions(({ context, event, enqueue }) => {
      const add = ev(event, 'ADD_MAINTAINER');
      const rm = ev(event, 'REMOVE_MAINTAINER');
      const generation = context.generation + 1;
      const epoch = add ? add.maintainerEpoch : (rm?.maintainerEpoch ?? 0n);
      enqueue.assign({
        generation,
        epoch,
        removeOnly: !add,
        cascade: !!rm,
        removed: rm?.removed ?? false,
        closedNodes: [],
        postBootstrapPending: false,
        bootstrapped: false,
      });
      enqueue.emit({ type: 'maintainer.created', changefeedId: context.changefeedId, generation, maintainerEpoch: epoch, removeOnly: !add });
    }),
    closeOldMaintainer: emit(({ context }) => ({
      type: 'maintainer.closed' as const,
      changefeedId: context.changefeedId,
      generation: context.generation,
    })),
    sendBootstrapRequests: enqueueActions(({ context, enqueue }) => {
      for (const to of context.aliveNodes) {
        enqueue.emit({ type: 'MaintainerBootstrapRequest', to, changefeedId: context.changefeedId, maintainerEpoch: context.epoch });
      }
    }),
    replyStoppedWithRequestEpoch: emit(({ context, event }) => ({
      type: 'MaintainerStatus' as const,
      to: context.coordinatorId,
      changefeedId: context.changefeedId,
      state: 'Stopped' as const,
      maintainerEpoch: ev(event, 'REMOVE_MAINTAINER')?.maintainerEpoch ?? 0n,
      bootstrapDone: false,
    })),
    recordRemove: assign(({ context, event }) => {
      const r = ev(event, 'REMOVE_MAINTAINER');
      return r ? { cascade: context.cascade || r.cascade || r.removed, removed: context.removed || r.removed } : {};
    }),
    enterRemovingMode: emit(({ context }) => ({
      type: 'maintainer.enterRemovingMode' as const,
      changefeedId: context.changefeedId,
      allowed: [DDL_SPAN],
    })),
    sendCloseRequests: enqueueActions(({ context, enqueue }) => {
      if (!context.cascade) return;
      for (const to of pendingClose(context)) {
        enqueue.emit({ type: 'MaintainerCloseRequest', to, changefeedId: context.changefeedId, removed: context.removed, maintainerEpoch: context.epoch });
      }
    }),
    recordClosedNode: assign({
      closedNodes: ({ context, event }) =>
        event.type === 'CLOSE_RESPONSE' && !context.closedNodes.includes(event.from) ? [...context.closedNodes, event.from] : context.closedNodes,
    }),
    forgetNode: assign({
      aliveNodes: ({ context, event }) => (event.type === 'NODE_REMOVED' ? context.aliveNodes.filter((n) => n !== event.node) : context.aliveNodes),
    }),
    reportStopped: emit(({ context }) => ({
      type: 'MaintainerStatus' as const,
      to: context.coordinatorId,
      changefeedId: context.changefeedId,
      state: 'Stopped' as const,
      maintainerEpoch: context.epoch,
      bootstrapDone: context.bootstrapped,
    })),
    markPostBootstrapPending: assign({ postBootstrapPending: true, bootstrapped: true }),
    clearPostBootstrapPending: assign({ postBootstrapPending: false }),
    markSpanAbsent: emit(({ context, event }) => ({
      type: 'maintainer.markSpanAbsent' as const,
      changefeedId: context.changefeedId,
      dispatcher: ev(event, 'DISPATCHER_STATUS')?.dispatcher ?? '',
    })),
    updateSpanStatus: emit(({ context, event }) => ({
      type: 'maintainer.spanStatusUpdated' as const,
      changefeedId: context.changefeedId,
      dispatcher: ev(event, 'DISPATCHER_STATUS')?.dispatcher ?? '',
      state: ev(event, 'DISPATCHER_STATUS')?.state ?? ('Working' as const),
    })),
    handleBlockStatus: emit(({ context, event }) => ({
      type: 'maintainer.blockStatusHandled' as const,
      changefeedId: context.changefeedId,
      dispatcher: ev(event, 'BLOCK_STATUS')?.dispatcher ?? '',
    })),
    setLiveness: assign({ nodeStopping: ({ event, context }) => (event.type === 'LIVENESS' ? event.liveness === 'Stopping' : context.nodeStopping) }),
    unregister: assign(() => ({ ...NO_MAINTAINER })),
  },
}).createMachine({
  id: 'maintainerRegistry',
  context: ({ input }) => ({
    ...input,
    aliveNodes: [...input.aliveNodes],
    nodeStopping: false,
    generation: 0,
    ...NO_MAINTAINER,
  }),
  initial: 'Empty',
  on: {
    LIVENESS: { actions: 'setLiveness' },
    NODE_REMOVED: { actions: 'forgetNode' },
  },
  states: {
    Empty: {
      on: {
        ADD_MAINTAINER: [
          { guard: 'isRefusedAdd' },
          { target: 'Maintainer.Bootstrapping', actions: ['createMaintainer', 'sendBootstrapRequests'] },
        ],
        REMOVE_MAINTAINER: [
          { guard: 'isNotFromCoordinator' },
          { guard: 'isCascadeRemove', target: 'Maintainer.Removing', actions: ['createMaintainer', 'enterRemovingMode', 'sendCloseRequests'] },
          { actions: 'replyStoppedWithRequestEpoch' },
        ],
      },
    },
    Maintainer: {
      initial: 'Bootstrapping',
      on: {
        // A live maintainer takes no add: no object is constructed (B14).
        ADD_MAINTAINER: {},
        // Close responses reach only a removing maintainer (B16).
        CLOSE_RESPONSE: {},
      },
      states: {
        Bootstrapping: {
          on: {
            BOOTSTRAP_RESPONSE: { guard: 'isMatchingResponse', target: 'Running', actions: 'markPostBootstrapPending' },
            REMOVE_MAINTAINER: [
              ...REMOVE_FENCES,
              { guard: 'isPlainRemove' },
              { target: 'Removing', actions: ['recordRemove', 'enterRemovingMode', 'sendCloseRequests'] },
            ],
            RESEND: { actions: 'sendBootstrapRequests' },
          },
        },
        Running: {
          on: {
            POST_BOOTSTRAP_RESPONSE: { guard: 'isPendingPostBootstrap', actions: 'clearPostBootstrapPending' },
            REMOVE_MAINTAINER: [...REMOVE_FENCES, { target: 'Removing', actions: ['recordRemove', 'enterRemovingMode', 'sendCloseRequests'] }],
            DISPATCHER_STATUS: [{ guard: 'isOrphanStoppedSpan', actions: ['updateSpanStatus', 'markSpanAbsent'] }, { actions: 'updateSpanStatus' }],
            BLOCK_STATUS: { actions: 'handleBlockStatus' },
          },
        },
        Removing: {
          on: {
            REMOVE_MAINTAINER: [...REMOVE_FENCES, { actions: ['recordRemove', 'sendCloseRequests'] }],
            CLOSE_RESPONSE: [
              { guard: 'isLastCloseResponse', target: 'Stopped', actions: 'recordClosedNode' },
              { guard: 'isUsableCloseResponse', actions: 'recordClosedNode' },
            ],
            DDL_SPAN_STOPPED: { guard: 'isNonCascadeRemoving', target: 'Stopped' },
            NODE_REMOVED: [{ guard: 'removalClosesLastNode', target: 'Stopped', actions: 'forgetNode' }, { actions: 'forgetNode' }],
            RESEND: { guard: 'isCascadeRemoving', actions: 'sendCloseRequests' },
            DISPATCHER_STATUS: { actions: 'updateSpanStatus' },
            BLOCK_STATUS: {},
          },
        },
        Stopped: {
          entry: 'reportStopped',
          on: {
            ADD_MAINTAINER: [
              { guard: 'isRefusedAdd' },
              {
                guard: 'isNewerEpoch',
                target: 'Bootstrapping',
                actions: ['closeOldMaintainer', 'createMaintainer', 'sendBootstrapRequests'],
              },
            ],
            REMOVE_MAINTAINER: [...REMOVE_FENCES, { actions: 'reportStopped' }],
            CLEANUP: { guard: 'isSameGeneration', target: '#maintainerRegistry.Empty', actions: ['closeOldMaintainer', 'unregister'] },
          },
        },
      },
    },
  },
});

/** The status a heartbeat would report for this changefeed, or none when the slot is empty. */
export function maintainerStatusOf(snapshot: {
  value: unknown;
  context: MaintainerRegistryContext;
}): { state: MaintainerState; maintainerEpoch: Uint64; bootstrapDone: boolean } | undefined {
  const v = snapshot.value as { Maintainer?: string } | string;
  if (typeof v === 'string') return undefined;
  const sub = v.Maintainer;
  return {
    state: sub === 'Stopped' ? 'Stopped' : 'Working',
    maintainerEpoch: snapshot.context.epoch,
    bootstrapDone: snapshot.context.bootstrapped,
  };
}
