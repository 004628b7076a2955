/**
 * The coordinator's view of one node's liveness (`coordinator/drain/controller.go:GetState`),
 * spec §2.5.1 (observation) and §2.6.4.
 *
 * States: `Unobserved` (no record: reported as Alive, for rollout compatibility), `Alive`,
 * `Draining`, `Stopping`, and `Unknown` once more than `ttlMs` (30 s) has passed without an
 * observation.
 *
 * Rules encoded:
 * - Monotonic per node epoch (I13, §5.1 B19): an older node epoch is dropped, a lower liveness at
 *   the same epoch is dropped, a higher epoch starts afresh (a restarted process may be Alive).
 * - Any accepted observation refreshes `lastSeen`, so an Unknown node comes back with it; a dropped
 *   one does not refresh it.
 * - TICK carries the host's clock: past the TTL (strictly greater, as `now.Sub(lastSeen) > ttl`) the
 *   view becomes Unknown. {@link viewStateAt} computes the same at any instant without a tick.
 * - NODE_REMOVED deletes the record: the node is Unobserved again.
 *
 * Events in: OBSERVE {now, nodeEpoch, liveness}, TICK {now}, NODE_REMOVED {node}.
 * Effects out: none; the host reads the view (`viewStateAt`) for scheduling and drain decisions.
 *
 * Simplifications: the source evaluates the TTL lazily at every read; the machine enters Unknown
 * only when a TICK reports the time, so between ticks {@link viewStateAt} is the exact reading.
 */
import { setup, assign } from 'xstate';
import type { Uint64 } from './epoch.js';
import type { Liveness, NodeId } from './protocol.js';
import { isStaleObservation, type NodeLeftEvent, type ObserveEvent } from './liveness.js';
import { fromValidInput } from './boundary.js';

export interface LivenessViewInput {
  node: NodeId;
  /** `drain.defaultLivenessTTL`, 30 s. */
  ttlMs?: number;
}

export interface LivenessViewContext {
  node: NodeId;
  ttlMs: number;
  observed: boolean;
  nodeEpoch: Uint64;
  liveness: Liveness;
  lastSeen: number;
}

export type LivenessViewEvent = ObserveEvent | { type: 'TICK'; now: number } | NodeLeftEvent;

/** The coordinator's reading of a node (`drain.State`). */
export type ViewState = Liveness | 'Unknown';

export const LIVENESS_TTL_MS = 30_000;

/** Alive, Draining and Stopping behave alike: they expire to Unknown, and forget on removal. */
const observed = {
  on: {
    TICK: { guard: 'isExpired', target: 'Unknown' },
    NODE_REMOVED: { guard: 'isThisNode', target: 'Unobserved', actions: 'forgetNode' },
  },
} as const;

export const livenessViewMachine = setup({
  types: {
    input: {} as LivenessViewInput,
    context: {} as LivenessViewContext,
    events: {} as LivenessViewEvent,
  },
  guards: {
    isStaleObservation: ({ context, event }) => event.type === 'OBSERVE' && isStaleObservation(context, event),
    observesStopping: ({ event }) => event.type === 'OBSERVE' && event.liveness === 'Stopping',
    observesDraining: ({ event }) => event.type === 'OBSERVE' && event.liveness === 'Draining',
    isExpired: ({ context, event }) => event.type === 'TICK' && event.now - context.lastSeen > context.ttlMs,
    isThisNode: ({ context, event }) => event.type === 'NODE_REMOVED' && event.node === context.node,
  },
  actions: {
    recordObservation: assign(({ event }) =>
      event.type === 'OBSERVE'
        ? { observed: true, nodeEpoch: event.nodeEpoch, liveness: event.liveness, lastSeen: event.now }
        : {},
    ),
    forgetNode: assign({ observed: false, nodeEpoch: 0n, liveness: 'Alive' as Liveness, lastSeen: 0 }),
  },
}).createMachine({
  id: 'livenessView',
  context: fromValidInput('livenessView', (input) => ({
    node: input.node,
    ttlMs: input.ttlMs ?? LIVENESS_TTL_MS,
    observed: false,
    nodeEpoch: 0n,
    liveness: 'Alive',
    lastSeen: 0,
  })),
  initial: 'Unobserved',
  on: {
    OBSERVE: [
      { guard: 'isStaleObservation' },
      { guard: 'observesStopping', target: '.Stopping', actions: 'recordObservation' },
      { guard: 'observesDraining', target: '.Draining', actions: 'recordObservation' },
      { target: '.Alive', actions: 'recordObservation' },
    ],
  },
  states: {
    Unobserved: {},
    Alive: observed,
    Draining: observed,
    Stopping: observed,
    Unknown: {
      on: {
        NODE_REMOVED: { guard: 'isThisNode', target: 'Unobserved', actions: 'forgetNode' },
      },
    },
  },
});

/** `GetState(n)` at time `now`: never observed → Alive; older than the TTL → Unknown; else the liveness. */
export function viewStateAt(context: LivenessViewContext, now: number): ViewState {
  if (!context.observed) return 'Alive';
  if (now - context.lastSeen > context.ttlMs) return 'Unknown';
  return context.liveness;
}
