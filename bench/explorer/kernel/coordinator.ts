/**
 * The fencing kernel's coordinator (bench/explorer/README.md, "The model"): it moves one changefeed
 * among three nodes. A move is two steps, as in spec §2.4 (bump, then act): MOVE persists the
 * bumped epoch (`store.persist`), SEND then tells the destination to add with the new epoch and the
 * origin to remove with the old one. A crash loses everything in memory; RESTART recovers the epoch
 * from the store, and with it the fact that the owner is unknown, so the next move removes from
 * every other node.
 *
 * A benchmark model, not the opcharts coordinator: it is small on purpose, so that the same model
 * can be written in Promela and as one XState machine and the three state counts compared.
 * Nodes are 0, 1, 2; `null` is "unknown" / "none". Epochs are uint64 (`bigint`).
 */
import { setup, assign, emit, enqueueActions } from 'xstate';

export type KernelNode = 0 | 1 | 2;
export const KERNEL_NODES: readonly KernelNode[] = [0, 1, 2];

export interface CoordinatorContext {
  /** The node the coordinator believes owns the changefeed; null after a restart. */
  owner: KernelNode | null;
  /** The epoch of the current (or, while Moving, the next) owner; equals the persisted epoch except while Crashed (0). */
  epoch: bigint;
  /** The move's destination while Moving. */
  dest: KernelNode | null;
}

export type CoordinatorEvent =
  | { type: 'MOVE'; dest: KernelNode }
  | { type: 'SEND' }
  | { type: 'CRASH' }
  | { type: 'RESTART'; persistedEpoch: bigint };

export type CoordinatorEffect =
  | { type: 'store.persist'; epoch: bigint }
  | { type: 'send'; kind: 'ADD' | 'REMOVE'; to: KernelNode; epoch: bigint };

export const kernelCoordinatorMachine = setup({
  types: {
    context: {} as CoordinatorContext,
    events: {} as CoordinatorEvent,
    emitted: {} as CoordinatorEffect,
  },
  guards: {
    movesElsewhere: ({ context, event }) => event.type === 'MOVE' && event.dest !== context.owner,
  },
  actions: {
    chooseDestAndBump: assign({
      dest: ({ event }) => (event.type === 'MOVE' ? event.dest : null),
      epoch: ({ context }) => context.epoch + 1n,
    }),
    persistEpoch: emit(({ context }) => ({ type: 'store.persist' as const, epoch: context.epoch })),
    sendAdd: emit(({ context }) => ({ type: 'send' as const, kind: 'ADD' as const, to: context.dest!, epoch: context.epoch })),
    /** Remove with the previous epoch: at the known origin, or at every other node when the owner is unknown. */
    sendRemoves: enqueueActions(({ context, enqueue }) => {
      const targets = context.owner === null ? KERNEL_NODES.filter((n) => n !== context.dest) : [context.owner];
      for (const to of targets) enqueue.emit({ type: 'send', kind: 'REMOVE', to, epoch: context.epoch - 1n });
    }),
    adoptDest: assign({ owner: ({ context }) => context.dest, dest: null }),
    forget: assign({ owner: null, epoch: 0n, dest: null }),
    recover: assign({ owner: null, epoch: ({ event }) => (event.type === 'RESTART' ? event.persistedEpoch : 0n) }),
  },
}).createMachine({
  id: 'kernelCoordinator',
  initial: 'Idle',
  context: { owner: 0, epoch: 1n, dest: null },
  states: {
    Idle: {
      on: {
        MOVE: { guard: 'movesElsewhere', target: 'Moving', actions: ['chooseDestAndBump', 'persistEpoch'] },
        CRASH: { target: 'Crashed', actions: 'forget' },
      },
    },
    Moving: {
      on: {
        SEND: { target: 'Idle', actions: ['sendAdd', 'sendRemoves', 'adoptDest'] },
        CRASH: { target: 'Crashed', actions: 'forget' },
      },
    },
    Crashed: {
      on: { RESTART: { target: 'Idle', actions: 'recover' } },
    },
  },
});
