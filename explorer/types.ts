/**
 * The explorer's contract with a model. Nothing here knows about TiCDC: a model is any deterministic
 * transition system that can list its enabled actions, apply one, and encode a state canonically
 * as a vector of 32-bit integers.
 *
 * Canonical means: two states that should count as one (a bag in another order, interchangeable
 * nodes swapped by symmetry reduction) encode to the same words. The explorer never looks inside a
 * state; it only hashes and compares encodings, and replays actions by their position in
 * `actions(state)`, which must therefore be deterministic.
 */

export interface Model<S, A = unknown> {
  name: string;
  /** The initial states (usually one). */
  initialStates(): S[];
  /** Every enabled action, in a deterministic order (traces name actions by their position). */
  actions(state: S): readonly A[];
  /** The successor; must not mutate `state`. Same state and action → same result, always. */
  apply(state: S, action: A): S;
  /** Canonical encoding. The returned array may be reused by the model after the call returns. */
  encode(state: S): Int32Array;
  /** A readable label of an action taken in a state (traces, reports). */
  label(state: S, action: A): string;
  /** States where no action is enabled on purpose (not reported as deadlocks). */
  isTerminal?(state: S): boolean;
}

/** What a property is judged on: the new state, and the step that produced it (absent for initial states). */
export interface Step<S, A> {
  prev: S;
  action: A;
}

/**
 * A safety property checked at every new state, kept apart from the model (like P's spec
 * monitors). `check` returns true when it holds, or false / a message naming the values that broke it.
 */
export interface Invariant<S, A = unknown> {
  name: string;
  /** One line: what must hold. */
  doc?: string;
  /**
   * Declare the `step` parameter when the verdict reads it: such an invariant is also judged on
   * every step into a state already visited; one declared `check(state)` is judged once per state.
   */
  check(state: S, step?: Step<S, A>): boolean | string;
}

export type VisitedMode = 'exact' | 'hash-compaction';

export interface ExploreOptions<S> {
  invariants?: Invariant<S, any>[];
  /** `exact` stores every state (no state can be missed); `hash-compaction` stores a 64-bit hash. Default: exact. */
  mode?: VisitedMode;
  /** Stop after this many distinct states. */
  maxStates?: number;
  /** Do not expand states at this depth (the initial states are depth 0). */
  maxDepth?: number;
  /** Stop after this many milliseconds (checked between expansions). */
  maxMillis?: number;
  /** Stop when the process's resident memory exceeds this many bytes. */
  maxRssBytes?: number;
  /** Stop at the first violation (default) or collect the first violation of every invariant. */
  stopAtFirstViolation?: boolean;
  /** Report states with no enabled action that the model does not call terminal. Default true. */
  checkDeadlocks?: boolean;
  /**
   * AG EF goal: after the search, report a reachable state from which no goal state is reachable
   * (with the shortest path to it). Needs the explored graph's edges: exact mode only.
   */
  eventually?: { name: string; goal(state: S): boolean };
  /** Expected number of states, to size the visited set up front (fewer rehashes). */
  expectedStates?: number;
  /** Called about every `progressEvery` new states. */
  onProgress?(p: Progress): void;
  progressEvery?: number;
  /** Wall clock in ms (default `performance.now`); injected so that tests never depend on time. */
  clock?: () => number;
}

export interface Progress {
  states: number;
  transitions: number;
  depth: number;
  queue: number;
  millis: number;
  rssBytes: number;
}

export interface TraceStep<S, A> {
  action: A;
  label: string;
  state: S;
}

export interface Trace<S, A> {
  initial: S;
  steps: TraceStep<S, A>[];
}

export interface Violation<S, A> {
  kind: 'invariant' | 'deadlock' | 'eventually';
  /** The invariant's name, `deadlock`, or the eventually-goal's name. */
  name: string;
  message: string;
  /** A shortest path from an initial state to the violating state (breadth-first). */
  trace: Trace<S, A>;
}

export type StopReason = 'complete' | 'violation' | 'maxStates' | 'maxDepth' | 'maxMillis' | 'maxRssBytes';

export interface ExploreReport<S, A> {
  model: string;
  mode: VisitedMode;
  /** True only in hash-compaction mode: two states with the same 64-bit hash count as one. */
  mayMissStates: boolean;
  /** `complete` when every reachable state (within maxDepth) was explored. */
  stopReason: StopReason;
  states: number;
  transitions: number;
  /** The deepest level reached (initial states are level 0). */
  depth: number;
  millis: number;
  statesPerSecond: number;
  /** Bytes held by the visited set and trace bookkeeping, per state. */
  bytesPerState: number;
  peakRssBytes: number;
  invariantsChecked: string[];
  violations: Violation<S, A>[];
}
