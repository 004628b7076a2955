/**
 * Safety invariants of spec §4 on the coordinator's operator side and the store: I1, I2, I4, I20
 * and I23, over the world with a composed coordinator. Monitors apart from the model, as P keeps them:
 * each recomputes what it needs from the world (the persisted records, the controller's value, the
 * messages a step put in flight), never from an operator's own guards.
 */
import type { Invariant } from '../explorer/types.js';
import type { Action, World } from './world.js';
import { sentBy } from './drainInvariants.js';
import { sessionContext, viewOf } from './coordinator.js';
import { isSchedulableDest, isSchedulingFrozen } from '../machines/coordinator/gates.js';
import type { LivenessViewContext } from '../machines/livenessView.js';

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
    for (const m of sentBy(step.prev, w)) {
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
    for (const m of sentBy(step.prev, w)) {
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
    // The destinations chosen in this step: admissions begun now (the operator is pushed later,
    // when the bump lands), and adds or moves pushed now without a pending admission.
    const chosen: Array<{ cf: string; kind: string; dest: string }> = [];
    for (const [cf, a] of Object.entries(after.admissions)) {
      if (!before.admissions[cf] && a.spec.kind !== 'stop') chosen.push({ cf, kind: a.spec.kind, dest: a.spec.dest });
    }
    for (const [cf, slot] of after.controller.operators) {
      if (slot.kind === 'stop' || before.admissions[cf] || after.admissions[cf] || before.controller.operators.has(cf)) continue;
      // A move whose destination already fell back to its origin (the destination left before the
      // push, §2.0 checkAffectedNodes) has no new destination to judge.
      const dest = slot.kind === 'add' ? slot.context.dest : slot.context.target;
      if (slot.kind === 'move' && dest === slot.context.origin) continue;
      chosen.push({ cf, kind: slot.kind, dest });
    }
    for (const { cf, kind, dest } of chosen) {
      const v = before.views[dest]?.context as LivenessViewContext | undefined;
      const view = { state: viewOf(before, dest), observed: v?.observed ?? false, nodeEpoch: v?.nodeEpoch ?? 0n };
      if (!before.members.includes(dest) || !isSchedulableDest(frozen, sc.gate, dest, view)) {
        return `a new ${kind} of ${cf} to ${dest}, which was not a safe destination (view ${view.state}${frozen ? ', scheduling frozen' : ''}${sc.gate ? `, gate ${sc.gate.kind} ${sc.gate.target}` : ''})`;
      }
    }
    return true;
  },
};

export const operatorInvariants: ClusterInvariant[] = [I1, I2, I4, I20, I23];
