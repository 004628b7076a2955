/**
 * The dispatcher manager of one changefeed on one node, with the orchestrator's handling of its
 * bootstrap, post-bootstrap and close requests (`dispatcherorchestrator/dispatcher_orchestrator.go`,
 * `dispatchermanager/dispatcher_manager_info.go`, `dispatchermanager/helper.go`), spec §2.7.3 and
 * §1.1; invariants I10, I11; historical bugs §5.1 B12, B13, B17.
 *
 * States: `Absent` (no manager in `dispatcherManagers`; a tombstone may be recorded) and `Active`,
 * a manager with an owner `(maintainer node, epoch)`, an optional table-trigger dispatcher, its
 * dispatchers (`spans`) and its `currentOperatorMap` (`operators`). `Active` is `Open`, then
 * `Closing` after the first allowed close (`TryClose` starts the asynchronous close), then `Closed`
 * once that finishes; the next allowed close deletes it.
 *
 * Rules encoded:
 * - Bootstrap with no manager: a tombstone refuses epoch 0 and any epoch at or below it, silently
 *   (I11). Otherwise the manager is created with owner (from, e) and the request's trigger, the
 *   tombstone is deleted, and the response follows.
 * - Bootstrap of an existing manager: `canUpdateOwner` refuses it silently (the owner epoch never
 *   decreases and never returns to 0, a same-epoch different sender is refused, I10). Then the
 *   table-trigger ID is validated **before** the owner changes: with no trigger ID in the request
 *   no trigger may exist, otherwise an existing trigger must have that ID. A mismatch answers with
 *   an error response carrying the request epoch and keeps the old owner (fix `92359b539`). Else
 *   the owner is updated and a missing trigger is created.
 * - The bootstrap response carries the owner epoch after the update, the spans, and only the
 *   operators that pass `dmAllow` for the new owner plus a stale **Remove** whose dispatcher is in
 *   the same snapshot's spans (§5.1 B12, `operatorsForBootstrap`).
 * - Schedule requests (`REQUEST`) are admitted by `dmAllow` only (`preCheckForSchedulerHandler`):
 *   an operator stored for the same dispatcher by a sender the owner no longer allows is evicted;
 *   a create is dropped while a current operator exists for that dispatcher or when the dispatcher
 *   exists (idempotent); a remove is stored only if the dispatcher exists, but always reaches the
 *   runtime so a terminal status goes back.
 * - Post-bootstrap: admitted by `dmAllow`; no trigger, or a different trigger ID → error response
 *   (request epoch); a write path that closed while initializing → no response (the path of §5.1
 *   B13); else a response echoing the request epoch.
 * - Close: no manager → record the tombstone and answer success; `dmAllow` → `TryClose(removed)`
 *   (not yet closed → success=false, the maintainer retries; closed → delete the manager, record
 *   the tombstone, success); not allowed → success **without** closing and without a tombstone, so
 *   a superseded sender stops retrying (I10). A removing close is remembered (`removeRequested`).
 * - The tombstone keeps the maximum epoch; an epoch-0 close records one only when removing (B17).
 *
 * Events in: BOOTSTRAP, POST_BOOTSTRAP, REQUEST, CLOSE (from maintainers, via the orchestrator's
 * queue); DISPATCHER_CREATED, DISPATCHER_REMOVED, REMOVE_CLEANED, CLOSE_FINISHED (the runtime).
 * Effects out: MaintainerBootstrapResponse, MaintainerPostBootstrapResponse, MaintainerCloseResponse;
 * dm.created / triggerCreated / triggerInitialized / createDispatcher / removeDispatcher / closing /
 * closed.
 *
 * Differences from the spec, where the source wins: the trigger-mismatch error response carries
 * the **request** epoch (`handleDispatcherError(from, cf, maintainerEpoch, err)`), not the
 * manager's, so the new maintainer's `match` admits it and records the error; `TryClose` is
 * stateful (the first call starts the close and answers not-yet even if nothing is left to drain).
 *
 * Simplifications: one event dispatcher per manager mode (no redo dispatchers, no redo trigger);
 * dispatcher creation and removal complete through runtime events; the source's
 * `cleanEventDispatcher` deletes the dispatcher from its map and then its operator entry, without
 * the fence lock, so a bootstrap can observe the gap — here the two halves are DISPATCHER_REMOVED
 * and REMOVE_CLEANED. Dispatcher-manager creation errors, merge operators, heartbeat-response
 * contents and the orchestrator's local fence (§2.7.3 "Local fence") are not modelled. There is no
 * `MaintainerFenceMu`: an actor takes one event at a time and every handler runs to completion, so
 * the fence mutex leak of B13 has no analogue; what the model guarantees instead is that after any
 * handled event (the write-path-closed post-bootstrap included) the next close or bootstrap is
 * handled.
 */
import { setup, emit, assign, enqueueActions } from 'xstate';
import { dmAllow, type Uint64 } from './epoch.js';
import type { ChangefeedId, NodeId } from './protocol.js';
import {
  canUpdateOwner,
  nextTombstone,
  operatorsForBootstrap,
  tombstoneRefuses,
  type MaintainerBootstrapResponse,
  type MaintainerCloseResponse,
  type MaintainerPostBootstrapResponse,
  type StoredOperator,
} from './fencingProtocol.js';
import { fromValidInput } from './boundary.js';

export interface DispatcherManagerInput {
  changefeedId: ChangefeedId;
  node: NodeId;
  /** A tombstone left by an earlier manager on this node, if any. */
  tombstone?: Uint64 | null;
}

export interface DispatcherManagerContext {
  changefeedId: ChangefeedId;
  node: NodeId;
  /** `closedMaintainerEpochs[cf]`; null = absent. */
  tombstone: Uint64 | null;
  /** Owner (maintainer node) and owner epoch; "" and 0 while there is no manager. */
  owner: NodeId;
  ownerEpoch: Uint64;
  /** The table-trigger event dispatcher's ID, if one exists. */
  triggerId: string | null;
  /** The table trigger was initialized by an admitted post-bootstrap. */
  triggerInitialized: boolean;
  /** Dispatchers in the manager's dispatcher map (the bootstrap response's spans). */
  spans: string[];
  /** `currentOperatorMap`: at most one operator per dispatcher. */
  operators: StoredOperator[];
  /** A close with `removed=true` was admitted (`removeChangefeedRequested`). */
  removeRequested: boolean;
}

export type DispatcherManagerEvent =
  | { type: 'BOOTSTRAP'; from: NodeId; maintainerEpoch: Uint64; triggerId: string | null }
  | { type: 'POST_BOOTSTRAP'; from: NodeId; maintainerEpoch: Uint64; triggerId: string | null; writePathClosed: boolean }
  | { type: 'REQUEST'; from: NodeId; maintainerEpoch: Uint64; dispatcher: string; kind: 'create' | 'remove' }
  | { type: 'CLOSE'; from: NodeId; maintainerEpoch: Uint64; removed: boolean }
  | { type: 'DISPATCHER_CREATED'; dispatcher: string }
  | { type: 'DISPATCHER_REMOVED'; dispatcher: string }
  | { type: 'REMOVE_CLEANED'; dispatcher: string }
  | { type: 'CLOSE_FINISHED' };

export type DispatcherManagerEffect =
  | MaintainerBootstrapResponse
  | MaintainerPostBootstrapResponse
  | MaintainerCloseResponse
  | { type: 'dm.created'; changefeedId: ChangefeedId; owner: NodeId; ownerEpoch: Uint64; triggerId: string | null }
  | { type: 'dm.triggerCreated'; changefeedId: ChangefeedId; triggerId: string }
  | { type: 'dm.triggerInitialized'; changefeedId: ChangefeedId; triggerId: string }
  | { type: 'dm.createDispatcher'; changefeedId: ChangefeedId; dispatcher: string; maintainerEpoch: Uint64 }
  | { type: 'dm.removeDispatcher'; changefeedId: ChangefeedId; dispatcher: string; maintainerEpoch: Uint64 }
  | { type: 'dm.closing'; changefeedId: ChangefeedId }
  | { type: 'dm.closed'; changefeedId: ChangefeedId; removeChangefeed: boolean };

type Ev<T extends DispatcherManagerEvent['type']> = Extract<DispatcherManagerEvent, { type: T }>;
type FromEvent = Ev<'BOOTSTRAP' | 'POST_BOOTSTRAP' | 'REQUEST' | 'CLOSE'>;
const hasSender = (e: DispatcherManagerEvent): e is FromEvent => 'from' in e;
const dispatcherOf = (e: DispatcherManagerEvent) => ('dispatcher' in e ? e.dispatcher : '');

const allows = (c: DispatcherManagerContext, e: DispatcherManagerEvent) =>
  hasSender(e) && dmAllow(e.from, e.maintainerEpoch, c.owner, c.ownerEpoch);
const operatorFor = (c: DispatcherManagerContext, dispatcher: string) => c.operators.find((op) => op.dispatcher === dispatcher);
/** An operator the current owner still allows (a stale one is evicted by the next admitted request). */
const isCurrent = (c: DispatcherManagerContext, op: StoredOperator) => dmAllow(op.owner, op.ownerEpoch, c.owner, c.ownerEpoch);

/** The bootstrap trigger validation (`bootstrapTableTrigger.validate`) against an existing manager. */
const triggerMismatch = (c: DispatcherManagerContext, requested: string | null) =>
  c.triggerId !== null && requested !== c.triggerId;

export const dispatcherManagerMachine = setup({
  types: {
    input: {} as DispatcherManagerInput,
    context: {} as DispatcherManagerContext,
    events: {} as DispatcherManagerEvent,
    emitted: {} as DispatcherManagerEffect,
  },
  guards: {
    isTombstoned: ({ context, event }) => event.type === 'BOOTSTRAP' && tombstoneRefuses(context.tombstone, event.maintainerEpoch),
    cannotUpdateOwner: ({ context, event }) =>
      event.type === 'BOOTSTRAP' && !canUpdateOwner(context.owner, context.ownerEpoch, event.from, event.maintainerEpoch),
    isTriggerMismatch: ({ context, event }) => event.type === 'BOOTSTRAP' && triggerMismatch(context, event.triggerId),
    isAllowed: ({ context, event }) => allows(context, event),
    isNotAllowed: ({ context, event }) => !allows(context, event),
    hasNoTrigger: ({ context }) => context.triggerId === null,
    createsTrigger: ({ context, event }) => event.type === 'BOOTSTRAP' && context.triggerId === null && event.triggerId !== null,
    isPostBootstrapTriggerMismatch: ({ context, event }) => event.type === 'POST_BOOTSTRAP' && event.triggerId !== context.triggerId,
    isWritePathClosed: ({ event }) => event.type === 'POST_BOOTSTRAP' && event.writePathClosed,
    isCreateBehindCurrentOperator: ({ context, event }) => {
      if (event.type !== 'REQUEST' || event.kind !== 'create') return false;
      const op = operatorFor(context, event.dispatcher);
      return !!op && isCurrent(context, op);
    },
    isCreateOfExistingDispatcher: ({ context, event }) =>
      event.type === 'REQUEST' && event.kind === 'create' && context.spans.includes(event.dispatcher),
    isCreate: ({ event }) => event.type === 'REQUEST' && event.kind === 'create',
    isRemoveOfExistingDispatcher: ({ context, event }) =>
      event.type === 'REQUEST' && event.kind === 'remove' && context.spans.includes(event.dispatcher),
    isPendingCreate: ({ context, event }) => operatorFor(context, dispatcherOf(event))?.kind === 'create',
    isRemovedWithPendingRemove: ({ context, event }) =>
      operatorFor(context, dispatcherOf(event))?.kind === 'remove' && !context.spans.includes(dispatcherOf(event)),
    /** A dispatcher in the map: a span's, or the DDL-trigger dispatcher. */
    isKnownDispatcher: ({ context, event }) => context.spans.includes(dispatcherOf(event)) || (context.triggerId !== null && context.triggerId === dispatcherOf(event)),
  },
  actions: {
    createManager: assign(({ event }) =>
      event.type === 'BOOTSTRAP'
        ? {
            owner: event.from,
            ownerEpoch: event.maintainerEpoch,
            triggerId: event.triggerId,
            triggerInitialized: false,
            tombstone: null,
            spans: [],
            operators: [],
            removeRequested: false,
          }
        : {},
    ),
    announceCreated: emit(({ context }) => ({
      type: 'dm.created' as const,
      changefeedId: context.changefeedId,
      owner: context.owner,
      ownerEpoch: context.ownerEpoch,
      triggerId: context.triggerId,
    })),
    updateOwner: assign(({ event }) => (event.type === 'BOOTSTRAP' ? { owner: event.from, ownerEpoch: event.maintainerEpoch } : {})),
    /** `trigger.ensure`: an existing manager without a trigger gets the requested one. */
    createTrigger: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'BOOTSTRAP' || event.triggerId === null) return;
      enqueue.assign({ triggerId: event.triggerId, triggerInitialized: false });
      enqueue.emit({ type: 'dm.triggerCreated', changefeedId: context.changefeedId, triggerId: event.triggerId });
    }),
    respondBootstrap: emit(({ context, event }) => ({
      type: 'MaintainerBootstrapResponse' as const,
      to: hasSender(event) ? event.from : '',
      changefeedId: context.changefeedId,
      maintainerEpoch: context.ownerEpoch,
      spans: [...context.spans],
      operators: operatorsForBootstrap(context.operators, context.spans, context.owner, context.ownerEpoch),
      error: null,
    })),
    respondTriggerMismatch: emit(({ context, event }) => ({
      type: 'MaintainerBootstrapResponse' as const,
      to: hasSender(event) ? event.from : '',
      changefeedId: context.changefeedId,
      maintainerEpoch: hasSender(event) ? event.maintainerEpoch : 0n,
      spans: [],
      operators: [],
      error: event.type === 'BOOTSTRAP' && event.triggerId === null ? 'table trigger dispatcher present during nil trigger bootstrap' : 'table trigger dispatcher ID mismatch during bootstrap',
    })),
    respondPostBootstrap: emit(({ context, event }) => ({
      type: 'MaintainerPostBootstrapResponse' as const,
      to: hasSender(event) ? event.from : '',
      changefeedId: context.changefeedId,
      maintainerEpoch: hasSender(event) ? event.maintainerEpoch : 0n,
      error: null,
    })),
    respondPostBootstrapError: emit(({ context, event }) => ({
      type: 'MaintainerPostBootstrapResponse' as const,
      to: hasSender(event) ? event.from : '',
      changefeedId: context.changefeedId,
      maintainerEpoch: hasSender(event) ? event.maintainerEpoch : 0n,
      error: context.triggerId === null ? 'no table trigger event dispatcher' : 'table trigger event dispatcher ID mismatch',
    })),
    initializeTrigger: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ triggerInitialized: true });
      enqueue.emit({ type: 'dm.triggerInitialized', changefeedId: context.changefeedId, triggerId: context.triggerId ?? '' });
    }),
    evictStaleOperator: assign({
      operators: ({ context, event }) => context.operators.filter((op) => op.dispatcher !== dispatcherOf(event) || isCurrent(context, op)),
    }),
    storeOperator: assign({
      operators: ({ context, event }) =>
        event.type === 'REQUEST'
          ? [
              ...context.operators.filter((op) => op.dispatcher !== event.dispatcher),
              { dispatcher: event.dispatcher, kind: event.kind, owner: event.from, ownerEpoch: event.maintainerEpoch },
            ]
          : context.operators,
    }),
    startCreate: emit(({ context, event }) => ({
      type: 'dm.createDispatcher' as const,
      changefeedId: context.changefeedId,
      dispatcher: dispatcherOf(event),
      maintainerEpoch: hasSender(event) ? event.maintainerEpoch : 0n,
    })),
    startRemove: emit(({ context, event }) => ({
      type: 'dm.removeDispatcher' as const,
      changefeedId: context.changefeedId,
      dispatcher: dispatcherOf(event),
      maintainerEpoch: hasSender(event) ? event.maintainerEpoch : 0n,
    })),
    /** `deleteCreatedOperators`: the dispatcher is in the map, its create operator is done. */
    addDispatcher: assign(({ context, event }) => ({
      spans: context.spans.includes(dispatcherOf(event)) ? context.spans : [...context.spans, dispatcherOf(event)],
      operators: context.operators.filter((op) => !(op.dispatcher === dispatcherOf(event) && op.kind === 'create')),
    })),
    /**
     * First half of `cleanEventDispatcher`: the dispatcher leaves the map; the DDL-trigger one also
     * leaves the manager's trigger slot (`SetTableTriggerEventDispatcher(nil)`), so a later owner may
     * bootstrap this manager with a nil trigger (a move's destination, §2.2, §2.7.3 step 3).
     */
    dropDispatcher: assign(({ context, event }) => ({
      spans: context.spans.filter((d) => d !== dispatcherOf(event)),
      ...(context.triggerId === dispatcherOf(event) ? { triggerId: null, triggerInitialized: false } : {}),
    })),
    /** Second half: its remove operator entry is deleted. */
    dropOperator: assign({ operators: ({ context, event }) => context.operators.filter((op) => op.dispatcher !== dispatcherOf(event)) }),
    recordRemoveRequest: assign({
      removeRequested: ({ context, event }) => context.removeRequested || (event.type === 'CLOSE' && event.removed),
    }),
    announceClosing: emit(({ context }) => ({ type: 'dm.closing' as const, changefeedId: context.changefeedId })),
    recordTombstone: assign({
      tombstone: ({ context, event }) =>
        event.type === 'CLOSE' ? nextTombstone(context.tombstone, event.maintainerEpoch, event.removed) : context.tombstone,
    }),
    announceClosed: emit(({ context }) => ({ type: 'dm.closed' as const, changefeedId: context.changefeedId, removeChangefeed: context.removeRequested })),
    dropManager: assign({
      owner: '',
      ownerEpoch: 0n,
      triggerId: null,
      triggerInitialized: false,
      spans: [],
      operators: [],
      removeRequested: false,
    }),
    respondClosed: emit(({ context, event }) => ({
      type: 'MaintainerCloseResponse' as const,
      to: hasSender(event) ? event.from : '',
      changefeedId: context.changefeedId,
      success: true,
      maintainerEpoch: hasSender(event) ? event.maintainerEpoch : 0n,
    })),
    respondNotYet: emit(({ context, event }) => ({
      type: 'MaintainerCloseResponse' as const,
      to: hasSender(event) ? event.from : '',
      changefeedId: context.changefeedId,
      success: false,
      maintainerEpoch: hasSender(event) ? event.maintainerEpoch : 0n,
    })),
  },
}).createMachine({
  id: 'dispatcherManager',
  context: fromValidInput('dispatcherManager', (input) => ({
    changefeedId: input.changefeedId,
    node: input.node,
    tombstone: input.tombstone ?? null,
    owner: '',
    ownerEpoch: 0n,
    triggerId: null,
    triggerInitialized: false,
    spans: [],
    operators: [],
    removeRequested: false,
  })),
  initial: 'Absent',
  states: {
    Absent: {
      on: {
        BOOTSTRAP: [
          { guard: 'isTombstoned' },
          { target: 'Active', actions: ['createManager', 'announceCreated', 'respondBootstrap'] },
        ],
        // No manager: the tombstone is recorded and the close is acknowledged.
        CLOSE: { actions: ['recordTombstone', 'respondClosed'] },
      },
    },
    Active: {
      initial: 'Open',
      on: {
        BOOTSTRAP: [
          { guard: 'cannotUpdateOwner' },
          { guard: 'isTriggerMismatch', actions: 'respondTriggerMismatch' },
          { guard: 'createsTrigger', actions: ['updateOwner', 'createTrigger', 'respondBootstrap'] },
          { actions: ['updateOwner', 'respondBootstrap'] },
        ],
        POST_BOOTSTRAP: [
          { guard: 'isNotAllowed' },
          { guard: 'hasNoTrigger', actions: 'respondPostBootstrapError' },
          { guard: 'isPostBootstrapTriggerMismatch', actions: 'respondPostBootstrapError' },
          // The write path closed while initializing the trigger: no response (B13's path).
          { guard: 'isWritePathClosed' },
          { actions: ['initializeTrigger', 'respondPostBootstrap'] },
        ],
        REQUEST: [
          { guard: 'isNotAllowed' },
          { guard: 'isCreateBehindCurrentOperator' },
          { guard: 'isCreateOfExistingDispatcher', actions: 'evictStaleOperator' },
          { guard: 'isCreate', actions: ['storeOperator', 'startCreate'] },
          { guard: 'isRemoveOfExistingDispatcher', actions: ['storeOperator', 'startRemove'] },
          { actions: ['evictStaleOperator', 'startRemove'] },
        ],
        DISPATCHER_CREATED: { guard: 'isPendingCreate', actions: 'addDispatcher' },
        DISPATCHER_REMOVED: { guard: 'isKnownDispatcher', actions: 'dropDispatcher' },
        REMOVE_CLEANED: { guard: 'isRemovedWithPendingRemove', actions: 'dropOperator' },
        // A sender the owner does not allow: acknowledged, nothing closed, no tombstone (I10).
        CLOSE: { actions: 'respondClosed' },
      },
      states: {
        Open: {
          on: {
            CLOSE: { guard: 'isAllowed', target: 'Closing', actions: ['recordRemoveRequest', 'announceClosing', 'respondNotYet'] },
          },
        },
        Closing: {
          on: {
            CLOSE: { guard: 'isAllowed', actions: ['recordRemoveRequest', 'respondNotYet'] },
            CLOSE_FINISHED: { target: 'Closed' },
          },
        },
        Closed: {
          on: {
            CLOSE: {
              guard: 'isAllowed',
              target: '#dispatcherManager.Absent',
              actions: ['recordRemoveRequest', 'recordTombstone', 'announceClosed', 'dropManager', 'respondClosed'],
            },
          },
        },
      },
    },
  },
});

