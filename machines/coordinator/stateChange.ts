/**
 * A changefeed state change on the coordinator (`coordinator/coordinator.go:handleStateChange`),
 * spec §2.4.3 and §3.4: one machine per call, for the state a maintainer status or the GC check
 * reported (warning, failed, finished, or back to normal).
 *
 * States: `Check` → `Bumping` (Warning) | `Updating` (any other state) → `Restarted` | `Stopped` |
 * `Updated` | `Failed`, or `Skipped` at once (all final).
 *
 * Rules encoded:
 * - CHECK carries the coordinator's view when the change is handled: an unknown changefeed or an
 *   unchanged runtime state (same state, same error signature) is skipped with no write.
 * - Warning: the in-memory epoch is remembered as `oldEpoch`, then a bump with State=Warning and
 *   the error (`UpdateError`, no status: §6.9 item 1). Only after the bump succeeded: the persisted
 *   info replaces the in-memory one, the stop is pushed with **`oldEpoch`**
 *   (`StopChangefeedWithMaintainerEpoch`: the restart is fenced, the old maintainer is removed by
 *   its own epoch) and the changefeed goes back to the scheduling queue (Absent, `isNew` false).
 * - Every other state: the **unconditional** `UpdateChangefeed` of §3.4 puts the info cloned at
 *   CHECK, its in-memory epoch included (no CAS, no bump: faithful on purpose, it can move the
 *   persisted epoch backwards), and the in-memory checkpoint with progress Stopping for failed and
 *   finished, None otherwise. On success the clone replaces the in-memory info, then failed and
 *   finished are stopped with a plain `StopChangefeed(cf, removed=false)`.
 * - A failed write changes nothing and emits nothing: the error ends TiCDC's coordinator run loop
 *   (`handleStateChange` returns it), which the host reports.
 *
 * Events in: CHECK {changefeedExists, unchanged, epoch, checkpointTs}, BUMPED {epoch},
 * BUMP_FAILED {code}, UPDATED, UPDATE_FAILED {code}.
 * Effects out: store.bumpEpoch, store.update, controller.setInfo, controller.stopChangefeed,
 * controller.stopChangefeedWithMaintainerEpoch, db.moveToSchedulingQueue.
 *
 * Simplifications: pure (no invoke, after or always, so `xstate/graph` can explore it): the
 * writes leave as intents and their results come back as events. The error text and the config
 * are the host's (the intents say which to write, not their bytes); the candidate epoch (§3.5) is
 * the host's. The same rules over a whole DB are `handleStateChange` / `completeApiCall` in
 * changefeedApi.ts.
 */
import { setup, emit, assign } from 'xstate';
import type { FeedState } from '../../adapters/types.js';
import type { Uint64 } from '../epoch.js';
import type { ChangefeedId, Progress } from '../protocol.js';
import { fromValidInput } from '../boundary.js';

export interface StateChangeInput {
  changefeedId: ChangefeedId;
  /** The reported state to persist. */
  state: FeedState;
}

export interface StateChangeContext extends StateChangeInput {
  /** The in-memory epoch read at CHECK: the Warning stop's epoch, or the clone's for an update. */
  epoch: Uint64 | null;
  /** The failed write's code. */
  error: string | null;
}

export type StateChangeEvent =
  | { type: 'CHECK'; changefeedExists: boolean; unchanged: boolean; epoch: Uint64; checkpointTs: Uint64 }
  | { type: 'BUMPED'; epoch: Uint64 }
  | { type: 'BUMP_FAILED'; code: string }
  | { type: 'UPDATED' }
  | { type: 'UPDATE_FAILED'; code: string };

export type StateChangeEffect =
  /** `BumpChangefeedEpoch(cf, candidate, {State: Warning, Error, UpdateError: true})`, no status. */
  | { type: 'store.bumpEpoch'; changefeedId: ChangefeedId; state: 'warning'; updateError: true; updateStatus: false }
  /** `UpdateChangefeed(info clone, checkpoint, progress)`: an unconditional put of both keys. */
  | { type: 'store.update'; changefeedId: ChangefeedId; epoch: Uint64; state: FeedState; checkpointTs: Uint64; progress: Progress }
  | { type: 'controller.setInfo'; changefeedId: ChangefeedId; epoch: Uint64; state: FeedState }
  | { type: 'controller.stopChangefeed'; changefeedId: ChangefeedId; removed: false }
  | { type: 'controller.stopChangefeedWithMaintainerEpoch'; changefeedId: ChangefeedId; removed: false; maintainerEpoch: Uint64 }
  | { type: 'db.moveToSchedulingQueue'; changefeedId: ChangefeedId; resetBackoff: false; overwriteCheckpointTs: false };

const stops = (s: FeedState) => s === 'failed' || s === 'finished';

export const stateChangeMachine = setup({
  types: {
    input: {} as StateChangeInput,
    context: {} as StateChangeContext,
    events: {} as StateChangeEvent,
    emitted: {} as StateChangeEffect,
  },
  guards: {
    changefeedMissing: ({ event }) => event.type === 'CHECK' && !event.changefeedExists,
    unchangedState: ({ event }) => event.type === 'CHECK' && event.unchanged,
    isWarning: ({ context }) => context.state === 'warning',
    stopsChangefeed: ({ context }) => stops(context.state),
  },
  actions: {
    rememberEpoch: assign({ epoch: ({ event }) => (event.type === 'CHECK' ? event.epoch : null) }),
    requestBump: emit(({ context }) => ({
      type: 'store.bumpEpoch' as const,
      changefeedId: context.changefeedId,
      state: 'warning' as const,
      updateError: true as const,
      updateStatus: false as const,
    })),
    requestUpdate: emit(({ context, event }) => ({
      type: 'store.update' as const,
      changefeedId: context.changefeedId,
      epoch: event.type === 'CHECK' ? event.epoch : 0n,
      state: context.state,
      checkpointTs: event.type === 'CHECK' ? event.checkpointTs : 0n,
      progress: (stops(context.state) ? 'Stopping' : 'None') as Progress,
    })),
    setBumpedInfo: emit(({ context, event }) => ({
      type: 'controller.setInfo' as const,
      changefeedId: context.changefeedId,
      epoch: event.type === 'BUMPED' ? event.epoch : 0n,
      state: 'warning' as FeedState,
    })),
    setClonedInfo: emit(({ context }) => ({
      type: 'controller.setInfo' as const,
      changefeedId: context.changefeedId,
      epoch: context.epoch ?? 0n,
      state: context.state,
    })),
    stopWithOldEpoch: emit(({ context }) => ({
      type: 'controller.stopChangefeedWithMaintainerEpoch' as const,
      changefeedId: context.changefeedId,
      removed: false as const,
      maintainerEpoch: context.epoch ?? 0n,
    })),
    stop: emit(({ context }) => ({ type: 'controller.stopChangefeed' as const, changefeedId: context.changefeedId, removed: false as const })),
    reschedule: emit(({ context }) => ({
      type: 'db.moveToSchedulingQueue' as const,
      changefeedId: context.changefeedId,
      resetBackoff: false as const,
      overwriteCheckpointTs: false as const,
    })),
    recordFailure: assign({ error: ({ event }) => (event.type === 'BUMP_FAILED' || event.type === 'UPDATE_FAILED' ? event.code : null) }),
  },
}).createMachine({
  id: 'stateChange',
  context: fromValidInput('stateChange', (input) => ({ ...input, epoch: null, error: null })),
  initial: 'Check',
  states: {
    Check: {
      on: {
        CHECK: [
          { guard: 'changefeedMissing', target: 'Skipped' },
          { guard: 'unchangedState', target: 'Skipped' },
          { guard: 'isWarning', target: 'Bumping', actions: ['rememberEpoch', 'requestBump'] },
          { target: 'Updating', actions: ['rememberEpoch', 'requestUpdate'] },
        ],
      },
    },
    Bumping: {
      on: {
        BUMPED: { target: 'Restarted', actions: ['setBumpedInfo', 'stopWithOldEpoch', 'reschedule'] },
        BUMP_FAILED: { target: 'Failed', actions: 'recordFailure' },
      },
    },
    Updating: {
      on: {
        UPDATED: [
          { guard: 'stopsChangefeed', target: 'Stopped', actions: ['setClonedInfo', 'stop'] },
          { target: 'Updated', actions: 'setClonedInfo' },
        ],
        UPDATE_FAILED: { target: 'Failed', actions: 'recordFailure' },
      },
    },
    Skipped: { type: 'final' },
    Restarted: { type: 'final' },
    Stopped: { type: 'final' },
    Updated: { type: 'final' },
    Failed: { type: 'final' },
  },
});
