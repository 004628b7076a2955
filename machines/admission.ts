/**
 * Operator admission with an asynchronous epoch bump (`operator_controller.go:AddOperator`),
 * spec §2.4: one machine per `AddOperator(op)` call for an Add or a Move.
 *
 * States: `Precheck` → `Bumping` → `Recheck` → `Accepted` | `Rejected` (both final, with the
 * reason in context).
 *
 * Rules encoded (§2.4 statechart and notes):
 * - Precheck rejects when the changefeed already has an operator, when a bump for it is in
 *   flight (the `epochBumping` reservation: B2, I7), or when it is not in the DB. Without PD or a
 *   backend (`needsBump` false) the operator is pushed at once with the in-memory epoch.
 * - Otherwise the slot is reserved and the bump runs outside the controller lock (B3): the machine
 *   emits the reservation and a `store.bumpEpoch` intent, and waits for its result.
 * - Whatever the result, the reservation is released. A failed bump rejects (persisted epoch
 *   unchanged, or unknown if the store said maybe-applied).
 * - Recheck rejects when an operator took the slot meanwhile (a **stop wins while the bump is in
 *   flight**: stops never consult the reservation, §2.3.2), when the changefeed was removed, or
 *   when it was replaced by another object with the same ID. In each case the persisted epoch is
 *   already bumped and the in-memory info is **not** updated (I2).
 * - Only on acceptance: `SetInfo(bumped info)` and then push the operator, so its first message
 *   carries the new epoch (I4).
 *
 * Events in: PRECHECK {hasOperator, bumping, changefeedExists}, BUMPED {epoch},
 * BUMP_FAILED {code}, RECHECK {hasOperator, changefeedExists, sameChangefeed}.
 * Effects out: controller.reserveBumping, controller.releaseBumping, store.bumpEpoch,
 * controller.setInfo {epoch}, controller.pushOperator.
 *
 * Simplifications: the controller's view (operator map, reservation set, DB identity) arrives as
 * event data read by the host under its lock, rather than being read by the machine; the PD
 * candidate is the host's (see services/epochClock.ts); the 10 s bump timeout is the host's.
 * Stop operators are not admitted through here (they replace, §2.3.2), so nothing here can block
 * a stop.
 */
import { setup, emit, assign } from 'xstate';
import type { Uint64 } from './epoch.js';
import type { ChangefeedId } from './protocol.js';

export type AdmittedKind = 'add' | 'move';

export interface AdmissionInput {
  changefeedId: ChangefeedId;
  kind: AdmittedKind;
  /** Add or Move with PD and a backend configured (§2.4 `needsBump`). */
  needsBump: boolean;
}

export type RejectReason =
  | 'operator-exists'
  | 'bump-in-flight'
  | 'changefeed-missing'
  | 'bump-failed'
  | 'operator-took-slot-during-bump'
  | 'changefeed-removed-during-bump'
  | 'changefeed-replaced-during-bump';

export interface AdmissionContext extends AdmissionInput {
  epoch: Uint64 | null;
  reason: RejectReason | null;
  bumpError: string | null;
}

export type AdmissionEvent =
  | { type: 'PRECHECK'; hasOperator: boolean; bumping: boolean; changefeedExists: boolean }
  | { type: 'BUMPED'; epoch: Uint64 }
  | { type: 'BUMP_FAILED'; code: string }
  | { type: 'RECHECK'; hasOperator: boolean; changefeedExists: boolean; sameChangefeed: boolean };

export type AdmissionEffect =
  | { type: 'controller.reserveBumping'; changefeedId: ChangefeedId }
  | { type: 'controller.releaseBumping'; changefeedId: ChangefeedId }
  | { type: 'store.bumpEpoch'; changefeedId: ChangefeedId }
  | { type: 'controller.setInfo'; changefeedId: ChangefeedId; epoch: Uint64 }
  | { type: 'controller.pushOperator'; changefeedId: ChangefeedId; kind: AdmittedKind };

export const admissionMachine = setup({
  types: {
    input: {} as AdmissionInput,
    context: {} as AdmissionContext,
    events: {} as AdmissionEvent,
    emitted: {} as AdmissionEffect,
  },
  guards: {
    hasOperator: ({ event }) => (event.type === 'PRECHECK' || event.type === 'RECHECK') && event.hasOperator,
    isBumping: ({ event }) => event.type === 'PRECHECK' && event.bumping,
    changefeedMissing: ({ event }) => (event.type === 'PRECHECK' || event.type === 'RECHECK') && !event.changefeedExists,
    changefeedReplaced: ({ event }) => event.type === 'RECHECK' && !event.sameChangefeed,
    noBumpNeeded: ({ context }) => !context.needsBump,
  },
  actions: {
    rejectOperatorExists: assign({ reason: 'operator-exists' as RejectReason }),
    rejectBumpInFlight: assign({ reason: 'bump-in-flight' as RejectReason }),
    rejectMissing: assign({ reason: 'changefeed-missing' as RejectReason }),
    rejectSlotTaken: assign({ reason: 'operator-took-slot-during-bump' as RejectReason }),
    rejectRemoved: assign({ reason: 'changefeed-removed-during-bump' as RejectReason }),
    rejectReplaced: assign({ reason: 'changefeed-replaced-during-bump' as RejectReason }),
    rejectBumpFailed: assign({
      reason: 'bump-failed' as RejectReason,
      bumpError: ({ event }) => (event.type === 'BUMP_FAILED' ? event.code : null),
    }),
    reserve: emit(({ context }) => ({ type: 'controller.reserveBumping' as const, changefeedId: context.changefeedId })),
    release: emit(({ context }) => ({ type: 'controller.releaseBumping' as const, changefeedId: context.changefeedId })),
    requestBump: emit(({ context }) => ({ type: 'store.bumpEpoch' as const, changefeedId: context.changefeedId })),
    recordEpoch: assign({ epoch: ({ event }) => (event.type === 'BUMPED' ? event.epoch : null) }),
    setInfo: emit(({ context }) => ({
      type: 'controller.setInfo' as const,
      changefeedId: context.changefeedId,
      epoch: context.epoch ?? 0n,
    })),
    push: emit(({ context }) => ({
      type: 'controller.pushOperator' as const,
      changefeedId: context.changefeedId,
      kind: context.kind,
    })),
  },
}).createMachine({
  id: 'admission',
  context: ({ input }) => ({ ...input, epoch: null, reason: null, bumpError: null }),
  initial: 'Precheck',
  states: {
    Precheck: {
      on: {
        PRECHECK: [
          { guard: 'hasOperator', target: 'Rejected', actions: 'rejectOperatorExists' },
          { guard: 'isBumping', target: 'Rejected', actions: 'rejectBumpInFlight' },
          { guard: 'changefeedMissing', target: 'Rejected', actions: 'rejectMissing' },
          { guard: 'noBumpNeeded', target: 'Accepted', actions: 'push' },
          { target: 'Bumping', actions: ['reserve', 'requestBump'] },
        ],
      },
    },
    Bumping: {
      on: {
        BUMPED: { target: 'Recheck', actions: ['release', 'recordEpoch'] },
        BUMP_FAILED: { target: 'Rejected', actions: ['release', 'rejectBumpFailed'] },
      },
    },
    Recheck: {
      on: {
        RECHECK: [
          { guard: 'hasOperator', target: 'Rejected', actions: 'rejectSlotTaken' },
          { guard: 'changefeedMissing', target: 'Rejected', actions: 'rejectRemoved' },
          { guard: 'changefeedReplaced', target: 'Rejected', actions: 'rejectReplaced' },
          { target: 'Accepted', actions: ['setInfo', 'push'] },
        ],
      },
    },
    Accepted: { type: 'final' },
    Rejected: { type: 'final' },
  },
});
