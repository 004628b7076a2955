/**
 * One TiCDC node of the cluster model, composed from the node-side machines without re-implementing
 * them (spec §2.5.4, §2.6, §2.7): the liveness register (`nodeLivenessMachine`), the dispatcher drain
 * target (`nodeDrainTargetMachine`), and per changefeed the maintainer manager's slot
 * (`maintainerRegistryMachine`) and the dispatcher manager (`dispatcherManagerMachine`).
 *
 * This file is the glue, and only the glue: which machine an incoming message goes to, and where
 * each emitted effect goes — a message with a `to` leaves through the network; a local intent
 * becomes another machine's event or pending runtime work. Everything a node holds is in memory
 * (§3.1): a crash loses it and a restart begins again with a new node epoch.
 *
 * Simplifications (the cluster model has no tables): a changefeed's only dispatcher is its
 * DDL-trigger dispatcher; the maintainer's removal of it (`maintainer.closeDdlSpan`) is a
 * `DispatcherRequest` remove to its own node, and the runtime's completion of that remove reports
 * the trigger Stopped to the owner. The maintainer-side bookkeeping intents (span status, absent
 * marking, block status, running errors, drain-target fan-out) change nothing here.
 */
import type { AnyMachineSnapshot } from 'xstate';
import type { Uint64 } from '../machines/epoch.js';
import type { ChangefeedId, Liveness, NodeId } from '../machines/protocol.js';
import { nodeLivenessMachine, type NodeLivenessContext } from '../machines/nodeLiveness.js';
import { nodeDrainTargetMachine, type NodeDrainTargetContext } from '../machines/nodeDrainTarget.js';
import { maintainerRegistryMachine, maintainerStatusOf, type MaintainerRegistryContext } from '../machines/maintainerRegistry.js';
import { dispatcherManagerMachine } from '../machines/dispatcherManager.js';
import type { Stepper } from './stepper.js';

/** A message in flight: an emitted effect with a `to`, stamped with its sender. */
export type Message = { type: string; from: NodeId; to: NodeId } & Record<string, any>;

/** Work the dispatcher runtime owes a manager; completing it is an environment step. */
export type RuntimeTask =
  | { kind: 'remove'; changefeedId: ChangefeedId; dispatcher: string; owner: NodeId }
  | { kind: 'close'; changefeedId: ChangefeedId };

export interface NodeState {
  id: NodeId;
  nodeEpoch: Uint64;
  liveness: AnyMachineSnapshot;
  drainTarget: AnyMachineSnapshot;
  registries: Readonly<Record<ChangefeedId, AnyMachineSnapshot>>;
  managers: Readonly<Record<ChangefeedId, AnyMachineSnapshot>>;
  /** Pending runtime work, kept sorted by key so that equal nodes encode equally. */
  runtime: readonly RuntimeTask[];
}

export interface NodeResult {
  node: NodeState;
  out: Message[];
}

export class UnroutableMessageError extends Error {
  override name = 'UnroutableMessageError';
}

const taskKey = (t: RuntimeTask) => (t.kind === 'remove' ? `remove|${t.changefeedId}|${t.dispatcher}|${t.owner}` : `close|${t.changefeedId}`);

function addTask(tasks: readonly RuntimeTask[], t: RuntimeTask): RuntimeTask[] {
  if (tasks.some((x) => taskKey(x) === taskKey(t))) return [...tasks];
  return [...tasks, t].sort((a, b) => (taskKey(a) < taskKey(b) ? -1 : 1));
}

/** A freshly started node process: no coordinator adopted yet, every slot empty. */
export function startNode(stepper: Stepper, id: NodeId, nodeEpoch: Uint64, changefeeds: readonly ChangefeedId[], members: readonly NodeId[]): NodeState {
  const registries: Record<ChangefeedId, AnyMachineSnapshot> = {};
  const managers: Record<ChangefeedId, AnyMachineSnapshot> = {};
  for (const cf of changefeeds) {
    registries[cf] = stepper.start(maintainerRegistryMachine, { changefeedId: cf, node: id, coordinatorId: '', aliveNodes: [...members] }).snapshot;
    managers[cf] = stepper.start(dispatcherManagerMachine, { changefeedId: cf, node: id }).snapshot;
  }
  return {
    id,
    nodeEpoch,
    liveness: stepper.start(nodeLivenessMachine, { nodeId: id, nodeEpoch }).snapshot,
    drainTarget: stepper.start(nodeDrainTargetMachine, { coordinatorId: '', coordinatorVersion: 0n }).snapshot,
    registries,
    managers,
    runtime: [],
  };
}

/** The liveness this node holds (its register's state). */
export const livenessOf = (node: NodeState) => node.liveness.value as Liveness;

/** Messages are immutable values: one per (emitted effect object, sender). */
const stamped = new WeakMap<object, Map<NodeId, Message>>();

/** Steps the node's machines and routes what they emit, until nothing local is left. */
class Glue {
  readonly out: Message[] = [];
  constructor(
    private readonly stepper: Stepper,
    public node: NodeState,
  ) {}

  private send(effect: Record<string, any>) {
    // The hash-consing stepper hands out one effect object per (snapshot, event): stamping it once
    // per sender keeps messages canonical objects, so their keys are computed once, not per step.
    let bySender = stamped.get(effect);
    if (!bySender) stamped.set(effect, (bySender = new Map()));
    let m = bySender.get(this.node.id);
    if (!m) bySender.set(this.node.id, (m = { ...effect, from: this.node.id } as Message));
    this.out.push(m);
  }

  registry(cf: ChangefeedId, event: { type: string } & Record<string, unknown>) {
    const snap = this.node.registries[cf];
    if (!snap) throw new UnroutableMessageError(`node ${this.node.id} has no changefeed ${cf}`);
    const r = this.stepper.step(maintainerRegistryMachine, snap, event);
    this.node = { ...this.node, registries: { ...this.node.registries, [cf]: r.snapshot } };
    for (const e of r.effects) {
      if (typeof e.to === 'string') this.send(e);
      else if (e.type === 'maintainer.closeDdlSpan') {
        // The maintainer's remove operator for its DDL-trigger dispatcher, sent to this node's manager.
        const epoch = (r.snapshot.context as MaintainerRegistryContext).epoch;
        this.send({ type: 'DispatcherRequest', to: this.node.id, changefeedId: cf, maintainerEpoch: epoch, dispatcher: e.dispatcher, kind: 'remove' });
      }
    }
  }

  manager(cf: ChangefeedId, event: { type: string } & Record<string, unknown>) {
    const snap = this.node.managers[cf];
    if (!snap) throw new UnroutableMessageError(`node ${this.node.id} has no changefeed ${cf}`);
    const r = this.stepper.step(dispatcherManagerMachine, snap, event);
    this.node = { ...this.node, managers: { ...this.node.managers, [cf]: r.snapshot } };
    for (const e of r.effects) {
      if (typeof e.to === 'string') this.send(e);
      else if (e.type === 'dm.removeDispatcher') {
        const owner = (r.snapshot.context as { owner: NodeId }).owner;
        this.node = { ...this.node, runtime: addTask(this.node.runtime, { kind: 'remove', changefeedId: cf, dispatcher: e.dispatcher, owner }) };
      } else if (e.type === 'dm.closing') {
        this.node = { ...this.node, runtime: addTask(this.node.runtime, { kind: 'close', changefeedId: cf }) };
      }
    }
  }

  liveness(event: { type: string } & Record<string, unknown>) {
    const before = livenessOf(this.node);
    const r = this.stepper.step(nodeLivenessMachine, this.node.liveness, event);
    this.node = { ...this.node, liveness: r.snapshot };
    const admitted: string[] = [];
    for (const e of r.effects) {
      if (typeof e.to === 'string') this.send(e);
      else if (e.type === 'mm.admitAddMaintainer') admitted.push(e.changefeedId as string);
    }
    const after = livenessOf(this.node);
    if (after !== before) for (const cf of Object.keys(this.node.registries)) this.registry(cf, { type: 'LIVENESS', liveness: after });
    return admitted;
  }

  drainTarget(event: { type: string } & Record<string, unknown>) {
    const r = this.stepper.step(nodeDrainTargetMachine, this.node.drainTarget, event);
    this.node = { ...this.node, drainTarget: r.snapshot };
    for (const e of r.effects) {
      if (e.type === 'CoordinatorBootstrapResponse') {
        // The node manager's reply carries every slot's maintainer status (§2.4.2, §2.6.3).
        const statuses = Object.entries(this.node.registries).flatMap(([cf, snap]) => {
          const s = maintainerStatusOf(snap as never);
          return s ? [{ changefeedId: cf, ...s }] : [];
        });
        this.send({ ...e, nodeEpoch: this.node.nodeEpoch, liveness: livenessOf(this.node), statuses });
      } else if (typeof e.to === 'string') this.send(e);
    }
  }
}

/** Delivers a message to this node. A message no machine here takes is an UnroutableMessageError. */
export function receive(stepper: Stepper, node: NodeState, m: Message): NodeResult {
  const g = new Glue(stepper, node);
  const cf = m.changefeedId as ChangefeedId;
  switch (m.type) {
    case 'CoordinatorBootstrap': {
      const ev = { type: 'COORDINATOR_BOOTSTRAP', from: m.from, version: m.version };
      g.liveness(ev);
      for (const c of Object.keys(node.registries)) g.registry(c, ev);
      g.drainTarget(ev);
      break;
    }
    case 'AddMaintainerRequest':
      if (g.liveness({ type: 'ADD_MAINTAINER', from: m.from, changefeedId: cf, maintainerEpoch: m.maintainerEpoch }).includes(cf)) {
        g.registry(cf, {
          type: 'ADD_MAINTAINER',
          from: m.from,
          maintainerEpoch: m.maintainerEpoch,
          configEpoch: m.maintainerEpoch,
          checkpointTs: m.checkpointTs,
          configValid: true,
        });
      }
      break;
    case 'RemoveMaintainerRequest':
      g.registry(cf, { type: 'REMOVE_MAINTAINER', from: m.from, maintainerEpoch: m.maintainerEpoch, cascade: m.cascade, removed: m.removed });
      break;
    case 'SetNodeLivenessRequest':
      g.liveness({ type: 'SET_NODE_LIVENESS', from: m.from, target: m.target, nodeEpoch: m.nodeEpoch });
      break;
    case 'SetDispatcherDrainTarget':
      g.drainTarget({ type: 'SET_DISPATCHER_DRAIN_TARGET', from: m.from, target: m.target, epoch: m.epoch });
      break;
    case 'MaintainerBootstrapRequest':
      g.manager(cf, { type: 'BOOTSTRAP', from: m.from, maintainerEpoch: m.maintainerEpoch, triggerId: m.tableTriggerId });
      break;
    case 'MaintainerPostBootstrapRequest':
      g.manager(cf, { type: 'POST_BOOTSTRAP', from: m.from, maintainerEpoch: m.maintainerEpoch, triggerId: m.tableTriggerId, writePathClosed: false });
      break;
    case 'MaintainerCloseRequest':
      g.manager(cf, { type: 'CLOSE', from: m.from, maintainerEpoch: m.maintainerEpoch, removed: m.removed });
      break;
    case 'DispatcherRequest':
      g.manager(cf, { type: 'REQUEST', from: m.from, maintainerEpoch: m.maintainerEpoch, dispatcher: m.dispatcher, kind: m.kind });
      break;
    case 'MaintainerBootstrapResponse':
      g.registry(cf, { type: 'BOOTSTRAP_RESPONSE', from: m.from, maintainerEpoch: m.maintainerEpoch, error: m.error !== null });
      break;
    case 'MaintainerPostBootstrapResponse':
      g.registry(cf, { type: 'POST_BOOTSTRAP_RESPONSE', from: m.from, maintainerEpoch: m.maintainerEpoch, error: m.error !== null });
      break;
    case 'MaintainerCloseResponse':
      g.registry(cf, { type: 'CLOSE_RESPONSE', from: m.from, maintainerEpoch: m.maintainerEpoch, success: m.success });
      break;
    case 'DispatcherStatus':
      g.registry(cf, { type: 'DISPATCHER_STATUS', dispatcher: m.dispatcher, state: m.state, hasOperator: true });
      break;
    default:
      throw new UnroutableMessageError(`node ${node.id} takes no ${m.type}`);
  }
  return { node: g.node, out: g.out };
}

/** The maintainer manager's periodic work for one changefeed: its status heartbeat, the maintainer's resend, or the cleanup of a stopped slot. */
export function tick(stepper: Stepper, node: NodeState, cf: ChangefeedId, kind: 'HEARTBEAT' | 'RESEND' | 'CLEANUP'): NodeResult {
  const g = new Glue(stepper, node);
  const generation = (node.registries[cf]?.context as MaintainerRegistryContext | undefined)?.generation ?? 0;
  g.registry(cf, kind === 'CLEANUP' ? { type: 'CLEANUP', generation } : { type: kind });
  return { node: g.node, out: g.out };
}

/** The dispatcher runtime finishes a pending task. */
export function completeRuntime(stepper: Stepper, node: NodeState, task: RuntimeTask): NodeResult {
  if (!node.runtime.some((t) => taskKey(t) === taskKey(task))) throw new UnroutableMessageError(`node ${node.id} has no pending ${taskKey(task)}`);
  const g = new Glue(stepper, { ...node, runtime: node.runtime.filter((t) => taskKey(t) !== taskKey(task)) });
  if (task.kind === 'close') g.manager(task.changefeedId, { type: 'CLOSE_FINISHED' });
  else {
    g.manager(task.changefeedId, { type: 'DISPATCHER_REMOVED', dispatcher: task.dispatcher });
    g.manager(task.changefeedId, { type: 'REMOVE_CLEANED', dispatcher: task.dispatcher });
    // The removed dispatcher's last status goes to the maintainer that owns the manager.
    if (task.owner !== '') {
      g.out.push({ type: 'DispatcherStatus', from: node.id, to: task.owner, changefeedId: task.changefeedId, dispatcher: task.dispatcher, state: 'Stopped' });
    }
  }
  return { node: g.node, out: g.out };
}

/** Membership changed (the node manager's view): every slot hears of it. */
export function membership(stepper: Stepper, node: NodeState, change: { type: 'NODE_ADDED' | 'NODE_REMOVED'; node: NodeId }): NodeResult {
  const g = new Glue(stepper, node);
  for (const cf of Object.keys(node.registries)) g.registry(cf, change);
  return { node: g.node, out: g.out };
}

/**
 * The node's periodic heartbeat (`Manager.Run`, §2.6.3): its liveness and node epoch, and its
 * dispatcher drain target, to the coordinator it adopted (none before a bootstrap). The machines
 * hold no timer, so the period is the world's step; the heartbeat only reports state.
 */
export function nodeHeartbeat(node: NodeState): Message[] {
  const live = node.liveness.context as NodeLivenessContext;
  if (live.coordinatorId === '') return [];
  const drain = node.drainTarget.context as NodeDrainTargetContext;
  return [
    { type: 'NodeHeartbeat', from: node.id, to: live.coordinatorId, liveness: livenessOf(node), nodeEpoch: node.nodeEpoch, forced: false },
    ...(drain.coordinatorId === ''
      ? []
      : [{ type: 'NodeDrainHeartbeat', from: node.id, to: drain.coordinatorId, target: drain.target, epoch: drain.epoch }]),
  ];
}
