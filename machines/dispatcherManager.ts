/**
 * The dispatcher manager of one changefeed on one node, with the orchestrator's handling of its
 * bootstrap and close requests (`dispatcherorchestrator/dispatcher_orchestrator.go`,
 * `dispatchermanager/dispatcher_manager_info.go`), spec §2.7.3.
 *
 * States: `Absent` (no dispatcher manager; a tombstone may be recorded) and `Active` (a manager
 * with an owner `(node, epoch)`, an optional table-trigger dispatcher and stored operators).
 *
 * Rules encoded:
 * - Bootstrap with no manager: a tombstone refuses epoch 0 and any epoch at or below it, silently
 *   (I11); otherwise the manager is created with that owner and the tombstone is deleted.
 * - Bootstrap of an existing manager: the owner-update rule (`canUpdateOwner`: the owner epoch
 *   never decreases, never returns to 0, and a same-epoch different owner is refused) drops it
 *   silently; then the table-trigger ID is validated **before** the owner changes — a mismatch
 *   answers with an error and keeps the old owner (fix `92359b539`); else the owner is updated.
 * - The bootstrap response carries the owner epoch and only the stored operators that pass
 *   `dmAllow` for the new owner, plus a stale **Remove** whose dispatcher is in the same snapshot's
 *   spans (§5.1 B12); stale creates are not restored.
 * - Requests (schedule, post-bootstrap, heartbeat responses…) are admitted by `dmAllow` only; an
 *   admitted request from the current owner evicts operators stored by older owners.
 * - Close: no manager → record the tombstone and answer success; allowed → close (tombstone,
 *   success) or not yet (success=false, the maintainer retries); not allowed → success **without**
 *   closing and without a tombstone, so a superseded sender stops retrying (I10).
 * - The tombstone keeps the maximum epoch; an epoch-0 close records one only when removing (B17).
 *
 * Events in: BOOTSTRAP {from, maintainerEpoch, triggerId}, REQUEST {from, maintainerEpoch,
 * dispatcher, kind}, CLOSE {from, maintainerEpoch, removed, drained}.
 * Effects out: MaintainerBootstrapResponse, MaintainerCloseResponse, dm.created, dm.closed,
 * dm.requestApplied.
 *
 * Simplifications: `drained` (the manager's dispatchers have all closed, `TryClose`) arrives as
 * event data; creation errors, the write-path-closed and local-fence paths are not modelled — an
 * actor has no mutex to leak, so B13 (the fence mutex left locked) cannot be expressed, and the
 * model guarantees instead that every request handled returns the machine to a state that takes
 * the next one. The dispatcher spans of the snapshot are input.
 */
import { setup, emit, assign } from 'xstate';
import { dmAllow, type Uint64 } from './epoch.js';
import type { ChangefeedId, NodeId } from './protocol.js';
import {
  canUpdateOwner,
  nextTombstone,
  tombstoneRefuses,
  type MaintainerBootstrapResponse,
  type MaintainerCloseResponse,
  type StoredOperator,
} from './fencingProtocol.js';

export interface DispatcherManagerInput {
  changefeedId: ChangefeedId;
  node: NodeId;
  /** Dispatchers in the manager's span snapshot (what a bootstrap response reports). */
  spans: string[];
  /** A tombstone left by an earlier manager, if any. */
  tombstone?: Uint64 | null;
}

export interface DispatcherManagerContext {
  changefeedId: ChangefeedId;
  node: NodeId;
  spans: string[];
  tombstone: Uint64 | null;
  owner: NodeId;
  ownerEpoch: Uint64;
  triggerId: string | null;
  operators: StoredOperator[];
}

export type DispatcherManagerEvent =
  | { type: 'BOOTSTRAP'; from: NodeId; maintainerEpoch: Uint64; triggerId: string | null }
  | { type: 'REQUEST'; from: NodeId; maintainerEpoch: Uint64; dispatcher: string; kind: 'create' | 'remove' }
  | { type: 'CLOSE'; from: NodeId; maintainerEpoch: Uint64; removed: boolean; drained: boolean };

export type DispatcherManagerEffect =
  | MaintainerBootstrapResponse
  | MaintainerCloseResponse
  | { type: 'dm.created'; changefeedId: ChangefeedId; owner: NodeId; ownerEpoch: Uint64 }
  | { type: 'dm.closed'; changefeedId: ChangefeedId }
  | { type: 'dm.requestApplied'; changefeedId: ChangefeedId; dispatcher: string; kind: 'create' | 'remove' };

const fromOf = (e: DispatcherManagerEvent) => e.from;
const epochOf = (e: DispatcherManagerEvent) => e.maintainerEpoch;

/** The operators a bootstrap response restores for owner `(owner, epoch)` (§2.7.3 step 5). */
export function operatorsForBootstrap(ctx: DispatcherManagerContext, owner: NodeId, epoch: Uint64): StoredOperator[] {
  return ctx.operators.filter(
    (op) => dmAllow(op.owner, op.ownerEpoch, owner, epoch) || (op.kind === 'remove' && ctx.spans.includes(op.dispatcher)),
  );
}

export const dispatcherManagerMachine = setup({
  types: {
    input: {} as DispatcherManagerInput,
    context: {} as DispatcherManagerContext,
    events: {} as DispatcherManagerEvent,
    emitted: {} as DispatcherManagerEffect,
  },
  guards: {
    isTombstoned: ({ context, event }) => event.type === 'BOOTSTRAP' && tombstoneRefuses(context.tombstone, event.maintainerEpoch),
    cannotUpdateOwner: ({ context, event }) => !canUpdateOwner(context.owner, context.ownerEpoch, fromOf(event), epochOf(event)),
    isTriggerMismatch: ({ context, event }) =>
      event.type === 'BOOTSTRAP' &&
      ((event.triggerId === null && context.triggerId !== null) ||
        (event.triggerId !== null && context.triggerId !== null && event.triggerId !== context.triggerId)),
    isAllowed: ({ context, event }) => dmAllow(fromOf(event), epochOf(event), context.owner, context.ownerEpoch),
    isNotAllowed: ({ context, event }) => !dmAllow(fromOf(event), epochOf(event), context.owner, context.ownerEpoch),
    isNotDrained: ({ event }) => event.type === 'CLOSE' && !event.drained,
  },
  actions: {
    createManager: assign(({ event }) => ({
      owner: fromOf(event),
      ownerEpoch: epochOf(event),
      triggerId: event.type === 'BOOTSTRAP' ? event.triggerId : null,
      tombstone: null,
      operators: [],
    })),
    announceCreated: emit(({ context }) => ({
      type: 'dm.created' as const,
      changefeedId: context.changefeedId,
      owner: context.owner,
      ownerEpoch: context.ownerEpoch,
    })),
    updateOwner: assign(({ context, event }) => ({
      owner: fromOf(event),
      ownerEpoch: epochOf(event),
      triggerId: context.triggerId ?? (event.type === 'BOOTSTRAP' ? event.triggerId : null),
    })),
    respondBootstrap: emit(({ context, event }) => ({
      type: 'MaintainerBootstrapResponse' as const,
      to: fromOf(event),
      changefeedId: context.changefeedId,
      maintainerEpoch: context.ownerEpoch,
      operators: operatorsForBootstrap(context, context.owner, context.ownerEpoch),
      error: null,
    })),
    respondTriggerMismatch: emit(({ context, event }) => ({
      type: 'MaintainerBootstrapResponse' as const,
      to: fromOf(event),
      changefeedId: context.changefeedId,
      maintainerEpoch: context.ownerEpoch,
      operators: [],
      error: 'table trigger dispatcher ID mismatch',
    })),
    storeOperator: assign(({ context, event }) => {
      if (event.type !== 'REQUEST') return {};
      const current = context.operators.filter(
        (op) => op.owner === event.from && op.ownerEpoch === event.maintainerEpoch && op.dispatcher !== event.dispatcher,
      );
      return {
        operators: [...current, { dispatcher: event.dispatcher, kind: event.kind, owner: event.from, ownerEpoch: event.maintainerEpoch }],
      };
    }),
    announceApplied: emit(({ context, event }) => ({
      type: 'dm.requestApplied' as const,
      changefeedId: context.changefeedId,
      dispatcher: event.type === 'REQUEST' ? event.dispatcher : '',
      kind: event.type === 'REQUEST' ? event.kind : ('create' as const),
    })),
    recordTombstone: assign({
      tombstone: ({ context, event }) =>
        event.type === 'CLOSE' ? nextTombstone(context.tombstone, event.maintainerEpoch, event.removed) : context.tombstone,
    }),
    dropManager: assign({ owner: '', ownerEpoch: 0n, triggerId: null, operators: [] }),
    announceClosed: emit(({ context }) => ({ type: 'dm.closed' as const, changefeedId: context.changefeedId })),
    respondClosed: emit(({ context, event }) => ({
      type: 'MaintainerCloseResponse' as const,
      to: fromOf(event),
      changefeedId: context.changefeedId,
      success: true,
      maintainerEpoch: epochOf(event),
    })),
    respondNotYet: emit(({ context, event }) => ({
      type: 'MaintainerCloseResponse' as const,
      to: fromOf(event),
      changefeedId: context.changefeedId,
      success: false,
      maintainerEpoch: epochOf(event),
    })),
  },
}).createMachine({
  id: 'dispatcherManager',
  context: ({ input }) => ({
    changefeedId: input.changefeedId,
    node: input.node,
    spans: input.spans,
    tombstone: input.tombstone ?? null,
    owner: '',
    ownerEpoch: 0n,
    triggerId: null,
    operators: [],
  }),
  initial: 'Absent',
  states: {
    Absent: {
      on: {
        BOOTSTRAP: [
          { guard: 'isTombstoned' },
          { target: 'Active', actions: ['createManager', 'announceCreated', 'respondBootstrap'] },
        ],
        CLOSE: { actions: ['recordTombstone', 'respondClosed'] },
      },
    },
    Active: {
      on: {
        BOOTSTRAP: [
          { guard: 'cannotUpdateOwner' },
          { guard: 'isTriggerMismatch', actions: 'respondTriggerMismatch' },
          { actions: ['updateOwner', 'respondBootstrap'] },
        ],
        REQUEST: { guard: 'isAllowed', actions: ['storeOperator', 'announceApplied'] },
        CLOSE: [
          { guard: 'isNotAllowed', actions: 'respondClosed' },
          { guard: 'isNotDrained', actions: 'respondNotYet' },
          { target: 'Absent', actions: ['recordTombstone', 'dropManager', 'announceClosed', 'respondClosed'] },
        ],
      },
    },
  },
});
