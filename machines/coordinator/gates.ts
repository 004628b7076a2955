/**
 * Scheduler gates and destination eligibility (`coordinator/drain/controller.go`), spec §2.5.1
 * ("Scheduling gates held by the drain controller") and §2.5.2 (`IsSchedulableDest`).
 *
 * Pure values and functions: the drain session ({@link ../coordinator/drainSession.ts}) holds the
 * current gate in its context and changes it only through these functions, and a scheduler asks
 * {@link isSchedulableDest} with the host's liveness view of the candidate.
 *
 * - A **target gate** `{target, epoch, ackedNodes}` is installed when a session is created and
 *   replaces any clear gate. A node is acknowledged by a node heartbeat that reports exactly
 *   (target, epoch) at the node epoch the view holds; the ack is keyed by that node epoch, so an
 *   ack from before a restart never counts (§5.1 B22), and a new node epoch deletes it.
 * - A **clear gate** `{target, epoch, pendingNodes}` is installed when a session is cleared. It
 *   replaces a target gate only when that gate is for the same (target, epoch) (a stale clear
 *   cannot override a newer active gate); among clear gates a lower epoch cannot replace a higher
 *   one, and at an equal epoch the pending sets merge only when the targets are equal.
 * - **Scheduling freeze**: no active session and some node observed Draining or Stopping and not
 *   stale (Unknown). After a coordinator failover in the middle of a drain every destination is
 *   frozen until a new session exists.
 *
 * Simplification: the source caches `schedulingFrozen` and recomputes it on heartbeats, liveness
 * responses, RemoveNode, DrainNode and the 500 ms tick; {@link isSchedulingFrozen} computes it at
 * the moment of the question, so a draining node that turns Unknown unfreezes at once instead of at
 * the next recompute (at most one tick earlier).
 */
import type { Uint64 } from '../epoch.js';
import type { NodeId } from '../protocol.js';
import type { ViewState } from '../livenessView.js';

export interface TargetGate {
  kind: 'target';
  target: NodeId;
  epoch: Uint64;
  /** node → the node epoch at which it acknowledged (target, epoch). Plain data, so states hash. */
  ackedNodes: Readonly<Record<NodeId, Uint64>>;
}

export interface ClearGate {
  kind: 'clear';
  target: NodeId;
  epoch: Uint64;
  /** Sorted, without duplicates. */
  pendingNodes: readonly NodeId[];
}

export type SchedulerGate = TargetGate | ClearGate | null;

/** What the coordinator's view knows about a candidate destination (`GetState`, the record's epoch). */
export interface DestView {
  state: ViewState;
  observed: boolean;
  /** The record's node epoch; meaningless when not observed. */
  nodeEpoch: Uint64;
}

/** A session was created: the target gate replaces whatever gate there was. */
export function startTargetGate(target: NodeId, epoch: Uint64): TargetGate {
  return { kind: 'target', target, epoch, ackedNodes: {} };
}

/**
 * A session was cleared: switch to a clear gate, unless the current gate is a target gate for a
 * different (target, epoch) (§6.5 StaleClearDoesNotOverrideNewActiveGate) or a clear gate that the
 * new one may not replace. Returns the gate to keep.
 */
export function switchToClearGate(
  gate: SchedulerGate,
  target: NodeId,
  epoch: Uint64,
  pendingNodes: Iterable<NodeId>,
): SchedulerGate {
  const pending = sorted(pendingNodes);
  if (gate?.kind === 'target') {
    if (gate.target !== target || gate.epoch !== epoch) return gate;
    return { kind: 'clear', target, epoch, pendingNodes: pending };
  }
  if (gate?.kind === 'clear') {
    if (epoch < gate.epoch) return gate;
    if (epoch === gate.epoch) {
      if (target !== gate.target) return gate;
      return { ...gate, pendingNodes: sorted([...gate.pendingNodes, ...pending]) };
    }
  }
  return { kind: 'clear', target, epoch, pendingNodes: pending };
}

/**
 * A node heartbeat reported `reported` (its drain target snapshot) at `heartbeatNodeEpoch`; the
 * view, after observing it, holds `view`. Records the ack when the gate is a target gate, the node
 * is not its target, the node is observed at exactly that node epoch, and the report is exactly
 * (target, epoch). A heartbeat at a newer node epoch without the ack deletes an older ack (§5.1 B22).
 */
export function recordHeartbeat(
  gate: SchedulerGate,
  node: NodeId,
  heartbeatNodeEpoch: Uint64,
  view: Pick<DestView, 'observed' | 'nodeEpoch'>,
  reported: { target: NodeId; epoch: Uint64 },
): SchedulerGate {
  if (gate?.kind !== 'target' || node === gate.target) return gate;
  const acks: Record<NodeId, Uint64> = { ...gate.ackedNodes };
  const prior = acks[node];
  if (prior !== undefined && view.observed && view.nodeEpoch > prior) delete acks[node];
  if (
    view.observed &&
    heartbeatNodeEpoch === view.nodeEpoch &&
    reported.target === gate.target &&
    reported.epoch === gate.epoch
  ) {
    acks[node] = heartbeatNodeEpoch;
  }
  return sameAcks(acks, gate.ackedNodes) ? gate : { ...gate, ackedNodes: acks };
}

/** The drain record of `node` was reset to a new node epoch: its ack goes (§2.5.1 observation, B22). */
export function forgetAck(gate: SchedulerGate, node: NodeId): SchedulerGate {
  if (gate?.kind !== 'target' || gate.ackedNodes[node] === undefined) return gate;
  const acks = { ...gate.ackedNodes };
  delete acks[node];
  return { ...gate, ackedNodes: acks };
}

/** `RemoveDrainTargetClearPendingNode`: the node acked the clear (or left); an empty clear gate is dropped. */
export function removeClearPending(gate: SchedulerGate, node: NodeId): SchedulerGate {
  if (gate?.kind !== 'clear' || !gate.pendingNodes.includes(node)) return gate;
  const pending = gate.pendingNodes.filter((n) => n !== node);
  return pending.length === 0 ? null : { ...gate, pendingNodes: pending };
}

/** `schedulingFrozen` := no active session ∧ some node observed Draining or Stopping and not stale. */
export function isSchedulingFrozen(hasActiveSession: boolean, viewStates: Iterable<ViewState>): boolean {
  if (hasActiveSession) return false;
  for (const s of viewStates) if (s === 'Draining' || s === 'Stopping') return true;
  return false;
}

/**
 * `IsSchedulableDest(n)` (§2.5.2): not frozen, viewed Alive (a never-observed node counts as Alive),
 * not pending a clear, and, under a target gate, not the target, observed, and acknowledged at its
 * current node epoch.
 */
export function isSchedulableDest(frozen: boolean, gate: SchedulerGate, node: NodeId, view: DestView): boolean {
  if (frozen || view.state !== 'Alive') return false;
  if (gate?.kind === 'clear') return !gate.pendingNodes.includes(node);
  if (gate?.kind === 'target') {
    return node !== gate.target && view.observed && gate.ackedNodes[node] === view.nodeEpoch;
  }
  return true;
}

function sameAcks(a: Readonly<Record<NodeId, Uint64>>, b: Readonly<Record<NodeId, Uint64>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** Sorted, duplicate-free node list: one canonical form per set. */
export function sorted(nodes: Iterable<NodeId>): NodeId[] {
  return [...new Set(nodes)].sort();
}
