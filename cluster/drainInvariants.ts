/**
 * Safety invariants of spec §4 on the coordinator's drain side (liveness views, drain workflow,
 * drain session and the DrainNode API), over the world with a composed coordinator. Kept apart from
 * the model, as P keeps its spec monitors: each reads the world (and the step) and recomputes what
 * it needs from the spec's definitions, never from the machines' own guards, so a variant that
 * changes a guard is caught.
 *
 * Within one coordinator only: a failover starts a new coordinator whose views and session begin
 * afresh (§2.4.2), so step invariants compare worlds of the same coordinator version.
 */
import type { Invariant } from '../explorer/types.js';
import type { LivenessViewContext } from '../machines/livenessView.js';
import { drainRemaining } from '../machines/coordinator/drainSession.js';
import { LIVENESS_ORDER } from '../machines/protocol.js';
import type { Message } from './node.js';
import { messageKey, type Action, type World } from './world.js';
import { sessionContext, targetObservation, viewOf, type CoordinatorState } from './coordinator.js';

export type ClusterInvariant = Invariant<World, Action>;

/** The coordinators before and after a step, when it is the same one (no crash or takeover between). */
function sameCoordinator(prev: World, next: World): [CoordinatorState, CoordinatorState] | null {
  const a = prev.coordinator;
  const b = next.coordinator;
  return a && b && a.version === b.version ? [a, b] : null;
}

/** The messages a step put in flight (the bag after, less the bag before, as multisets). */
export function sentBy(prev: World, next: World): Message[] {
  const before = new Map<string, number>();
  for (const m of prev.inFlight) before.set(messageKey(m), (before.get(messageKey(m)) ?? 0) + 1);
  const out: Message[] = [];
  for (const m of next.inFlight) {
    const k = messageKey(m);
    const n = before.get(k) ?? 0;
    if (n > 0) before.set(k, n - 1);
    else out.push(m);
  }
  return out;
}

/**
 * The messages a step put in flight, for monitors of what a component sends: none for a network
 * `duplicate`, whose extra copy nobody sent (judging it as a send would report an old message at
 * the state of the duplicate's step).
 */
export function sentIn(step: { prev: World; action: Action }, next: World): Message[] {
  return step.action.kind === 'duplicate' ? [] : sentBy(step.prev, next);
}

const viewCtx = (c: CoordinatorState, n: string) => c.views[n]?.context as LivenessViewContext | undefined;
const drainState = (c: CoordinatorState, n: string) => c.drains[n]?.value as string | undefined;
const drainingObserved = (c: CoordinatorState, n: string) => drainState(c, n) === 'DrainingObserved' || drainState(c, n) === 'StoppingObserved';

/** I13: the view of a node never moves back: (node epoch, liveness) is non-decreasing, but for its removal. */
export const I13: ClusterInvariant = {
  name: 'I13 view monotonic per node epoch',
  doc: "the coordinator's (node epoch, liveness) of a node is lexicographically non-decreasing, except when the node leaves membership",
  check(w, step) {
    if (!step) return true;
    const pair = sameCoordinator(step.prev, w);
    if (!pair) return true;
    for (const n of Object.keys(pair[1].views)) {
      const a = viewCtx(pair[0], n);
      const b = viewCtx(pair[1], n);
      if (!a?.observed || !b) continue;
      if (!b.observed) {
        const removal = step.action.kind === 'coordinator-membership' && step.action.change === 'NODE_REMOVED' && step.action.subject === n;
        if (!removal) return `the view of ${n} forgot its observation (epoch ${a.nodeEpoch}, ${a.liveness}) without ${n} leaving membership`;
        continue;
      }
      if (b.nodeEpoch < a.nodeEpoch) return `the view of ${n} went from node epoch ${a.nodeEpoch} back to ${b.nodeEpoch}`;
      if (b.nodeEpoch === a.nodeEpoch && LIVENESS_ORDER[b.liveness] < LIVENESS_ORDER[a.liveness]) {
        return `the view of ${n} went from ${a.liveness} back to ${b.liveness} within node epoch ${a.nodeEpoch}`;
      }
    }
    return true;
  },
};

/**
 * I14: STOPPING is sent to a node only at the epoch its view holds, with DRAINING observed, by an
 * active session on it whose remaining work is 0.
 */
export const I14: ClusterInvariant = {
  name: 'I14 STOPPING only after DRAINING at the same epoch',
  doc: 'every SetNodeLiveness{STOPPING, e} to n has e = the view of n, DRAINING observed, and an active session on n with remaining 0',
  check(w, step) {
    if (!step || !w.coordinator) return true;
    const c = w.coordinator;
    for (const m of sentIn(step, w)) {
      if (m.type !== 'SetNodeLivenessRequest' || m.target !== 'Stopping' || m.from !== c.node) continue;
      const n = m.to;
      const v = viewCtx(c, n);
      if (!v?.observed || viewOf(c, n) === 'Unknown') return `STOPPING sent to ${n} while its view is unknown`;
      if (m.nodeEpoch !== v.nodeEpoch) return `STOPPING sent to ${n} at node epoch ${m.nodeEpoch}, but the view holds ${v.nodeEpoch}`;
      if (!drainingObserved(c, n)) return `STOPPING sent to ${n} before DRAINING was observed`;
      const s = sessionContext(c).session;
      if (!s || s.target !== n) return `STOPPING sent to ${n} without an active drain session on it`;
      const remaining = drainRemaining(s, targetObservation(c, n, { changefeeds: [], pdAvailable: true }));
      if (remaining !== 0) return `STOPPING sent to ${n} with ${remaining} drain work remaining`;
    }
    return true;
  },
};

/** I17: DrainNode(t) answers 0 only by the legacy fallback, a completed and gone target, or a complete session. */
export const I17: ClusterInvariant = {
  name: 'I17 DrainNode never reports 0 prematurely',
  doc: 'DrainNode(t) = 0 without error only in the legacy fallback, for a completed target no longer a member, or for a complete session on t',
  check(w, step) {
    if (!step || step.action.kind !== 'api' || step.action.call !== 'DrainNode' || !w.coordinator || !step.prev.coordinator) return true;
    const a = w.coordinator.lastDrainAnswer;
    const t = step.action.target;
    if (!a || a.target !== t || a.remaining !== 0 || a.error !== null) return true;
    const prev = step.prev.coordinator;
    const c = w.coordinator;
    const sc = sessionContext(c);
    const prevSc = sessionContext(prev);
    // (a) the legacy fallback: no session, every alive node's capability observed, one of them 0.
    const caps = prev.members.map((n) => prev.drainProtocol[n] ?? null);
    if (!prevSc.session && !sc.session && caps.every((x) => x !== null) && caps.some((x) => x === 0)) return true;
    // (b) completed and gone.
    if (prevSc.completed === t && !prev.members.includes(t)) return true;
    // (c) a complete session on t.
    const s = sc.session;
    if (s && s.target === t) {
      const d = drainState(c, t);
      const complete = viewOf(c, t) !== 'Unknown' && d === 'StoppingObserved' && drainRemaining(s, targetObservation(c, t, { changefeeds: [], pdAvailable: true })) === 0;
      if (complete) return true;
      return `DrainNode(${t}) answered 0 while the session on it is not complete (view ${viewOf(c, t)}, drain ${d})`;
    }
    return `DrainNode(${t}) answered 0 without a session on it, a completed departure, or the legacy fallback`;
  },
};

/** I18: one drain target at a time; while a session or clear state exists, DrainNode(other) answers 1 and starts nothing. */
export const I18: ClusterInvariant = {
  name: 'I18 single drain target',
  doc: 'while a session or a clear state exists, DrainNode(other) returns 1 and creates no session',
  check(w, step) {
    if (!step || step.action.kind !== 'api' || step.action.call !== 'DrainNode') return true;
    const pair = sameCoordinator(step.prev, w);
    if (!pair) return true;
    const t = step.action.target;
    const before = sessionContext(pair[0]);
    const after = sessionContext(pair[1]);
    const busy = (before.session && before.session.target !== t) || before.clear !== null;
    if (!busy || !pair[0].members.includes(t)) return true;
    const answer = pair[1].lastDrainAnswer;
    if (answer?.remaining !== 1) return `DrainNode(${t}) answered ${answer?.remaining} while ${before.session ? `a session on ${before.session.target}` : `a clear state for ${before.clear!.target}`} exists`;
    if (after.session?.target !== before.session?.target || after.session?.epoch !== before.session?.epoch) {
      return `DrainNode(${t}) replaced the session on ${before.session?.target ?? '(none)'}`;
    }
    return true;
  },
};

/** I19: a new session's drain epoch is above the last generated, the largest observed and the clear epoch. */
export const I19: ClusterInvariant = {
  name: 'I19 drain epoch monotonic and above everything observed',
  doc: 'a new drain session epoch is greater than lastGenerated, maxObserved and the clear epoch',
  check(w, step) {
    if (!step) return true;
    const pair = sameCoordinator(step.prev, w);
    if (!pair) return true;
    const before = sessionContext(pair[0]);
    const s = sessionContext(pair[1]).session;
    if (!s || (before.session && before.session.target === s.target && before.session.epoch === s.epoch)) return true;
    const floor = [before.lastGeneratedDrainEpoch, before.maxObservedDrainEpoch, before.clear?.epoch ?? 0n];
    const broken = floor.find((e) => s.epoch <= e);
    if (broken !== undefined) return `the new session on ${s.target} has drain epoch ${s.epoch}, not above ${broken}`;
    return true;
  },
};

export const drainInvariants: ClusterInvariant[] = [I13, I14, I17, I18, I19];
