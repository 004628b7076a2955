/**
 * The cluster world as a model for the generic explorer (explorer/): its actions, its steps and a
 * canonical encoding. Each machine snapshot is reduced to its value and context (what the
 * machine's guards and actions can read), the bag is already kept in a canonical order, and the
 * encoding is exact (the UTF-16 code units of a stable serialisation), so nothing can be missed.
 *
 * This encoding is simple and slow (it serialises every machine at every state); the fast one —
 * machine states hash-consed to small integers with a transition cache, as
 * shared/notes/explorer-design.md measures — replaces it when the coordinator is composed in.
 */
import type { AnyMachineSnapshot } from 'xstate';
import type { Model } from '../explorer/types.js';
import { stableStringify } from '../graph/serialize.js';
import { actionLabel, apply, enabledActions, messageKey, type Action, type ClusterConfig, type World } from './world.js';
import type { NodeState } from './node.js';
import type { Stepper } from './stepper.js';

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
    c: w.coordinator ?? null,
  });
}

export function clusterModel(stepper: Stepper, config: ClusterConfig, initial: World, name = 'cluster'): Model<World, Action> {
  const cfg = { ...config, keepCoordinatorInbox: false };
  return {
    name,
    initialStates: () => [initial],
    actions: (w) => enabledActions(w, cfg),
    apply: (w, a) => apply(stepper, w, a, cfg),
    encode: (w) => {
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
