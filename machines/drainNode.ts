/**
 * The coordinator's per-node drain workflow (`coordinator/drain/controller.go`), spec §2.5.1:
 * RequestDrain, AdvanceLiveness, the liveness observations and RemoveNode, for one node.
 *
 * States: `Idle` (drainRequested = false) → `Requested` (DRAINING being sent, not yet observed) →
 * `DrainingObserved` → `StoppingObserved`. No state is final: a node that leaves membership has its
 * record deleted and is back in `Idle`, unobserved, as a node never seen.
 *
 * Rules encoded:
 * - REQUEST_DRAIN (the DrainNode API's `RequestDrain`, idempotent) marks the node requested and
 *   tries to send DRAINING at once.
 * - DRAINING is (re)sent on REQUEST_DRAIN and on every ADVANCE tick while not observed, throttled
 *   to one per `resendIntervalMs` (1 s), with the observed node epoch, or **epoch 0 when the epoch
 *   is unknown**: the node rejects it but answers with its real epoch, which the next resend uses
 *   (the probe, §5.1 B21).
 * - STOPPING is sent only on an ADVANCE tick whose `readyToStop` holds (the host's
 *   `readyToStop(n)`: the session is still the same (target, epoch), the view is not Unknown and
 *   no tracked work remains, §2.5.1, §2.5.5), only with DRAINING observed, throttled separately,
 *   and always with the epoch at which DRAINING was observed (I14).
 * - Observations: an older node epoch, or a lower liveness at the same epoch, is dropped; a higher
 *   epoch resets the record (observations and send timestamps) but keeps drainRequested, so a
 *   restarted node goes back to Requested, or Idle if no drain was asked (§5.1 B19, B20).
 *   Observing DRAINING or STOPPING marks the node requested even if this coordinator never asked
 *   (inherited after failover or a local fence).
 * - NODE_REMOVED deletes the record (`RemoveNode`): back to `Idle` with no observation and no send
 *   timestamps. The source recreates the record on the next request or observation, so a
 *   REQUEST_DRAIN after removal sends DRAINING again (with the 0 probe, the epoch being unknown)
 *   and an observation after removal is recorded as a first one. The liveness view forgets the node
 *   on the same event, so both read a removed node as never observed.
 *
 * Events in: REQUEST_DRAIN {now}, ADVANCE {now, readyToStop}, OBSERVE {now, nodeEpoch, liveness},
 * NODE_REMOVED {node}. Effects out: SetNodeLivenessRequest {to, target, nodeEpoch}.
 *
 * Simplifications and differences:
 * - The source's AdvanceLiveness decides DRAINING-vs-STOPPING on a snapshot, calls `readyToStop`,
 *   and re-checks under the lock before sending STOPPING. An actor handles one event at a time, so
 *   the tick is atomic here: an OBSERVE of a restarted node that the source sees inside the
 *   `readyToStop` window is handled before the tick, which then re-sends DRAINING with the new
 *   epoch (the source does the same on its next tick, 500 ms later). No STOPPING is sent in either.
 * - A node epoch is never 0 (§1: forced non-zero at process start), so an epoch-0 observation can
 *   only come from a peer without node epochs; it is dropped here, where the source would record
 *   it. This keeps STOPPING from ever carrying epoch 0.
 * - The drain-protocol capability and the scheduler-gate acks that the same record holds in the
 *   source are not modelled in this machine (the gates belong to the drain session, §2.5.1).
 */
import { setup, assign, enqueueActions } from 'xstate';
import type { Uint64 } from './epoch.js';
import type { Liveness, NodeId, DrainNodeEffect } from './protocol.js';
import { isNewEpoch, isStaleObservation, type NodeLeftEvent, type ObserveEvent } from './liveness.js';
import { fromValidInput } from './boundary.js';

export interface DrainNodeInput {
  node: NodeId;
  /** Resend throttle for each liveness command (`drain.resendInterval`, 1 s). */
  resendIntervalMs?: number;
}

export interface DrainNodeContext {
  node: NodeId;
  resendIntervalMs: number;
  observed: boolean;
  nodeEpoch: Uint64;
  liveness: Liveness;
  lastDrainCmdSentAt: number | null;
  lastStopCmdSentAt: number | null;
}

export type DrainNodeEvent =
  | { type: 'REQUEST_DRAIN'; now: number }
  | { type: 'ADVANCE'; now: number; readyToStop: boolean }
  | ObserveEvent
  | NodeLeftEvent;

export const DRAIN_RESEND_INTERVAL_MS = 1000;

const throttled = (last: number | null, now: number, interval: number) => last !== null && now - last < interval;
const nowOf = (e: DrainNodeEvent) => ('now' in e ? e.now : 0);

export const drainNodeMachine = setup({
  types: {
    input: {} as DrainNodeInput,
    context: {} as DrainNodeContext,
    events: {} as DrainNodeEvent,
    emitted: {} as DrainNodeEffect,
  },
  guards: {
    isDroppedObservation: ({ context, event }) =>
      event.type === 'OBSERVE' && (event.nodeEpoch === 0n || isStaleObservation(context, event)),
    observesStopping: ({ event }) => event.type === 'OBSERVE' && event.liveness === 'Stopping',
    observesDraining: ({ event }) => event.type === 'OBSERVE' && event.liveness === 'Draining',
    isDrainResendDue: ({ context, event }) =>
      !throttled(context.lastDrainCmdSentAt, nowOf(event), context.resendIntervalMs),
    isStopDue: ({ context, event }) =>
      event.type === 'ADVANCE' &&
      event.readyToStop &&
      context.observed &&
      !throttled(context.lastStopCmdSentAt, event.now, context.resendIntervalMs),
    isThisNode: ({ context, event }) => event.type === 'NODE_REMOVED' && event.node === context.node,
  },
  actions: {
    deleteRecord: assign({ observed: false, nodeEpoch: 0n, liveness: 'Alive' as Liveness, lastDrainCmdSentAt: null, lastStopCmdSentAt: null }),
    recordObservation: assign(({ context, event }) => {
      if (event.type !== 'OBSERVE') return {};
      const reset = isNewEpoch(context, event)
        ? { lastDrainCmdSentAt: null, lastStopCmdSentAt: null }
        : {};
      return { ...reset, observed: true, nodeEpoch: event.nodeEpoch, liveness: event.liveness };
    }),
    // trySendDrainCommand: stamp the throttle, then send with the observed epoch or the 0 probe.
    sendDraining: enqueueActions(({ context, event, enqueue }) => {
      enqueue.assign({ lastDrainCmdSentAt: nowOf(event) });
      enqueue.emit({
        type: 'SetNodeLivenessRequest',
        to: context.node,
        target: 'Draining',
        nodeEpoch: context.observed ? context.nodeEpoch : 0n,
      });
    }),
    // trySendStopCommand: the epoch is the one DRAINING was observed at, read in the same step.
    sendStopping: enqueueActions(({ context, event, enqueue }) => {
      enqueue.assign({ lastStopCmdSentAt: nowOf(event) });
      enqueue.emit({ type: 'SetNodeLivenessRequest', to: context.node, target: 'Stopping', nodeEpoch: context.nodeEpoch });
    }),
  },
}).createMachine({
  id: 'drainNode',
  context: fromValidInput('drainNode', (input) => ({
    node: input.node,
    resendIntervalMs: input.resendIntervalMs ?? DRAIN_RESEND_INTERVAL_MS,
    observed: false,
    nodeEpoch: 0n,
    liveness: 'Alive',
    lastDrainCmdSentAt: null,
    lastStopCmdSentAt: null,
  })),
  initial: 'Idle',
  on: {
    NODE_REMOVED: { guard: 'isThisNode', target: '.Idle', actions: 'deleteRecord' },
  },
  states: {
    Idle: {
      on: {
        REQUEST_DRAIN: { target: 'Requested', actions: 'sendDraining' },
        OBSERVE: [
          { guard: 'isDroppedObservation' },
          { guard: 'observesStopping', target: 'StoppingObserved', actions: 'recordObservation' },
          { guard: 'observesDraining', target: 'DrainingObserved', actions: 'recordObservation' },
          { actions: 'recordObservation' },
        ],
      },
    },
    Requested: {
      on: {
        REQUEST_DRAIN: { guard: 'isDrainResendDue', actions: 'sendDraining' },
        ADVANCE: { guard: 'isDrainResendDue', actions: 'sendDraining' },
        OBSERVE: [
          { guard: 'isDroppedObservation' },
          { guard: 'observesStopping', target: 'StoppingObserved', actions: 'recordObservation' },
          { guard: 'observesDraining', target: 'DrainingObserved', actions: 'recordObservation' },
          { actions: 'recordObservation' },
        ],
      },
    },
    DrainingObserved: {
      on: {
        ADVANCE: { guard: 'isStopDue', actions: 'sendStopping' },
        OBSERVE: [
          { guard: 'isDroppedObservation' },
          { guard: 'observesStopping', target: 'StoppingObserved', actions: 'recordObservation' },
          { guard: 'observesDraining', actions: 'recordObservation' },
          // Only a higher epoch can bring ALIVE here (a lower liveness at the same epoch is dropped).
          { target: 'Requested', actions: 'recordObservation' },
        ],
      },
    },
    StoppingObserved: {
      on: {
        OBSERVE: [
          { guard: 'isDroppedObservation' },
          { guard: 'observesStopping', actions: 'recordObservation' },
          { guard: 'observesDraining', target: 'DrainingObserved', actions: 'recordObservation' },
          { target: 'Requested', actions: 'recordObservation' },
        ],
      },
    },
  },
});

