/**
 * The cluster world as a model for the generic explorer (explorer/): its actions, its steps and a
 * canonical encoding. Each machine snapshot is reduced to its value and context (what the
 * machine's guards and actions can read), the bag is already kept in a canonical order, and the
 * encoding is exact (the UTF-16 code units of a stable serialisation), so nothing can be missed.
 *
 * With a {@link TableStepper} the encoding is a vector of small integers instead: each machine's
 * snapshot id in its table (hash-consed), each message's and record's id in an interner, the bag
 * as sorted ids — the design measured in shared/notes/explorer-design.md. Any other stepper gets
 * the exact text encoding (simple and slow: every machine serialised at every state).
 */
import type { AnyMachineSnapshot } from 'xstate';
import type { Model } from '../explorer/types.js';
import { stableStringify } from '../graph/serialize.js';
import { actionLabel, apply, enabledActions, messageKey, type Action, type ClusterConfig, type World } from './world.js';
import type { Message, NodeState } from './node.js';
import { TableStepper, type Stepper } from './stepper.js';
import { Interner } from './network.js';
import { coordinatorParts, coordinatorView } from './coordinator.js';
import { nodeLivenessMachine } from '../machines/nodeLiveness.js';
import { nodeDrainTargetMachine } from '../machines/nodeDrainTarget.js';
import { maintainerRegistryMachine } from '../machines/maintainerRegistry.js';
import { dispatcherManagerMachine } from '../machines/dispatcherManager.js';

const snap = (s: AnyMachineSnapshot) => ({ v: s.value, c: s.context });
const nodeView = (n: NodeState | null) =>
  n && {
    e: n.nodeEpoch,
    l: snap(n.liveness),
    d: snap(n.drainTarget),
    r: Object.fromEntries(Object.entries(n.registries).map(([cf, s]) => [cf, snap(s)])),
    m: Object.fromEntries(Object.entries(n.managers).map(([cf, s]) => [cf, snap(s)])),
    t: n.runtime,
  };

/** The canonical text of a world: equal worlds (bag order aside) give equal text. */
export function worldKey(w: World): string {
  return stableStringify({
    n: Object.fromEntries(Object.entries(w.nodes).map(([id, n]) => [id, nodeView(n)])),
    ep: w.epochs,
    f: w.inFlight.map(messageKey),
    s: w.store,
    b: w.budgets,
    c: w.coordinator ? coordinatorView(w.coordinator) : (w.coordinator ?? 'none'),
    fo: w.failovers ?? 0,
    lv: w.lastCoordinatorVersion ?? 0n,
    ...(w.coordinatorPanic !== undefined ? { cp: w.coordinatorPanic } : {}),
    sc: w.storeCalls ?? [],
    sf: w.storeFaults ?? 0,
    pd: [w.pdAvailable ?? true, w.pdOutages ?? 0],
    api: w.apiCalls ?? 0,
    re: w.retiredEpochs ?? {},
    ...(w.revisions ? { rv: w.revisions, ca: w.checkpointAdvances ?? 0 } : {}),
  });
}

/** The integer encoding of worlds over one {@link TableStepper}. */
export function tableEncoder(stepper: TableStepper, config: ClusterConfig): (w: World) => Int32Array {
  const messages = new Interner<Message>(messageKey);
  const messageIds = new WeakMap<Message, number>();
  const interned = new Interner<unknown>((v) => stableStringify(v));
  // Worlds share their unchanged parts, so most values are met again as the same object or primitive.
  const byObject = new WeakMap<object, number>();
  const byPrimitive = new Map<unknown, number>();
  const values = {
    id(v: unknown): number {
      if (v !== null && typeof v === 'object') {
        let id = byObject.get(v);
        if (id === undefined) byObject.set(v, (id = interned.id(v)));
        return id;
      }
      let id = byPrimitive.get(v);
      if (id === undefined) byPrimitive.set(v, (id = interned.id(v)));
      return id;
    },
  };
  const msgId = (m: Message) => {
    let id = messageIds.get(m);
    if (id === undefined) messageIds.set(m, (id = messages.id(m)));
    return id;
  };
  const buf: number[] = [];
  return (w) => {
    buf.length = 0;
    for (const id of config.nodes) {
      const n = w.nodes[id];
      buf.push(values.id(w.epochs[id] ?? 0n));
      if (!n) {
        buf.push(-1);
        continue;
      }
      buf.push(stepper.idOf(nodeLivenessMachine, n.liveness), stepper.idOf(nodeDrainTargetMachine, n.drainTarget));
      for (const cf of config.changefeeds) buf.push(stepper.idOf(maintainerRegistryMachine, n.registries[cf]!), stepper.idOf(dispatcherManagerMachine, n.managers[cf]!));
      buf.push(n.runtime.length, ...n.runtime.map((t) => values.id(t)));
    }
    for (const cf of config.changefeeds) buf.push(values.id(w.store[cf] ?? null));
    buf.push(w.budgets.loss, w.budgets.duplication, w.budgets.crashes, w.failovers ?? 0, values.id(w.lastCoordinatorVersion ?? 0n), w.storeFaults ?? 0);
    buf.push(w.pdAvailable === false ? 0 : 1, w.pdOutages ?? 0, w.apiCalls ?? 0, values.id(w.retiredEpochs ?? null));
    if (w.revisions) buf.push(values.id(w.revisions), w.checkpointAdvances ?? 0);
    const calls = w.storeCalls ?? [];
    buf.push(calls.length, ...calls.map((c) => values.id(c)));
    if (!w.coordinator) buf.push(w.coordinator === null ? -2 : -3, values.id(w.coordinatorPanic ?? null));
    else {
      const parts = coordinatorParts(w.coordinator, (m, s) => stepper.idOf(m, s), config.nodes);
      for (const part of parts.rest) buf.push(values.id(part));
      buf.push(...parts.ids);
    }
    // The bag is kept sorted by message key; ids are sorted again so the encoding is canonical too.
    buf.push(w.inFlight.length, ...w.inFlight.map(msgId).sort((a, b) => a - b));
    return Int32Array.from(buf);
  };
}

export function clusterModel(stepper: Stepper, config: ClusterConfig, initial: World, name = 'cluster'): Model<World, Action> {
  const cfg = { ...config, keepCoordinatorInbox: false };
  const fast = stepper instanceof TableStepper ? tableEncoder(stepper, cfg) : undefined;
  return {
    name,
    initialStates: () => [initial],
    actions: (w) => enabledActions(w, cfg, stepper),
    apply: (w, a) => apply(stepper, w, a, cfg),
    encode: (w) => {
      if (fast) return fast(w);
      const key = worldKey(w);
      const out = new Int32Array(key.length);
      for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i);
      return out;
    },
    label: (_w, a) => actionLabel(a),
    // Ticks are always enabled, so no world is stuck for want of an action.
    isTerminal: () => true,
  };
}
