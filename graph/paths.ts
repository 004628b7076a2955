/**
 * Path generation, replay and coverage, on the graph utilities that ship with XState
 * (`xstate/graph`: `createTestModel`, shortest paths, `getPathsFromEvents`).
 *
 * 1. Shortest paths from `createTestModel(...).getShortestPaths()`, with a bigint-safe state key
 *    that keeps the model's abstraction of the snapshot plus, as XState's default does, the event
 *    and the previous state value whenever the value changes ("via EVENT from prev": this is what
 *    makes each incoming transition its own search node).
 * 2. Every path is replayed step by step on a fresh actor (`createActor`), recording the emitted
 *    effects and the transitions taken (the machine's own selection, `getTransitionData`).
 * 3. Transitions that no shortest path takes — targetless ones, and those whose result collides
 *    with another key — get a targeted path: the shortest replayed prefix at which a domain event
 *    takes them, plus that event.
 * Coverage is then measured on the replays, never assumed from the generator.
 */
import { createActor, initialTransition, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';
import { createTestModel, getShortestPaths } from 'xstate/graph';
import type { MachineModel, Step } from './model.js';
import { formatEvent, stableStringify } from './serialize.js';
import { activeStates, listStates, listTransitions, takenTransitions } from './transitions.js';

type Ev = EventObject & Record<string, unknown>;

export interface GeneratedPath {
  events: Ev[];
  /** `EVENT → EVENT(...) → ...`, the path's name in test output. */
  name: string;
  /** How the path was found: `shortest` or `targeted` (to take a named transition). */
  origin: 'shortest' | 'targeted';
  /** The final state value, as a dotted string. */
  finalState: string;
  /** Label of the model input variant the path starts from. */
  variant: string;
}

export interface Replay {
  path: GeneratedPath;
  steps: Step[];
  /** Snapshots before each step, and after the last (length = steps + 1). */
  snapshots: AnyMachineSnapshot[];
}

export interface Coverage {
  statesDefined: number;
  statesReached: number;
  transitionsDefined: number;
  transitionsTaken: number;
  missingStates: string[];
  /** Labels (`Source --EVENT [guard]--> Target`) of transitions no path takes. */
  missingTransitions: string[];
}

export function stateValueString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => (typeof v === 'string' ? `${k}.${v}` : `${k}.(${stateValueString(v)})`))
      .join(',');
  }
  return String(value);
}

export function pathName(events: readonly Ev[]): string {
  return events.length ? events.map(formatEvent).join(' → ') : '(initial state)';
}

function keyOf(model: MachineModel, s: AnyMachineSnapshot): string {
  return stableStringify(model.abstract ? model.abstract(s) : { value: s.value, context: s.context });
}

function inputOf(model: MachineModel, variant: string): unknown {
  const v = model.inputs.find((i) => i.label === variant);
  if (!v) throw new Error(`${model.name}: no input variant ${JSON.stringify(variant)}`);
  return v.input;
}

/**
 * Traversal options for `xstate/graph`. The test model's own path listing and de-duplication call
 * `JSON.stringify` on contexts, which throws on bigint epochs, so the traversal functions are
 * called directly with a bigint-safe key; `createTestModel` still vets each machine (it refuses
 * `invoke` and `after`, which a generated test could not drive).
 */
function traversalFor(model: MachineModel, input: unknown) {
  createTestModel(model.machine);
  return {
    logic: searchLogic(model, input),
    options: traversalOptions(model, input),
  };
}

/**
 * The machine as the search sees it. For a time-abstracted model every successor is shifted so
 * that the model clock stays where the initial snapshot has it: equivalent snapshots then offer
 * identical events, and a path found by the search replays on any equivalent concrete snapshot
 * after shifting its event times by the difference of the clocks (see `replay`).
 */
function searchLogic(model: MachineModel, input: unknown): AnyStateMachine {
  const { machine, clock, shiftTime } = model;
  if (!clock || !shiftTime) return machine;
  const origin = clock(initialTransition(machine, input)[0] as AnyMachineSnapshot);
  return Object.create(machine, {
    transition: {
      value: (snapshot: AnyMachineSnapshot, event: EventObject, scope: unknown) => {
        const next = machine.transition(snapshot as never, event as never, scope as never) as AnyMachineSnapshot;
        const delta = origin - clock(next);
        return delta === 0 ? next : { ...next, context: shiftTime(next.context, delta) };
      },
    },
  });
}

function traversalOptions(model: MachineModel, input: unknown) {
  return {
    // A done machine takes no events, and an event no transition takes changes nothing: neither
    // adds to a path.
    events: (s: AnyMachineSnapshot) => (s.status === 'active' ? model.events(s) : []),
    filterEvents: (s: AnyMachineSnapshot, e: Ev) => takenTransitions(model.machine, s, e).length > 0,
    serializeEvent: (e: unknown) => stableStringify(e),
    serializeState: (s: AnyMachineSnapshot, e: unknown, prev: AnyMachineSnapshot | undefined) => {
      const via =
        e && prev && stableStringify(prev.value) !== stableStringify(s.value)
          ? ` via ${stableStringify(e)} from ${stableStringify(prev.value)}`
          : '';
      return keyOf(model, s) + via;
    },
    input,
  } as never;
}

type SearchStep = { state: AnyMachineSnapshot; event: Ev };

/** Drops every path whose event sequence is a prefix of another's (as `@xstate/test` does). */
function dropPrefixPaths(paths: SearchStep[][]): SearchStep[][] {
  const sorted = [...paths].sort((a, b) => b.length - a.length);
  const prefixes = new Set<string>();
  const kept: SearchStep[][] = [];
  for (const p of sorted) {
    const keys = p.map((s) => stableStringify(s.event));
    if (prefixes.has(keys.join('\u0000'))) continue;
    kept.push(p);
    for (let i = 0; i <= keys.length; i++) prefixes.add(keys.slice(0, i).join('\u0000'));
  }
  return kept.reverse();
}

/** Replays `events` on a fresh actor, recording every step. */
export function replay(
  model: MachineModel,
  variant: string,
  events: readonly Ev[],
  origin: GeneratedPath['origin'] = 'shortest',
  /** The search's representative snapshot each event was computed from (time-abstracted models). */
  representatives?: readonly AnyMachineSnapshot[],
): Replay {
  const actor = createActor(model.machine, { input: inputOf(model, variant) } as never);
  let pending: Step['effects'][number][] = [];
  actor.on('*', (e: unknown) => pending.push(e as Step['effects'][number]));
  actor.start();
  pending = []; // entry effects of the initial state belong to no step
  const snapshots: AnyMachineSnapshot[] = [actor.getSnapshot() as AnyMachineSnapshot];
  const steps: Step[] = [];
  const sent: Ev[] = [];
  for (const [i, original] of events.entries()) {
    const prev = actor.getSnapshot() as AnyMachineSnapshot;
    const rep = representatives?.[i];
    if (rep && keyOf(model, rep) !== keyOf(model, prev)) {
      // The search and the actor disagree: the model's abstraction merged snapshots that behave differently.
      throw new Error(
        `${model.name}: replay left the searched path at step ${i + 1} (${formatEvent(original)}): ` +
          `expected ${keyOf(model, rep)}, got ${keyOf(model, prev)}; the model's abstraction is unsound`,
      );
    }
    const event =
      model.clock && rep && typeof original.now === 'number'
        ? { ...original, now: original.now + model.clock(prev) - model.clock(rep) }
        : original;
    sent.push(event);
    const taken = takenTransitions(model.machine, prev, event);
    pending = [];
    actor.send(event);
    const next = actor.getSnapshot() as AnyMachineSnapshot;
    steps.push({ prev, event, next, effects: pending, taken });
    snapshots.push(next);
  }
  actor.stop();
  const last = snapshots[snapshots.length - 1]!;
  return {
    path: { events: sent, name: pathName(sent), origin, finalState: stateValueString(last.value), variant },
    steps,
    snapshots,
  };
}

export interface Generated {
  paths: GeneratedPath[];
  replays: Replay[];
  coverage: Coverage;
}

/** Generates the path set of a model, replays it, and measures coverage. */
export function generate(model: MachineModel): Generated {
  const options = new Map(model.inputs.map((v) => [v.label, traversalFor(model, v.input)]));
  const replays: Replay[] = [];
  for (const [variant, { logic, options: opts }] of options) {
    // A path's steps are (event, resulting snapshot), led by an `xstate.init` step holding the
    // initial snapshot; the snapshot each event applies to is the previous step's.
    const shortest = getShortestPaths(logic, opts).map((p) => {
      const steps = p.steps as unknown as SearchStep[];
      return steps.slice(1).map((s, i) => ({ event: s.event, state: steps[i]!.state }));
    });
    for (const steps of dropPrefixPaths(shortest)) {
      replays.push(replay(model, variant, steps.map((s) => s.event), 'shortest', steps.map((s) => s.state)));
    }
  }

  const transitions = listTransitions(model.machine);
  const taken = new Set<string>();
  for (const r of replays) for (const s of r.steps) for (const t of s.taken) taken.add(t);

  const missing = transitions.filter((t) => !taken.has(t.id));
  if (missing.length) {
    // Candidate prefixes: every replayed snapshot with the events that reach it, shortest first.
    const prefixes: Array<{ variant: string; events: Ev[]; snapshot: AnyMachineSnapshot }> = [];
    const seen = new Set<string>();
    for (const r of replays) {
      r.snapshots.forEach((snapshot, i) => {
        const k = r.path.variant + keyOf(model, snapshot);
        if (seen.has(k)) return;
        seen.add(k);
        prefixes.push({ variant: r.path.variant, events: r.path.events.slice(0, i), snapshot });
      });
    }
    prefixes.sort((a, b) => a.events.length - b.events.length);
    for (const t of missing) {
      if (taken.has(t.id)) continue;
      search: for (const { variant, events, snapshot } of prefixes) {
        if (snapshot.status !== 'active') continue;
        for (const e of model.events(snapshot)) {
          if (!takenTransitions(model.machine, snapshot, e).includes(t.id)) continue;
          // The prefix and the event are concrete (taken from a replay), so they replay as they are.
          const r = replay(model, variant, [...events, e], 'targeted');
          for (const s of r.steps) for (const id of s.taken) taken.add(id);
          replays.push(r);
          break search;
        }
      }
    }
  }

  const states = listStates(model.machine);
  const reached = new Set<string>();
  for (const r of replays) for (const s of r.snapshots) for (const id of activeStates(model.machine, s)) reached.add(id);

  const coverage: Coverage = {
    statesDefined: states.length,
    statesReached: states.filter((s) => reached.has(s.id)).length,
    transitionsDefined: transitions.length,
    transitionsTaken: transitions.filter((t) => taken.has(t.id)).length,
    missingStates: states.filter((s) => !reached.has(s.id)).map((s) => s.path),
    missingTransitions: transitions.filter((t) => !taken.has(t.id)).map((t) => t.label),
  };
  return { paths: replays.map((r) => r.path), replays, coverage };
}

/**
 * Every edge of the explored graph: from each distinct reachable (abstract) snapshot, one step with
 * each domain event, as a path (shortest prefix + event). Generated paths take every transition;
 * this takes every (state, event) pair, so a step property is checked on each of them.
 */
export function edgePaths(model: MachineModel, generated: Generated): Replay[] {
  const seen = new Set<string>();
  const out: Replay[] = [];
  const prefixes: Array<{ variant: string; events: Ev[]; snapshot: AnyMachineSnapshot }> = [];
  for (const r of generated.replays) {
    r.snapshots.forEach((snapshot, i) => {
      const k = r.path.variant + keyOf(model, snapshot);
      if (seen.has(k) || snapshot.status !== 'active') return;
      seen.add(k);
      prefixes.push({ variant: r.path.variant, events: r.path.events.slice(0, i), snapshot });
    });
  }
  for (const { variant, events, snapshot } of prefixes) {
    for (const e of model.events(snapshot)) out.push(replay(model, variant, [...events, e], 'targeted'));
  }
  return out;
}

/** Checks every step property of the model on a replay; returns the violations. */
export function checkProperties(model: MachineModel, r: Replay): string[] {
  const out: string[] = [];
  r.steps.forEach((step, i) => {
    for (const p of model.properties) {
      const res = p.holds(step);
      if (res !== true) {
        out.push(`step ${i + 1} (${formatEvent(step.event)}): ${p.name}${typeof res === 'string' ? `: ${res}` : ''}`);
      }
    }
  });
  return out;
}
