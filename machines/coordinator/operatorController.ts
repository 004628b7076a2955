/**
 * The coordinator's operator controller (`coordinator/operator/operator_controller.go`), spec
 * §2.0, §2.3.1–§2.3.2 and §2.4: one operator slot per changefeed, the 500 ms poll, status routing,
 * node removal, the stop algorithm and the `epochBumping` reservation used by admission.
 *
 * Pure and immutable, like changefeedDb.ts which it owns: every function takes an
 * {@link OperatorControllerState} and returns `{ state, effects }`, never mutating its argument.
 * Each slot holds an operator machine's snapshot as `{ kind, value, context }` (the machines of
 * addMaintainer.ts, moveMaintainer.ts, stopChangefeed.ts); it is stepped with XState's pure
 * `transition` / `initialTransition` (with a reused scope, machines/pureStep.ts), no actors. The operators' `db.*` intents are applied to the
 * controller's own ChangefeedDB at once (in TiCDC the operators call the DB directly) and are also
 * returned for observation; messages and `store.*` intents are returned for the host to carry out
 * (services/coordinatorHost.ts does it). Bad input (an unknown changefeed or node, an occupied slot)
 * throws a typed error and changes nothing.
 *
 * Admission (§2.4) is not re-implemented: {@link OperatorControllerCell.admissionView} exposes the
 * `OperatorControllerView` of services/admission.ts over this value, so the admission machine and
 * its service run unchanged.
 *
 * Simplifications (README "Model limits"):
 * - Time: a slot's `notifyAtMs` is on the host's virtual clock; `poll(nowMs)` is the `Execute`
 *   round. A pushed operator is due at the time of the latest poll (`clockMs`), i.e. at the next
 *   poll, as the source's `NotifyAt = now`. Heap ties (equal `notifyAtMs`) are broken by changefeed
 *   ID; Go's heap order among equal times is unspecified. The 200 ms / 50 ms re-run delays of
 *   `Execute` are the host's timer, not modelled.
 * - `HasOperator` takes a changefeed ID, not a display name (IDs are unique here).
 * - The in-memory changefeed info is `{ epoch, checkpointTs }` only (config, state and error are
 *   the changefeed API's); the keyspace is not modelled.
 * - Operator epochs are fixed at push (the machines take them as input): the add's and the move's
 *   AddMaintainer carry the epoch the info holds when the operator is pushed, which is after the
 *   admission's `SetInfo` (§2.4); every later epoch change on a changefeed with an operator goes
 *   through a stop that replaces the operator first (§2.3.2, §2.4.3).
 * - Start vs checkAffectedNodes: a machine's entry actions are its `Start`. The controller delivers
 *   the `NODE_REMOVED` events of `checkAffectedNodes` first and emits their effects before Start's;
 *   a move that is already finished skips Start (§2.2 "Start: if not finished"), an add binds anyway
 *   (§2.1).
 * - Changefeed identity for the admission recheck (`GetByID(cf) !== cf`) lives in the
 *   {@link OperatorControllerCell} (a token per creation), not in the value, so that the value stays
 *   canonical; a checker models "replaced" with its own flag.
 * - A `db.*` intent for a changefeed no longer in the DB is skipped (TiCDC's DB calls on a
 *   dropped changefeed pointer have no effect on scheduling); it is still reported.
 * - Membership is held in the value (`aliveNodes`), changed by {@link addNode} / {@link onNodeRemoved};
 *   the source asks the node manager at push time.
 * - `StopChangefeed` on a changefeed missing from the DB is accepted (the source allows it: epoch
 *   0 or the given one, sent to the coordinator's node); every other call on an unknown changefeed
 *   or node is a typed error.
 *
 * Functions: createOperatorController, addNode, addChangefeed, setInfo, setCheckpoint,
 * moveToSchedulingQueue; newAddOperator, newMoveOperator, pushOperator; poll;
 * updateOperatorStatus, onNodeRemoved, onTaskRemoved; stopChangefeed,
 * stopChangefeedWithMaintainerEpoch, stopRemoteMaintainerWithMaintainerEpoch; queries hasOperator,
 * operatorCount, countOperatorsInvolvingNode, countMoveMaintainerOperatorsFromNodes,
 * moveOriginStopTarget, operatorOf, schedulerViewOf; reserveBumping, releaseBumping, isBumping;
 * canonicalController. machines/coordinator/index.ts exports them as the `operatorController`
 * namespace.
 */
import type { AnyStateMachine, AnyMachineSnapshot } from 'xstate';
import { emittedEvents, pureInitialTransition, pureTransition } from '../pureStep.js';
import { OpchartsError } from '../errors.js';
import { assertUint64, type Uint64 } from '../epoch.js';
import type { ChangefeedId, Effect, Intent, MaintainerState, NodeId, OperatorEvent } from '../protocol.js';
import { addMaintainerMachine, type AddMaintainerContext } from '../addMaintainer.js';
import { moveMaintainerMachine, originStopTarget, type MoveMaintainerContext } from '../moveMaintainer.js';
import { stopChangefeedMachine, type StopChangefeedContext } from '../stopChangefeed.js';
import type { AdmittedKind } from '../admission.js';
import type { OperatorControllerView } from '../../services/admission.js';
import {
  addAbsentChangefeed,
  bindChangefeedToNode,
  changefeedsBoundTo,
  emptyChangefeedDb,
  markMaintainerAbsent,
  markMaintainerReplicating,
  markMaintainerScheduling,
  moveToSchedulingQueue as dbMoveToSchedulingQueue,
  stopByChangefeedId,
  UnknownChangefeedError,
  type ChangefeedDb,
} from './changefeedDb.js';

// ---------------------------------------------------------------------------------------------
// Value
// ---------------------------------------------------------------------------------------------

/** §2.0: the source re-queues a scheduled operator 500 ms later. */
export const OPERATOR_RESEND_INTERVAL_MS = 500;

export type OperatorKind = 'add' | 'move' | 'stop';

/** An operator in its slot: the machine snapshot as state name + context, and its heap time. */
export type OperatorSlot =
  | { readonly kind: 'add'; readonly value: string; readonly context: AddMaintainerContext; readonly notifyAtMs: number }
  | { readonly kind: 'move'; readonly value: string; readonly context: MoveMaintainerContext; readonly notifyAtMs: number }
  | { readonly kind: 'stop'; readonly value: string; readonly context: StopChangefeedContext; readonly notifyAtMs: number };

/** The coordinator's in-memory `ChangeFeedInfo` / status, as far as the controller reads them. */
export interface ChangefeedMemInfo {
  /** `cf.info.Epoch` (uint64). */
  readonly epoch: Uint64;
  /** `cf.status.CheckpointTs`, carried by AddMaintainer (§2.1 Schedule). */
  readonly checkpointTs: Uint64;
}

export interface OperatorControllerState {
  /** The coordinator's own node: the stop fallback (§2.3.2 step 5, §2.3 NODE_REMOVED). */
  readonly selfNode: NodeId;
  /** Alive membership, read by `checkAffectedNodes` (§2.0). */
  readonly aliveNodes: ReadonlySet<NodeId>;
  readonly db: ChangefeedDb;
  readonly infos: ReadonlyMap<ChangefeedId, ChangefeedMemInfo>;
  /** At most one operator per changefeed (§2.0 `operators`). */
  readonly operators: ReadonlyMap<ChangefeedId, OperatorSlot>;
  /** §2.4: changefeeds whose admission bump is in flight. */
  readonly epochBumping: ReadonlySet<ChangefeedId>;
  /** §2.0: scheduled operators per `Execute` round. */
  readonly batchSize: number;
  /** The time of the latest poll (virtual ms): a pushed operator is due from then on. */
  readonly clockMs: number;
  /**
   * How the operator machines are stepped, when a host substitutes its own (see
   * {@link OperatorStepper}); absent: XState's `transition` on the faithful machines. Not part of
   * the value's identity ({@link canonicalController} leaves it out).
   */
  readonly stepper?: OperatorStepper;
}

/**
 * A host's way of stepping the operator machines (add, move, stop) in place of XState's
 * `initialTransition` / `transition`: the cluster model passes its world stepper here, so that a
 * checker's variant of addMaintainer or moveMaintainer (cluster/variants.ts, §5.1 B4, B7, B8) runs
 * inside the controller and the transitions are cached like every other machine's. The contract is
 * cluster/stepper.ts's `Stepper`: the same results as XState's pure functions on the machine it
 * steps. `machineFor` names the machine actually stepped for a faithful one (a replacement), so
 * that the controller resolves its slots' snapshots with it: XState looks named guards and actions
 * up on the snapshot's own machine.
 */
export interface OperatorStepper {
  start(machine: AnyStateMachine, input: unknown): { snapshot: AnyMachineSnapshot; effects: ReadonlyArray<{ type: string }> };
  step(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, event: OperatorEvent): { snapshot: AnyMachineSnapshot; effects: ReadonlyArray<{ type: string }> };
  machineFor?(machine: AnyStateMachine): AnyStateMachine;
  /** Named controller glue to use in place of the faithful functions (see {@link OperatorControllerGlue}). */
  glue?: Partial<OperatorControllerGlue>;
}

/**
 * The controller's glue between its machines that a host may replace by name: a checker's
 * historical-bug variant puts an old rule back here (cluster/variants.ts `glue.operatorController`),
 * the way a machine variant replaces a machine. Each entry documents the faithful function it stands
 * for; absent entries keep the faithful one.
 */
export interface OperatorControllerGlue {
  /**
   * §2.3.2 step 2 (`moveOriginStopTargetLocked`): the origin and `originEpoch` a stop without a
   * given epoch uses while the changefeed's move has not bound its target; faithful:
   * moveMaintainer.ts `originStopTarget` (§5.1 B5).
   */
  originStopTarget(slot: { value: unknown; context: MoveMaintainerContext }): { node: NodeId; maintainerEpoch: Uint64 } | undefined;
}

/** What every controller function returns: the new value and what was emitted, in order. */
export interface ControllerStep {
  readonly state: OperatorControllerState;
  readonly effects: readonly Effect[];
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

export class UnknownNodeError extends OpchartsError {
  constructor(readonly node: NodeId) {
    super('UNKNOWN_NODE', `node ${node} is not in alive membership`);
  }
}
export class NodeAlreadyAliveError extends OpchartsError {
  constructor(readonly node: NodeId) {
    super('NODE_ALREADY_ALIVE', `node ${node} is already in alive membership`);
  }
}
export class ChangefeedExistsError extends OpchartsError {
  constructor(readonly changefeedId: ChangefeedId) {
    super('CHANGEFEED_EXISTS', `changefeed ${changefeedId} is already in the changefeed DB`);
  }
}
/** §2.0: at most one operator per changefeed; admission's precheck normally prevents this. */
export class OperatorExistsError extends OpchartsError {
  constructor(readonly changefeedId: ChangefeedId) {
    super('OPERATOR_EXISTS', `changefeed ${changefeedId} already has an operator`);
  }
}
/** The changefeed has no operator (for calls that act on one). */
export class NoOperatorError extends OpchartsError {
  constructor(readonly changefeedId: ChangefeedId) {
    super('NO_OPERATOR', `changefeed ${changefeedId} has no operator`);
  }
}
export class InvalidControllerArgumentError extends OpchartsError {
  constructor(field: string, reason: string) {
    super('INVALID_ARGUMENT', `${field}: ${reason}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Construction and membership
// ---------------------------------------------------------------------------------------------

export function createOperatorController(options: {
  selfNode: NodeId;
  aliveNodes: Iterable<NodeId>;
  batchSize?: number;
  /** Steps the operator machines (a host's caching stepper, a checker's variants); default XState's `transition`. */
  stepper?: OperatorStepper;
}): OperatorControllerState {
  const batchSize = options.batchSize ?? 10_000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new InvalidControllerArgumentError('batchSize', 'expected a positive integer');
  if (!options.selfNode) throw new InvalidControllerArgumentError('selfNode', 'expected a non-empty node ID');
  return {
    selfNode: options.selfNode,
    aliveNodes: new Set([...options.aliveNodes].sort()),
    db: emptyChangefeedDb,
    infos: new Map(),
    operators: new Map(),
    epochBumping: new Set(),
    batchSize,
    clockMs: 0,
    ...(options.stepper ? { stepper: options.stepper } : {}),
  };
}

/** A node joined membership. */
export function addNode(state: OperatorControllerState, node: NodeId): ControllerStep {
  if (!node) throw new InvalidControllerArgumentError('node', 'expected a non-empty node ID');
  if (state.aliveNodes.has(node)) throw new NodeAlreadyAliveError(node);
  return { state: { ...state, aliveNodes: new Set([...state.aliveNodes, node].sort()) }, effects: [] };
}

/** A changefeed enters the DB as Absent with its in-memory info (create, or bootstrap's Absent). */
export function addChangefeed(state: OperatorControllerState, changefeedId: ChangefeedId, info: ChangefeedMemInfo): ControllerStep {
  if (!changefeedId) throw new InvalidControllerArgumentError('changefeedId', 'expected a non-empty ID');
  if (state.db.has(changefeedId)) throw new ChangefeedExistsError(changefeedId);
  const checked = { epoch: assertUint64(info.epoch, 'epoch'), checkpointTs: assertUint64(info.checkpointTs, 'checkpointTs') };
  return {
    state: { ...state, db: addAbsentChangefeed(state.db, changefeedId), infos: withEntry(state.infos, changefeedId, checked) },
    effects: [],
  };
}

/** `cf.SetInfo(info)`: the in-memory epoch after a bump (§2.4 accept, §2.4.3). */
export function setInfo(state: OperatorControllerState, changefeedId: ChangefeedId, epoch: Uint64): ControllerStep {
  const info = requireInfo(state, changefeedId);
  return { state: { ...state, infos: withEntry(state.infos, changefeedId, { ...info, epoch: assertUint64(epoch, 'epoch') }) }, effects: [] };
}

/**
 * The in-memory checkpoint (`cf.UpdateStatus`, §2.4.4 step 5): monotonic — a regression is a typed
 * error here; the heartbeat path decides with `nextCheckpoint` (heartbeat.ts) before calling this.
 */
export function setCheckpoint(state: OperatorControllerState, changefeedId: ChangefeedId, checkpointTs: Uint64): ControllerStep {
  const info = requireInfo(state, changefeedId);
  assertUint64(checkpointTs, 'checkpointTs');
  if (checkpointTs < info.checkpointTs) {
    throw new InvalidControllerArgumentError('checkpointTs', `${checkpointTs} is below the current checkpoint ${info.checkpointTs}`);
  }
  if (checkpointTs === info.checkpointTs) return { state, effects: [] };
  return { state: { ...state, infos: withEntry(state.infos, changefeedId, { ...info, checkpointTs }) }, effects: [] };
}

/** §2.0 `MoveToSchedulingQueue` (resume, warning restart): out of Stopped, Absent. */
export function moveToSchedulingQueue(state: OperatorControllerState, changefeedId: ChangefeedId, overwriteCheckpoint: boolean): ControllerStep {
  return { state: { ...state, db: dbMoveToSchedulingQueue(state.db, changefeedId, overwriteCheckpoint) }, effects: [] };
}

// ---------------------------------------------------------------------------------------------
// Operator machines, stepped purely
// ---------------------------------------------------------------------------------------------

const MACHINES: Record<OperatorKind, AnyStateMachine> = {
  add: addMaintainerMachine,
  move: moveMaintainerMachine,
  stop: stopChangefeedMachine,
};

/** `IsFinished()` per operator (§2.1–§2.3): the states that wait for PostFinish. */
const FINISHED: Record<OperatorKind, ReadonlySet<string>> = {
  add: new Set(['Succeeded', 'CanceledNodeRemoved', 'CanceledTaskRemoved']),
  move: new Set(['DoneSuccess', 'DoneNoPostFinish']),
  stop: new Set(['Finished']),
};

export function isOperatorFinished(slot: OperatorSlot): boolean {
  return FINISHED[slot.kind].has(slot.value);
}

/** `AffectedNodes()`: add [dest], move [origin, target], stop [nodeID] (§2.0, §2.2). */
export function affectedNodes(slot: OperatorSlot): NodeId[] {
  switch (slot.kind) {
    case 'add':
      return [slot.context.dest];
    case 'move':
      return [slot.context.origin, slot.context.target];
    case 'stop':
      return [slot.context.nodeId];
  }
}

function slotFrom(kind: OperatorKind, snapshot: AnyMachineSnapshot, notifyAtMs: number): OperatorSlot {
  return { kind, value: snapshot.value as string, context: snapshot.context, notifyAtMs } as OperatorSlot;
}

/** Steps an operator machine with the controller's stepper, or XState's pure `transition`. */
function stepSlot(state: OperatorControllerState, slot: OperatorSlot, event: OperatorEvent): { slot: OperatorSlot; effects: Effect[] } {
  const faithful = MACHINES[slot.kind];
  const stepper = state.stepper;
  const machine = stepper?.machineFor?.(faithful) ?? faithful;
  const snapshot = machine.resolveState({ value: slot.value, context: slot.context });
  if (stepper) {
    const r = stepper.step(faithful, snapshot, event);
    return { slot: slotFrom(slot.kind, r.snapshot, slot.notifyAtMs), effects: [...r.effects] as Effect[] };
  }
  const [next, actions] = pureTransition(machine, snapshot, event);
  return { slot: slotFrom(slot.kind, next, slot.notifyAtMs), effects: emittedEvents<Effect>(actions) };
}

/** An operator machine's initial snapshot and its Start effects (entry actions). */
function startSlot(state: OperatorControllerState, kind: OperatorKind, input: unknown): { snapshot: AnyMachineSnapshot; effects: Effect[] } {
  const faithful = MACHINES[kind];
  if (state.stepper) {
    const r = state.stepper.start(faithful, input);
    return { snapshot: r.snapshot, effects: [...r.effects] as Effect[] };
  }
  const [snapshot, actions] = pureInitialTransition(faithful, input);
  return { snapshot, effects: emittedEvents<Effect>(actions) };
}

/** The operator to push: what its constructor captured (§2.2: a move's origin and originEpoch). */
export type OperatorSpec =
  | { readonly kind: 'add'; readonly changefeedId: ChangefeedId; readonly dest: NodeId }
  | {
      readonly kind: 'move';
      readonly changefeedId: ChangefeedId;
      readonly origin: NodeId;
      readonly dest: NodeId;
      /** `cf.info.Epoch` at construction, before the admission bump (§2.2, §5.1 B4). */
      readonly originEpoch: Uint64;
    }
  | {
      readonly kind: 'stop';
      readonly changefeedId: ChangefeedId;
      readonly nodeId: NodeId;
      readonly removed: boolean;
      readonly maintainerEpoch: Uint64;
    };

/** `NewAddMaintainerOperator(cf, dest)`. */
export function newAddOperator(state: OperatorControllerState, changefeedId: ChangefeedId, dest: NodeId): OperatorSpec {
  requireEntry(state, changefeedId);
  if (!dest) throw new InvalidControllerArgumentError('dest', 'expected a non-empty node ID');
  return { kind: 'add', changefeedId, dest };
}

/**
 * `NewMoveMaintainerOperator(cf, origin, dest)`: origin defaults to the changefeed's bound node
 * (`cf.GetNodeID()`, what the balance and drain schedulers pass), and `originEpoch` = its in-memory
 * epoch **now**, before admission bumps it (§2.2, §5.1 B4).
 */
export function newMoveOperator(state: OperatorControllerState, changefeedId: ChangefeedId, dest: NodeId, origin?: NodeId): OperatorSpec {
  const entry = requireEntry(state, changefeedId);
  const from = origin ?? entry.nodeId;
  if (!from) throw new InvalidControllerArgumentError('changefeedId', `changefeed ${changefeedId} is not bound to a node, nothing to move`);
  if (!dest) throw new InvalidControllerArgumentError('dest', 'expected a non-empty node ID');
  return { kind: 'move', changefeedId, origin: from, dest, originEpoch: requireInfo(state, changefeedId).epoch };
}

function inputOf(state: OperatorControllerState, spec: OperatorSpec): unknown {
  switch (spec.kind) {
    case 'add': {
      const info = requireInfo(state, spec.changefeedId);
      const entry = requireEntry(state, spec.changefeedId);
      return { changefeedId: spec.changefeedId, dest: spec.dest, maintainerEpoch: info.epoch, checkpointTs: info.checkpointTs, isNew: entry.isNew };
    }
    case 'move': {
      const info = requireInfo(state, spec.changefeedId);
      return {
        changefeedId: spec.changefeedId,
        origin: spec.origin,
        dest: spec.dest,
        originEpoch: spec.originEpoch,
        maintainerEpoch: info.epoch,
        checkpointTs: info.checkpointTs,
      };
    }
    case 'stop':
      return {
        changefeedId: spec.changefeedId,
        nodeId: spec.nodeId,
        coordinatorNode: state.selfNode,
        maintainerEpoch: spec.maintainerEpoch,
        removed: spec.removed,
      };
  }
}

// ---------------------------------------------------------------------------------------------
// §2.0 pushOperator
// ---------------------------------------------------------------------------------------------

/**
 * §2.0 `pushOperator(op)`: (1) `checkAffectedNodes` — `OnNodeRemove(n)` for every affected node not
 * in alive membership, **before** Start; (2) insert; (3) Start (the machine's entry actions; a
 * finished move skips it); (4) due at the next poll. The slot must be free (admission's precheck
 * and the stop path's replace guarantee it); an add or move needs the changefeed in the DB.
 * Admission and the epoch bump are not here: see {@link OperatorControllerCell.admissionView}.
 */
export function pushOperator(state: OperatorControllerState, spec: OperatorSpec): ControllerStep {
  if (state.operators.has(spec.changefeedId)) throw new OperatorExistsError(spec.changefeedId);
  const started = startSlot(state, spec.kind, inputOf(state, spec));
  let slot = slotFrom(spec.kind, started.snapshot, state.clockMs);
  const effects: Effect[] = [];
  for (const n of affectedNodes(slot)) {
    if (!state.aliveNodes.has(n)) {
      const r = stepSlot(state, slot, { type: 'NODE_REMOVED', node: n });
      slot = r.slot;
      effects.push(...r.effects);
    }
  }
  const skipStart = spec.kind === 'move' && isOperatorFinished(slot);
  if (!skipStart) effects.push(...started.effects);
  return applyEffects({ ...state, operators: withEntry(state.operators, spec.changefeedId, slot) }, effects);
}

// ---------------------------------------------------------------------------------------------
// §2.0 Execute (poll)
// ---------------------------------------------------------------------------------------------

/**
 * One `Execute()` round at virtual time `nowMs` (§2.0): operators in heap order (`notifyAtMs`,
 * then changefeed ID). A finished operator gets `PostFinish` and leaves its slot, whatever its
 * time; the first one not yet due ends the round; a due one is re-queued at `nowMs + 500` and its
 * `Schedule` (re)sends its command. At most `batchSize` operators are scheduled per round.
 */
export function poll(state: OperatorControllerState, nowMs: number): ControllerStep {
  if (!Number.isFinite(nowMs) || nowMs < state.clockMs) {
    throw new InvalidControllerArgumentError('nowMs', `expected a time at or after the last poll (${state.clockMs})`);
  }
  const queue = [...state.operators].sort(([a, x], [b, y]) => x.notifyAtMs - y.notifyAtMs || (a < b ? -1 : a > b ? 1 : 0));
  let current: OperatorControllerState = { ...state, clockMs: nowMs };
  const effects: Effect[] = [];
  let scheduled = 0;
  for (const [cf, slot] of queue) {
    if (isOperatorFinished(slot)) {
      const r = stepSlot(current, slot, { type: 'POST_FINISH' });
      current = withoutOperator(current, cf);
      const applied = applyEffects(current, r.effects);
      current = applied.state;
      effects.push(...applied.effects);
      continue;
    }
    if (nowMs < slot.notifyAtMs) break;
    const r = stepSlot(current, { ...slot, notifyAtMs: nowMs + OPERATOR_RESEND_INTERVAL_MS } as OperatorSlot, { type: 'SCHEDULE' });
    current = { ...current, operators: withEntry(current.operators, cf, r.slot) };
    const applied = applyEffects(current, r.effects);
    current = applied.state;
    effects.push(...applied.effects);
    if (++scheduled >= current.batchSize) break;
  }
  return { state: current, effects };
}

// ---------------------------------------------------------------------------------------------
// Status, node removal, task removal
// ---------------------------------------------------------------------------------------------

export interface MaintainerStatusReport {
  readonly state: MaintainerState;
  readonly bootstrapDone: boolean;
  readonly maintainerEpoch: Uint64;
}

/**
 * §2.0 `UpdateOperatorStatus(cf, from, status)`: the changefeed's operator, if any, sees the status
 * (`Check`). The coordinator calls this for every status of an admitted heartbeat **before** its
 * own filtering (§2.4.4 step 1), so stale statuses reach the operators; their guards filter. A
 * status for a changefeed without an operator (or unknown to the DB) is a no-op, not an error:
 * §2.4.4 step 2 handles unknown changefeeds after this call.
 */
export function updateOperatorStatus(
  state: OperatorControllerState,
  changefeedId: ChangefeedId,
  from: NodeId,
  status: MaintainerStatusReport,
): ControllerStep {
  const slot = state.operators.get(changefeedId);
  if (!slot) return { state, effects: [] };
  const r = stepSlot(state, slot, { type: 'STATUS', from, state: status.state, bootstrapDone: status.bootstrapDone, maintainerEpoch: assertUint64(status.maintainerEpoch, 'maintainerEpoch') });
  return applyEffects({ ...state, operators: withEntry(state.operators, changefeedId, r.slot) }, r.effects);
}

/**
 * §2.0 `OnNodeRemoved(n)`: node `n` leaves membership; every changefeed bound to it **without** an
 * operator is marked Absent, then **every** operator gets `OnNodeRemove(n)`. Unknown node → error.
 */
export function onNodeRemoved(state: OperatorControllerState, node: NodeId): ControllerStep {
  if (!state.aliveNodes.has(node)) throw new UnknownNodeError(node);
  const alive = new Set(state.aliveNodes);
  alive.delete(node);
  let current: OperatorControllerState = { ...state, aliveNodes: alive };
  const effects: Effect[] = [];
  for (const cf of changefeedsBoundTo(state.db, node)) {
    if (!state.operators.has(cf)) {
      const applied = applyEffects(current, [{ type: 'db.markMaintainerAbsent', changefeedId: cf }]);
      current = applied.state;
      effects.push(...applied.effects);
    }
  }
  for (const cf of [...state.operators.keys()].sort()) {
    const r = stepSlot(current, current.operators.get(cf)!, { type: 'NODE_REMOVED', node });
    current = { ...current, operators: withEntry(current.operators, cf, r.slot) };
    const applied = applyEffects(current, r.effects);
    current = applied.state;
    effects.push(...applied.effects);
  }
  return { state: current, effects };
}

/**
 * `op.OnTaskRemoved()` on the changefeed's operator (§2.0): it finishes and leaves at the next poll
 * with its PostFinish. The stop path (§2.3.2 step 6) uses it, followed at once by PostFinish.
 * No operator for the changefeed → {@link NoOperatorError}.
 */
export function onTaskRemoved(state: OperatorControllerState, changefeedId: ChangefeedId): ControllerStep {
  const slot = state.operators.get(changefeedId);
  if (!slot) throw new NoOperatorError(changefeedId);
  const r = stepSlot(state, slot, { type: 'TASK_REMOVED' });
  return applyEffects({ ...state, operators: withEntry(state.operators, changefeedId, r.slot) }, r.effects);
}

// ---------------------------------------------------------------------------------------------
// §2.3.1–§2.3.2 stop entry points
// ---------------------------------------------------------------------------------------------

/** §2.3.1 `StopChangefeed(cf, removed)`: the epoch is the in-memory one (or the move origin's). */
export function stopChangefeed(state: OperatorControllerState, changefeedId: ChangefeedId, removed: boolean): ControllerStep {
  return stopChangefeedImpl(state, changefeedId, removed, undefined);
}

/** §2.3.1 `StopChangefeedWithMaintainerEpoch(cf, removed, epoch)`: the Warning path's pre-bump epoch. */
export function stopChangefeedWithMaintainerEpoch(
  state: OperatorControllerState,
  changefeedId: ChangefeedId,
  removed: boolean,
  maintainerEpoch: Uint64,
): ControllerStep {
  return stopChangefeedImpl(state, changefeedId, removed, assertUint64(maintainerEpoch, 'maintainerEpoch'));
}

/**
 * §2.3.1 `StopRemoteMaintainerWithMaintainerEpoch(cf, node, removed, epoch)`: a stop for (node,
 * epoch) that leaves the DB placement alone (bootstrap's stale owners, §2.4.2 step 6); it goes
 * through the same replace-or-keep push.
 */
export function stopRemoteMaintainerWithMaintainerEpoch(
  state: OperatorControllerState,
  changefeedId: ChangefeedId,
  node: NodeId,
  removed: boolean,
  maintainerEpoch: Uint64,
): ControllerStep {
  if (!changefeedId) throw new InvalidControllerArgumentError('changefeedId', 'expected a non-empty ID');
  if (!node) throw new InvalidControllerArgumentError('node', 'expected a non-empty node ID');
  return pushStopOperator(state, { kind: 'stop', changefeedId, nodeId: node, removed, maintainerEpoch: assertUint64(maintainerEpoch, 'maintainerEpoch') });
}

/**
 * §2.3.2 `stopChangefeed`. (1) epoch := the in-memory epoch unless given; a changefeed missing from
 * the DB keeps the given epoch (0 for a plain stop) — the source allows it, so no error here.
 * (2) without a given epoch, a move in RemoveOrigin/OriginStopped supplies `originStopTarget`.
 * (3) `StopByChangefeedID` always runs. (4) the move origin and its epoch win (§5.1 B5). (5) unbound
 * → the coordinator's own node. (6) replace-or-keep push.
 */
function stopChangefeedImpl(
  state: OperatorControllerState,
  changefeedId: ChangefeedId,
  removed: boolean,
  givenEpoch: Uint64 | undefined,
): ControllerStep {
  if (!changefeedId) throw new InvalidControllerArgumentError('changefeedId', 'expected a non-empty ID');
  let epoch = givenEpoch ?? 0n;
  const info = state.infos.get(changefeedId);
  if (state.db.has(changefeedId) && givenEpoch === undefined && info) epoch = info.epoch;

  let origin: { node: NodeId; maintainerEpoch: Uint64 } | undefined;
  const current = state.operators.get(changefeedId);
  if (givenEpoch === undefined && current?.kind === 'move') origin = (state.stepper?.glue?.originStopTarget ?? originStopTarget)(current);

  let next = state;
  let scheduledNode = '';
  if (state.db.has(changefeedId)) {
    const stopped = stopByChangefeedId(state.db, changefeedId, removed);
    scheduledNode = stopped.previousNodeId;
    next = { ...state, db: stopped.db, infos: removed ? withoutEntry(state.infos, changefeedId) : state.infos };
  }
  if (origin) {
    scheduledNode = origin.node;
    epoch = origin.maintainerEpoch;
  }
  if (scheduledNode === '') scheduledNode = state.selfNode;
  return pushStopOperator(next, { kind: 'stop', changefeedId, nodeId: scheduledNode, removed, maintainerEpoch: epoch });
}

/**
 * §2.3.2 step 6 `pushStopChangefeedOperator`: an existing stop with `removed` is **kept** (the new
 * one is dropped); any other existing operator gets `OnTaskRemoved` and `PostFinish` and leaves;
 * then the new stop is pushed. Stops never consult `epochBumping` (§2.4: a stop wins during a bump).
 */
function pushStopOperator(state: OperatorControllerState, spec: Extract<OperatorSpec, { kind: 'stop' }>): ControllerStep {
  const old = state.operators.get(spec.changefeedId);
  if (old?.kind === 'stop' && old.context.removed) return { state, effects: [] };
  let current = state;
  const effects: Effect[] = [];
  if (old) {
    const removedTask = stepSlot(current, old, { type: 'TASK_REMOVED' });
    const finished = stepSlot(current, removedTask.slot, { type: 'POST_FINISH' });
    const applied = applyEffects(withoutOperator(current, spec.changefeedId), [...removedTask.effects, ...finished.effects]);
    current = applied.state;
    effects.push(...applied.effects);
  }
  const pushed = pushOperator(current, spec);
  return { state: pushed.state, effects: [...effects, ...pushed.effects] };
}

// ---------------------------------------------------------------------------------------------
// §2.0 queries
// ---------------------------------------------------------------------------------------------

/** `HasOperator(cf)`. */
export function hasOperator(state: OperatorControllerState, changefeedId: ChangefeedId): boolean {
  return state.operators.has(changefeedId);
}

/** `OperatorSize()` (the basic scheduler's budget, §2.4.1). */
export function operatorCount(state: OperatorControllerState): number {
  return state.operators.size;
}

/** `CountOperatorsInvolvingNode(n)`: operators whose AffectedNodes contain n. */
export function countOperatorsInvolvingNode(state: OperatorControllerState, node: NodeId): number {
  return [...state.operators.values()].filter((slot) => affectedNodes(slot).includes(node)).length;
}

/** `CountMoveMaintainerOperatorsFromNodes(S)`: move operators whose origin is in S. */
export function countMoveMaintainerOperatorsFromNodes(state: OperatorControllerState, origins: Iterable<NodeId>): number {
  const set = new Set(origins);
  return [...state.operators.values()].filter((slot) => slot.kind === 'move' && set.has(slot.context.origin)).length;
}

/**
 * §2.3.2 step 2 `moveOriginStopTargetLocked(cf)`: the running move's origin and `originEpoch` while
 * it is in RemoveOrigin or OriginStopped, else undefined (no operator, not a move, or bound).
 */
export function moveOriginStopTarget(state: OperatorControllerState, changefeedId: ChangefeedId): { node: NodeId; epoch: Uint64 } | undefined {
  const slot = state.operators.get(changefeedId);
  if (slot?.kind !== 'move') return undefined;
  const t = (state.stepper?.glue?.originStopTarget ?? originStopTarget)(slot);
  return t && { node: t.node, epoch: t.maintainerEpoch };
}

/**
 * The controller's part of the schedulers' read-only view (machines/coordinator/schedulers.ts
 * `SchedulerView`: db, operators, epochBumping, aliveNodes, batchSize), sorted; the host adds the
 * liveness views, the gate and the session flag.
 */
export function schedulerViewOf(state: OperatorControllerState): {
  db: ChangefeedDb;
  operators: Array<{ changefeed: ChangefeedId; kind: OperatorKind; origin?: NodeId }>;
  epochBumping: ChangefeedId[];
  aliveNodes: NodeId[];
  batchSize: number;
} {
  return {
    db: state.db,
    operators: [...state.operators]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([changefeed, slot]) => (slot.kind === 'move' ? { changefeed, kind: slot.kind, origin: slot.context.origin } : { changefeed, kind: slot.kind })),
    epochBumping: [...state.epochBumping].sort(),
    aliveNodes: [...state.aliveNodes].sort(),
    batchSize: state.batchSize,
  };
}

/** The kind and machine state of a changefeed's operator, for hosts and tests. */
export function operatorOf(state: OperatorControllerState, changefeedId: ChangefeedId): OperatorSlot | undefined {
  return state.operators.get(changefeedId);
}

// ---------------------------------------------------------------------------------------------
// Admission hooks (§2.4): the OperatorControllerView of services/admission.ts over the value
// ---------------------------------------------------------------------------------------------

/** `epochBumping += cf` (§2.4 Precheck → Bumping). */
export function reserveBumping(state: OperatorControllerState, changefeedId: ChangefeedId): ControllerStep {
  return { state: { ...state, epochBumping: new Set([...state.epochBumping, changefeedId].sort()) }, effects: [] };
}

/** `epochBumping -= cf` (§2.4, with the recheck's outcome or the bump's failure). */
export function releaseBumping(state: OperatorControllerState, changefeedId: ChangefeedId): ControllerStep {
  const next = new Set(state.epochBumping);
  next.delete(changefeedId);
  return { state: { ...state, epochBumping: next }, effects: [] };
}

export function isBumping(state: OperatorControllerState, changefeedId: ChangefeedId): boolean {
  return state.epochBumping.has(changefeedId);
}

/**
 * A mutable holder of the immutable controller value, for a host that runs under its own lock:
 * it accumulates the effects of every step until {@link drain}, and keeps the changefeed identity
 * tokens that the admission recheck compares (`GetByID(cf) !== cf`, §2.4).
 */
export class OperatorControllerCell {
  private pending: Effect[] = [];
  private readonly tokens = new Map<ChangefeedId, object>();
  constructor(public state: OperatorControllerState) {}

  /** Runs one controller function on the current value and keeps its effects. */
  apply(step: (state: OperatorControllerState) => ControllerStep): readonly Effect[] {
    const r = step(this.state);
    this.state = r.state;
    this.pending.push(...r.effects);
    for (const cf of this.tokens.keys()) if (!this.state.db.has(cf)) this.tokens.delete(cf);
    return r.effects;
  }

  /** Registers a (re)created changefeed: it gets a fresh identity, so an admission begun on the old one fails its recheck. */
  addChangefeed(changefeedId: ChangefeedId, info: ChangefeedMemInfo): void {
    this.apply((s) => addChangefeed(s, changefeedId, info));
    this.tokens.set(changefeedId, { changefeedId });
  }

  /** The effects emitted since the last call, in order. */
  drain(): Effect[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** The changefeed's identity token, or undefined when it is not in the DB. */
  lookup(changefeedId: ChangefeedId): object | undefined {
    if (!this.state.db.has(changefeedId)) return undefined;
    let token = this.tokens.get(changefeedId);
    if (!token) {
      token = { changefeedId };
      this.tokens.set(changefeedId, token);
    }
    return token;
  }

  /**
   * The `OperatorControllerView` for admitting `spec` (services/admission.ts `admitOperator`):
   * PRECHECK/RECHECK read this value; `setInfo` and `pushOperator` apply to it, so the pushed
   * operator reads the post-bump epoch (§2.4, I4) while a move keeps its constructor's originEpoch.
   */
  admissionView(spec: OperatorSpec): OperatorControllerView {
    return {
      hasOperator: (cf) => hasOperator(this.state, cf),
      isBumping: (cf) => isBumping(this.state, cf),
      lookup: (cf) => this.lookup(cf),
      reserveBumping: (cf) => void this.apply((s) => reserveBumping(s, cf)),
      releaseBumping: (cf) => void this.apply((s) => releaseBumping(s, cf)),
      setInfo: (cf, epoch) => void this.apply((s) => setInfo(s, cf, epoch)),
      pushOperator: (cf, kind: AdmittedKind) => {
        if (cf !== spec.changefeedId || kind !== spec.kind) {
          throw new InvalidControllerArgumentError('pushOperator', `admission pushed ${kind} for ${cf}, expected ${spec.kind} for ${spec.changefeedId}`);
        }
        this.apply((s) => pushOperator(s, spec));
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Canonical form (for hashing and printing)
// ---------------------------------------------------------------------------------------------

/**
 * A plain, key-sorted, JSON-safe rendering of the value (uint64 as decimal strings), for hashing and
 * printing. Time is relative: each operator's `dueInMs` is `notifyAtMs − clockMs` (≤ 0: due at the
 * next poll) and the absolute clock is left out, so two values that differ only by a shift of time
 * render the same — exact, because `poll` depends only on these differences and its own `nowMs`.
 */
export function canonicalController(state: OperatorControllerState): unknown {
  const big = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString(10) : v);
  const sortedEntries = <V>(m: ReadonlyMap<string, V>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.parse(
    JSON.stringify(
      {
        selfNode: state.selfNode,
        aliveNodes: [...state.aliveNodes].sort(),
        db: sortedEntries(state.db),
        infos: sortedEntries(state.infos),
        operators: sortedEntries(state.operators).map(([cf, { notifyAtMs, ...slot }]) => [cf, { ...slot, dueInMs: notifyAtMs - state.clockMs }]),
        epochBumping: [...state.epochBumping].sort(),
        batchSize: state.batchSize,
      },
      big,
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function withEntry<K, V>(m: ReadonlyMap<K, V>, k: K, v: V): ReadonlyMap<K, V> {
  const next = new Map(m);
  next.set(k, v);
  return next;
}
function withoutEntry<K, V>(m: ReadonlyMap<K, V>, k: K): ReadonlyMap<K, V> {
  const next = new Map(m);
  next.delete(k);
  return next;
}
function withoutOperator(state: OperatorControllerState, cf: ChangefeedId): OperatorControllerState {
  return { ...state, operators: withoutEntry(state.operators, cf) };
}
function requireEntry(state: OperatorControllerState, cf: ChangefeedId) {
  const e = state.db.get(cf);
  if (!e) throw new UnknownChangefeedError(cf);
  return e;
}
function requireInfo(state: OperatorControllerState, cf: ChangefeedId): ChangefeedMemInfo {
  const i = state.infos.get(cf);
  if (!i) throw new UnknownChangefeedError(cf);
  return i;
}

function isDbIntent(e: Effect): e is Extract<Intent, { type: `db.${string}` }> {
  return e.type.startsWith('db.');
}

/** Applies the operators' `db.*` intents to the controller's DB (§2.0 table); returns all effects. */
function applyEffects(state: OperatorControllerState, effects: readonly Effect[]): ControllerStep {
  let db = state.db;
  for (const e of effects) {
    if (!isDbIntent(e) || !db.has(e.changefeedId)) continue;
    switch (e.type) {
      case 'db.bindChangefeedToNode':
        db = bindChangefeedToNode(db, e.changefeedId, e.to);
        break;
      case 'db.markMaintainerScheduling':
        db = markMaintainerScheduling(db, e.changefeedId);
        break;
      case 'db.markMaintainerReplicating':
        db = markMaintainerReplicating(db, e.changefeedId);
        if (e.clearIsNew) db = withEntry(db, e.changefeedId, { ...db.get(e.changefeedId)!, isNew: false });
        break;
      case 'db.markMaintainerAbsent':
        db = markMaintainerAbsent(db, e.changefeedId);
        break;
    }
  }
  return { state: db === state.db ? state : { ...state, db }, effects: [...effects] };
}
