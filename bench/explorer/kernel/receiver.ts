/**
 * The fencing kernel's receiver, one per node (bench/explorer/README.md, "The model"): it owns the
 * changefeed or not, and keeps the highest epoch it has seen. An ADD is applied only when its
 * epoch is newer than every epoch seen; a REMOVE only when it is at least as new. A stale message is
 * dropped, so a delayed or duplicated command of an older move can never take effect (§2.7's
 * receiver-side fencing, reduced to one changefeed).
 */
import { setup, assign } from 'xstate';

export interface ReceiverContext {
  /** The epoch the node owns at; 0 when it does not own. */
  epoch: bigint;
  /** The highest epoch seen in an applied command. */
  seen: bigint;
}

export type ReceiverEvent = { type: 'ADD'; epoch: bigint } | { type: 'REMOVE'; epoch: bigint };

export const kernelReceiverMachine = setup({
  types: {
    context: {} as ReceiverContext,
    events: {} as ReceiverEvent,
  },
  guards: {
    newerThanSeen: ({ context, event }) => event.epoch > context.seen,
    notOlderThanSeen: ({ context, event }) => event.epoch >= context.seen,
  },
  actions: {
    own: assign(({ event }) => ({ epoch: event.epoch, seen: event.epoch })),
    disown: assign(({ event }) => ({ epoch: 0n, seen: event.epoch })),
  },
}).createMachine({
  id: 'kernelReceiver',
  initial: 'NotOwned',
  context: { epoch: 0n, seen: 0n },
  states: { NotOwned: {}, Owned: {} },
  on: {
    ADD: { guard: 'newerThanSeen', target: '.Owned', actions: 'own' },
    REMOVE: { guard: 'notOlderThanSeen', target: '.NotOwned', actions: 'disown' },
  },
});
