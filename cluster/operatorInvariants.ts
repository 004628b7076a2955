/**
 * Safety invariants of spec §4 on the coordinator's operator side and the store: I1, I2, I4, I6,
 * I7, I8, I20, I22 and I23, over the world with a composed coordinator. Monitors apart from the model, as P keeps them:
 * each recomputes what it needs from the world (the persisted records, the controller's value, the
 * messages a step put in flight), never from an operator's own guards.
 */
import type { Invariant } from '../explorer/types.js';
import type { Action, World } from './world.js';
import { sentIn } from './drainInvariants.js';
import { sessionContext, viewOf, type CoordinatorState } from './coordinator.js';
import { isSchedulableDest, isSchedulingFrozen } from '../machines/coordinator/gates.js';
import type { LivenessViewContext } from '../machines/livenessView.js';
import type { MaintainerRegistryContext } from '../machines/maintainerRegistry.js';
import { actionLabel } from './world.js';

export type ClusterInvariant = Invariant<World, Action>;

/** I1: every successful bump persists a strictly larger epoch than the one it replaced. */
export const I1: ClusterInvariant = {
  name: 'I1 persisted epoch strictly increases across bumps',
  doc: 'a store bump (or resume) that lands leaves the changefeed with an epoch strictly above the one before',
  check(w, step) {
    if (!step || step.action.kind !== 'store') return true;
    const { call } = step.action;
    if (call.op.op !== 'bump' && call.op.op !== 'resume') return true;
    const before = step.prev.store[call.changefeedId];
    const after = w.store[call.changefeedId];
    if (!before || !after || after === before) return true; // refused or not applied
    if (after.epoch <= before.epoch) return `the bump of ${call.changefeedId} persisted epoch ${after.epoch} over ${before.epoch}`;
    return true;
  },
};

/** I2: the coordinator's in-memory epoch is never ahead of the persisted one. */
export const I2: ClusterInvariant = {
  name: 'I2 in-memory never ahead',
  doc: "the coordinator's in-memory epoch of a changefeed is at most its persisted epoch",
  check(w) {
    const ctl = w.coordinator?.controller;
    if (!ctl) return true;
    for (const [cf, info] of ctl.infos) {
      const p = w.store[cf];
      if (p && info.epoch > p.epoch) return `${cf}: in memory at epoch ${info.epoch}, persisted at ${p.epoch}`;
    }
    return true;
  },
};

/**
 * I4: an AddMaintainer the coordinator sends carries an epoch that was persisted (at most the
 * stored epoch, and the in-memory one of the changefeed at the send).
 */
export const I4: ClusterInvariant = {
  name: 'I4 bump before ownership',
  doc: 'every AddMaintainer sent carries an epoch no larger than the persisted one, equal to the in-memory one',
  check(w, step) {
    if (!step || !w.coordinator?.controller) return true;
    const ctl = w.coordinator.controller;
    for (const m of sentIn(step, w)) {
      if (m.type !== 'AddMaintainerRequest' || m.from !== w.coordinator.node) continue;
      const cf = m.changefeedId as string;
      const p = w.store[cf];
      const e = m.maintainerEpoch as bigint;
      if (!p || e > p.epoch) return `AddMaintainer(${cf}, epoch ${e}) to ${m.to} with the persisted epoch at ${p?.epoch ?? 'none'}`;
      const info = ctl.infos.get(cf);
      if (info && e !== info.epoch) return `AddMaintainer(${cf}, epoch ${e}) to ${m.to} while the in-memory epoch is ${info.epoch}`;
    }
    return true;
  },
};

/**
 * I23: while a move has not bound its destination (RemoveOrigin, OriginStopped), every remove it
 * or a stop sends for the changefeed goes to the origin with the origin's epoch.
 */
export const I23: ClusterInvariant = {
  name: 'I23 move remove uses the owned epoch',
  doc: "each RemoveMaintainer for a changefeed whose move is in RemoveOrigin or OriginStopped goes to the origin with originEpoch",
  check(w, step) {
    if (!step || !step.prev.coordinator?.controller || !w.coordinator) return true;
    const before = step.prev.coordinator.controller;
    // A stop issued while the move is unbound replaces it: it must target the origin at originEpoch.
    for (const [cf, slot] of before.operators) {
      if (slot.kind !== 'move' || (slot.value !== 'RemoveOrigin' && slot.value !== 'OriginStopped') || step.prev.coordinator.version !== w.coordinator.version) continue;
      const stop = w.coordinator.controller?.operators.get(cf);
      if (stop?.kind !== 'stop') continue;
      const { origin, originEpoch } = slot.context;
      if (stop.context.nodeId !== origin || stop.context.maintainerEpoch !== originEpoch) {
        return `a stop of ${cf} issued during a move in ${slot.value} goes to ${stop.context.nodeId} at epoch ${stop.context.maintainerEpoch} (origin ${origin}, originEpoch ${originEpoch})`;
      }
    }
    for (const m of sentIn(step, w)) {
      if (m.type !== 'RemoveMaintainerRequest' || m.from !== w.coordinator.node) continue;
      const slot = before.operators.get(m.changefeedId as string) ?? w.coordinator.controller?.operators.get(m.changefeedId as string);
      if (!slot || slot.kind !== 'move' || (slot.value !== 'RemoveOrigin' && slot.value !== 'OriginStopped')) continue;
      const { origin, originEpoch } = slot.context;
      if (m.to !== origin || m.maintainerEpoch !== originEpoch) {
        return `RemoveMaintainer(${m.changefeedId}) to ${m.to} at epoch ${m.maintainerEpoch} during a move from ${origin} (originEpoch ${originEpoch})`;
      }
    }
    return true;
  },
};

/**
 * The add and move destinations a step chose (same coordinator before and after): admissions begun
 * now (the operator is pushed later, when the bump lands), and adds or moves pushed now without a
 * pending admission.
 */
export function chosenDestinations(before: CoordinatorState, after: CoordinatorState): Array<{ cf: string; kind: string; dest: string }> {
  const chosen: Array<{ cf: string; kind: string; dest: string }> = [];
  for (const [key, a] of Object.entries(after.admissions)) {
    if (!before.admissions[key] && a.spec.kind !== 'stop') chosen.push({ cf: a.spec.changefeedId, kind: a.spec.kind, dest: a.spec.dest });
  }
  for (const [cf, slot] of after.controller?.operators ?? []) {
    if (slot.kind === 'stop' || before.admissions[cf] || after.admissions[cf] || before.controller?.operators.has(cf)) continue;
    // A move whose destination already fell back to its origin (the destination left before the
    // push, §2.0 checkAffectedNodes) has no new destination to judge.
    const dest = slot.kind === 'add' ? slot.context.dest : slot.context.target;
    if (slot.kind === 'move' && dest === slot.context.origin) continue;
    chosen.push({ cf, kind: slot.kind, dest });
  }
  return chosen;
}

/**
 * I20: every new add or move destination was a safe destination when it was chosen
 * (`IsSchedulableDest`, §2.5.2, judged on the coordinator before the step): viewed Alive, no
 * scheduling freeze, not pending a clear, and under a target gate not the target and acknowledged
 * at its current node epoch. Operators pushed by bootstrap (stops) are not destinations.
 */
export const I20: ClusterInvariant = {
  name: 'I20 safe destinations',
  doc: 'every new Add or Move destination satisfied IsSchedulableDest (§2.5.2) when it was chosen',
  check(w, step) {
    const before = step?.prev.coordinator;
    const after = w.coordinator;
    if (!step || !before?.controller || !after?.controller || before.version !== after.version) return true;
    const sc = sessionContext(before);
    const frozen = isSchedulingFrozen(sc.session !== null, before.members.map((n) => viewOf(before, n)));
    for (const { cf, kind, dest } of chosenDestinations(before, after)) {
      const v = before.views[dest]?.context as LivenessViewContext | undefined;
      const view = { state: viewOf(before, dest), observed: v?.observed ?? false, nodeEpoch: v?.nodeEpoch ?? 0n };
      if (!before.members.includes(dest) || !isSchedulableDest(frozen, sc.gate, dest, view)) {
        return `a new ${kind} of ${cf} to ${dest}, which was not a safe destination (view ${view.state}${frozen ? ', scheduling frozen' : ''}${sc.gate ? `, gate ${sc.gate.kind} ${sc.gate.target}` : ''})`;
      }
    }
    return true;
  },
};

const article = (kind: string) => `${kind === 'add' ? 'an' : 'a'} ${kind}`;

/** A maintainer slot that holds a live maintainer (bootstrapping, running or removing) at `epoch`. */
function liveAt(w: World, node: string, cf: string, epoch: bigint): boolean {
  const reg = w.nodes[node]?.registries[cf];
  if (!reg || typeof reg.value !== 'object' || !('Maintainer' in (reg.value as object))) return false;
  // A stopped maintainer (waiting for cleanup) no longer runs the changefeed.
  return (reg.value as { Maintainer: string }).Maintainer !== 'Stopped' && (reg.context as MaintainerRegistryContext).epoch === epoch;
}

/**
 * I6: a move adds at its destination only once the origin is gone: when the coordinator sends a
 * move's AddMaintainer, the operator is in AddTarget and the origin no longer runs the
 * changefeed at originEpoch — judged on the origin node itself, not on the operator's guards —
 * unless the origin left the membership (then it may still run, fenced by the newer epoch).
 */
export const I6: ClusterInvariant = {
  name: 'I6 origin-first move',
  doc: "a Move's AddMaintainer is sent only in AddTarget, after the origin stopped at originEpoch or left the membership",
  check(w, step) {
    const c = w.coordinator;
    if (!step || !c?.controller) return true;
    for (const m of sentIn(step, w)) {
      if (m.type !== 'AddMaintainerRequest' || m.from !== c.node) continue;
      const cf = m.changefeedId as string;
      const slot = c.controller.operators.get(cf) ?? step.prev.coordinator?.controller?.operators.get(cf);
      if (slot?.kind !== 'move') continue;
      const { origin, originEpoch, originRemoved } = slot.context;
      if (slot.value !== 'AddTarget' && c.controller.operators.get(cf) === slot) return `a move of ${cf} sent AddMaintainer to ${m.to} in ${slot.value}`;
      if (originRemoved || !c.members.includes(origin)) continue;
      if (liveAt(step.prev, origin, cf, originEpoch)) return `a move of ${cf} sent AddMaintainer to ${m.to} while the origin ${origin} still runs it at originEpoch ${originEpoch}`;
    }
    return true;
  },
};

/**
 * §4 BUMPING: the changefeeds with an admission bump in flight. The code records them in the
 * reservation set (`epochBumping`); the admissions the coordinator keeps are the calls themselves
 * (each waits for its bump). On the faithful model both are the same set; reading the calls too
 * keeps I7 a judge of the behaviour when a variant drops the record (§5.1 B2).
 */
export function bumpingChangefeeds(c: CoordinatorState): Set<string> {
  const bumping = new Set(c.controller?.epochBumping ?? []);
  for (const a of Object.values(c.admissions)) if (a.spec.kind !== 'stop') bumping.add(a.spec.changefeedId);
  return bumping;
}

/**
 * I7: one operator per changefeed, and none admitted while its bump is in flight: a changefeed in
 * BUMPING has no add or move, and no step puts one there for a changefeed that was bumping unless
 * that step is the answer to the changefeed's own admission bump.
 */
export const I7: ClusterInvariant = {
  name: 'I7 one operator per changefeed',
  doc: 'at most one operator per changefeed; while its epoch bump is in flight no Add or Move for it is admitted',
  check(w, step) {
    const ctl = w.coordinator?.controller;
    if (!ctl) return true;
    for (const cf of bumpingChangefeeds(w.coordinator!)) {
      const slot = ctl.operators.get(cf);
      if (slot && slot.kind !== 'stop') return `${cf} has ${article(slot.kind)} operator while its epoch bump is ${ctl.epochBumping.has(cf) ? 'reserved' : 'in flight (unreserved)'}`;
    }
    const before = step?.prev.coordinator?.controller;
    if (!step || !before || step.prev.coordinator?.version !== w.coordinator?.version) return true;
    for (const cf of bumpingChangefeeds(step.prev.coordinator!)) {
      const slot = ctl.operators.get(cf);
      if (!slot || slot.kind === 'stop' || before.operators.get(cf)?.kind === slot.kind) continue;
      const a = step.action;
      if (a.kind === 'store' && a.call.purpose === 'admission' && a.call.changefeedId === cf) continue;
      return `${article(slot.kind)} of ${cf} was admitted while its bump was in flight (${actionLabel(a)})`;
    }
    return true;
  },
};

/**
 * I8: a maintainer status at an epoch other than the coordinator's (both non-zero) leaves the
 * coordinator's in-memory status of the changefeed (its checkpoint) unchanged; operators may
 * still consume it.
 */
export const I8: ClusterInvariant = {
  name: 'I8 stale status never mutates the coordinator',
  doc: "a MaintainerStatus whose epoch differs from the in-memory one (both non-zero) leaves the coordinator's checkpoint unchanged",
  check(w, step) {
    if (!step || step.action.kind !== 'deliver' || step.action.message.type !== 'MaintainerStatus') return true;
    const before = step.prev.coordinator?.controller;
    const after = w.coordinator?.controller;
    if (!before || !after || step.action.message.to !== w.coordinator?.node) return true;
    const m = step.action.message;
    const cf = m.changefeedId as string;
    const mem = before.infos.get(cf);
    const e = m.maintainerEpoch as bigint;
    if (!mem || e === 0n || mem.epoch === 0n || e === mem.epoch) return true;
    const now = after.infos.get(cf);
    if (now && now.checkpointTs !== mem.checkpointTs) return `a status of ${cf} at epoch ${e} (in memory ${mem.epoch}) moved the checkpoint ${mem.checkpointTs} → ${now.checkpointTs}`;
    return true;
  },
};

/**
 * I22: removal wins over success: an Add or Move that finishes after its destination left the
 * membership leaves the changefeed not Replicating on that node.
 */
export const I22: ClusterInvariant = {
  name: 'I22 removal wins over success',
  doc: 'an Add or Move finishing after its destination left the membership does not leave the changefeed Replicating there',
  check(w, step) {
    const before = step?.prev.coordinator?.controller;
    const c = w.coordinator;
    if (!step || !before || !c?.controller || step.prev.coordinator?.version !== c.version) return true;
    for (const [cf, slot] of before.operators) {
      if (slot.kind === 'stop' || c.controller.operators.get(cf) === slot) continue;
      const after = c.controller.operators.get(cf);
      if (after && after.kind === slot.kind) continue; // still running
      const dest = slot.kind === 'add' ? slot.context.dest : slot.context.target;
      if (c.members.includes(dest)) continue;
      const e = c.controller.db.get(cf);
      if (e?.bucket === 'Replicating' && e.nodeId === dest) return `the ${slot.kind} of ${cf} finished with it Replicating on ${dest}, which left the membership`;
    }
    return true;
  },
};

export const operatorInvariants: ClusterInvariant[] = [I1, I2, I4, I6, I7, I8, I20, I22, I23];
