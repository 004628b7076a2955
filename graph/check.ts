/**
 * The checker on one machine: the generic explorer (explorer/explore.ts) over every snapshot of a
 * {@link MachineModel} reachable under its event domain, with the model's step properties as the
 * invariants. Where the generated path tests judge the properties on a path set that takes every
 * transition, this judges them on every (state, event) pair, breadth-first, so a violation comes
 * with a shortest event path — which is then replayed on a fresh actor (graph/paths.ts `replay`)
 * and must break the same property there.
 *
 * Snapshots are hash-consed in full (status, value, context) in a {@link MachineTable}: XState's own
 * `machine.transition` computes each (snapshot, event) once, and the properties see the real
 * snapshots and effects. The model's `abstract`, when it has one, only decides which snapshots count
 * as one visited state (a time-abstracted model is finite only under it): the search goes on from
 * the first snapshot it meets with that abstraction, and every step it takes is a real one, so the
 * counterexample replays on an actor as it is.
 */
import type { EventObject } from 'xstate';
import { explore } from '../explorer/explore.js';
import { MachineTable } from '../explorer/machineTable.js';
import type { Invariant, Model, StopReason } from '../explorer/types.js';
import type { MachineModel, Step } from './model.js';
import { checkProperties, replay, type Replay } from './paths.js';
import { formatEvent, stableStringify } from './serialize.js';
import { takenTransitions } from './transitions.js';

type Ev = EventObject & Record<string, unknown>;

/** A searched state: which input it started from, and its snapshot's id in the table. */
interface MachineState {
  input: number;
  id: number;
}

export interface MachineCheckOptions {
  /** Do not expand snapshots at this depth (events from the initial snapshot are depth 1). */
  maxDepth?: number;
  maxStates?: number;
  /** Stop at the first violation (default), or collect the first of every property. */
  stopAtFirstViolation?: boolean;
}

export interface MachineViolation {
  /** The step property's name. */
  property: string;
  /** The values that broke it, as the property says. */
  message: string;
  /** The input variant the path starts from. */
  input: string;
  /** A shortest event path to the violating step. */
  events: Ev[];
  /** That path replayed on a fresh actor; {@link checkProperties} on it names the property again. */
  replay: Replay;
}

export interface MachineCheckResult {
  model: string;
  stopReason: StopReason;
  states: number;
  transitions: number;
  depth: number;
  millis: number;
  /** Real machine steps taken (the table's cache misses). */
  machineSteps: number;
  violations: MachineViolation[];
}

/** The explorer's view of a machine model: exported for callers that want the raw explore() report. */
export function machineExplorerModel(model: MachineModel, table = new MachineTable(model.machine)): Model<MachineState, Ev> & { table: MachineTable } {
  const domain = new Map<number, Ev[]>();
  const encoded = new Int32Array(2);
  // The visited key of a snapshot id: its abstraction's id, or the id itself.
  const abstractIds = new Map<string, number>();
  const visitedKey: number[] = [];
  const keyOf = (id: number): number => {
    if (!model.abstract) return id;
    let k = visitedKey[id];
    if (k === undefined) {
      const s = table.snapshot(id);
      const text = stableStringify({ status: s.status, a: model.abstract(s) });
      k = abstractIds.get(text);
      if (k === undefined) abstractIds.set(text, (k = abstractIds.size));
      visitedKey[id] = k;
    }
    return k;
  };
  const eventsOf = (id: number): Ev[] => {
    let events = domain.get(id);
    if (!events) {
      const s = table.snapshot(id);
      events = s.status === 'active' ? model.events(s) : [];
      domain.set(id, events);
    }
    return events;
  };
  return {
    name: model.name,
    table,
    initialStates: () => model.inputs.map((v, input) => ({ input, id: table.initial(v.input).next })),
    actions: (s) => eventsOf(s.id),
    apply: (s, e) => ({ input: s.input, id: table.step(s.id, e).next }),
    encode: (s) => {
      encoded[0] = s.input;
      encoded[1] = keyOf(s.id);
      return encoded;
    },
    label: (_s, e) => formatEvent(e),
    isTerminal: (s) => table.snapshot(s.id).status !== 'active' || eventsOf(s.id).length === 0,
  };
}

/** Explores `model` and reports each violated step property with a shortest, replayed event path. */
export function checkMachine(model: MachineModel, options: MachineCheckOptions = {}): MachineCheckResult {
  const m = machineExplorerModel(model);
  const { table } = m;
  // Every property judges the same step: build it once per (prev, event, next).
  let last: { prev: MachineState; event: Ev; next: MachineState; step: Step } | undefined;
  const stepOf = (prev: MachineState, event: Ev, next: MachineState): Step => {
    if (last && last.prev === prev && last.event === event && last.next === next) return last.step;
    const before = table.snapshot(prev.id);
    const step: Step = {
      prev: before,
      event,
      next: table.snapshot(next.id),
      effects: table.step(prev.id, event).effects,
      get taken() {
        return takenTransitions(model.machine, before, event);
      },
    };
    last = { prev, event, next, step };
    return step;
  };
  const invariants: Invariant<MachineState, Ev>[] = model.properties.map((p) => ({
    name: p.name,
    check: (state, step) => (step ? p.holds(stepOf(step.prev, step.action, state)) : true),
  }));
  const report = explore(m, {
    mode: 'exact',
    invariants,
    checkDeadlocks: false,
    stopAtFirstViolation: options.stopAtFirstViolation ?? true,
    ...(options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {}),
    ...(options.maxStates !== undefined ? { maxStates: options.maxStates } : {}),
  });
  const violations = report.violations.map((v): MachineViolation => {
    const input = model.inputs[v.trace.initial.input]!.label;
    const events = v.trace.steps.map((s) => s.action);
    const r = replay(model, input, events, 'shortest');
    const again = checkProperties(model, r);
    if (!again.some((x) => x.includes(v.name))) {
      throw new Error(`${model.name}: the counterexample for "${v.name}" does not break it when replayed on an actor (found: ${again.join('; ') || 'nothing'})`);
    }
    return { property: v.name, message: v.message, input, events, replay: r };
  });
  return {
    model: model.name,
    stopReason: report.stopReason,
    states: report.states,
    transitions: report.transitions,
    depth: report.depth,
    millis: report.millis,
    machineSteps: table.misses,
    violations,
  };
}
