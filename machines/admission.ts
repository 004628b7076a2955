/**
 * Operator admission with an asynchronous epoch bump (`operator_controller.go:AddOperator`),
 * spec §2.4: one machine per `AddOperator(op)` call.
 *
 * States: `Precheck` → `Bumping` → `Recheck` → `Accepted` | `Rejected` (both final, with the
 * reason in context).
 *
 * Rules encoded (§2.4 statechart and notes):
 * - Precheck rejects when the changefeed already has an operator, when a bump for it is in
 *   flight (the `epochBumping` reservation: B2, I7), or when it is not in the DB. A stop operator,
 *   or any operator without PD or a backend (`needsBump` false), is pushed at once with the
 *   in-memory epoch: only an Add or a Move with both wired bumps (§2.4 `needsBump`).
 * - Otherwise the slot is reserved and the bump runs outside the controller lock (B3): the machine
 *   emits the reservation and a `store.bumpEpoch` intent, and waits for its result.
 * - A failed bump releases the reservation and rejects; `persistedEpoch` records what the spec's
 *   table says of the store: `unchanged`, or `unknown` when the store reported the write as maybe
 *   applied (§3.2, a connection dropped mid-transaction).
 * - A successful bump keeps the reservation until the recheck has decided: the source releases it,
 *   rechecks, sets the info and pushes under one lock (§2.4), so between the bump's completion and
 *   the recheck a second Add or Move for the changefeed still fails its precheck (§5.1 B2). The
 *   release is emitted together with the recheck's outcome.
 * - Recheck rejects when an operator took the slot meanwhile (a **stop wins while the bump is in
 *   flight**: stops never consult the reservation, §2.3.2), when the changefeed was removed, or
 *   when it was replaced by another object with the same ID. In each case the persisted epoch is
 *   already bumped (`persistedEpoch: 'bumped'`) and the in-memory info is **not** updated (I2).
 * - Only on acceptance: `SetInfo(bumped info)` and then push the operator, so its first message
 *   carries the new epoch (I4).
 *
 * Events in: PRECHECK {hasOperator, bumping, changefeedExists}, BUMPED {epoch},
 * BUMP_FAILED {code, maybeApplied?}, RECHECK {hasOperator, changefeedExists, sameChangefeed}.
 * Effects out: controller.reserveBumping, controller.releaseBumping, store.bumpEpoch,
 * controller.setInfo {epoch}, controller.pushOperator {kind}.
 *
 * Simplifications: the machine is pure (no invoke, after or always, so `xstate/graph` can explore
 * it): the bump leaves as the `store.bumpEpoch` intent and its result comes back as BUMPED or
 * BUMP_FAILED; the controller's view (operator map, reservation set, DB identity) arrives as
 * event data the host reads under its lock. The candidate (PD TSO or local time, §3.5) and the
 * 10 s bump timeout (`operatorEpochBumpTimeout`) are the host's: services/admission.ts drives this
 * machine against an EpochStore with services/epochClock.ts. `StopChangefeed` (§2.3.2) replaces
 * operators without coming through here, so a bump never blocks a stop.
 */
import { setup, emit, assign } from 'xstate';
import type { Uint64 } from './epoch.js';
import type { ChangefeedId } from './protocol.js';
import { fromValidInput } from './boundary.js';

/** The operator being admitted; only `add` and `move` create a new maintainer owner and bump. */
export type AdmittedKind = 'add' | 'move' | 'stop';

export interface AdmissionInput {
  changefeedId: ChangefeedId;
  kind: AdmittedKind;
  /**
   * PD and a backend are wired (production). §2.4's `needsBump` is this **and** an Add or Move:
   * a stop never bumps, whatever this says.
   */
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

/** What the store holds after this admission, as the §2.4 table annotates each outcome. */
export type PersistedEpoch = 'unchanged' | 'unknown' | 'bumped';

export interface AdmissionContext extends AdmissionInput {
  epoch: Uint64 | null;
  reason: RejectReason | null;
  bumpError: string | null;
  persistedEpoch: PersistedEpoch;
}

export type AdmissionEvent =
  | { type: 'PRECHECK'; hasOperator: boolean; bumping: boolean; changefeedExists: boolean }
  | { type: 'BUMPED'; epoch: Uint64 }
  /** `maybeApplied`: the store could not say whether the write happened (StoreUnavailableError). */
  | { type: 'BUMP_FAILED'; code: string; maybeApplied?: boolean }
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
    noBumpNeeded: ({ context }) => context.kind === 'stop' || !context.needsBump,
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
      persistedEpoch: ({ event }) => (event.type === 'BUMP_FAILED' && event.maybeApplied ? 'unknown' : 'unchanged') as PersistedEpoch,
    }),
    reserve: emit(({ context }) => ({ type: 'controller.reserveBumping' as const, changefeedId: context.changefeedId })),
    release: emit(({ context }) => ({ type: 'controller.releaseBumping' as const, changefeedId: context.changefeedId })),
    requestBump: emit(({ context }) => ({ type: 'store.bumpEpoch' as const, changefeedId: context.changefeedId })),
    recordEpoch: assign({
      epoch: ({ event }) => (event.type === 'BUMPED' ? event.epoch : null),
      persistedEpoch: 'bumped' as PersistedEpoch,
    }),
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
  context: fromValidInput('admission', (input) => ({ ...input, epoch: null, reason: null, bumpError: null, persistedEpoch: 'unchanged' as const })),
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
        // The reservation is kept through the recheck: release, recheck, SetInfo and push are one
        // critical section in the source (§2.4), so no second Add or Move passes its precheck between.
        BUMPED: { target: 'Recheck', actions: 'recordEpoch' },
        BUMP_FAILED: { target: 'Rejected', actions: ['release', 'rejectBumpFailed'] },
      },
    },
    Recheck: {
      on: {
        RECHECK: [
          { guard: 'hasOperator', target: 'Rejected', actions: ['release', 'rejectSlotTaken'] },
          { guard: 'changefeedMissing', target: 'Rejected', actions: ['release', 'rejectRemoved'] },
          { guard: 'changefeedReplaced', target: 'Rejected', actions: ['release', 'rejectReplaced'] },
          { target: 'Accepted', actions: ['release', 'setInfo', 'push'] },
        ],
      },
    },
    Accepted: { type: 'final' },
    Rejected: { type: 'final' },
  },
});
