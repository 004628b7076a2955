/**
 * Sharper invariants for the historical-bug catalogue (spec §5.1, cluster/catalogue.ts): predicates
 * that the spec's invariants imply, or that state the safety half of a liveness bug, so that a bug
 * shows in a few steps of a small configuration. Each holds on the faithful model (the catalogue
 * test checks it on the same configurations) and is a monitor apart from the model: it reads the
 * world, never an operator's guards.
 *
 * - `I22 nothing Replicating on a removed node` (§4 I22, B8): removal wins over success, so the
 *   coordinator never holds a changefeed as Replicating on a node outside its membership.
 * - `I22 no AddMaintainer to a removed node` (the safety half of B7's liveness bug, §2.2 case 6):
 *   no add or move keeps sending AddMaintainer to a node that has left the coordinator's
 *   membership, and none is sent to one — a move whose destination and origin are both gone
 *   finishes Absent instead of resending to a dead node forever (§2.1, §2.2: node removal cancels).
 * - `I5 an add epoch is offered to one node only` (B6, §2.2 "Rebinding could create two maintainers
 *   with the new epoch"): the nodes holding a maintainer at (cf, e) together with the destinations
 *   of AddMaintainer(cf, e) in flight are at most one node. I5 itself needs a node that is removed
 *   from membership while its process still runs (a partition), which the world does not model;
 *   two live offers of the same epoch are what such a partition would turn into two owners.
 * - `I1 persisted checkpoint never decreases` (B29): a store write of the checkpoint never lowers
 *   it, except a resume, which sets the checkpoint the user asked for (§3.3).
 * - `§3.2 an epoch-only bump conflicts only with an info write` (the safety half of B27's liveness
 *   bug, §3.2 step 5): with store revisions (cluster/world.ts `checkpoints`), a bump without a
 *   status update whose info key is unchanged since it read it commits, unless the store refuses it
 *   for another reason (the changefeed is gone, the epoch overflows). Checkpoint writes to the
 *   status key then never fail an admission's bump.
 * - `I5 an add is pushed only for an unplaced changefeed` (what went wrong in B2: "two owners
 *   would get distinct epochs"): an add operator is pushed only for a changefeed the coordinator
 *   holds bound to no node. The basic scheduler proposes adds for Absent changefeeds only (§2.4.1)
 *   and the reservation keeps every other add or move out until the push (§2.4, I7); a stop that
 *   wins meanwhile unbinds it. I5 counts owners per epoch, so it does not see a second owner at a
 *   newer epoch beside a maintainer the coordinator still holds Replicating.
 * - `coordinator bootstrap never panics` (availability, B10): no coordinator goes down with a
 *   panic (§2.4.2 step 3, "maintainer runs on multiple node"); the world records one in
 *   `coordinatorPanic`. The faithful selection panics only on two exact (or two compatibility)
 *   matches, which I5 excludes.
 * - `I9 every bootstrap stop carries the epoch its owner reported` (the safety half of B11's
 *   liveness bug, §2.4.2 step 6): in the step that finishes a bootstrap, every stop operator the
 *   bootstrap pushed and every RemoveMaintainer it sent to a node that reported the changefeed,
 *   other than the owner it bound, carries the epoch that node reported — a strict maintainer drops
 *   any other (§2.7.2 `strictAllow`), and the stop never completes.
 */
import type { Invariant } from '../explorer/types.js';
import type { MaintainerRegistryContext } from '../machines/maintainerRegistry.js';
import { sentBy, sentIn } from './drainInvariants.js';
import type { CoordinatorState } from './coordinator.js';
import type { Action, World } from './world.js';
import { applyStoreOp } from './store.js';

export type CatalogueInvariant = Invariant<World, Action>;

export const replicatingOnlyOnMembers: CatalogueInvariant = {
  name: 'I22 nothing Replicating on a removed node',
  doc: 'the coordinator holds no changefeed as Replicating on a node outside its membership (removal wins over success)',
  check(w) {
    const c = w.coordinator;
    const ctl = c?.controller;
    if (!c || !ctl) return true;
    for (const [cf, entry] of ctl.db) {
      if (entry.bucket === 'Replicating' && !c.members.includes(entry.nodeId)) return `${cf} is Replicating on ${entry.nodeId}, which left the membership`;
    }
    return true;
  },
};

export const addsOnlyToMembers: CatalogueInvariant = {
  name: 'I22 no AddMaintainer to a removed node',
  doc: 'no add (Sending) or move (AddTarget) keeps sending AddMaintainer to a node outside the membership, and no AddMaintainer is sent to one (a move whose nodes are gone finishes Absent)',
  check(w, step) {
    const c = w.coordinator;
    if (!c) return true;
    // The operator is judged as well as the message: a send beyond the network's capacity is lost.
    for (const [cf, slot] of c.controller?.operators ?? []) {
      const dest = slot.kind === 'add' && slot.value === 'Sending' ? slot.context.dest : slot.kind === 'move' && slot.value === 'AddTarget' ? slot.context.target : undefined;
      if (dest !== undefined && !c.members.includes(dest)) return `the ${slot.kind} of ${cf} keeps sending AddMaintainer to ${dest}, which left the membership`;
    }
    if (!step) return true;
    for (const m of sentBy(step.prev, w)) {
      if (m.type === 'AddMaintainerRequest' && m.from === c.node && !c.members.includes(m.to)) {
        return `AddMaintainer(${String(m.changefeedId)}, epoch ${String(m.maintainerEpoch)}) sent to ${m.to}, which left the membership`;
      }
    }
    return true;
  },
};

export const oneNodePerAddEpoch: CatalogueInvariant = {
  name: 'I5 an add epoch is offered to one node only',
  doc: 'for every changefeed and epoch e ≠ 0, the nodes holding a maintainer at e and the destinations of AddMaintainer at e in flight are at most one node',
  check(w) {
    const offered = new Map<string, Set<string>>();
    const offer = (cf: string, e: bigint, node: string) => {
      if (e === 0n) return;
      const key = `${cf} at epoch ${e}`;
      let s = offered.get(key);
      if (!s) offered.set(key, (s = new Set()));
      s.add(node);
    };
    for (const [id, n] of Object.entries(w.nodes)) {
      if (!n) continue;
      for (const [cf, snap] of Object.entries(n.registries)) {
        const maintainer = (snap.value as { Maintainer?: string }).Maintainer;
        if (maintainer !== undefined) offer(cf, (snap.context as MaintainerRegistryContext).epoch, id);
      }
    }
    for (const m of w.inFlight) if (m.type === 'AddMaintainerRequest') offer(m.changefeedId as string, m.maintainerEpoch as bigint, m.to);
    for (const [key, nodes] of offered) if (nodes.size > 1) return `${key} is offered to ${[...nodes].sort().join(' and ')}`;
    return true;
  },
};

export const persistedCheckpointMonotonic: CatalogueInvariant = {
  name: 'I1 persisted checkpoint never decreases',
  doc: 'a store write never lowers a changefeed’s persisted checkpoint (a resume sets the one asked for)',
  check(w, step) {
    if (!step || step.action.kind !== 'store' || step.action.call.op.op === 'resume') return true;
    const cf = step.action.call.changefeedId;
    const before = step.prev.store[cf];
    const after = w.store[cf];
    if (before && after && after.checkpointTs < before.checkpointTs) {
      return `the ${step.action.call.op.op} of ${cf} lowered the persisted checkpoint from ${before.checkpointTs} to ${after.checkpointTs}`;
    }
    return true;
  },
};

export const epochOnlyBumpConflictsOnInfo: CatalogueInvariant = {
  name: '§3.2 an epoch-only bump conflicts only with an info write',
  doc: 'a bump without a status update whose info key was not written since it read it commits (only the info revision is compared)',
  check(w, step) {
    if (!step || step.action.kind !== 'store' || step.action.outcome === 'failed') return true;
    const { call } = step.action;
    if (call.op.op !== 'bump' || call.op.status || !call.seen || !step.prev.revisions) return true;
    const cf = call.changefeedId;
    const before = step.prev.revisions[cf];
    // A refusal for another reason (no such changefeed, epoch overflow) is not a conflict.
    if (!before || before.info !== call.seen.info || !applyStoreOp(step.prev.store[cf], call.op).ok) return true;
    if ((w.revisions?.[cf]?.info ?? 0) > before.info) return true;
    return `the epoch-only bump of ${cf} failed its compare although the info key is unchanged since it read it (info revision ${before.info}; status revision ${call.seen.status} when read, ${before.status} at the txn)`;
  },
};

export const addOnlyForUnplacedChangefeed: CatalogueInvariant = {
  name: 'I5 an add is pushed only for an unplaced changefeed',
  doc: 'a step that pushes an add operator for a changefeed found it bound to no node (an add over a placed changefeed gives it a second owner with another epoch, §5.1 B2)',
  check(w, step) {
    const before = step?.prev.coordinator;
    const after = w.coordinator;
    if (!step || !before?.controller || !after?.controller || before.version !== after.version) return true;
    for (const [cf, slot] of after.controller.operators) {
      if (slot.kind !== 'add' || before.controller.operators.get(cf)?.kind === 'add') continue;
      const placed = before.controller.db.get(cf)?.nodeId;
      if (placed) return `an add of ${cf} to ${slot.context.dest} at epoch ${slot.context.maintainerEpoch} was pushed while ${cf} is placed on ${placed}`;
    }
    return true;
  },
};

export const bootstrapNeverPanics: CatalogueInvariant = {
  name: 'coordinator bootstrap never panics',
  doc: 'no coordinator goes down with a panic ("maintainer runs on multiple node", §2.4.2 step 3)',
  check(w) {
    return w.coordinatorPanic === undefined ? true : `the coordinator panicked: ${w.coordinatorPanic}`;
  },
};

/** The epoch each node reported each changefeed at, by the bootstrap that finished in this step (every status, whatever its state). */
function bootstrapReports(prev: CoordinatorState, action: Action): Map<string, bigint> {
  const reported = new Map<string, bigint>();
  const add = (node: string, statuses: ReadonlyArray<{ changefeedId: string; maintainerEpoch: bigint }>) => {
    for (const st of statuses) reported.set(`${st.changefeedId}@${node}`, st.maintainerEpoch);
  };
  for (const [node, statuses] of Object.entries(prev.bootstrapStatuses)) add(node, statuses);
  if (action.kind === 'deliver' && action.message.type === 'CoordinatorBootstrapResponse' && action.message.to === prev.node) {
    add(action.message.from, (action.message.statuses ?? []) as Array<{ changefeedId: string; maintainerEpoch: bigint }>);
  }
  return reported;
}

export const bootstrapStopsUseReportedEpoch: CatalogueInvariant = {
  name: 'I9 every bootstrap stop carries the epoch its owner reported',
  doc: 'the stop operators and RemoveMaintainer commands a finishing bootstrap issues to a reporting node other than the bound owner carry the epoch that node reported (§2.4.2 step 6)',
  check(w, step) {
    const before = step?.prev.coordinator;
    const c = w.coordinator;
    if (!step || !before || !c || before.controller !== null || c.controller === null || before.version !== c.version) return true;
    const ctl = c.controller;
    const reported = bootstrapReports(before, step.action);
    const judge = (what: string, cf: string, node: string, epoch: bigint): string | undefined => {
      const r = reported.get(`${cf}@${node}`);
      if (r === undefined || ctl.db.get(cf)?.nodeId === node || r === epoch) return undefined;
      return `the bootstrap's ${what} of ${cf} on ${node} carries epoch ${epoch}, but ${node} reported ${cf} at epoch ${r}`;
    };
    for (const [cf, slot] of ctl.operators) {
      if (slot.kind !== 'stop') continue;
      const bad = judge('stop operator', cf, slot.context.nodeId, slot.context.maintainerEpoch);
      if (bad) return bad;
    }
    for (const m of sentIn(step, w)) {
      if (m.type !== 'RemoveMaintainerRequest' || m.from !== c.node) continue;
      const bad = judge('RemoveMaintainer', m.changefeedId as string, m.to, m.maintainerEpoch as bigint);
      if (bad) return bad;
    }
    return true;
  },
};

export const catalogueInvariants: readonly CatalogueInvariant[] = [
  replicatingOnlyOnMembers,
  addsOnlyToMembers,
  oneNodePerAddEpoch,
  persistedCheckpointMonotonic,
  epochOnlyBumpConflictsOnInfo,
  addOnlyForUnplacedChangefeed,
  bootstrapNeverPanics,
  bootstrapStopsUseReportedEpoch,
];
