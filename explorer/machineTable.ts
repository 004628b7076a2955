/**
 * Hash-consing of XState v5 machine snapshots and a cache of their transitions, for any machine.
 *
 * A composed world holds each component machine as a small integer: the id of its snapshot in a
 * {@link MachineTable}. Snapshots with the same canonical key (value and context by default) get the
 * same id, and `step(id, event)` is computed once per (id, event key) by XState itself —
 * `machine.transition(snapshot, event, scope)` with ONE actor scope reused for every step
 * (machines/pureStep.ts; the top-level `transition()` builds a throwaway actor per call: ~10×
 * slower, see the explorer design note). So XState stays the only interpreter, and a search that takes millions of world steps needs
 * only as many real machine steps as there are distinct (component state, event) pairs.
 *
 * Effects are the events the machine emits (`emit`, also inside `enqueueActions`), in order: the
 * reused scope's action executor collects them instead of running them. Machines here are pure
 * (no invoke, timers or spawning), so nothing else needs executing.
 */
import type { AnyMachineSnapshot, AnyStateMachine, EventObject } from 'xstate';
import { emittedEvents, pureInitialTransition, pureTransition } from '../machines/pureStep.js';
import { stableStringify } from '../graph/serialize.js';

export type Effect = { type: string } & Record<string, unknown>;

export interface StepResult {
  /** The successor's snapshot id. */
  readonly next: number;
  /** Events emitted by the step, in order (frozen; the same array on every cache hit). */
  readonly effects: readonly Effect[];
}

export interface MachineTableOptions {
  /**
   * The canonical key of a snapshot: two snapshots with the same key must behave the same on
   * every event. Default: value, context and status, bigint-safe and key-order independent.
   */
  key?(snapshot: AnyMachineSnapshot): string;
}

export class MachineTableError extends Error {
  override name = 'MachineTableError';
}

export const defaultSnapshotKey = (s: AnyMachineSnapshot): string =>
  stableStringify({ status: s.status, value: s.value, context: s.context });

export class MachineTable {
  readonly machine: AnyStateMachine;
  private readonly keyOf: (s: AnyMachineSnapshot) => string;
  private readonly snapshots: AnyMachineSnapshot[] = [];
  private readonly ids = new Map<string, number>();
  private readonly eventIds = new Map<string, number>();
  private readonly events: EventObject[] = [];
  /** transitions[stateId][eventId]: the cached result, or undefined before the first step. */
  private readonly transitions: Array<Array<StepResult | undefined>> = [];
  /** Real machine steps taken (cache misses), for reports. */
  misses = 0;
  hits = 0;

  constructor(machine: AnyStateMachine, options: MachineTableOptions = {}) {
    this.machine = machine;
    this.keyOf = options.key ?? defaultSnapshotKey;
  }

  /** The id of the initial snapshot for `input`, and the effects of its entry actions. */
  initial(input?: unknown): StepResult {
    const [snapshot, actions] = pureInitialTransition(this.machine, input);
    return { next: this.intern(snapshot), effects: Object.freeze(emittedEvents<Effect>(actions)) };
  }

  /** The id of a snapshot (a new id when no snapshot with its key was seen). */
  intern(snapshot: AnyMachineSnapshot): number {
    const key = this.keyOf(snapshot);
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.snapshots.length;
      this.snapshots.push(snapshot);
      this.ids.set(key, id);
      this.transitions.push([]);
    }
    return id;
  }

  /** The representative snapshot of an id (the first one interned with its key). */
  snapshot(id: number): AnyMachineSnapshot {
    const s = this.snapshots[id];
    if (!s) throw new MachineTableError(`no snapshot with id ${id} (${this.snapshots.length} interned)`);
    return s;
  }

  /** A dense id for an event, by its key (default: its stable serialisation). */
  internEvent(event: EventObject, eventKey: string = stableStringify(event)): number {
    let id = this.eventIds.get(eventKey);
    if (id === undefined) {
      id = this.events.length;
      this.events.push(event);
      this.eventIds.set(eventKey, id);
    }
    return id;
  }

  event(eventId: number): EventObject {
    const e = this.events[eventId];
    if (!e) throw new MachineTableError(`no event with id ${eventId}`);
    return e;
  }

  /** The successor of snapshot `id` on `event`; events with the same key must be the same event. */
  step(id: number, event: EventObject, eventKey: string = stableStringify(event)): StepResult {
    return this.stepById(id, this.internEvent(event, eventKey));
  }

  /** The successor of snapshot `id` on an interned event: the fast path of a search loop. */
  stepById(id: number, eventId: number): StepResult {
    const row = this.transitions[id];
    if (!row) throw new MachineTableError(`no snapshot with id ${id} (${this.snapshots.length} interned)`);
    const cached = row[eventId];
    if (cached) {
      this.hits++;
      return cached;
    }
    const event = this.event(eventId);
    const [next, actions] = pureTransition(this.machine, this.snapshots[id]!, event);
    this.misses++;
    const result: StepResult = Object.freeze({ next: this.intern(next), effects: Object.freeze(emittedEvents<Effect>(actions)) });
    row[eventId] = result;
    return result;
  }

  /** Distinct snapshots interned so far. */
  get size(): number {
    return this.snapshots.length;
  }
}
