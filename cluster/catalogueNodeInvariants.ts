/**
 * Sharper invariants for the node and drain half of the historical-bug catalogue
 * (cluster/catalogueNode.ts, spec §5.1), where the invariant the spec names cannot see the harm in
 * this model: each states the rule of §2 the fix restored, judged from the world and the step (the
 * message delivered, the slots and sessions before and after), never from the machines' own guards,
 * so a variant that changes a guard or action is caught. Same shape as cluster/invariants.ts: true,
 * or a message naming the values that broke it.
 */
import { stableStringify } from '../graph/serialize.js';
import type { MaintainerRegistryContext } from '../machines/maintainerRegistry.js';
import type { DispatcherManagerContext } from '../machines/dispatcherManager.js';
import type { ClusterInvariant } from './invariants.js';
import type { Message, NodeState } from './node.js';
import { sessionContext, viewOf } from './coordinator.js';
import { chosenDestinations } from './operatorInvariants.js';
import type { LivenessViewContext } from '../machines/livenessView.js';
import type { NodeDrainTargetContext } from '../machines/nodeDrainTarget.js';

const maintainerState = (n: NodeState, cf: string) => (n.registries[cf]!.value as { Maintainer?: string }).Maintainer;
const sameSnapshot = (a: { value: unknown; context: unknown }, b: { value: unknown; context: unknown }) =>
  a === b || stableStringify({ v: a.value, c: a.context }) === stableStringify({ v: b.value, c: b.context });

/**
 * §2.7.2 close responses, §5.1 B16 (an I9 rule): a MaintainerCloseResponse changes a maintainer
 * only while it is removing. A late response from a superseded (compatibility, epoch-0) maintainer
 * passes `match` against any epoch, so only the `removing` check keeps it from marking closed nodes
 * or driving a remove flow on a maintainer that was never asked to stop.
 */
export const I9CloseResponseOnlyWhileRemoving: ClusterInvariant = {
  name: 'I9 close responses change only a removing maintainer',
  doc: 'a MaintainerCloseResponse delivered to a maintainer that is not removing leaves its slot unchanged (§2.7.2, B16)',
  check(w, step) {
    if (!step || step.action.kind !== 'deliver') return true;
    const m = step.action.message as Message;
    if (m.type !== 'MaintainerCloseResponse') return true;
    const cf = m.changefeedId as string;
    const a = step.prev.nodes[m.to];
    const b = w.nodes[m.to];
    if (!a || !b || a.nodeEpoch !== b.nodeEpoch || !a.registries[cf]) return true;
    const state = maintainerState(a, cf);
    if (state === 'Removing' || state === undefined) return true;
    if (sameSnapshot(a.registries[cf]!, b.registries[cf]!)) return true;
    const before = a.registries[cf]!.context as MaintainerRegistryContext;
    const after = b.registries[cf]!.context as MaintainerRegistryContext;
    return `${m.to}/${cf}: a close response at epoch ${m.maintainerEpoch} from ${m.from} changed the ${state} maintainer at epoch ${before.epoch} (closed nodes ${JSON.stringify(before.closedNodes)} → ${JSON.stringify(after.closedNodes)}, now ${maintainerState(b, cf) ?? 'empty'})`;
  },
};

/**
 * §2.5.5, §5.1 B23 (an I18 rule): a drain session is not closed by DrainNode, completion included;
 * it ends only when its target leaves membership (RemoveNode) or the coordinator that held it is
 * gone (a failover starts with none). Judged within one coordinator.
 */
export const I18SessionEndsOnlyByRemoval: ClusterInvariant = {
  name: 'I18 a drain session ends only when its target leaves',
  doc: 'an active drain session on t stays (same target and epoch) until t leaves membership (§2.5.5, B23)',
  check(w, step) {
    if (!step) return true;
    const a = step.prev.coordinator;
    const b = w.coordinator;
    if (!a || !b || a.version !== b.version) return true;
    const s = sessionContext(a).session;
    if (!s) return true;
    const t = sessionContext(b).session;
    if (t && t.target === s.target && t.epoch === s.epoch) return true;
    const removal = step.action.kind === 'coordinator-membership' && step.action.change === 'NODE_REMOVED' && step.action.subject === s.target;
    if (removal) return true;
    return `the drain session on ${s.target} (epoch ${s.epoch}) ended by ${step.action.kind}${step.action.kind === 'api' && step.action.call === 'DrainNode' ? ` DrainNode(${step.action.target})` : ''} while ${s.target} is ${b.members.includes(s.target) ? 'still a member' : 'gone'}${t ? ` (now a session on ${t.target})` : ''}`;
  },
};

/**
 * §2.7.3 recordClosedMaintainerEpoch, §5.1 B17 (I11's availability side): an epoch-0 close that
 * only pauses (removed = false) records no tombstone, so a compatibility resume is not refused.
 */
export const I11NoPauseTombstone: ClusterInvariant = {
  name: 'I11 an epoch-0 pause leaves no tombstone',
  doc: 'a MaintainerCloseRequest at epoch 0 with removed = false never records a tombstone (§2.7.3, B17)',
  check(w, step) {
    if (!step || step.action.kind !== 'deliver') return true;
    const m = step.action.message as Message;
    if (m.type !== 'MaintainerCloseRequest' || m.maintainerEpoch !== 0n || m.removed !== false) return true;
    const cf = m.changefeedId as string;
    const a = step.prev.nodes[m.to];
    const b = w.nodes[m.to];
    if (!a || !b || a.nodeEpoch !== b.nodeEpoch || !a.managers[cf]) return true;
    const x = (a.managers[cf]!.context as DispatcherManagerContext).tombstone;
    const y = (b.managers[cf]!.context as DispatcherManagerContext).tombstone;
    return x === y ? true : `${m.to}/${cf}: an epoch-0 pause close from ${m.from} changed the tombstone from ${x ?? 'none'} to ${y ?? 'none'}`;
  },
};

/**
 * §2.5.2, §2.5.4, §5.1 B22 (an I20 rule judged from the nodes, not the gate): under a target gate,
 * a new add or move destination d whose view holds d's running process (same node epoch) has that
 * process holding the gate's drain target (the same target and epoch, or a newer epoch). The ack
 * the gate keeps must have come from that process; I20 reads the gate's acks and cannot tell.
 */
export const I20DestinationSawTarget: ClusterInvariant = {
  name: 'I20 a destination under a target gate holds the target',
  doc: "every new Add or Move destination chosen under a target gate, viewed at its running process's epoch, holds the gate's (target, epoch) (§2.5.2, B22)",
  check(w, step) {
    const before = step?.prev.coordinator;
    const after = w.coordinator;
    if (!step || !before?.controller || !after?.controller || before.version !== after.version) return true;
    const gate = sessionContext(before).gate;
    if (gate?.kind !== 'target') return true;
    for (const { cf, dest } of chosenDestinations(before, after)) {
      const node = step.prev.nodes[dest];
      const v = before.views[dest]?.context as LivenessViewContext | undefined;
      if (!node || !v?.observed || v.nodeEpoch !== node.nodeEpoch) continue;
      const held = node.drainTarget.context as NodeDrainTargetContext;
      if (held.epoch > gate.epoch || (held.epoch === gate.epoch && held.target === gate.target)) continue;
      return `${cf} sent to ${dest} (node epoch ${node.nodeEpoch}, view ${viewOf(before, dest)}) under the gate for ${gate.target} at drain epoch ${gate.epoch}, but ${dest} holds target "${held.target}" at epoch ${held.epoch}`;
    }
    return true;
  },
};

export const catalogueNodeInvariants: ClusterInvariant[] = [I9CloseResponseOnlyWhileRemoving, I18SessionEndsOnlyByRemoval, I11NoPauseTombstone, I20DestinationSawTarget];
