/**
 * Breadth-first exploration of a {@link Model}: every reachable state is visited once (by its
 * canonical encoding), every invariant is checked at every new state, and because the search goes
 * level by level, the first path found to a violating state is a shortest one.
 *
 * Per state the search keeps only its visited-set entry and how it was reached (parent index and
 * the action's position among the parent's enabled actions: 6 bytes). Traces are rebuilt by
 * replaying those positions from the initial state, so the model's states need not be stored.
 */
import { CompactVisited, ExactVisited, type Visited } from './visited.js';
import type { ExploreOptions, ExploreReport, Invariant, Progress, StopReason, Trace, Violation, Model } from './types.js';

export const NO_PARENT = 0xffffffff;

/** How a state was reached: its parent's index (NO_PARENT for an initial state) and the action's position. */
export interface ProvenanceView {
  parentOf(i: number): number;
  actionOf(i: number): number;
}

const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;

/**
 * Parent index (u32) and action position per state, in fixed chunks of 65,536 states: growing
 * never copies, and at most one chunk is unused (doubling arrays would leave up to half of them
 * empty, which at 10M+ states is more than the visited set's own slack). A chunk keeps action
 * positions in one byte until a position above 255 arrives, then in two: 5 bytes a state for
 * models with fewer than 256 actions per state, 6 otherwise.
 */
class Provenance implements ProvenanceView {
  private parents: Uint32Array[] = [];
  private actions: Array<Uint8Array | Uint16Array> = [];
  set(i: number, parent: number, action: number) {
    const c = i >>> CHUNK_BITS;
    while (this.parents.length <= c) {
      this.parents.push(new Uint32Array(CHUNK));
      this.actions.push(new Uint8Array(CHUNK));
    }
    this.parents[c]![i & (CHUNK - 1)] = parent;
    let a = this.actions[c]!;
    if (action > 0xff && a instanceof Uint8Array) this.actions[c] = a = Uint16Array.from(a);
    a[i & (CHUNK - 1)] = action;
  }
  parentOf(i: number): number {
    return this.parents[i >>> CHUNK_BITS]![i & (CHUNK - 1)]!;
  }
  actionOf(i: number): number {
    return this.actions[i >>> CHUNK_BITS]![i & (CHUNK - 1)]!;
  }
  bytes() {
    let n = 0;
    for (let c = 0; c < this.parents.length; c++) n += this.parents[c]!.byteLength + this.actions[c]!.byteLength;
    return n;
  }
}

/** Growable edge list (from, to), for the AG EF check. */
class Edges {
  from = new Uint32Array(1 << 16);
  to = new Uint32Array(1 << 16);
  size = 0;
  push(a: number, b: number) {
    if (this.size === this.from.length) {
      const f = new Uint32Array(this.from.length * 2);
      f.set(this.from);
      this.from = f;
      const t = new Uint32Array(this.to.length * 2);
      t.set(this.to);
      this.to = t;
    }
    this.from[this.size] = a;
    this.to[this.size++] = b;
  }
}

export class ExplorerError extends Error {
  override name = 'ExplorerError';
}

/**
 * Rebuilds the path to state `index` by replaying action positions from its initial state
 * (`prov.parentOf(i)` is NO_PARENT for an initial state, whose `prov.actionOf(i)` is its ordinal).
 */
export function rebuildTrace<S, A>(model: Model<S, A>, prov: ProvenanceView, index: number): Trace<S, A> {
  const positions: number[] = [];
  let i = index;
  while (prov.parentOf(i) !== NO_PARENT) {
    positions.push(prov.actionOf(i));
    i = prov.parentOf(i);
  }
  const initials = model.initialStates();
  const ordinal = prov.actionOf(i);
  if (ordinal >= initials.length) throw new ExplorerError(`${model.name}: initial state ${ordinal} vanished on replay`);
  const initial = initials[ordinal] as S;
  const steps: Trace<S, A>['steps'] = [];
  let state: S = initial;
  for (const pos of positions.reverse()) {
    const enabled = model.actions(state);
    if (pos >= enabled.length) throw new ExplorerError(`${model.name}: action ${pos} not enabled on replay (actions() is not deterministic)`);
    const action = enabled[pos] as A;
    const next = model.apply(state, action);
    steps.push({ action, label: model.label(state, action), state: next });
    state = next;
  }
  return { initial, steps };
}

function verdict(result: boolean | string): string | null {
  if (result === true) return null;
  return result === false ? 'violated' : result;
}

export function explore<S, A>(model: Model<S, A>, options: ExploreOptions<S> = {}): ExploreReport<S, A> {
  const mode = options.mode ?? 'exact';
  const invariants = (options.invariants ?? []) as Invariant<S, A>[];
  const stopAtFirst = options.stopAtFirstViolation ?? true;
  const checkDeadlocks = options.checkDeadlocks ?? true;
  const clock = options.clock ?? (() => performance.now());
  const progressEvery = options.progressEvery ?? 65536;
  if (options.eventually && mode !== 'exact') throw new ExplorerError('the eventually (AG EF) check needs exact mode');

  const visited: Visited = mode === 'exact' ? new ExactVisited(options.expectedStates) : new CompactVisited(options.expectedStates);
  const prov = new Provenance();
  const edges = options.eventually ? new Edges() : null;
  const goals: number[] = [];
  const violations: Violation<S, A>[] = [];
  const violated = new Set<string>();
  const start = clock();
  let transitions = 0;
  let depth = 0;
  let peakRss = process.memoryUsage.rss();
  let stopReason: StopReason = 'complete';
  let nextProgress = progressEvery;

  const report = (kind: Violation<S, A>['kind'], name: string, message: string, index: number) => {
    if (violated.has(`${kind}:${name}`)) return;
    violated.add(`${kind}:${name}`);
    violations.push({ kind, name, message, trace: rebuildTrace(model, prov, index) });
  };
  // Which invariants already failed, by position (no string building per state).
  const done = invariants.map(() => false);
  /** Checks every invariant not yet violated; true when the search must stop. */
  const check = (state: S, index: number, step?: { prev: S; action: A }): boolean => {
    for (let k = 0; k < invariants.length; k++) {
      if (done[k]) continue;
      const inv = invariants[k]!;
      const v = verdict(inv.check(state, step));
      if (v !== null) {
        done[k] = true;
        report('invariant', inv.name, v, index);
        if (stopAtFirst) return true;
      }
    }
    if (edges && options.eventually!.goal(state)) goals.push(index);
    return false;
  };
  // Invariants that read the step (declared `check(state, step)`): only these can judge a step into
  // a state already visited differently; a state-only one already held there.
  const stepInvariants = invariants.flatMap((inv, k) => (inv.check.length >= 2 ? [k] : []));
  /**
   * A step into a state already visited: its state invariants held there, but a step invariant
   * judges the step, and this step is new. The trace is the path to `from` and then this action.
   */
  const checkStepInto = (state: S, from: number, actionIndex: number, step: { prev: S; action: A }): boolean => {
    for (const k of stepInvariants) {
      if (done[k]) continue;
      const inv = invariants[k]!;
      const v = verdict(inv.check(state, step));
      if (v !== null) {
        done[k] = true;
        if (!violated.has(`invariant:${inv.name}`)) {
          violated.add(`invariant:${inv.name}`);
          const t = rebuildTrace(model, prov, from);
          const last = t.steps.length > 0 ? t.steps[t.steps.length - 1]!.state : t.initial;
          const action = model.actions(last)[actionIndex] as A;
          t.steps.push({ action, label: model.label(last, action), state: model.apply(last, action) });
          violations.push({ kind: 'invariant', name: inv.name, message: v, trace: t });
        }
        if (stopAtFirst) return true;
      }
    }
    return false;
  };

  let frontier: S[] = [];
  let frontierIdx: number[] = [];
  let stop = false;
  model.initialStates().forEach((s, ordinal) => {
    if (stop) return;
    const idx = visited.add(model.encode(s));
    if (idx < 0) return;
    prov.set(idx, NO_PARENT, ordinal);
    frontier.push(s);
    frontierIdx.push(idx);
    if (check(s, idx)) stop = true;
  });
  if (stop) stopReason = 'violation';

  outer: while (!stop && frontier.length > 0) {
    if (options.maxDepth !== undefined && depth >= options.maxDepth) {
      stopReason = 'maxDepth';
      break;
    }
    const next: S[] = [];
    const nextIdx: number[] = [];
    for (let f = 0; f < frontier.length; f++) {
      const state = frontier[f]!;
      const from = frontierIdx[f]!;
      const actions = model.actions(state);
      if (actions.length > 0xffff) throw new ExplorerError(`${model.name}: more than 65535 actions enabled in one state`);
      if (actions.length === 0 && checkDeadlocks && !(model.isTerminal?.(state) ?? false)) {
        report('deadlock', 'deadlock', 'no action is enabled and the state is not terminal', from);
        if (stopAtFirst) {
          stopReason = 'violation';
          break outer;
        }
      }
      for (let a = 0; a < actions.length; a++) {
        const action = actions[a]!;
        const succ = model.apply(state, action);
        transitions++;
        const added = visited.add(model.encode(succ));
        if (added < 0) {
          // Exact mode (required with edges) always knows the index: -1 is state 0, the initial one.
          if (edges) edges.push(from, -added - 1);
          if (stepInvariants.length > 0 && checkStepInto(succ, from, a, { prev: state, action })) {
            stopReason = 'violation';
            break outer;
          }
          continue;
        }
        if (edges) edges.push(from, added);
        prov.set(added, from, a);
        if (check(succ, added, { prev: state, action })) {
          stopReason = 'violation';
          break outer;
        }
        next.push(succ);
        nextIdx.push(added);
        if (options.maxStates !== undefined && visited.size >= options.maxStates) {
          stopReason = 'maxStates';
          break outer;
        }
        if (visited.size >= nextProgress) {
          nextProgress += progressEvery;
          const millis = clock() - start;
          const rss = process.memoryUsage.rss();
          if (rss > peakRss) peakRss = rss;
          options.onProgress?.({ states: visited.size, transitions, depth: depth + 1, queue: frontier.length - f + next.length, millis, rssBytes: rss } satisfies Progress);
          if (options.maxMillis !== undefined && millis > options.maxMillis) {
            stopReason = 'maxMillis';
            break outer;
          }
          if (options.maxRssBytes !== undefined && rss > options.maxRssBytes) {
            stopReason = 'maxRssBytes';
            break outer;
          }
        }
      }
    }
    if (next.length > 0) depth++;
    frontier = next;
    frontierIdx = nextIdx;
  }
  /** Every reachable state was expanded: the explored graph is the whole state graph. */
  const exhausted = stopReason === 'complete';
  if (stopReason === 'complete' && violations.length > 0) stopReason = 'violation';

  // AG EF goal: states that cannot reach a goal state, found by backward reachability from the goals.
  if (edges && exhausted) {
    const n = visited.size;
    const count = new Uint32Array(n + 1);
    for (let e = 0; e < edges.size; e++) count[edges.to[e]! + 1]!++;
    for (let i = 0; i < n; i++) count[i + 1]! += count[i]!;
    const rev = new Uint32Array(edges.size);
    const fill = count.slice(0, n);
    for (let e = 0; e < edges.size; e++) rev[fill[edges.to[e]!]!++] = edges.from[e]!;
    const canReach = new Uint8Array(n);
    const queue = new Uint32Array(n);
    let head = 0;
    let tail = 0;
    for (const g of goals) if (!canReach[g]) {
      canReach[g] = 1;
      queue[tail++] = g;
    }
    while (head < tail) {
      const s = queue[head++]!;
      for (let k = count[s]!; k < count[s + 1]!; k++) {
        const p = rev[k]!;
        if (!canReach[p]) {
          canReach[p] = 1;
          queue[tail++] = p;
        }
      }
    }
    // States are numbered in breadth-first order: the first one that cannot reach a goal has a shortest path.
    const stuck = canReach.indexOf(0);
    if (stuck >= 0) {
      report('eventually', options.eventually!.name, `no path from this state reaches "${options.eventually!.name}"`, stuck);
      stopReason = 'violation';
    }
  }

  const millis = clock() - start;
  const rss = process.memoryUsage.rss();
  if (rss > peakRss) peakRss = rss;
  return {
    model: model.name,
    mode,
    mayMissStates: visited.mayMissStates,
    stopReason,
    states: visited.size,
    transitions,
    depth,
    millis,
    statesPerSecond: millis > 0 ? Math.round((visited.size * 1000) / millis) : 0,
    bytesPerState: visited.size ? (visited.bytes() + prov.bytes()) / visited.size : 0,
    peakRssBytes: peakRss,
    invariantsChecked: invariants.map((i) => i.name),
    violations,
  };
}
