/**
 * The dispatcher orchestrator's pending-message slot for one (changefeed, message type)
 * (`helper.go:TryEnqueue`), spec §2.7.3.
 *
 * States: `Empty` → `Queued` on ENQUEUE; POP hands the queued message to the orchestrator and
 * frees the slot. While a message is queued, a newcomer replaces it iff its maintainer epoch is
 * higher, or it is a removing close replacing a non-removing close at an epoch at least as high
 * (`replacesQueued`); otherwise it is dropped. Once popped, a later message (even an "upgrade" of
 * the popped one) is queued again.
 *
 * Events in: ENQUEUE {message}, POP. Effects out: queue.dropped {message}, queue.popped {message}.
 * Simplification: the eight shards and their FIFO order across keys are not modelled; one machine
 * is one key's slot.
 */
import { setup, emit, assign } from 'xstate';
import { replacesQueued, type QueuedMessage } from './fencingProtocol.js';
import { fromValidInput } from './boundary.js';

export interface DispatcherQueueContext {
  queued: QueuedMessage | null;
}

export type DispatcherQueueEvent = { type: 'ENQUEUE'; message: QueuedMessage } | { type: 'POP' };

export type DispatcherQueueEffect =
  | { type: 'queue.dropped'; message: QueuedMessage }
  | { type: 'queue.popped'; message: QueuedMessage };

export const dispatcherQueueMachine = setup({
  types: {
    context: {} as DispatcherQueueContext,
    events: {} as DispatcherQueueEvent,
    emitted: {} as DispatcherQueueEffect,
  },
  guards: {
    replacesQueued: ({ context, event }) =>
      event.type === 'ENQUEUE' && context.queued !== null && replacesQueued(context.queued, event.message),
  },
  actions: {
    enqueue: assign({ queued: ({ event, context }) => (event.type === 'ENQUEUE' ? event.message : context.queued) }),
    drop: emit(({ event }) => ({
      type: 'queue.dropped' as const,
      message: (event as { message: QueuedMessage }).message,
    })),
    dropQueued: emit(({ context }) => ({ type: 'queue.dropped' as const, message: context.queued! })),
    pop: emit(({ context }) => ({ type: 'queue.popped' as const, message: context.queued! })),
    clear: assign({ queued: null }),
  },
}).createMachine({
  id: 'dispatcherQueue',
  context: fromValidInput('dispatcherQueue', () => ({ queued: null })),
  initial: 'Empty',
  states: {
    Empty: {
      on: { ENQUEUE: { target: 'Queued', actions: 'enqueue' } },
    },
    Queued: {
      on: {
        ENQUEUE: [{ guard: 'replacesQueued', actions: ['dropQueued', 'enqueue'] }, { actions: 'drop' }],
        POP: { target: 'Empty', actions: ['pop', 'clear'] },
      },
    },
  },
});
