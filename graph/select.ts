/**
 * Picking paths for a reader (`opcharts paths M --to S --via E`): the generated paths cut at the
 * first snapshot in S, and, when those do not show what the reader asks for, a breadth-first search
 * over the model's event domain for the shortest path that ends in S and contains E — as an event
 * sent to the machine or as an effect it emits (e.g. the move's `RemoveMaintainerRequest` carrying
 * the origin's epoch, §5.1 B4, which no shortest path to DoneSuccess needs to show).
 */
import type { AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import type { MachineModel } from './model.js';
import { generate, replay, type Replay } from './paths.js';
import { stableStringify } from './serialize.js';
import { listEventTypes, listStates } from './transitions.js';

/** A `--to` name that is not a state, or a leaf name shared by several states. */
export class StateNameError extends Error {
  override readonly name = 'StateNameError';
  constructor(
    message: string,
    readonly candidates: readonly string[],
  ) {
    super(message);
  }
}

/**
 * The full path (`Observed.Fresh`) of the state `name` names: a full path, or the last segment of
 * exactly one state's path (`Fresh`).
 */
export function resolveStateName(machine: AnyStateMachine, name: string): string {
  const paths = listStates(machine).map((s) => s.path);
  if (paths.includes(name)) return name;
  const leaves = paths.filter((p) => p.split('.').at(-1) === name);
  if (leaves.length === 1) return leaves[0]!;
  if (leaves.length > 1) throw new StateNameError(`"${name}" names several states: ${leaves.join(', ')}; give the full path`, leaves);
  throw new StateNameError(`${machine.id} has no state "${name}"; states: ${paths.join(', ')}`, paths);
}

/** Whether `snapshot` is in the state with full path `statePath` (a dotted path below the root). */
export function isIn(snapshot: AnyMachineSnapshot, statePath: string): boolean {
  return snapshot._nodes.some((n) => n.path.join('.') === statePath);
}

/** Whether a step of `r` sends the event type `via` or emits an effect of type `via`. */
export function contains(r: Replay, via: string): boolean {
  return r.steps.some((s) => s.event.type === via || s.effects.some((e) => e.type === via));
}

/** A `--via` name that no event of the machine and no effect of its generated paths has. */
export class UnknownStepError extends Error {
  override readonly name = 'UnknownStepError';
  constructor(
    message: string,
    readonly known: readonly string[],
  ) {
    super(message);
  }
}

export interface Selection {
  to?: string;
  via?: string;
  /** Bound on the search's replays when no generated path qualifies (default 20,000). */
  budget?: number;
}

/** Ends a replay at its first snapshot in `to` (paths that pass through `to` end there). */
function cutAt(model: MachineModel, r: Replay, to: string | undefined, via: string | undefined): Replay | undefined {
  if (to === undefined) return via === undefined || contains(r, via) ? r : undefined;
  for (let i = 0; i < r.snapshots.length; i++) {
    if (!isIn(r.snapshots[i]!, to)) continue;
    const cut = i === r.steps.length ? r : replay(model, r.path.variant, r.path.events.slice(0, i), r.path.origin);
    if (via === undefined || contains(cut, via)) return cut;
  }
  return undefined;
}

/**
 * Paths of `model` that end in `to` (full state path, see `resolveStateName`) and contain `via`,
 * shortest first, without duplicates. The generated paths are tried first; when none qualifies and
 * `via` is given, the shortest such path is searched for.
 */
export function selectPaths(model: MachineModel, selection: Selection): Replay[] {
  const { to, via } = selection;
  const generated = generate(model);
  if (via !== undefined) {
    // The generated paths take every transition, so they run every action and emit every effect type.
    const known = new Set(listEventTypes(model.machine));
    for (const r of generated.replays) for (const s of r.steps) for (const e of s.effects) known.add(e.type);
    if (!known.has(via)) {
      const names = [...known].sort();
      throw new UnknownStepError(`${model.name} has no event or effect "${via}"; one of: ${names.join(', ')}`, names);
    }
  }
  const picked = generated.replays
    .map((r) => cutAt(model, r, to, via))
    .filter((r): r is Replay => r !== undefined);
  const unique = [...new Map(picked.map((r) => [r.path.variant + r.path.name, r])).values()];
  if (!unique.length && via !== undefined) {
    const found = searchPath(model, to, via, selection.budget ?? 20_000);
    if (found) unique.push(found);
  }
  return unique.sort((a, b) => a.steps.length - b.steps.length);
}

const keyOf = (model: MachineModel, s: AnyMachineSnapshot) =>
  stableStringify(model.abstract ? model.abstract(s) : { value: s.value, context: s.context });

/** Breadth-first over (abstract snapshot, `via` seen) from each input variant; bounded by `budget` replays. */
function searchPath(model: MachineModel, to: string | undefined, via: string, budget: number): Replay | undefined {
  for (const { label } of model.inputs) {
    const start = replay(model, label, []);
    const seen = new Set([`0${keyOf(model, start.snapshots[0]!)}`]);
    let frontier = [start];
    while (frontier.length && budget > 0) {
      const next: Replay[] = [];
      for (const r of frontier) {
        const last = r.snapshots.at(-1)!;
        if (last.status !== 'active') continue;
        for (const e of model.events(last)) {
          if (--budget < 0) return undefined;
          const ext = replay(model, label, [...r.path.events, e], 'targeted');
          const step = ext.steps.at(-1)!;
          if (!step.taken.length) continue;
          const hasVia = contains(ext, via);
          const end = ext.snapshots.at(-1)!;
          if (hasVia && (to === undefined || isIn(end, to))) return ext;
          const k = `${hasVia ? 1 : 0}${keyOf(model, end)}`;
          if (seen.has(k)) continue;
          seen.add(k);
          next.push(ext);
        }
      }
      frontier = next;
    }
  }
  return undefined;
}
