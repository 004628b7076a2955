/**
 * The coordinator's three schedulers as pure functions: basic (§2.4.1, `coordinator/scheduler/basic.go`
 * with `pkg/scheduler/basic.go`), balance (§2.4.1, `scheduler/balance.go` with `pkg/scheduler/balance.go`)
 * and drain (§2.5.3, `scheduler/drain.go`). Destinations pass {@link isSchedulableDest} (§2.5.2, gates.ts).
 *
 * One `Execute()` tick is a function of a read-only {@link SchedulerView} (plain data the host or the
 * operator controller assembles), the scheduler's own state (passed in, returned anew) and, for
 * balance, the time. It returns the operators the tick proposes, in order, with the next state and
 * the delay until the next tick. Each proposal stands for one synchronous `AddOperator` call; the
 * `admit` predicate says whether that call accepts, because an accepted proposal changes the rest
 * of the tick (loads, budget) exactly as in Go. The default, {@link predictedAdmission}, rejects what
 * the admission precheck (§2.4) rejects: a changefeed with an operator, one reserved by
 * `epochBumping`, one not in the DB. A bump failure is the host's to report through `admit`.
 *
 * Go map iteration order decides ties (the destination among equally loaded nodes, the order of
 * absent changefeeds, of a node's maintainers, of balance victims). Each scheduler therefore comes
 * twice: `…Outcomes(view, …)` returns every distinct outcome a tie-break can produce (for the
 * cluster checker), and `…Tick(view, …)` returns the default one for hosts, which breaks every
 * tie by the smallest id. The default is always among the outcomes.
 *
 * Simplifications (README "Model limits"):
 * - Tie-breaks are free at every step: any least-loaded node, any absent changefeed, any remaining
 *   maintainer. Go's heap and map orders realise a subset of these sequences, so the outcome set
 *   over-approximates Go (sound for safety checking, may show an order Go never takes).
 * - Outcomes that propose the same operators in a different order are merged (the order in which
 *   independent changefeeds are admitted does not change any rule); the first order found is kept.
 * - Backoff (`ShouldRun`) is not modelled: every absent changefeed may run.
 * - All changefeeds are in the default group, so the basic scheduler's per-group task size equals
 *   the per-node task size: the number of changefeeds bound to the node (Scheduling or Replicating).
 * - The balance scheduler's randomness (task shuffle, randomised workload) is a tie-break like the
 *   others. In Go a rejected balance move is retried (same victim task, re-randomised ties) until
 *   one is accepted; here a rejection ends the tick so that a tick is finite.
 * - `…Outcomes` walks every choice path, so its cost grows with the factorial of the ties (absent
 *   changefeeds, equally loaded nodes): it is meant for the checker's small clusters, not hosts.
 * - A tick is atomic here and reads one snapshot. In Go each add or move blocks the scheduler for
 *   its epoch bump (§2.4), so other events (heartbeats, node removal, a finishing operator) may
 *   change the controller and the liveness view between two `AddOperator` calls of one tick; here
 *   they cannot, and `admit` must decide each call from the tick's snapshot.
 */
import type { NodeId } from '../protocol.js';
import type { ChangefeedDb } from './changefeedDb.js';
import { isSchedulableDest, isSchedulingFrozen, type DestView, type SchedulerGate } from './gates.js';

/** One operator in the controller's `operators` map, as far as the schedulers look at it (§2.0). */
export interface SchedulerOperatorView {
  readonly changefeed: string;
  readonly kind: 'add' | 'move' | 'stop';
  /** A move's origin (`CountMoveMaintainerOperatorsFromNodes`). */
  readonly origin?: NodeId;
}

/**
 * What a scheduler tick reads. Plain data, read at one instant: node views must already be
 * evaluated at the tick's time (`viewStateAt`), so a node past the TTL is `Unknown`.
 */
export interface SchedulerView {
  /** The changefeed DB (§2.0 table). */
  readonly db: ChangefeedDb;
  /** Every operator in the controller (OperatorSize, HasOperator, CountMoveMaintainerOperatorsFromNodes). */
  readonly operators: readonly SchedulerOperatorView[];
  /** Changefeeds reserved by an add or move whose epoch bump is under way (§2.4 `epochBumping`). */
  readonly epochBumping: readonly string[];
  /** Alive membership (`GetAliveNodeIDs`), independent of the liveness view. */
  readonly aliveNodes: readonly NodeId[];
  /** The drain controller's records (§2.5.1 `GetState`); a node without a record is unobserved: Alive. */
  readonly nodeViews: Readonly<Record<NodeId, DestView>>;
  /** The scheduler gate held by the drain controller (§2.5.1). */
  readonly gate: SchedulerGate;
  /** An active drain session exists (lifts the scheduling freeze, §2.5.1). */
  readonly hasActiveSession: boolean;
  /** The scheduler batch size (each scheduler gets the same configured value). */
  readonly batchSize: number;
}

export type SchedulerProposal =
  | { readonly kind: 'add'; readonly changefeed: string; readonly dest: NodeId }
  | { readonly kind: 'move'; readonly changefeed: string; readonly origin: NodeId; readonly dest: NodeId };

/** Whether `AddOperator(op)` accepts the proposal (pure; evaluated once per proposal, in order). */
export type SchedulerAdmit = (proposal: SchedulerProposal) => boolean;

export interface SchedulerTickResult<S> {
  /** The proposals `AddOperator` accepted, in the order they were made. */
  readonly proposals: readonly SchedulerProposal[];
  /** Proposals `AddOperator` rejected (they changed nothing but were attempted). */
  readonly rejected: readonly SchedulerProposal[];
  readonly state: S;
  /** The delay `Execute` asks for before its next run, in ms. */
  readonly nextRunInMs: number;
}

export class SchedulerInputError extends Error {
  readonly code = 'SCHEDULER_INPUT';
  constructor(message: string) {
    super(message);
    this.name = 'SchedulerInputError';
  }
}

/** The §2.4 precheck as the view predicts it: no operator, no bump in flight, still in the DB. */
export function predictedAdmission(view: SchedulerView): SchedulerAdmit {
  const busy = new Set([...view.operators.map((o) => o.changefeed), ...view.epochBumping]);
  return (p) => !busy.has(p.changefeed) && view.db.has(p.changefeed);
}

// ---------------------------------------------------------------------------------------------
// View queries (the Go calls the schedulers make)

const UNOBSERVED: DestView = { state: 'Alive', observed: false, nodeEpoch: 0n };

function viewOf(view: SchedulerView, node: NodeId): DestView {
  return view.nodeViews[node] ?? UNOBSERVED;
}

/** `GetDrainingOrStoppingNodes`, sorted (§2.5.3 step 1): Draining or Stopping, never Unknown. */
function drainingOrStoppingNodes(view: SchedulerView): NodeId[] {
  return Object.entries(view.nodeViews)
    .filter(([, v]) => v.state === 'Draining' || v.state === 'Stopping')
    .map(([n]) => n)
    .sort();
}

/** `filterSchedulableNodeIDs(GetAliveNodeIDs())`: alive members that pass §2.5.2, sorted. */
export function schedulableDestinations(view: SchedulerView): NodeId[] {
  const frozen = isSchedulingFrozen(
    view.hasActiveSession,
    Object.values(view.nodeViews).map((v) => v.state),
  );
  return [...new Set(view.aliveNodes)].filter((n) => isSchedulableDest(frozen, view.gate, n, viewOf(view, n))).sort();
}

/** `GetTaskSizePerNode`: changefeeds bound to each node (Scheduling or Replicating). */
function taskSizePerNode(db: ChangefeedDb): Map<NodeId, number> {
  const sizes = new Map<NodeId, number>();
  for (const e of db.values()) {
    if (e.nodeId !== '' && e.bucket !== undefined) sizes.set(e.nodeId, (sizes.get(e.nodeId) ?? 0) + 1);
  }
  return sizes;
}

/** `CountMoveMaintainerOperatorsFromNodes(origins)` (§2.0). */
function countMoveOperatorsFromNodes(view: SchedulerView, origins: readonly NodeId[]): number {
  const set = new Set(origins);
  return view.operators.filter((o) => o.kind === 'move' && o.origin !== undefined && set.has(o.origin)).length;
}

function absentChangefeeds(db: ChangefeedDb): string[] {
  return [...db].filter(([, e]) => e.bucket === 'Absent').map(([cf]) => cf).sort();
}

function bucketMembers(db: ChangefeedDb, node: NodeId): string[] {
  return [...db].filter(([, e]) => e.nodeId === node && e.bucket !== undefined).map(([cf]) => cf).sort();
}

function checkView(view: SchedulerView): void {
  if (!Number.isSafeInteger(view.batchSize) || view.batchSize < 0) {
    throw new SchedulerInputError(`batchSize must be a non-negative integer, got ${view.batchSize}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Tie-breaks: each algorithm is written once against a `choose` callback; exploring every choice
// path gives the outcome set, always taking the first (smallest) option gives the default.

type Choose = <T>(options: readonly T[]) => T;

function firstChoice<T>(options: readonly T[]): T {
  return options[0] as T;
}

/** Runs `run` along every choice path; outcomes with equal keys are merged (first kept). */
function everyOutcome<R>(run: (choose: Choose) => R, key: (r: R) => string): R[] {
  const out = new Map<string, R>();
  const pending: number[][] = [[]];
  while (pending.length > 0) {
    const prefix = pending.pop() as number[];
    let depth = 0;
    const taken: number[] = [];
    const choose: Choose = <T>(options: readonly T[]): T => {
      if (options.length === 0) throw new Error('internal: choice among no options');
      let pick = 0;
      if (depth < prefix.length) pick = prefix[depth] as number;
      else for (let alt = 1; alt < options.length; alt++) pending.push([...taken, alt]);
      taken.push(pick);
      depth++;
      return options[pick] as T;
    };
    const r = run(choose);
    const k = key(r);
    if (!out.has(k)) out.set(k, r);
  }
  return [...out.values()];
}

function outcomeKey<S>(r: SchedulerTickResult<S>): string {
  const show = (ps: readonly SchedulerProposal[]) => ps.map((p) => JSON.stringify(p)).sort();
  return JSON.stringify([show(r.proposals), show(r.rejected), r.state, r.nextRunInMs], (_k, v) =>
    typeof v === 'bigint' ? v.toString() : v,
  );
}

/** The nodes among `candidates` with the least load (all of them: a tie is a choice). */
function leastLoaded(candidates: readonly NodeId[], load: ReadonlyMap<NodeId, number>): NodeId[] {
  let min = Infinity;
  for (const n of candidates) min = Math.min(min, load.get(n) ?? 0);
  return candidates.filter((n) => (load.get(n) ?? 0) === min);
}

// ---------------------------------------------------------------------------------------------
// Basic scheduler (§2.4.1)

/**
 * One basic-scheduler tick (§2.4.1, `basicScheduler.Execute` and `pkg/scheduler.BasicSchedule`):
 * - nothing absent or `available = batch − OperatorSize() ≤ 0` → nothing, next run in 500 ms;
 * - `available < batch/2` (integer division) → nothing, next run in 100 ms;
 * - else up to `available` absent changefeeds, in map order, each offered to a least-loaded
 *   schedulable destination; an accepted add raises that node's load; stop once `available`
 *   adds were accepted. No schedulable destination → nothing. Next run in 500 ms.
 */
function basicRun(view: SchedulerView, admit: SchedulerAdmit, choose: Choose): SchedulerTickResult<null> {
  checkView(view);
  const batch = view.batchSize;
  const available = batch - view.operators.length;
  const absent = absentChangefeeds(view.db);
  const result = (proposals: SchedulerProposal[], rejected: SchedulerProposal[], nextRunInMs: number) => ({
    proposals,
    rejected,
    state: null,
    nextRunInMs,
  });
  if (absent.length === 0 || available <= 0) return result([], [], 500);
  if (available < Math.floor(batch / 2)) return result([], [], 100);

  const dests = schedulableDestinations(view);
  if (dests.length === 0) return result([], [], 500);
  const sizes = taskSizePerNode(view.db);
  const load = new Map(dests.map((n) => [n, sizes.get(n) ?? 0] as const));

  // GetAbsentBatch: the first `available` absent changefeeds in map order.
  const remaining = [...absent];
  const batchOrder: string[] = [];
  while (batchOrder.length < available && remaining.length > 0) {
    const cf = choose(remaining);
    remaining.splice(remaining.indexOf(cf), 1);
    batchOrder.push(cf);
  }

  const proposals: SchedulerProposal[] = [];
  const rejected: SchedulerProposal[] = [];
  for (const cf of batchOrder) {
    const dest = choose(leastLoaded(dests, load));
    const p: SchedulerProposal = { kind: 'add', changefeed: cf, dest };
    if (admit(p)) {
      load.set(dest, (load.get(dest) ?? 0) + 1);
      proposals.push(p);
    } else rejected.push(p);
    if (proposals.length >= available) break;
  }
  return result(proposals, rejected, 500);
}

/** Every outcome of one basic-scheduler tick, one per distinct tie-break (§2.4.1). */
export function basicSchedulerOutcomes(
  view: SchedulerView,
  admit: SchedulerAdmit = predictedAdmission(view),
): SchedulerTickResult<null>[] {
  return everyOutcome((choose) => basicRun(view, admit, choose), outcomeKey);
}

/** The default basic-scheduler tick for hosts: ties go to the smallest id (§2.4.1). */
export function basicSchedulerTick(
  view: SchedulerView,
  admit: SchedulerAdmit = predictedAdmission(view),
): SchedulerTickResult<null> {
  return basicRun(view, admit, firstChoice);
}

// ---------------------------------------------------------------------------------------------
// Drain scheduler (§2.5.3)

/** The drain scheduler's own state: where the next round starts (`rrCursor`). */
export interface DrainSchedulerState {
  readonly rrCursor: number;
}

export const initialDrainSchedulerState: DrainSchedulerState = { rrCursor: 0 };

/**
 * One drain-scheduler tick (§2.5.3):
 * 1. draining := Draining or Stopping nodes (not Unknown), sorted; none → next run in 1 s;
 * 2. available := batch − moves whose origin is draining (unrelated operators do not count);
 *    ≤ 0 → next run in 200 ms;
 * 3. dests := alive ∩ schedulable (§2.5.2); none → next run in 1 s;
 * 4. loads are snapshotted, and raised within the tick by each accepted move;
 * 5. rounds over the draining nodes from `rrCursor`: each origin offers its next maintainer (map
 *    order) whose changefeed has no operator, to a least-loaded dest other than the origin; a
 *    maintainer is used up whether its move is accepted, rejected or finds no dest;
 * 6. `rrCursor` advances by one after every round; stop when the budget is spent or a round made
 *    no progress. Next run in 200 ms.
 */
function drainRun(
  view: SchedulerView,
  state: DrainSchedulerState,
  admit: SchedulerAdmit,
  choose: Choose,
): SchedulerTickResult<DrainSchedulerState> {
  checkView(view);
  if (!Number.isSafeInteger(state.rrCursor) || state.rrCursor < 0) {
    throw new SchedulerInputError(`rrCursor must be a non-negative integer, got ${state.rrCursor}`);
  }
  const draining = drainingOrStoppingNodes(view);
  const unchanged = (nextRunInMs: number): SchedulerTickResult<DrainSchedulerState> => ({
    proposals: [],
    rejected: [],
    state,
    nextRunInMs,
  });
  if (draining.length === 0) return unchanged(1000);
  const available = view.batchSize - countMoveOperatorsFromNodes(view, draining);
  if (available <= 0) return unchanged(200);
  const dests = schedulableDestinations(view);
  if (dests.length === 0) return unchanged(1000);

  const load = taskSizePerNode(view.db);
  const withOperator = new Set(view.operators.map((o) => o.changefeed));
  const unused = new Map(draining.map((n) => [n, bucketMembers(view.db, n)] as const));
  const proposals: SchedulerProposal[] = [];
  const rejected: SchedulerProposal[] = [];

  /** scheduleOneFromNode: true when a move from `origin` was accepted. */
  const scheduleOne = (origin: NodeId): boolean => {
    const left = unused.get(origin) as string[];
    while (left.length > 0) {
      // The next maintainer in map order; one that has an operator is passed over whatever the
      // order, so only the free ones are a real choice.
      const free = left.filter((cf) => !withOperator.has(cf));
      if (free.length === 0) {
        left.length = 0;
        return false;
      }
      const cf = choose(free);
      left.splice(left.indexOf(cf), 1);
      // chooseLeastLoadedDest excludes the origin; a Draining/Stopping origin already fails
      // §2.5.2, so this only restates Go's defensive check.
      const candidates = dests.filter((n) => n !== origin);
      if (candidates.length === 0) return false;
      const dest = choose(leastLoaded(candidates, load));
      const p: SchedulerProposal = { kind: 'move', changefeed: cf, origin, dest };
      if (admit(p)) {
        load.set(dest, (load.get(dest) ?? 0) + 1);
        proposals.push(p);
        return true;
      }
      rejected.push(p);
    }
    return false;
  };

  let cursor = state.rrCursor >= draining.length ? 0 : state.rrCursor;
  while (proposals.length < available) {
    let progress = false;
    for (let i = 0; i < draining.length && proposals.length < available; i++) {
      if (scheduleOne(draining[(cursor + i) % draining.length] as NodeId)) progress = true;
    }
    cursor = (cursor + 1) % draining.length;
    if (!progress) break;
  }
  return { proposals, rejected, state: { rrCursor: cursor }, nextRunInMs: 200 };
}

/** Every outcome of one drain-scheduler tick, one per distinct tie-break (§2.5.3). */
export function drainSchedulerOutcomes(
  view: SchedulerView,
  state: DrainSchedulerState,
  admit: SchedulerAdmit = predictedAdmission(view),
): SchedulerTickResult<DrainSchedulerState>[] {
  return everyOutcome((choose) => drainRun(view, state, admit, choose), outcomeKey);
}

/** The default drain-scheduler tick for hosts: ties go to the smallest id (§2.5.3). */
export function drainSchedulerTick(
  view: SchedulerView,
  state: DrainSchedulerState,
  admit: SchedulerAdmit = predictedAdmission(view),
): SchedulerTickResult<DrainSchedulerState> {
  return drainRun(view, state, admit, firstChoice);
}

// ---------------------------------------------------------------------------------------------
// Balance scheduler (§2.4.1)

/** The balance scheduler's own state; times are the host's virtual clock in ms. */
export interface BalanceSchedulerState {
  /** `lastRebalanceTime`: the scheduler's creation, then the last tick that balanced. */
  readonly lastRebalanceAt: number;
  /** `forceBalance`: the last balance used the whole batch, so the next tick need not wait. */
  readonly forceBalance: boolean;
  /**
   * `drainBalanceBlockedUntil`: one balance interval after the last tick that saw a node draining;
   * null before any (Go's zero time).
   */
  readonly drainBlockedUntil: number | null;
}

/** A balance scheduler created at `now` (`NewBalanceScheduler` sets `lastRebalanceTime = now`). */
export function initialBalanceSchedulerState(now: number): BalanceSchedulerState {
  return { lastRebalanceAt: now, forceBalance: false, drainBlockedUntil: null };
}

/** The balance scheduler's clock and configuration for one tick. */
export interface BalanceTiming {
  /** The tick's time (virtual clock, ms). */
  readonly now: number;
  /** `checkBalanceInterval` in ms. */
  readonly intervalMs: number;
}

/**
 * `CheckBalanceStatus` (`pkg/scheduler/balance.go`): over the schedulable nodes only, how many
 * changefeeds the nodes below ⌊total/nodes⌋ lack. 0 when there is no schedulable node.
 */
export function balanceShortfall(sizes: ReadonlyMap<NodeId, number>, active: readonly NodeId[]): number {
  if (active.length === 0) return 0;
  const loads = active.map((n) => sizes.get(n) ?? 0);
  const lower = Math.floor(loads.reduce((a, b) => a + b, 0) / loads.length);
  return loads.reduce((sum, l) => sum + Math.max(0, lower - l), 0);
}

/**
 * One balance-scheduler tick (§2.4.1, `balanceScheduler.Execute` with `pkg/scheduler.Balance`):
 * - a node observed Draining or Stopping (not Unknown) → skip and block until now + interval
 *   (1 s when the interval is 0); each such tick extends the block;
 * - still blocked (now < drainBlockedUntil) → skip;
 * - not forced and less than one interval since the last rebalance → skip until that interval ends;
 * - any operator or any absent changefeed → skip (not stable);
 * - nothing short on the schedulable nodes (`CheckBalanceStatus`) → skip;
 * - else balance: nodes hosting Replicating changefeeds plus the schedulable nodes; the lower limit
 *   ⌊replicating/nodes⌋; repeatedly the least-loaded node below the limit takes one changefeed from
 *   the most-loaded node at or above it, until the minimum reaches the limit, `batch` moves, or the
 *   total shortfall is met. Origin = the changefeed's node. `forceBalance` := moves ≥ batch.
 *
 * Faithful on purpose: the move targets come from every node hosting a Replicating changefeed, not
 * only the schedulable ones, so a node that fails §2.5.2 (Unknown, pending a clear, unacknowledged
 * under a target gate) but hosts a changefeed can receive a balance move when it is below the limit.
 */
function balanceRun(
  view: SchedulerView,
  state: BalanceSchedulerState,
  timing: BalanceTiming,
  admit: SchedulerAdmit,
  choose: Choose,
): SchedulerTickResult<BalanceSchedulerState> {
  checkView(view);
  const { now, intervalMs } = timing;
  if (!Number.isFinite(now) || !Number.isFinite(intervalMs) || intervalMs < 0) {
    throw new SchedulerInputError(`balance timing must be finite with intervalMs ≥ 0, got ${now}, ${intervalMs}`);
  }
  const skip = (next: BalanceSchedulerState, nextRunInMs = intervalMs): SchedulerTickResult<BalanceSchedulerState> => ({
    proposals: [],
    rejected: [],
    state: next,
    nextRunInMs,
  });
  if (drainingOrStoppingNodes(view).length > 0) {
    const cooldown = intervalMs > 0 ? intervalMs : 1000;
    return skip({ ...state, drainBlockedUntil: now + cooldown });
  }
  if (state.drainBlockedUntil !== null && now < state.drainBlockedUntil) return skip(state);
  if (!state.forceBalance && now - state.lastRebalanceAt < intervalMs) {
    return skip(state, state.lastRebalanceAt + intervalMs - now);
  }
  if (view.operators.length > 0 || absentChangefeeds(view.db).length > 0) return skip(state);
  const active = schedulableDestinations(view);
  if (balanceShortfall(taskSizePerNode(view.db), active) <= 0) return skip(state);

  // pkg/scheduler.Balance
  const tasks = new Map<NodeId, string[]>();
  for (const [cf, e] of [...view.db].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (e.bucket === 'Replicating') tasks.set(e.nodeId, [...(tasks.get(e.nodeId) ?? []), cf]);
  }
  for (const n of active) if (!tasks.has(n)) tasks.set(n, []);
  let total = 0;
  for (const list of tasks.values()) total += list.length;
  const lower = Math.floor(total / tasks.size);
  const load = new Map([...tasks].map(([n, list]) => [n, list.length] as const));
  const targets: NodeId[] = [];
  const victims: NodeId[] = [];
  let totalMove = 0;
  for (const [n, list] of [...tasks].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (lower - list.length <= 0) victims.push(n);
    else {
      targets.push(n);
      totalMove += lower - list.length;
    }
  }
  const proposals: SchedulerProposal[] = [];
  const rejected: SchedulerProposal[] = [];
  const done = (): SchedulerTickResult<BalanceSchedulerState> => ({
    proposals,
    rejected,
    state: { ...state, forceBalance: proposals.length >= view.batchSize, lastRebalanceAt: now },
    nextRunInMs: intervalMs,
  });
  if (totalMove === 0) return done();
  const extreme = (nodes: readonly NodeId[], pick: (a: number, b: number) => number) => {
    const best = nodes.map((n) => load.get(n) as number).reduce((a, b) => pick(a, b));
    return nodes.filter((n) => load.get(n) === best);
  };
  for (;;) {
    const target = choose(extreme(targets, Math.min));
    if ((load.get(target) as number) >= lower) break;
    const victim = choose(extreme(victims, Math.max));
    const left = tasks.get(victim) as string[];
    if (left.length === 0) throw new Error('internal: balance victim without changefeeds');
    const cf = choose(left); // the victim's tasks were shuffled
    const p: SchedulerProposal = { kind: 'move', changefeed: cf, origin: victim, dest: target };
    if (!admit(p)) {
      // Go retries this very move (ties re-randomised) until one is accepted; see the header.
      rejected.push(p);
      break;
    }
    proposals.push(p);
    load.set(target, (load.get(target) as number) + 1);
    load.set(victim, (load.get(victim) as number) - 1);
    left.splice(left.indexOf(cf), 1);
    if (proposals.length >= view.batchSize || proposals.length >= totalMove) break;
  }
  return done();
}

/** Every outcome of one balance-scheduler tick, one per distinct tie-break (§2.4.1). */
export function balanceSchedulerOutcomes(
  view: SchedulerView,
  state: BalanceSchedulerState,
  timing: BalanceTiming,
  admit: SchedulerAdmit = predictedAdmission(view),
): SchedulerTickResult<BalanceSchedulerState>[] {
  return everyOutcome((choose) => balanceRun(view, state, timing, admit, choose), outcomeKey);
}

/** The default balance-scheduler tick for hosts: ties go to the smallest id (§2.4.1). */
export function balanceSchedulerTick(
  view: SchedulerView,
  state: BalanceSchedulerState,
  timing: BalanceTiming,
  admit: SchedulerAdmit = predictedAdmission(view),
): SchedulerTickResult<BalanceSchedulerState> {
  return balanceRun(view, state, timing, admit, firstChoice);
}
