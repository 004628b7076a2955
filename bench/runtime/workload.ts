/**
 * Seeded operator workloads for bench/runtime and its equivalence test: an input and an event
 * sequence per lifecycle, for the add, move and stop operators (spec §2.1–§2.3), and the two ways
 * of running one — a real XState actor (`createActor` … `.send`) and the hand-written baseline
 * (bench/runtime/handwritten.ts) — with the same effect sink.
 *
 * The events are drawn so that lifecycles mostly run to `Disposed` through their interesting
 * paths: statuses come mostly from the nodes the operator names, mostly with a matching epoch (or
 * the 0 wildcard), with a mix of Working / non-Working and bootstrapDone; node removals (affected
 * and unaffected nodes), task removals, SCHEDULE ticks and POST_FINISH at any time. Generation is
 * pure and seeded (mulberry32): the same seed gives the same sequence.
 */
import { createActor, initialTransition, transition, type AnyStateMachine } from 'xstate';
import { addMaintainerMachine, type AddMaintainerInput } from '../../machines/addMaintainer.js';
import { moveMaintainerMachine, type MoveMaintainerInput } from '../../machines/moveMaintainer.js';
import { stopChangefeedMachine, type StopChangefeedInput } from '../../machines/stopChangefeed.js';
import type { Effect, MaintainerState, NodeId, OperatorEvent } from '../../machines/protocol.js';
import { HandAddOperator, HandMoveOperator, HandStopOperator, type HandOperator } from './handwritten.js';
import { mulberry32 } from '../../simulator/schedule.js';

export type OperatorKindName = 'add' | 'move' | 'stop';
export const KINDS: readonly OperatorKindName[] = ['add', 'move', 'stop'];

export type OperatorInput =
  | { kind: 'add'; input: AddMaintainerInput }
  | { kind: 'move'; input: MoveMaintainerInput }
  | { kind: 'stop'; input: StopChangefeedInput };

export interface Lifecycle {
  readonly op: OperatorInput;
  readonly events: readonly OperatorEvent[];
}

/** mulberry32 (the simulator's), so a workload is the same on every run and platform. */
export const rng = mulberry32;

const NODES: readonly NodeId[] = ['n0', 'n1', 'n2', 'n3'];
const COORDINATOR: NodeId = 'n0';
const NOT_WORKING: readonly MaintainerState[] = ['Stopped', 'Removed', 'Initializing'];

/** One seeded lifecycle of `kind` with at most `maxEvents` events. */
export function lifecycle(kind: OperatorKindName, seed: number, maxEvents = 24): Lifecycle {
  const r = rng(seed * 3 + KINDS.indexOf(kind) + 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const changefeedId = `cf-${seed}`;
  let op: OperatorInput;
  let relevant: NodeId[];
  let epochs: bigint[];
  switch (kind) {
    case 'add': {
      const dest = pick(['n1', 'n2']);
      op = { kind, input: { changefeedId, dest, maintainerEpoch: 6n, checkpointTs: 100n, isNew: r() < 0.5 } };
      relevant = [dest];
      epochs = [6n];
      break;
    }
    case 'move': {
      // One in eight moves targets its own origin (the target == origin rows of §2.2).
      const origin = pick(['n1', 'n2']);
      const dest = r() < 0.125 ? origin : origin === 'n1' ? pick(['n2', 'n3']) : pick(['n1', 'n3']);
      op = { kind, input: { changefeedId, origin, dest, originEpoch: 5n, maintainerEpoch: 6n, checkpointTs: 100n } };
      relevant = [origin, dest];
      epochs = [5n, 6n];
      break;
    }
    case 'stop': {
      const nodeId = pick(['n1', 'n2']);
      op = { kind, input: { changefeedId, nodeId, coordinatorNode: COORDINATOR, maintainerEpoch: 6n, removed: r() < 0.5 } };
      relevant = [nodeId, COORDINATOR];
      epochs = [6n];
      break;
    }
  }
  const events: OperatorEvent[] = [];
  const n = 4 + Math.floor(r() * (maxEvents - 3));
  for (let i = 0; i < n; i++) {
    const x = r();
    if (x < 0.3) events.push({ type: 'SCHEDULE' });
    else if (x < 0.78) {
      const from = r() < 0.85 ? pick(relevant) : pick(NODES);
      const y = r();
      const maintainerEpoch = y < 0.7 ? pick(epochs) : y < 0.8 ? 0n : 7n;
      const state: MaintainerState = r() < 0.5 ? 'Working' : pick(NOT_WORKING);
      events.push({ type: 'STATUS', from, state, bootstrapDone: r() < 0.7, maintainerEpoch });
    } else if (x < 0.84) events.push({ type: 'NODE_REMOVED', node: r() < 0.6 ? pick(relevant) : pick(NODES) });
    else if (x < 0.87) events.push({ type: 'TASK_REMOVED' });
    else events.push({ type: 'POST_FINISH' });
  }
  return { op, events };
}

// ---- the two runtimes --------------------------------------------------------------------------

export function machineOf(kind: OperatorKindName) {
  return kind === 'add' ? addMaintainerMachine : kind === 'move' ? moveMaintainerMachine : stopChangefeedMachine;
}

/** A started XState actor for `op` whose emitted effects go to `sink`. */
export function startActor(op: OperatorInput, sink: (effect: Effect) => void) {
  const actor = createActor(machineOf(op.kind) as typeof addMaintainerMachine, { input: op.input as AddMaintainerInput });
  actor.on('*', sink as never);
  return actor.start();
}

/** The hand-written operator for `op`; its effects go to `sink`. */
export function newHandOperator(op: OperatorInput, sink: (effect: Effect) => void): HandOperator {
  switch (op.kind) {
    case 'add':
      return new HandAddOperator(op.input, sink);
    case 'move':
      return new HandMoveOperator(op.input, sink);
    case 'stop':
      return new HandStopOperator(op.input, sink);
  }
}

/** Runs a lifecycle on a real actor until it is done or the events run out; returns events sent. */
export function runOnActor(l: Lifecycle, sink: (effect: Effect) => void): number {
  const actor = startActor(l.op, sink);
  let sent = 0;
  for (const e of l.events) {
    actor.send(e);
    sent++;
    if (actor.getSnapshot().status === 'done') break;
  }
  return sent;
}

/** Runs a lifecycle on the hand-written operator; returns events sent. */
export function runOnHand(l: Lifecycle, sink: (effect: Effect) => void): number {
  const op = newHandOperator(l.op, sink);
  let sent = 0;
  for (const e of l.events) {
    op.send(e);
    sent++;
    if (op.done) break;
  }
  return sent;
}

// ---- the controller's way: no actors, a stored slot stepped with XState's pure `transition` ------

/** An operator held as the operator controller holds it (machines/coordinator/operatorController.ts `OperatorSlot`). */
export interface Slot {
  kind: OperatorKindName;
  value: string;
  context: unknown;
  notifyAtMs: number;
}

function emitted(actions: ReadonlyArray<{ type: string; params?: unknown }>, sink: (effect: Effect) => void): void {
  for (const a of actions) if (a.type === 'xstate.emit') sink((a.params as { event: Effect }).event);
}

/** `initialTransition` as `pushOperator` does; Start's effects go to `sink`. */
export function newSlot(op: OperatorInput, sink: (effect: Effect) => void): Slot {
  const [snapshot, actions] = initialTransition(machineOf(op.kind) as AnyStateMachine, op.input);
  emitted(actions, sink);
  return { kind: op.kind, value: snapshot.value as string, context: snapshot.context, notifyAtMs: 0 };
}

/** One step as the controller's `stepSlot` does it: resolve the stored slot, `transition`, store the result. */
export function stepSlot(slot: Slot, event: OperatorEvent, sink: (effect: Effect) => void): Slot {
  const machine = machineOf(slot.kind) as AnyStateMachine;
  const [next, actions] = transition(machine, machine.resolveState({ value: slot.value, context: slot.context }), event);
  emitted(actions, sink);
  return { kind: slot.kind, value: next.value as string, context: next.context, notifyAtMs: slot.notifyAtMs };
}

/** Runs a lifecycle on a stored slot with pure transitions; returns events sent. */
export function runOnSlots(l: Lifecycle, sink: (effect: Effect) => void): number {
  let slot = newSlot(l.op, sink);
  let sent = 0;
  for (const e of l.events) {
    slot = stepSlot(slot, e, sink);
    sent++;
    if (slot.value === 'Disposed') break;
  }
  return sent;
}
