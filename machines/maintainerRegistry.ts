/**
 * One changefeed's slot in a node's maintainer manager, and the maintainer living in it
 * (`maintainer/maintainer_manager_maintainers.go`, `maintainer/maintainer.go`), spec §2.7.1–§2.7.2,
 * §1.1; invariants I5, I9, I16; historical bugs §5.1 B14, B15, B16, B18, B26.
 *
 * States: `Empty`, or a `Maintainer` that is `Bootstrapping` (not initialized) → `Running`
 * (initialized) → `Removing` (an accepted RemoveMaintainer) → `Stopped` (removed and Stopped: fully
 * stopped, waiting for cleanup or for a replacement).
 *
 * Rules encoded:
 * - Coordinator adoption (`onCoordinatorBootstrapRequest`, §2.6.3): a CoordinatorBootstrap whose
 *   version is not older than the one seen adopts its sender, so after a coordinator failover the
 *   new coordinator's requests are taken and statuses go to it. The manager counts as bootstrapped
 *   only with a version > 0 (`isBootstrap()`).
 * - Add and remove requests count only from the adopted coordinator once bootstrapped (others are
 *   ignored, no reply).
 *   AddMaintainer is dropped while the node is Stopping (I16), with a zero checkpoint, or with a
 *   config that does not parse. The **wire epoch wins** over the config's: an epoch-0 sender yields
 *   a compatibility maintainer (§6.11.3).
 * - Admission before construction (§5.1 B14): a live maintainer (anything but Stopped) rejects every
 *   add — duplicate, older, newer, epoch 0 — and no maintainer object is created. A fully stopped
 *   one is replaced only by a strictly newer epoch (`isNewerMaintainerEpoch`; 0 is never newer),
 *   the old object being closed first (I5).
 * - RemoveMaintainer for a missing maintainer: non-cascade → an immediate Stopped status echoing
 *   the request epoch (§5.1 B18); cascade → a remove-only maintainer at the request epoch, which
 *   then handles the request like any maintainer.
 * - A maintainer takes a remove only if `strictAllow(req, epoch)` (I9). `onRemoveMaintainer`:
 *   not initialized ∧ ¬cascade ∧ ¬removed → ignored (§5.1 B26); otherwise the request's `cascade`
 *   and `removed` **replace** the recorded ones, removing mode is entered (the quiesce of §2.8,
 *   emitted as `maintainer.enterRemovingMode` with the DDL-trigger span allowed), and
 *   `tryCloseChangefeed` runs: non-cascade removes the DDL-trigger span's tasks and is closed once
 *   that span is no longer Working; cascade sends MaintainerCloseRequest{removed, epoch} to every
 *   alive node not in `closedNodes` and is closed when there is none. Closed = `Stopped`.
 * - Close responses: `¬match(resp, epoch)` → dropped; not removing → dropped (§5.1 B16); success →
 *   the sender joins `closedNodes` and `onRemoveMaintainer` runs again with the recorded flags.
 * - Closure is evaluated only by `onRemoveMaintainer`, i.e. on an accepted remove or a successful
 *   close response. A DDL span that stops, or the last unclosed node leaving membership, closes the
 *   maintainer at the coordinator's next remove retry (the source does the same: the resend loop
 *   only re-sends cascade closes, it does not re-evaluate closure).
 * - Bootstrap and post-bootstrap responses need `match(resp, epoch)`. An error response
 *   (`resp.Err`) is not an answer: the maintainer records a running error (`onError`), which the
 *   next status reports (`error`) and clears, and the bootstrap does not progress. The bootstrap
 *   completes when every tracked alive node has answered; the post-bootstrap request (to this node,
 *   with the DDL-trigger ID) is then resent until answered.
 * - Membership (`onNodeChanged`): a node that joins is tracked by the maintainer's bootstrapper and
 *   sent a bootstrap request (while bootstrapping, the bootstrap now also waits for it); a node that
 *   leaves no longer owes a bootstrap response. While removing, node changes are not handled (the
 *   alive set used by the cascade close still follows membership).
 * - Dispatcher statuses (once initialized) keep the DDL-trigger span's last reported state
 *   (`IsWorking()` is `== Working`); a Stopped or Removed span without an operator is marked absent
 *   while running (`handleStatus` self-healing).
 * - While removing: node changes are not handled, block statuses are dropped, the resend sends only
 *   cascade closes, and a dispatcher status is recorded without self-healing (no absent-marking;
 *   §6.11.10–11). A maintainer that is not initialized ignores dispatcher and block statuses.
 * - A Stopped maintainer handles no event (`HandleEvent` returns early); only the registry acts on
 *   it: replacement by a newer add, or cleanup.
 * - Cleanup is `CompareAndDelete` by maintainer generation: a stale cleanup (the Range saw the old,
 *   replaced maintainer) never deletes the replacement (§5.1 B15).
 * - Statuses reach the coordinator through the manager's heartbeat (`HEARTBEAT`), which reports the
 *   slot's maintainer: Working until closed, then Stopped, always with the maintainer's epoch.
 *
 * Events in: COORDINATOR_BOOTSTRAP, ADD_MAINTAINER, REMOVE_MAINTAINER (coordinator); BOOTSTRAP_RESPONSE,
 * POST_BOOTSTRAP_RESPONSE, CLOSE_RESPONSE, DISPATCHER_STATUS, BLOCK_STATUS (dispatcher managers);
 * RESEND (the maintainer's period task), HEARTBEAT and CLEANUP (the manager's tick), NODE_ADDED,
 * NODE_REMOVED (membership), LIVENESS (the node's liveness register).
 * Effects out: MaintainerStatus, MaintainerBootstrapRequest, MaintainerPostBootstrapRequest,
 * MaintainerCloseRequest; maintainer.created / closed / enterRemovingMode / closeDdlSpan /
 * nodeRemoved / spanStatusUpdated / markSpanAbsent / blockStatusHandled / runningError.
 *
 * Differences from the spec, where the source wins: (1) the spec's "record cascade and removed" is
 * an overwrite in the source (`cascadeRemoving.Store(cascade)`), so a later non-cascade remove
 * turns a cascade removal into a non-cascade one; (2) closure is not re-evaluated when the DDL span
 * stops or a node leaves, only on the next remove or close response (see above); (3) a close
 * response is recorded in `closedNodes` in either removal mode, not only for cascade.
 *
 * Simplifications: the config is opaque (`configValid` says whether it parsed); "the same object"
 * is the `generation` counter, and a maintainer's DDL-trigger dispatcher ID is derived from it
 * (`ddlSpanId`), as the source draws a fresh ID per maintainer object; the bootstrapper's node set
 * and the alive set are one list (they differ only while removing, when neither is used for
 * bootstrap); the coordinator bootstrap's reply (all statuses, drain protocol version, drain
 * target) is the node manager's (`maintainerStatusOf` per slot); redo (the
 * second DDL span), the drain-target seeding of a new maintainer, table scheduling, barriers,
 * checkpoints and the heartbeat's 1 s / changed-only throttle are the host's; the removing-mode
 * quiesce is emitted once, on entering Removing (the source re-applies the same allowed set on
 * every `onRemoveMaintainer`).
 */
import { setup, emit, assign, enqueueActions, and } from 'xstate';
import { match, strictAllow, type Uint64 } from './epoch.js';
import type { ChangefeedId, Liveness, MaintainerState, NodeId } from './protocol.js';
import {
  isNewerMaintainerEpoch,
  type MaintainerBootstrapRequest,
  type MaintainerCloseRequest,
  type MaintainerPostBootstrapRequest,
  type MaintainerStatusMessage,
} from './fencingProtocol.js';
import { fromValidInput } from './boundary.js';

export interface MaintainerRegistryInput {
  changefeedId: ChangefeedId;
  /** This node: the maintainer's own node, which hosts the DDL-trigger dispatcher. */
  node: NodeId;
  /** The coordinator adopted by the manager's last CoordinatorBootstrap ('' before any). */
  coordinatorId: NodeId;
  /**
   * That bootstrap's version (the coordinator's etcd owner revision); requests count only when it
   * is > 0. Default: 1 when `coordinatorId` is set, else 0.
   */
  coordinatorVersion?: Uint64;
  /** The alive nodes of the cluster (this node included), as the node manager reports them. */
  aliveNodes: NodeId[];
}

export interface MaintainerRegistryContext extends MaintainerRegistryInput {
  coordinatorVersion: Uint64;
  /** The node's liveness is Stopping (§2.6.1): adds are refused. */
  nodeStopping: boolean;
  /** 0 before the first maintainer; +1 for each maintainer object constructed. */
  generation: number;
  /** The maintainer's epoch (`info.Epoch`, the wire epoch of its add or remove). */
  epoch: Uint64;
  /** Created by a cascade remove for an unknown changefeed (`NewMaintainerForRemove`). */
  removeOnly: boolean;
  /** Bootstrap finished (`initialized`, reported as BootstrapDone). */
  initialized: boolean;
  /** Tracked nodes that answered the bootstrap. */
  bootstrapResponded: NodeId[];
  /** A post-bootstrap request is outstanding (`postBootstrapMsg != nil`). */
  postBootstrapPending: boolean;
  /** The recorded removal mode (`cascadeRemoving`, `changefeedRemoved`). */
  cascade: boolean;
  changefeedRemoved: boolean;
  /** Nodes whose dispatcher manager answered a close with success. */
  closedNodes: NodeId[];
  /** The DDL-trigger span's last reported status is not Working (a dispatcher status, once initialized). */
  ddlSpanStopped: boolean;
  /** Running errors recorded (`runningErrors`) since the last status reported them. */
  runningError: boolean;
}

export type MaintainerRegistryEvent =
  | { type: 'COORDINATOR_BOOTSTRAP'; from: NodeId; version: Uint64 }
  | { type: 'ADD_MAINTAINER'; from: NodeId; maintainerEpoch: Uint64; configEpoch: Uint64; checkpointTs: Uint64; configValid: boolean }
  | { type: 'REMOVE_MAINTAINER'; from: NodeId; maintainerEpoch: Uint64; cascade: boolean; removed: boolean }
  | { type: 'BOOTSTRAP_RESPONSE'; from: NodeId; maintainerEpoch: Uint64; error: boolean }
  | { type: 'POST_BOOTSTRAP_RESPONSE'; from: NodeId; maintainerEpoch: Uint64; error: boolean }
  | { type: 'CLOSE_RESPONSE'; from: NodeId; maintainerEpoch: Uint64; success: boolean }
  | { type: 'DISPATCHER_STATUS'; dispatcher: string; state: MaintainerState; hasOperator: boolean }
  | { type: 'BLOCK_STATUS'; dispatcher: string }
  | { type: 'RESEND' }
  | { type: 'HEARTBEAT' }
  | { type: 'NODE_ADDED'; node: NodeId }
  | { type: 'NODE_REMOVED'; node: NodeId }
  | { type: 'LIVENESS'; liveness: Liveness }
  | { type: 'CLEANUP'; generation: number };

export type MaintainerRegistryEffect =
  | MaintainerStatusMessage
  | MaintainerBootstrapRequest
  | MaintainerPostBootstrapRequest
  | MaintainerCloseRequest
  | { type: 'maintainer.created'; changefeedId: ChangefeedId; generation: number; maintainerEpoch: Uint64; removeOnly: boolean }
  | { type: 'maintainer.closed'; changefeedId: ChangefeedId; generation: number }
  | { type: 'maintainer.enterRemovingMode'; changefeedId: ChangefeedId; allowed: string[] }
  | { type: 'maintainer.closeDdlSpan'; changefeedId: ChangefeedId; dispatcher: string }
  | { type: 'maintainer.nodeRemoved'; changefeedId: ChangefeedId; node: NodeId }
  | { type: 'maintainer.spanStatusUpdated'; changefeedId: ChangefeedId; dispatcher: string; state: MaintainerState }
  | { type: 'maintainer.markSpanAbsent'; changefeedId: ChangefeedId; dispatcher: string }
  | { type: 'maintainer.blockStatusHandled'; changefeedId: ChangefeedId; dispatcher: string }
  | { type: 'maintainer.runningError'; changefeedId: ChangefeedId; from: NodeId };

/** The DDL-trigger dispatcher ID of the maintainer object of `generation` (fresh per object). */
export const ddlSpanId = (context: Pick<MaintainerRegistryContext, 'changefeedId' | 'generation'>) =>
  `${context.changefeedId}/ddl-${context.generation}`;

/** The per-maintainer fields of an empty slot. */
const NO_MAINTAINER = {
  epoch: 0n,
  removeOnly: false,
  initialized: false,
  bootstrapResponded: [] as NodeId[],
  postBootstrapPending: false,
  cascade: false,
  changefeedRemoved: false,
  closedNodes: [] as NodeId[],
  ddlSpanStopped: false,
  runningError: false,
};

type Ev<T extends MaintainerRegistryEvent['type']> = Extract<MaintainerRegistryEvent, { type: T }>;
const as = <T extends MaintainerRegistryEvent['type']>(e: MaintainerRegistryEvent, t: T): Ev<T> | undefined =>
  e.type === t ? (e as Ev<T>) : undefined;

type Removal = Pick<MaintainerRegistryContext, 'cascade' | 'changefeedRemoved' | 'closedNodes' | 'aliveNodes' | 'ddlSpanStopped'>;

/** Alive nodes still owed a close (`trySendMaintainerCloseRequestToAllNode`). */
const unclosed = (c: Removal) => c.aliveNodes.filter((n) => !c.closedNodes.includes(n));
/** `tryCloseChangefeed`'s verdict for the recorded removal mode. */
const closedBy = (c: Removal) => (c.cascade ? unclosed(c).length === 0 : c.ddlSpanStopped);
/** The removal state after `onRemoveMaintainer(cascade, removed)` records a request's flags. */
const withRequest = (c: MaintainerRegistryContext, r: Ev<'REMOVE_MAINTAINER'>): Removal => ({
  ...c,
  cascade: r.cascade,
  changefeedRemoved: r.removed,
});
const withClosedNode = (c: MaintainerRegistryContext, from: NodeId): Removal => ({
  ...c,
  closedNodes: c.closedNodes.includes(from) ? c.closedNodes : [...c.closedNodes, from],
});
/** Tracked nodes (alive) not yet answered; the bootstrap completes when there is none. */
const unanswered = (c: MaintainerRegistryContext, answered = c.bootstrapResponded, alive = c.aliveNodes) =>
  alive.filter((n) => !answered.includes(n));

/** Sender and epoch fences of a remove reaching a maintainer (§2.7.2). */
const REMOVE_FENCES = [{ guard: 'isNotFromCoordinator' }, { guard: 'isDisallowedRemoveEpoch' }] as const;

export const maintainerRegistryMachine = setup({
  types: {
    input: {} as MaintainerRegistryInput,
    context: {} as MaintainerRegistryContext,
    events: {} as MaintainerRegistryEvent,
    emitted: {} as MaintainerRegistryEffect,
  },
  guards: {
    isNotFromCoordinator: ({ context, event }) =>
      (event.type === 'ADD_MAINTAINER' || event.type === 'REMOVE_MAINTAINER') &&
      (event.from !== context.coordinatorId || context.coordinatorVersion === 0n),
    isRefusedAdd: ({ context, event }) => {
      const add = as(event, 'ADD_MAINTAINER');
      return (
        !!add &&
        (add.from !== context.coordinatorId || context.coordinatorVersion === 0n || context.nodeStopping || add.checkpointTs === 0n || !add.configValid)
      );
    },
    isCurrentOrNewerCoordinator: ({ context, event }) =>
      event.type === 'COORDINATOR_BOOTSTRAP' && event.version >= context.coordinatorVersion,
    isJoiningNode: ({ context, event }) => event.type === 'NODE_ADDED' && !context.aliveNodes.includes(event.node),
    canReplace: ({ context, event }) => isNewerMaintainerEpoch(context.epoch, as(event, 'ADD_MAINTAINER')?.maintainerEpoch ?? 0n),
    isCascadeRemove: ({ event }) => as(event, 'REMOVE_MAINTAINER')?.cascade === true,
    isDisallowedRemoveEpoch: ({ context, event }) => {
      const r = as(event, 'REMOVE_MAINTAINER');
      return !!r && !strictAllow(r.maintainerEpoch, context.epoch);
    },
    isIgnoredBeforeBootstrap: ({ context, event }) => {
      const r = as(event, 'REMOVE_MAINTAINER');
      return !!r && !context.initialized && !r.cascade && !r.removed;
    },
    removeClosesNow: ({ context, event }) => {
      const r = as(event, 'REMOVE_MAINTAINER');
      return !!r && closedBy(withRequest(context, r));
    },
    /** A cascade remove for an unknown changefeed on a node that sees no alive node. */
    removeOnlyClosesNow: ({ context }) => context.aliveNodes.length === 0,
    isStaleResponse: ({ context, event }) =>
      (event.type === 'BOOTSTRAP_RESPONSE' || event.type === 'POST_BOOTSTRAP_RESPONSE' || event.type === 'CLOSE_RESPONSE') &&
      !match(event.maintainerEpoch, context.epoch),
    isErrorResponse: ({ event }) => (event.type === 'BOOTSTRAP_RESPONSE' || event.type === 'POST_BOOTSTRAP_RESPONSE') && event.error,
    isUntrackedBootstrapResponse: ({ context, event }) => event.type === 'BOOTSTRAP_RESPONSE' && !context.aliveNodes.includes(event.from),
    completesBootstrap: ({ context, event }) => {
      if (event.type === 'BOOTSTRAP_RESPONSE') return unanswered(context, [...context.bootstrapResponded, event.from]).length === 0;
      if (event.type === 'NODE_REMOVED') {
        const alive = context.aliveNodes.filter((n) => n !== event.node);
        return alive.length > 0 && unanswered(context, context.bootstrapResponded, alive).length === 0;
      }
      return false;
    },
    isFailedClose: ({ event }) => event.type === 'CLOSE_RESPONSE' && !event.success,
    closeResponseClosesNow: ({ context, event }) => event.type === 'CLOSE_RESPONSE' && closedBy(withClosedNode(context, event.from)),
    isUninitialized: ({ context }) => !context.initialized,
    isOrphanStoppedSpan: ({ event }) =>
      event.type === 'DISPATCHER_STATUS' && (event.state === 'Stopped' || event.state === 'Removed') && !event.hasOperator,
    isCascadeRemoving: ({ context }) => context.cascade,
    isSameGeneration: ({ context, event }) => as(event, 'CLEANUP')?.generation === context.generation,
  },
  actions: {
    createMaintainer: enqueueActions(({ context, event, enqueue }) => {
      const add = as(event, 'ADD_MAINTAINER');
      const generation = context.generation + 1;
      // The wire epoch wins over the config's (§2.7.1 step 4); a remove-only maintainer takes the remove's.
      const epoch = add ? add.maintainerEpoch : (as(event, 'REMOVE_MAINTAINER')?.maintainerEpoch ?? 0n);
      enqueue.assign({ ...NO_MAINTAINER, generation, epoch, removeOnly: !add, cascade: !add });
      enqueue.emit({ type: 'maintainer.created', changefeedId: context.changefeedId, generation, maintainerEpoch: epoch, removeOnly: !add });
    }),
    closeMaintainer: emit(({ context }) => ({
      type: 'maintainer.closed' as const,
      changefeedId: context.changefeedId,
      generation: context.generation,
    })),
    sendBootstrapRequests: enqueueActions(({ context, enqueue }) => {
      for (const to of unanswered(context)) {
        enqueue.emit({
          type: 'MaintainerBootstrapRequest',
          to,
          changefeedId: context.changefeedId,
          maintainerEpoch: context.epoch,
          tableTriggerId: to === context.node ? ddlSpanId(context) : null,
        });
      }
    }),
    recordBootstrapResponse: assign({
      bootstrapResponded: ({ context, event }) =>
        event.type === 'BOOTSTRAP_RESPONSE' && !context.bootstrapResponded.includes(event.from)
          ? [...context.bootstrapResponded, event.from]
          : context.bootstrapResponded,
    }),
    finishBootstrap: assign({ initialized: true, postBootstrapPending: true }),
    sendPostBootstrapRequest: emit(({ context }) => ({
      type: 'MaintainerPostBootstrapRequest' as const,
      to: context.node,
      changefeedId: context.changefeedId,
      maintainerEpoch: context.epoch,
      tableTriggerId: ddlSpanId(context),
    })),
    resendPostBootstrapRequest: enqueueActions(({ context, enqueue }) => {
      if (!context.postBootstrapPending) return;
      enqueue.emit({
        type: 'MaintainerPostBootstrapRequest',
        to: context.node,
        changefeedId: context.changefeedId,
        maintainerEpoch: context.epoch,
        tableTriggerId: ddlSpanId(context),
      });
    }),
    clearPostBootstrapPending: assign({ postBootstrapPending: false }),
    /** `onError`: kept until the next status reports it. */
    recordRunningError: enqueueActions(({ context, event, enqueue }) => {
      enqueue.assign({ runningError: true });
      enqueue.emit({ type: 'maintainer.runningError', changefeedId: context.changefeedId, from: 'from' in event ? event.from : context.node });
    }),
    adoptCoordinator: assign(({ event }) =>
      event.type === 'COORDINATOR_BOOTSTRAP' ? { coordinatorId: event.from, coordinatorVersion: event.version } : {},
    ),
    addNode: assign({
      aliveNodes: ({ context, event }) =>
        event.type === 'NODE_ADDED' && !context.aliveNodes.includes(event.node) ? [...context.aliveNodes, event.node].sort() : context.aliveNodes,
    }),
    /** The bootstrapper's request for a node that joined (`HandleNodesChange`). */
    sendBootstrapRequestToJoiner: emit(({ context, event }) => ({
      type: 'MaintainerBootstrapRequest' as const,
      to: as(event, 'NODE_ADDED')?.node ?? '',
      changefeedId: context.changefeedId,
      maintainerEpoch: context.epoch,
      tableTriggerId: null,
    })),
    replyStoppedWithRequestEpoch: emit(({ context, event }) => ({
      type: 'MaintainerStatus' as const,
      to: context.coordinatorId,
      changefeedId: context.changefeedId,
      state: 'Stopped' as const,
      maintainerEpoch: as(event, 'REMOVE_MAINTAINER')?.maintainerEpoch ?? 0n,
      bootstrapDone: false,
      error: false,
    })),
    recordRemove: assign(({ event }) => {
      const r = as(event, 'REMOVE_MAINTAINER');
      return r ? { cascade: r.cascade, changefeedRemoved: r.removed } : {};
    }),
    enterRemovingMode: emit(({ context }) => ({
      type: 'maintainer.enterRemovingMode' as const,
      changefeedId: context.changefeedId,
      allowed: [ddlSpanId(context)],
    })),
    /** `tryCloseChangefeed` with the recorded mode: remove the DDL span's tasks, or (re)send closes. */
    tryCloseChangefeed: enqueueActions(({ context, enqueue }) => {
      if (!context.cascade) {
        enqueue.emit({ type: 'maintainer.closeDdlSpan', changefeedId: context.changefeedId, dispatcher: ddlSpanId(context) });
        return;
      }
      for (const to of unclosed(context)) {
        enqueue.emit({
          type: 'MaintainerCloseRequest',
          to,
          changefeedId: context.changefeedId,
          removed: context.changefeedRemoved,
          maintainerEpoch: context.epoch,
        });
      }
    }),
    sendCloseRequests: enqueueActions(({ context, enqueue }) => {
      for (const to of unclosed(context)) {
        enqueue.emit({
          type: 'MaintainerCloseRequest',
          to,
          changefeedId: context.changefeedId,
          removed: context.changefeedRemoved,
          maintainerEpoch: context.epoch,
        });
      }
    }),
    recordClosedNode: assign({
      closedNodes: ({ context, event }) => (event.type === 'CLOSE_RESPONSE' ? withClosedNode(context, event.from).closedNodes : context.closedNodes),
    }),
    forgetNode: assign({
      aliveNodes: ({ context, event }) => (event.type === 'NODE_REMOVED' ? context.aliveNodes.filter((n) => n !== event.node) : context.aliveNodes),
    }),
    handleNodeRemoved: emit(({ context, event }) => ({
      type: 'maintainer.nodeRemoved' as const,
      changefeedId: context.changefeedId,
      node: as(event, 'NODE_REMOVED')?.node ?? '',
    })),
    /** The DDL-trigger span's status is its last report; `IsWorking()` is `== Working`. */
    recordDdlSpanStatus: assign({
      ddlSpanStopped: ({ context, event }) =>
        event.type === 'DISPATCHER_STATUS' && event.dispatcher === ddlSpanId(context) ? event.state !== 'Working' : context.ddlSpanStopped,
    }),
    updateSpanStatus: emit(({ context, event }) => {
      const s = as(event, 'DISPATCHER_STATUS');
      return { type: 'maintainer.spanStatusUpdated' as const, changefeedId: context.changefeedId, dispatcher: s?.dispatcher ?? '', state: s?.state ?? 'Working' };
    }),
    markSpanAbsent: emit(({ context, event }) => ({
      type: 'maintainer.markSpanAbsent' as const,
      changefeedId: context.changefeedId,
      dispatcher: as(event, 'DISPATCHER_STATUS')?.dispatcher ?? '',
    })),
    handleBlockStatus: emit(({ context, event }) => ({
      type: 'maintainer.blockStatusHandled' as const,
      changefeedId: context.changefeedId,
      dispatcher: as(event, 'BLOCK_STATUS')?.dispatcher ?? '',
    })),
    /** `GetMaintainerStatus`: the running errors go out once and are cleared. */
    reportWorking: enqueueActions(({ context, enqueue }) => {
      if (context.runningError) enqueue.assign({ runningError: false });
      enqueue.emit({
        type: 'MaintainerStatus',
        to: context.coordinatorId,
        changefeedId: context.changefeedId,
        state: 'Working',
        maintainerEpoch: context.epoch,
        bootstrapDone: context.initialized,
        error: context.runningError,
      });
    }),
    reportStopped: enqueueActions(({ context, enqueue }) => {
      if (context.runningError) enqueue.assign({ runningError: false });
      enqueue.emit({
        type: 'MaintainerStatus',
        to: context.coordinatorId,
        changefeedId: context.changefeedId,
        state: 'Stopped',
        maintainerEpoch: context.epoch,
        bootstrapDone: context.initialized,
        error: context.runningError,
      });
    }),
    setLiveness: assign({ nodeStopping: ({ event, context }) => (event.type === 'LIVENESS' ? event.liveness === 'Stopping' : context.nodeStopping) }),
    unregister: assign(() => ({ ...NO_MAINTAINER })),
  },
}).createMachine({
  id: 'maintainerRegistry',
  context: fromValidInput('maintainerRegistry', (input) => ({
    ...input,
    coordinatorVersion: input.coordinatorVersion ?? (input.coordinatorId === '' ? 0n : 1n),
    aliveNodes: [...input.aliveNodes].sort(),
    nodeStopping: false,
    generation: 0,
    ...NO_MAINTAINER,
  })),
  initial: 'Empty',
  on: {
    COORDINATOR_BOOTSTRAP: { guard: 'isCurrentOrNewerCoordinator', actions: 'adoptCoordinator' },
    LIVENESS: { actions: 'setLiveness' },
    NODE_ADDED: { actions: 'addNode' },
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
          // A remove-only maintainer at the request epoch; the request is then forwarded to it,
          // where strictAllow(e, e) holds and cascade passes the pre-bootstrap check.
          {
            guard: and(['isCascadeRemove', 'removeOnlyClosesNow']),
            target: 'Maintainer.Stopped',
            actions: ['createMaintainer', 'recordRemove', 'enterRemovingMode', 'tryCloseChangefeed'],
          },
          {
            guard: 'isCascadeRemove',
            target: 'Maintainer.Removing',
            actions: ['createMaintainer', 'recordRemove', 'enterRemovingMode', 'tryCloseChangefeed'],
          },
          { actions: 'replyStoppedWithRequestEpoch' },
        ],
      },
    },
    Maintainer: {
      initial: 'Bootstrapping',
      on: {
        // A live maintainer takes no add: nothing is constructed (B14).
        ADD_MAINTAINER: {},
        HEARTBEAT: { actions: 'reportWorking' },
      },
      states: {
        Bootstrapping: {
          on: {
            BOOTSTRAP_RESPONSE: [
              { guard: 'isStaleResponse' },
              { guard: 'isErrorResponse', actions: 'recordRunningError' },
              { guard: 'isUntrackedBootstrapResponse' },
              {
                guard: 'completesBootstrap',
                target: 'Running',
                actions: ['recordBootstrapResponse', 'finishBootstrap', 'sendPostBootstrapRequest'],
              },
              { actions: 'recordBootstrapResponse' },
            ],
            REMOVE_MAINTAINER: [
              ...REMOVE_FENCES,
              { guard: 'isIgnoredBeforeBootstrap' },
              { guard: 'removeClosesNow', target: 'Stopped', actions: ['recordRemove', 'enterRemovingMode', 'tryCloseChangefeed'] },
              { target: 'Removing', actions: ['recordRemove', 'enterRemovingMode', 'tryCloseChangefeed'] },
            ],
            // Nothing is pending yet, so only an error matters (`onMaintainerPostBootstrapResponse`).
            POST_BOOTSTRAP_RESPONSE: [{ guard: 'isStaleResponse' }, { guard: 'isErrorResponse', actions: 'recordRunningError' }],
            RESEND: { actions: 'sendBootstrapRequests' },
            NODE_ADDED: { guard: 'isJoiningNode', actions: ['addNode', 'sendBootstrapRequestToJoiner'] },
            NODE_REMOVED: [
              { guard: 'completesBootstrap', target: 'Running', actions: ['forgetNode', 'finishBootstrap', 'sendPostBootstrapRequest'] },
              { actions: 'forgetNode' },
            ],
          },
        },
        Running: {
          on: {
            BOOTSTRAP_RESPONSE: [{ guard: 'isStaleResponse' }, { guard: 'isErrorResponse', actions: 'recordRunningError' }],
            POST_BOOTSTRAP_RESPONSE: [
              { guard: 'isStaleResponse' },
              { guard: 'isErrorResponse', actions: 'recordRunningError' },
              { actions: 'clearPostBootstrapPending' },
            ],
            REMOVE_MAINTAINER: [
              ...REMOVE_FENCES,
              { guard: 'removeClosesNow', target: 'Stopped', actions: ['recordRemove', 'enterRemovingMode', 'tryCloseChangefeed'] },
              { target: 'Removing', actions: ['recordRemove', 'enterRemovingMode', 'tryCloseChangefeed'] },
            ],
            DISPATCHER_STATUS: [
              { guard: 'isOrphanStoppedSpan', actions: ['updateSpanStatus', 'recordDdlSpanStatus', 'markSpanAbsent'] },
              { actions: ['updateSpanStatus', 'recordDdlSpanStatus'] },
            ],
            BLOCK_STATUS: { actions: 'handleBlockStatus' },
            RESEND: { actions: 'resendPostBootstrapRequest' },
            NODE_ADDED: { guard: 'isJoiningNode', actions: ['addNode', 'sendBootstrapRequestToJoiner'] },
            NODE_REMOVED: { actions: ['forgetNode', 'handleNodeRemoved'] },
          },
        },
        Removing: {
          on: {
            BOOTSTRAP_RESPONSE: [{ guard: 'isStaleResponse' }, { guard: 'isErrorResponse', actions: 'recordRunningError' }],
            POST_BOOTSTRAP_RESPONSE: [
              { guard: 'isStaleResponse' },
              { guard: 'isErrorResponse', actions: 'recordRunningError' },
              { actions: 'clearPostBootstrapPending' },
            ],
            REMOVE_MAINTAINER: [
              ...REMOVE_FENCES,
              { guard: 'isIgnoredBeforeBootstrap' },
              { guard: 'removeClosesNow', target: 'Stopped', actions: ['recordRemove', 'tryCloseChangefeed'] },
              { actions: ['recordRemove', 'tryCloseChangefeed'] },
            ],
            CLOSE_RESPONSE: [
              { guard: 'isStaleResponse' },
              { guard: 'isFailedClose' },
              { guard: 'closeResponseClosesNow', target: 'Stopped', actions: ['recordClosedNode', 'tryCloseChangefeed'] },
              { actions: ['recordClosedNode', 'tryCloseChangefeed'] },
            ],
            DISPATCHER_STATUS: [
              { guard: 'isUninitialized' },
              // Status bookkeeping only: no absent-marking while removing (§6.11.10).
              { actions: ['updateSpanStatus', 'recordDdlSpanStatus'] },
            ],
            // Only cascade closes are resent; bootstrap, post-bootstrap and barrier traffic stops.
            RESEND: { guard: 'isCascadeRemoving', actions: 'sendCloseRequests' },
          },
        },
        Stopped: {
          on: {
            ADD_MAINTAINER: [
              { guard: 'isRefusedAdd' },
              {
                guard: 'canReplace',
                target: 'Bootstrapping',
                actions: ['closeMaintainer', 'createMaintainer', 'sendBootstrapRequests'],
              },
            ],
            HEARTBEAT: { actions: 'reportStopped' },
            CLEANUP: { guard: 'isSameGeneration', target: '#maintainerRegistry.Empty', actions: ['closeMaintainer', 'unregister'] },
          },
        },
      },
    },
  },
});

/** The status the manager's heartbeat reports for this slot, or none when it is empty. */
export function maintainerStatusOf(snapshot: {
  value: unknown;
  context: MaintainerRegistryContext;
}): { state: MaintainerState; maintainerEpoch: Uint64; bootstrapDone: boolean } | undefined {
  const v = snapshot.value as { Maintainer?: string } | string;
  if (typeof v === 'string') return undefined;
  return {
    state: v.Maintainer === 'Stopped' ? 'Stopped' : 'Working',
    maintainerEpoch: snapshot.context.epoch,
    bootstrapDone: snapshot.context.initialized,
  };
}
