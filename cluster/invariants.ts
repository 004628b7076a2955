/**
 * Safety invariants of spec §4 over the cluster world, kept apart from the model as P keeps its
 * spec monitors. Each returns true, or a message naming the values that broke it. State invariants
 * read one world; step invariants read the world before and after one step and the step itself.
 *
 * Node-side invariants so far (I5, I9, I10, I11, I12, I15, I16); the coordinator's (I1, I2, I4, I6–I8,
 * I13, I14, I17–I23) join with the coordinator.
 */
import type { Invariant } from '../explorer/types.js';
import type { DispatcherManagerContext } from '../machines/dispatcherManager.js';
import type { MaintainerRegistryContext } from '../machines/maintainerRegistry.js';
import { LIVENESS_ORDER, type Liveness } from '../machines/protocol.js';
import { livenessOf, type Message, type NodeState } from './node.js';
import type { Action, World } from './world.js';
import { strictAllow } from '../machines/epoch.js';
import { isNewerMaintainerEpoch } from '../machines/fencingProtocol.js';
import { stableStringify } from '../graph/serialize.js';
import { sentIn } from './drainInvariants.js';

export type ClusterInvariant = Invariant<World, Action>;

const live = (w: World) => Object.entries(w.nodes).filter((e): e is [string, NodeState] => e[1] !== null);

/** The same process before and after the step (not crashed, not restarted). */
function sameProcess(a: NodeState | null | undefined, b: NodeState | null | undefined): [NodeState, NodeState] | null {
  return a && b && a.nodeEpoch === b.nodeEpoch ? [a, b] : null;
}

const regCtx = (n: NodeState, cf: string) => n.registries[cf]!.context as MaintainerRegistryContext;
const dmCtx = (n: NodeState, cf: string) => n.managers[cf]!.context as DispatcherManagerContext;
const maintainerState = (n: NodeState, cf: string) => (n.registries[cf]!.value as { Maintainer?: string }).Maintainer;

/** I5: for every changefeed and epoch e ≠ 0, at most one node runs a maintainer (not yet stopped) at e. */
export const I5: ClusterInvariant = {
  name: 'I5 unique strict owner per epoch',
  doc: 'for every changefeed and epoch e ≠ 0, at most one node holds a maintainer at e that is not removed',
  check(w) {
    const owners = new Map<string, string[]>();
    for (const [id, n] of live(w)) {
      for (const cf of Object.keys(n.registries)) {
        const state = maintainerState(n, cf);
        const e = regCtx(n, cf).epoch;
        if (state === undefined || state === 'Stopped' || e === 0n) continue;
        const key = `${cf} at epoch ${e}`;
        owners.set(key, [...(owners.get(key) ?? []), id]);
      }
    }
    for (const [key, nodes] of owners) if (nodes.length > 1) return `${key} is owned by ${nodes.join(' and ')}`;
    return true;
  },
};

/** I10: a live dispatcher manager's owner epoch never decreases and, once non-zero, never returns to 0. */
export const I10: ClusterInvariant = {
  name: 'I10 dispatcher-manager owner monotonic',
  doc: "a dispatcher manager's owner epoch never decreases, and once non-zero never becomes 0",
  check(w, step) {
    if (!step) return true;
    for (const [id, after] of live(w)) {
      const pair = sameProcess(step.prev.nodes[id], after);
      if (!pair) continue;
      for (const cf of Object.keys(after.managers)) {
        const a = pair[0].managers[cf]!;
        const b = pair[1].managers[cf]!;
        if (a.value === 'Absent' || b.value === 'Absent') continue;
        const x = dmCtx(pair[0], cf).ownerEpoch;
        const y = dmCtx(pair[1], cf).ownerEpoch;
        if (y < x || (x !== 0n && y === 0n)) return `${id}/${cf}: owner epoch went from ${x} to ${y}`;
      }
    }
    return true;
  },
};

/** I11: a manager created over a tombstone t was created by a bootstrap with an epoch ≠ 0 and > t. */
export const I11: ClusterInvariant = {
  name: 'I11 tombstone',
  doc: 'a dispatcher manager is never created over a tombstone t by a bootstrap with epoch 0 or ≤ t',
  check(w, step) {
    if (!step) return true;
    for (const [id, after] of live(w)) {
      const pair = sameProcess(step.prev.nodes[id], after);
      if (!pair) continue;
      for (const cf of Object.keys(after.managers)) {
        if (pair[0].managers[cf]!.value !== 'Absent' || pair[1].managers[cf]!.value === 'Absent') continue;
        const t = dmCtx(pair[0], cf).tombstone;
        const e = dmCtx(pair[1], cf).ownerEpoch;
        if (t !== null && (e === 0n || e <= t)) return `${id}/${cf}: created at epoch ${e} over tombstone ${t}`;
      }
    }
    return true;
  },
};

/** I12: a node's liveness only steps forward by one (Alive → Draining → Stopping). */
export const I12: ClusterInvariant = {
  name: 'I12 local liveness monotonic',
  doc: "a node's liveness only takes single steps forward",
  check(w, step) {
    if (!step) return true;
    for (const [id, after] of live(w)) {
      const pair = sameProcess(step.prev.nodes[id], after);
      if (!pair) continue;
      const d = LIVENESS_ORDER[livenessOf(pair[1])] - LIVENESS_ORDER[livenessOf(pair[0])];
      if (d !== 0 && d !== 1) return `${id}: liveness went from ${livenessOf(pair[0])} to ${livenessOf(pair[1])}`;
    }
    return true;
  },
};

/** I15: a node's liveness changes only by a SetNodeLiveness request carrying its own node epoch. */
export const I15: ClusterInvariant = {
  name: 'I15 liveness applied only at the node epoch',
  doc: 'a liveness change is caused only by a request carrying the node’s own epoch',
  check(w, step) {
    if (!step) return true;
    for (const [id, after] of live(w)) {
      const pair = sameProcess(step.prev.nodes[id], after);
      if (!pair || livenessOf(pair[0]) === livenessOf(pair[1])) continue;
      const m = step.action.kind === 'deliver' ? (step.action as { message: Record<string, unknown> }).message : undefined;
      if (!m || m.type !== 'SetNodeLivenessRequest' || m.to !== id || m.nodeEpoch !== after.nodeEpoch) {
        return `${id}: liveness became ${livenessOf(after) as Liveness} by ${m ? `${String(m.type)} with epoch ${String(m.nodeEpoch)}` : step.action.kind}, node epoch ${after.nodeEpoch}`;
      }
    }
    return true;
  },
};

/** I16: a Stopping node creates no maintainer for an AddMaintainer. */
export const I16: ClusterInvariant = {
  name: 'I16 a Stopping node refuses new owners',
  doc: 'while a node is Stopping, no AddMaintainer creates a maintainer on it',
  check(w, step) {
    if (!step) return true;
    for (const [id, after] of live(w)) {
      const pair = sameProcess(step.prev.nodes[id], after);
      if (!pair || livenessOf(pair[0]) !== 'Stopping') continue;
      for (const cf of Object.keys(after.registries)) {
        const b = regCtx(pair[1], cf);
        if (b.generation > regCtx(pair[0], cf).generation && !b.removeOnly) return `${id}/${cf}: a maintainer at epoch ${b.epoch} was created while Stopping`;
      }
    }
    return true;
  },
};

/**
 * I9: a stale request never mutates a maintainer. A RemoveMaintainer whose epoch fails
 * `strictAllow(req, MT.epoch)`, and an AddMaintainer that may not replace the maintainer in the slot
 * (it is not fully stopped, or the add's epoch is not strictly newer), leave the slot unchanged.
 * Judged from the step's message and the slot before it, not from the machine's own guards, so a
 * variant that changes those guards (B14) is caught.
 */
export const I9: ClusterInvariant = {
  name: 'I9 stale request never mutates a maintainer',
  doc: 'a RemoveMaintainer failing strictAllow, or an AddMaintainer that may not replace the maintainer, leaves the slot unchanged',
  check(w, step) {
    if (!step || step.action.kind !== 'deliver') return true;
    const m = step.action.message as Message | undefined;
    if (!m || (m.type !== 'AddMaintainerRequest' && m.type !== 'RemoveMaintainerRequest')) return true;
    const pair = sameProcess(step.prev.nodes[m.to], w.nodes[m.to]);
    const cf = m.changefeedId as string;
    if (!pair || !pair[0].registries[cf]) return true;
    const state = maintainerState(pair[0], cf);
    if (state === undefined) return true; // an empty slot has no maintainer to protect
    const epoch = regCtx(pair[0], cf).epoch;
    const req = m.maintainerEpoch as bigint;
    const stale = m.type === 'RemoveMaintainerRequest' ? !strictAllow(req, epoch) : state !== 'Stopped' || !isNewerMaintainerEpoch(epoch, req);
    if (!stale) return true;
    const a = pair[0].registries[cf]!;
    const b = pair[1].registries[cf]!;
    if (a === b || stableStringify({ v: a.value, c: a.context }) === stableStringify({ v: b.value, c: b.context })) return true;
    return `${m.to}/${cf}: ${m.type} at epoch ${req} changed the maintainer ${state} at epoch ${epoch} (now ${maintainerState(pair[1], cf) ?? 'empty'} at epoch ${regCtx(pair[1], cf).epoch})`;
  },
};

/**
 * I21: a quiesced maintainer starts nothing. Entering Removing is the maintainer's
 * `QuiesceExcept` (§2.8): from then on it schedules no dispatcher work but the allowed DDL-trigger
 * close. The cluster model's only dispatcher is that trigger, so what it may not send again is a
 * bootstrap or post-bootstrap request (which would start or schedule dispatcher operators).
 */
export const I21: ClusterInvariant = {
  name: 'I21 quiesce',
  doc: 'a maintainer in Removing (quiesced, §2.8) sends no bootstrap or post-bootstrap request: nothing outside the allowed close starts',
  check(w, step) {
    if (!step) return true;
    for (const m of sentIn(step, w)) {
      if (m.type !== 'MaintainerBootstrapRequest' && m.type !== 'MaintainerPostBootstrapRequest') continue;
      const reg = step.prev.nodes[m.from]?.registries[m.changefeedId as string];
      if (!reg || stableStringify(reg.value) !== '{"Maintainer":"Removing"}') continue;
      if ((reg.context as MaintainerRegistryContext).epoch !== m.maintainerEpoch) continue;
      return `the quiesced maintainer of ${m.changefeedId} on ${m.from} (epoch ${m.maintainerEpoch}) sent ${m.type} to ${m.to}`;
    }
    return true;
  },
};

export const nodeInvariants: ClusterInvariant[] = [I5, I10, I11, I12, I15, I16, I9, I21];

/** Every invariant `world` (after `step`) breaks, by name, with its message. */
export function violations(invariants: readonly ClusterInvariant[], world: World, step?: { prev: World; action: Action }): Array<{ name: string; message: string }> {
  return invariants.flatMap((inv) => {
    const r = inv.check(world, step);
    return r === true ? [] : [{ name: inv.name, message: r === false ? 'violated' : r }];
  });
}
