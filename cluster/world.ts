/**
 * The cluster world: what every part of the composed model holds at one instant, and its steps.
 * The node side, the store and the network are here. With `composeCoordinator` the coordinator
 * (cluster/coordinator.ts: liveness views, drain workflow, drain session and the DrainNode API so
 * far; the operator controller joins it) runs at `config.coordinator`, takes the messages sent to
 * it, and its ticks, API calls, membership changes, failovers and the passing of time are steps.
 * Without it a scenario plays the coordinator with `send` steps, and messages addressed to it wait
 * in `toCoordinator`.
 *
 * Worlds are immutable values: a step builds a new world and shares what did not change. The
 * network is a bag: any message in flight may be delivered next, and within the configuration's
 * budgets one may be lost or duplicated; a send beyond the bag's capacity is lost (the message
 * center is best effort, §2.9), which keeps the state space finite.
 */
import type { ChangefeedId, NodeId } from '../machines/protocol.js';
import { completeRuntime, membership, nodeHeartbeat, receive, startNode, tick, type Message, type NodeState, type RuntimeTask } from './node.js';
import { applyStoreOp, keysCompared, keysWritten, revisionsAfter, type KeyRevisions, type StoredChangefeed } from './store.js';
import { pureStepper as defaultStepper, type Stepper } from './stepper.js';
import {
  bootstrapMessages,
  coordinatorMembership,
  coordinatorReceive,
  coordinatorStoreAnswer,
  coordinatorTick,
  tickChoices,
  balanceChoices,
  coordinatorBalanceTick,
  coordinatorApiCall,
  coordinatorStateChange,
  coordinatorCheckpointAdvance,
  coordinatorCheckpointWrite,
  checkpointWritable,
  type ApiCallName,
  type StateChangeName,
  type CoordinatorResult,
  type StoreCall,
  type StoreOutcome,
  drainNodeCall,
  passTime,
  startCoordinator,
  TIME_STEPS,
  type CoordinatorEnv,
  type CoordinatorState,
  type TimeStep,
} from './coordinator.js';
import { stableStringify } from '../graph/serialize.js';

export interface ClusterConfig {
  coordinator: NodeId;
  nodes: readonly NodeId[];
  changefeeds: readonly ChangefeedId[];
  /** Messages in flight at most; a send beyond it is lost. */
  capacity: number;
  budgets: { loss: number; duplication: number; crashes: number };
  /** Keep what reaches the coordinator in `toCoordinator` (scenarios); the explorer drops it to stay finite. */
  keepCoordinatorInbox?: boolean;
  /** The periodic node work the explorer may interleave (default: all three). */
  ticks?: ReadonlyArray<'HEARTBEAT' | 'RESEND' | 'CLEANUP'>;
  /** Run the coordinator in the world (cluster/coordinator.ts) instead of a scenario playing it. */
  composeCoordinator?: boolean;
  /** Nodes the DrainNode API may be called on (default: none; each call is a step). */
  drainTargets?: readonly NodeId[];
  /** Coordinator failovers allowed (in-memory state lost, a new version bootstraps). Default 0. */
  failovers?: number;
  /** PD answers the TSO (default true); false models PD unavailable for the whole run. */
  pdAvailable?: boolean;
  /** Store calls that may fail, applied or not (unknown outcomes, §3.2), over the whole run. Default 0. */
  storeFaults?: number;
  /** The scheduler batch size (default 1). */
  batchSize?: number;
  /** Let time pass (liveness TTL, resends). Default true with a composed coordinator. */
  time?: boolean;
  /** Nodes' periodic heartbeats as steps (default true with a composed coordinator). */
  nodeHeartbeats?: boolean;
  /** PD outages over the run (§3.5: epochs fall back to UnixNano while PD is down). Default 0. */
  pdOutages?: number;
  /** Run the balance scheduler (§2.4.1) as its own tick, every tie a choice. Default false. */
  balance?: boolean;
  /**
   * Changefeed API calls and maintainers' state changes (§2.4.3) as steps: which ones, on which
   * changefeeds (default: all configured), and how many over the run.
   */
  api?: { calls?: readonly ApiCallName[]; stateChanges?: readonly StateChangeName[]; changefeeds?: readonly ChangefeedId[]; budget: number };
  /**
   * The coordinator's checkpoint writer and per-key store revisions (§3.2, §3.4), off by default:
   * `advances` in-memory checkpoint advances over the run (each a `checkpoint` step, see
   * coordinator.ts `coordinatorCheckpointAdvance`), each of which the writer may persist with
   * UpdateChangefeedCheckpointTs (another `checkpoint` step, a store call). The store then keeps a
   * revision per key, and a bump's or resume's txn compares the revisions it read when issued:
   * a compare failure re-reads and retries, and after `bumpAttempts` (default 2; TiCDC tries 10
   * times, §2.9) the caller hears ErrMetaOpFailed.
   */
  checkpoints?: { advances: number; bumpAttempts?: number };
}

export interface World {
  /** Every configured node; null while its process is down (a crash loses all it held). */
  nodes: Readonly<Record<NodeId, NodeState | null>>;
  /** Node epochs handed out so far per node (a restart takes the next; never 0, §1). */
  epochs: Readonly<Record<NodeId, bigint>>;
  /** The messages in flight between nodes, in no order (a bag). */
  inFlight: readonly Message[];
  /** Messages delivered to the coordinator, oldest first, until the coordinator is composed in. */
  toCoordinator: readonly Message[];
  /** The persisted records (§3); undefined where the changefeed does not exist. */
  store: Readonly<Record<ChangefeedId, StoredChangefeed | undefined>>;
  /** What the fault budgets have left. */
  budgets: ClusterConfig['budgets'];
  /** The coordinator's state, when composed; null while it is down between a crash and its failover. */
  coordinator?: CoordinatorState | null;
  /** Coordinator failovers left (with a composed coordinator). */
  failovers?: number;
  /** The version of the coordinator that crashed, while none runs. */
  lastCoordinatorVersion?: bigint;
  /** Why the coordinator that crashed panicked (§5.1 B10), while none runs; absent after a plain crash. */
  coordinatorPanic?: string;
  /** Calls to the epoch store in flight (a bag, kept in a canonical order). */
  storeCalls?: readonly StoreCall[];
  /** Store faults left. */
  storeFaults?: number;
  /** PD answers the TSO now (§3.5); false during an outage. */
  pdAvailable?: boolean;
  /** PD outages left. */
  pdOutages?: number;
  /** API calls and state changes left. */
  apiCalls?: number;
  /** The epoch each deleted changefeed last had (a re-creation's TSO epoch is above it). */
  retiredEpochs?: Readonly<Record<ChangefeedId, bigint>>;
  /** Per-key store revisions (§3.2 ModRevision), with `checkpoints` configured; a changefeed never written has none. */
  revisions?: Readonly<Record<ChangefeedId, KeyRevisions>>;
  /** In-memory checkpoint advances left (with `checkpoints` configured). */
  checkpointAdvances?: number;
}

/** One step of the world, named for traces. */
export type Action =
  | { kind: 'send'; message: Message }
  | { kind: 'deliver'; message: Message }
  | { kind: 'lose'; message: Message }
  | { kind: 'duplicate'; message: Message }
  | { kind: 'tick'; node: NodeId; changefeedId: ChangefeedId; tick: 'HEARTBEAT' | 'RESEND' | 'CLEANUP' }
  | { kind: 'runtime'; node: NodeId; task: RuntimeTask }
  | { kind: 'crash'; node: NodeId }
  | { kind: 'restart'; node: NodeId }
  | { kind: 'membership'; node: NodeId; change: 'NODE_ADDED' | 'NODE_REMOVED'; subject: NodeId }
  /** A node's periodic heartbeat to its coordinator (§2.6.3), with a composed coordinator. */
  | { kind: 'node-heartbeat'; node: NodeId }
  /** The coordinator's periodic work (500 ms tasks), with one outcome of the schedulers' ties. */
  | { kind: 'coordinator-tick'; choice?: number }
  /** A store call in flight ends: applied and acknowledged, failed, or applied but reported failed. */
  | { kind: 'store'; call: StoreCall; outcome: StoreOutcome }
  /** Time passes on the coordinator (see cluster/coordinator.ts: ages clamped past every threshold). */
  | { kind: 'time'; step: TimeStep }
  /** The DrainNode API on the coordinator (§2.5.5). */
  | { kind: 'api'; call: 'DrainNode'; target: NodeId }
  /** A changefeed API call on the coordinator (§2.4.3). */
  | { kind: 'api'; call: ApiCallName; changefeedId: ChangefeedId }
  /** A maintainer reports a state change of its changefeed to the coordinator (§2.4.3). */
  | { kind: 'state-change'; changefeedId: ChangefeedId; state: StateChangeName }
  /** PD stops or starts answering the TSO (§3.5). */
  | { kind: 'pd'; available: boolean }
  /** The balance scheduler's tick (§2.4.1), with one outcome of its ties. */
  | { kind: 'balance-tick'; choice?: number }
  /** The coordinator sees a node leave (its session expired) or join. */
  | { kind: 'coordinator-membership'; change: 'NODE_ADDED' | 'NODE_REMOVED'; subject: NodeId }
  /** The coordinator's in-memory checkpoint advances, or its checkpoint writer persists it (§3.4). */
  | { kind: 'checkpoint'; changefeedId: ChangefeedId; step: 'advance' | 'write' }
  /** The coordinator process dies: all it held in memory is lost (within the failover budget). */
  | { kind: 'coordinator-crash' }
  /** A new coordinator takes over with version + 1 and bootstraps from what the nodes report. */
  | { kind: 'coordinator-takeover' };

/** A world and the step that produced it, as the invariants see them. */
export interface WorldStep {
  prev: World;
  action: Action;
}

export class WorldError extends Error {
  override name = 'WorldError';
}

const keys = new WeakMap<Message, string>();

/** A canonical, readable key of a message (bigint-safe, fields sorted), used to order and compare the bag. Cached per message object. */
export function messageKey(m: Message): string {
  let k = keys.get(m);
  if (k === undefined) keys.set(m, (k = stableStringify(m)));
  return k;
}

const sameMessage = (a: Message, b: Message) => messageKey(a) === messageKey(b);

/** The bag after sends: sorted by key (a canonical order), sends past the capacity lost. */
function addToBag(bag: readonly Message[], sent: readonly Message[], capacity: number): Message[] {
  const out = [...bag];
  for (const m of sent) if (out.length < capacity) out.push(m);
  return out.sort((a, b) => (messageKey(a) < messageKey(b) ? -1 : messageKey(a) > messageKey(b) ? 1 : 0));
}

function removeOne(bag: readonly Message[], m: Message): Message[] {
  const i = bag.findIndex((x) => sameMessage(x, m));
  if (i < 0) throw new WorldError(`${m.type} from ${m.from} to ${m.to} is not in flight`);
  return [...bag.slice(0, i), ...bag.slice(i + 1)];
}

export function initialWorld(stepper: Stepper, config: ClusterConfig, store: World['store'] = {}): World {
  const nodes: Record<NodeId, NodeState> = {};
  const epochs: Record<NodeId, bigint> = {};
  config.nodes.forEach((id) => {
    epochs[id] = 1n;
    nodes[id] = startNode(stepper, id, 1n, config.changefeeds, config.nodes);
  });
  const world: World = { nodes, epochs, inFlight: [], toCoordinator: [], store, budgets: { ...config.budgets } };
  if (!config.composeCoordinator) return world;
  // The configured changefeeds exist in the store (created, normal, epoch 1) unless a store is given.
  const persisted =
    Object.keys(store).length > 0
      ? store
      : Object.fromEntries(config.changefeeds.map((cf) => [cf, { epoch: 1n, state: 'normal' as const, error: false, checkpointTs: 1n, progress: 'None' as const }]));
  const coordinator = startCoordinator(stepper, config.coordinator, 1n, config.nodes);
  return withSends(
    {
      ...world,
      store: persisted,
      coordinator,
      failovers: config.failovers ?? 0,
      storeCalls: [],
      storeFaults: config.storeFaults ?? 0,
      ...(config.pdOutages || config.pdAvailable === false ? { pdAvailable: config.pdAvailable ?? true, pdOutages: config.pdOutages ?? 0 } : {}),
      ...(config.api ? { apiCalls: config.api.budget } : {}),
      ...(config.checkpoints
        ? { checkpointAdvances: config.checkpoints.advances, revisions: Object.fromEntries(Object.keys(persisted).map((cf) => [cf, { info: 1, status: 1 }])) }
        : {}),
    },
    bootstrapMessages(coordinator),
    config,
  );
}

const envOf = (config: ClusterConfig, world: World): CoordinatorEnv => ({
  changefeeds: config.changefeeds,
  pdAvailable: world.pdAvailable ?? config.pdAvailable ?? true,
  store: world.store,
  batchSize: config.batchSize ?? 1,
  ...(world.retiredEpochs ? { retiredEpochs: world.retiredEpochs } : {}),
});

const callKey = (c: StoreCall) => stableStringify(c);
const sortCalls = (calls: StoreCall[]) => calls.sort((a, b) => (callKey(a) < callKey(b) ? -1 : 1));
const revisionsOf = (world: World, cf: ChangefeedId): KeyRevisions => world.revisions?.[cf] ?? { info: 0, status: 0 };

/** The coordinator's result into the world: its state, its messages in flight, its store calls. */
function withCoordinator(world: World, r: CoordinatorResult, config: ClusterConfig): World {
  // With revisions, a bump or resume reads the revisions it will compare as it is issued (§3.2 step 1).
  const issued = world.revisions ? r.storeCalls.map((c) => (keysCompared(c.op) ? { ...c, seen: revisionsOf(world, c.changefeedId) } : c)) : r.storeCalls;
  const calls = issued.length === 0 ? world.storeCalls : sortCalls([...(world.storeCalls ?? []), ...issued]);
  const next = withSends({ ...world, coordinator: r.coordinator, storeCalls: calls }, r.out, config);
  // A fatal error ends the coordinator's run loop: it is down until a failover (§2.4.3); a panic
  // (§2.4.2 step 3) kills it the same way, and the world keeps why.
  if (r.panic !== undefined) return { ...next, coordinator: null, lastCoordinatorVersion: r.coordinator.version, coordinatorPanic: r.panic };
  return r.fatal ? { ...next, coordinator: null, lastCoordinatorVersion: r.coordinator.version } : next;
}

/** The coordinator's enabled steps. */
function coordinatorActions(stepper: Stepper, world: World, config: ClusterConfig): Action[] {
  const c = world.coordinator;
  if (!config.composeCoordinator || c === undefined) return [];
  const out: Action[] = [];
  // Store calls end whether or not their coordinator still runs (the write is in etcd's hands).
  const calls = world.storeCalls ?? [];
  calls.forEach((call, i) => {
    if (i > 0 && callKey(calls[i - 1]!) === callKey(call)) return;
    out.push({ kind: 'store', call, outcome: 'ok' });
    if ((world.storeFaults ?? 0) > 0) out.push({ kind: 'store', call, outcome: 'failed' }, { kind: 'store', call, outcome: 'appliedButFailed' });
  });
  if (c === null) return [...out, { kind: 'coordinator-takeover' }];
  const choices = tickChoices(stepper, c, envOf(config, world));
  for (let choice = 0; choice < choices; choice++) out.push(choices === 1 ? { kind: 'coordinator-tick' } : { kind: 'coordinator-tick', choice });
  if (config.time ?? true) for (const step of Object.keys(TIME_STEPS) as TimeStep[]) out.push({ kind: 'time', step });
  for (const target of config.drainTargets ?? []) out.push({ kind: 'api', call: 'DrainNode', target });
  if (config.balance && c.controller) {
    const choices = balanceChoices(stepper, c, envOf(config, world));
    for (let choice = 0; choice < choices; choice++) out.push(choices === 1 ? { kind: 'balance-tick' } : { kind: 'balance-tick', choice });
  }
  if (config.api && (world.apiCalls ?? 0) > 0) {
    for (const changefeedId of config.api.changefeeds ?? config.changefeeds) {
      for (const call of config.api.calls ?? []) out.push({ kind: 'api', call, changefeedId });
      for (const state of config.api.stateChanges ?? []) out.push({ kind: 'state-change', changefeedId, state });
    }
  }
  if (config.checkpoints && c.controller) {
    for (const changefeedId of config.changefeeds) {
      if ((world.checkpointAdvances ?? 0) > 0 && c.controller.infos.has(changefeedId)) out.push({ kind: 'checkpoint', changefeedId, step: 'advance' });
      // One writer: a changefeed's next checkpoint write waits for the one in flight.
      const writing = calls.some((x) => x.purpose === 'checkpoint' && x.changefeedId === changefeedId);
      if (!writing && checkpointWritable(c, changefeedId, envOf(config, world))) out.push({ kind: 'checkpoint', changefeedId, step: 'write' });
    }
  }
  if ((world.pdOutages ?? 0) > 0 && world.pdAvailable !== false) out.push({ kind: 'pd', available: false });
  if (world.pdAvailable === false && (config.pdAvailable ?? true)) out.push({ kind: 'pd', available: true });
  for (const id of config.nodes) {
    const node = world.nodes[id];
    if ((config.nodeHeartbeats ?? true) && node && nodeHeartbeat(node).length > 0) out.push({ kind: 'node-heartbeat', node: id });
  }
  for (const id of config.nodes) {
    const up = world.nodes[id] !== null;
    const member = c.members.includes(id);
    // The session of a process that is down, or was replaced by a restart, expires; a process that
    // is up and has no session registers one (a join).
    if (member && (!up || c.sessions[id] !== world.epochs[id])) out.push({ kind: 'coordinator-membership', change: 'NODE_REMOVED', subject: id });
    if (!member && up) out.push({ kind: 'coordinator-membership', change: 'NODE_ADDED', subject: id });
  }
  if ((world.failovers ?? 0) > 0) out.push({ kind: 'coordinator-crash' });
  return out;
}

/** Every step the world can take next (the coordinator's own steps join when it is composed in). */
export function enabledActions(world: World, config: ClusterConfig, stepper: Stepper = defaultStepper): Action[] {
  const out: Action[] = [];
  const distinct = world.inFlight.filter((m, i) => i === 0 || !sameMessage(world.inFlight[i - 1]!, m));
  for (const message of distinct) {
    out.push({ kind: 'deliver', message });
    if (world.budgets.loss > 0) out.push({ kind: 'lose', message });
    if (world.budgets.duplication > 0 && world.inFlight.length < config.capacity) out.push({ kind: 'duplicate', message });
  }
  for (const id of config.nodes) {
    const node = world.nodes[id];
    if (!node) {
      out.push({ kind: 'restart', node: id });
      continue;
    }
    for (const changefeedId of config.changefeeds) for (const t of config.ticks ?? TICKS) out.push({ kind: 'tick', node: id, changefeedId, tick: t });
    for (const task of node.runtime) out.push({ kind: 'runtime', node: id, task });
    if (world.budgets.crashes > 0) out.push({ kind: 'crash', node: id });
  }
  out.push(...coordinatorActions(stepper, world, config));
  return out;
}

const TICKS = ['HEARTBEAT', 'RESEND', 'CLEANUP'] as const;

/** A bump's attempts in the model unless configured (TiCDC's 10, §2.9, would only lengthen traces). */
export const DEFAULT_BUMP_ATTEMPTS = 2;

/**
 * Puts a node's sends in flight. Without a coordinator composed in and without an inbox, what is
 * sent to the coordinator has no receiver and is dropped at once.
 */
function withSends(world: World, sent: readonly Message[], config: ClusterConfig): World {
  // Without a coordinator to take them (none composed and no inbox, or one down), messages to it are lost.
  const noReceiver = world.coordinator === null || (world.coordinator === undefined && config.keepCoordinatorInbox === false);
  const kept = noReceiver ? sent.filter((m) => m.to !== config.coordinator) : sent;
  return { ...world, inFlight: addToBag(world.inFlight, kept, config.capacity) };
}

function liveCoordinator(world: World): CoordinatorState {
  if (world.coordinator === undefined) throw new WorldError('no coordinator is composed');
  if (world.coordinator === null) throw new WorldError('the coordinator is down');
  return world.coordinator;
}

function liveNode(world: World, id: NodeId): NodeState {
  const n = world.nodes[id];
  if (n === undefined) throw new WorldError(`unknown node ${id}`);
  if (n === null) throw new WorldError(`node ${id} is down`);
  return n;
}

export function apply(stepper: Stepper, world: World, action: Action, config: ClusterConfig): World {
  switch (action.kind) {
    case 'send':
      return withSends(world, [action.message], config);
    case 'deliver': {
      const rest = { ...world, inFlight: removeOne(world.inFlight, action.message) };
      const to = action.message.to;
      if (to === config.coordinator) {
        if (rest.coordinator === null) return rest; // the coordinator is down: the message is gone
        if (rest.coordinator) return withCoordinator(rest, coordinatorReceive(stepper, rest.coordinator, action.message, envOf(config, rest)), config);
        return config.keepCoordinatorInbox === false ? rest : { ...rest, toCoordinator: [...rest.toCoordinator, action.message] };
      }
      const node = rest.nodes[to];
      if (node === undefined) throw new WorldError(`unknown node ${to}`);
      if (node === null) return rest; // a down process: the message is gone
      const r = receive(stepper, node, action.message);
      return withSends({ ...rest, nodes: { ...rest.nodes, [to]: r.node } }, r.out, config);
    }
    case 'lose':
      if (world.budgets.loss <= 0) throw new WorldError('no loss budget left');
      return { ...world, inFlight: removeOne(world.inFlight, action.message), budgets: { ...world.budgets, loss: world.budgets.loss - 1 } };
    case 'duplicate':
      if (world.budgets.duplication <= 0) throw new WorldError('no duplication budget left');
      removeOne(world.inFlight, action.message); // it must be in flight
      return { ...withSends(world, [action.message], config), budgets: { ...world.budgets, duplication: world.budgets.duplication - 1 } };
    case 'tick': {
      const r = tick(stepper, liveNode(world, action.node), action.changefeedId, action.tick);
      return withSends({ ...world, nodes: { ...world.nodes, [action.node]: r.node } }, r.out, config);
    }
    case 'runtime': {
      const r = completeRuntime(stepper, liveNode(world, action.node), action.task);
      return withSends({ ...world, nodes: { ...world.nodes, [action.node]: r.node } }, r.out, config);
    }
    case 'membership': {
      const r = membership(stepper, liveNode(world, action.node), { type: action.change, node: action.subject });
      return withSends({ ...world, nodes: { ...world.nodes, [action.node]: r.node } }, r.out, config);
    }
    case 'crash':
      liveNode(world, action.node);
      if (world.budgets.crashes <= 0) throw new WorldError('no crash budget left');
      return { ...world, nodes: { ...world.nodes, [action.node]: null }, budgets: { ...world.budgets, crashes: world.budgets.crashes - 1 } };
    case 'node-heartbeat':
      return withSends(world, nodeHeartbeat(liveNode(world, action.node)), config);
    case 'coordinator-tick':
      return withCoordinator(world, coordinatorTick(stepper, liveCoordinator(world), envOf(config, world), action.choice ?? 0), config);
    case 'store': {
      const calls = world.storeCalls ?? [];
      const i = calls.findIndex((x) => callKey(x) === callKey(action.call));
      if (i < 0) throw new WorldError('no such store call in flight');
      const faults = world.storeFaults ?? 0;
      if (action.outcome !== 'ok' && faults <= 0) throw new WorldError('no store-fault budget left');
      const call = action.call;
      let store = world.store;
      let outcome: StoreOutcome = action.outcome;
      let epoch: bigint | undefined;
      let revisions = world.revisions;
      const rev = revisionsOf(world, call.changefeedId);
      const compared = world.revisions && call.seen ? (stepper.storeGlue?.keysCompared ?? keysCompared)(call.op) : undefined;
      const conflict = compared !== undefined && call.seen !== undefined && ((compared.info && rev.info !== call.seen.info) || (compared.status && rev.status !== call.seen.status));
      if (conflict && action.outcome !== 'failed') {
        // §3.2 step 6: the compare failed, nothing is written; re-read and retry, and after the
        // last attempt the caller hears ErrMetaOpFailed. A lost answer is an error at once.
        const attempt = (call.attempt ?? 0) + 1;
        if (action.outcome === 'ok' && attempt < (config.checkpoints?.bumpAttempts ?? DEFAULT_BUMP_ATTEMPTS)) {
          return { ...world, storeCalls: sortCalls([...calls.slice(0, i), ...calls.slice(i + 1), { ...call, seen: rev, attempt }]) };
        }
        outcome = 'failed';
      } else if (action.outcome !== 'failed') {
        const before = store[call.changefeedId];
        const r = applyStoreOp(before, call.op);
        if (r.ok) {
          store = { ...store, [call.changefeedId]: r.record };
          epoch = r.record?.epoch;
          if (revisions) revisions = { ...revisions, [call.changefeedId]: revisionsAfter(rev, keysWritten(call.op, before, r.record)) };
        } else outcome = 'failed'; // refused by the store (not found, overflow): nothing written
      }
      const deleted = world.store[call.changefeedId] !== undefined && store[call.changefeedId] === undefined ? world.store[call.changefeedId]! : undefined;
      const next: World = {
        ...world,
        ...(deleted ? { retiredEpochs: { ...world.retiredEpochs, [call.changefeedId]: deleted.epoch } } : {}),
        store,
        ...(revisions ? { revisions } : {}),
        storeCalls: [...calls.slice(0, i), ...calls.slice(i + 1)],
        storeFaults: action.outcome === 'ok' ? faults : faults - 1,
      };
      if (!next.coordinator) return next;
      return withCoordinator(next, coordinatorStoreAnswer(stepper, next.coordinator, call, outcome, epoch, envOf(config, next)), config);
    }
    case 'time':
      return { ...world, coordinator: passTime(liveCoordinator(world), action.step) };
    case 'api': {
      if (action.call === 'DrainNode') return withCoordinator(world, drainNodeCall(stepper, liveCoordinator(world), action.target, envOf(config, world)), config);
      const left = apiBudget(world, config);
      return { ...withCoordinator(world, coordinatorApiCall(stepper, liveCoordinator(world), action.call, action.changefeedId, envOf(config, world)), config), apiCalls: left };
    }
    case 'state-change': {
      const left = apiBudget(world, config);
      return { ...withCoordinator(world, coordinatorStateChange(stepper, liveCoordinator(world), action.changefeedId, action.state, envOf(config, world)), config), apiCalls: left };
    }
    case 'checkpoint': {
      if (!config.checkpoints) throw new WorldError('the configuration has no checkpoint writer');
      const c = liveCoordinator(world);
      if (action.step === 'advance') {
        const left = world.checkpointAdvances ?? 0;
        if (left <= 0) throw new WorldError('no checkpoint advance left');
        return { ...world, coordinator: coordinatorCheckpointAdvance(c, action.changefeedId), checkpointAdvances: left - 1 };
      }
      if ((world.storeCalls ?? []).some((x) => x.purpose === 'checkpoint' && x.changefeedId === action.changefeedId)) throw new WorldError(`a checkpoint write of ${action.changefeedId} is in flight`);
      if (!checkpointWritable(c, action.changefeedId, envOf(config, world))) throw new WorldError(`the checkpoint of ${action.changefeedId} is not ahead of the persisted one`);
      return withCoordinator(world, coordinatorCheckpointWrite(stepper, c, action.changefeedId, envOf(config, world)), config);
    }
    case 'pd':
      if (action.available) {
        if (world.pdAvailable !== false) throw new WorldError('PD is not down');
        return { ...world, pdAvailable: true };
      }
      if ((world.pdOutages ?? 0) <= 0 || world.pdAvailable === false) throw new WorldError('no PD outage left, or PD already down');
      return { ...world, pdAvailable: false, pdOutages: (world.pdOutages ?? 0) - 1 };
    case 'balance-tick':
      return withCoordinator(world, coordinatorBalanceTick(stepper, liveCoordinator(world), envOf(config, world), action.choice ?? 0), config);
    case 'coordinator-membership':
      return withCoordinator(
        world,
        coordinatorMembership(stepper, liveCoordinator(world), action.change, action.subject, envOf(config, world), world.epochs[action.subject] ?? 1n),
        config,
      );
    case 'coordinator-crash': {
      const c = liveCoordinator(world);
      if ((world.failovers ?? 0) <= 0) throw new WorldError('no failover budget left');
      // In-memory state lost; what it had sent stays in flight.
      return { ...world, coordinator: null, lastCoordinatorVersion: c.version, failovers: (world.failovers ?? 0) - 1 };
    }
    case 'coordinator-takeover': {
      if (world.coordinator !== null) throw new WorldError('the coordinator is not down');
      // Version + 1; membership from the processes that are up (their etcd sessions).
      const members = config.nodes.filter((n) => world.nodes[n] !== null);
      const c = startCoordinator(stepper, config.coordinator, (world.lastCoordinatorVersion ?? 0n) + 1n, members, world.epochs);
      const { lastCoordinatorVersion: _v, coordinatorPanic: _p, ...rest } = world;
      return withSends({ ...rest, coordinator: c }, bootstrapMessages(c), config);
    }
    case 'restart': {
      if (world.nodes[action.node] !== null) throw new WorldError(`node ${action.node} is not down`);
      const epoch = (world.epochs[action.node] ?? 0n) + 1n;
      const node = startNode(stepper, action.node, epoch, config.changefeeds, config.nodes);
      return { ...world, nodes: { ...world.nodes, [action.node]: node }, epochs: { ...world.epochs, [action.node]: epoch } };
    }
  }
}

/** The API budget after one more call (an error when none is left or the configuration has no API). */
function apiBudget(world: World, config: ClusterConfig): number {
  if (!config.api) throw new WorldError('the configuration allows no API calls or state changes');
  const left = world.apiCalls ?? 0;
  if (left <= 0) throw new WorldError('no API budget left');
  return left - 1;
}

/** A readable one-line label of an action, for traces. */
export function actionLabel(a: Action): string {
  switch (a.kind) {
    case 'send':
    case 'deliver':
    case 'lose':
    case 'duplicate':
      return `${a.kind} ${a.message.type} ${a.message.from}→${a.message.to}`;
    case 'tick':
      return `${a.node} ${a.tick} ${a.changefeedId}`;
    case 'runtime':
      return `${a.node} runtime ${a.task.kind} ${a.task.changefeedId}${a.task.kind === 'remove' ? ` ${a.task.dispatcher}` : ''}`;
    case 'membership':
      return `${a.node} sees ${a.change === 'NODE_ADDED' ? 'join' : 'leave'} of ${a.subject}`;
    case 'node-heartbeat':
      return `${a.node} heartbeat`;
    case 'coordinator-tick':
      return a.choice === undefined ? 'coordinator tick' : `coordinator tick (scheduler outcome ${a.choice})`;
    case 'store':
      return `store ${a.call.op.op} ${a.call.changefeedId} (${a.call.purpose}): ${a.outcome}`;
    case 'time':
      return `time passes (${a.step}: at least ${TIME_STEPS[a.step]} ms)`;
    case 'api':
      return a.call === 'DrainNode' ? `API DrainNode(${a.target})` : `API ${a.call}(${a.changefeedId})`;
    case 'state-change':
      return `${a.changefeedId} reports state ${a.state}`;
    case 'pd':
      return a.available ? 'PD answers again' : 'PD becomes unavailable';
    case 'balance-tick':
      return a.choice === undefined ? 'balance tick' : `balance tick (outcome ${a.choice})`;
    case 'coordinator-membership':
      return `coordinator sees ${a.change === 'NODE_ADDED' ? 'join' : 'leave'} of ${a.subject}`;
    case 'checkpoint':
      return a.step === 'advance' ? `coordinator's checkpoint of ${a.changefeedId} advances` : `checkpoint writer persists ${a.changefeedId}`;
    case 'coordinator-crash':
      return 'coordinator crashes';
    case 'coordinator-takeover':
      return 'a new coordinator takes over';
    default:
      return `${a.kind} ${a.node}`;
  }
}
