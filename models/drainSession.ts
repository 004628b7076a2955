/**
 * Test model of the coordinator's drain session and DrainNode API (§2.5.5, §2.5.4 coordinator side,
 * §2.5.1–§2.5.2 gates).
 *
 * Cluster: n1 (the usual target), n2 and n3; one changefeed cf1, replicating and meant to run.
 * Observations: "done" (STOPPING observed, no work, cf1 reporting DrainProgress for the current
 * session), "busy" (DRAINING only, one maintainer on the target) and "unknown" (done but the view
 * is Unknown). DrainNode variants reach every row of the table: target outside membership, a second
 * target, an uninitialized coordinator, an unobserved or legacy capability, PD failure and overflow.
 *
 * Epochs: the TSO is fixed low, so every new drain epoch comes from the floors (`+1`). Reports carry
 * drain epochs relative to `lastGeneratedDrainEpoch` (−1, 0, +1) and node epochs 1 and 2, so the
 * search key holds epochs as offsets from `lastGeneratedDrainEpoch` (a `maxObserved` below it is
 * never a floor that matters). Time: event times are offsets from the latest broadcast stamp, inside
 * and past the 5 s resend; the key keeps stamp ages capped at 5 s.
 */
import type { Uint64 } from '../machines/epoch.js';
import {
  drainSessionMachine,
  DRAIN_TARGET_RESEND_INTERVAL_MS,
  drainAnswer,
  drainNodeRow,
  drainRemaining,
  isDrainComplete,
  type DrainNodeCallEvent,
  type DrainSessionContext,
  type TargetObservation,
} from '../machines/coordinator/drainSession.js';
import type { MachineModel, Step } from '../graph/model.js';
import { effectsOf } from './domain.js';

const N1 = 'n1';
const N2 = 'n2';
const N3 = 'n3';
const ALL = [N1, N2, N3];
const BASE_MS = 10_000;
const ctxOf = (s: Step['prev']) => s.context as DrainSessionContext;
const ev = (s: Step) => s.event as Record<string, unknown>;

const latestStamp = (c: DrainSessionContext) => Math.max(BASE_MS, c.session?.lastSent ?? 0, c.clear?.lastSent ?? 0);
const age = (c: DrainSessionContext, stamp: number | null | undefined) =>
  stamp == null ? null : Math.min(latestStamp(c) - stamp, DRAIN_TARGET_RESEND_INTERVAL_MS);

function observation(c: DrainSessionContext, kind: 'done' | 'busy' | 'unknown'): TargetObservation {
  const s = c.session;
  const progress = s ? { target: s.target, epoch: s.epoch, dispatcherCount: 0, inflightMoves: 0 } : null;
  const done = kind !== 'busy';
  return {
    view: kind === 'done' ? 'Stopping' : kind === 'busy' ? 'Draining' : 'Unknown',
    drainingObserved: true,
    stoppingObserved: done,
    maintainersOnTarget: done ? 0 : 1,
    operatorsInvolvingTarget: 0,
    changefeeds: [{ id: 'cf1', replicating: true, shouldRun: true, drainProgress: done ? progress : null }],
  };
}

const caps = (nodes: string[], n3: number | null = 1) => Object.fromEntries(nodes.map((n) => [n, n === N3 ? n3 : 1]));
const TSO = { physicalMs: 1n, logical: 0n };
const TSO_OVERFLOW = { physicalMs: (1n << 64n) / 1_000_000n + 1n, logical: 0n };

function drainNode(
  c: DrainSessionContext,
  now: number,
  target: string,
  obs: 'done' | 'busy' | 'unknown',
  opts: { alive?: string[]; initialized?: boolean; n3?: number | null; tso?: DrainNodeCallEvent['tso'] } = {},
): DrainNodeCallEvent {
  const alive = opts.alive ?? ALL;
  return {
    type: 'DRAIN_NODE',
    now,
    target,
    cluster: { aliveNodes: alive, initialized: opts.initialized ?? true, drainProtocol: caps(alive, opts.n3 === undefined ? 1 : opts.n3) },
    observation: observation(c, obs),
    tso: opts.tso === undefined ? TSO : opts.tso,
    wallClockNs: 0n,
  };
}

/** The drain epoch the snapshot is about: the session's, else the clear state's, else the last generated. */
const currentEpoch = (c: DrainSessionContext) => c.session?.epoch ?? c.clear?.epoch ?? c.lastGeneratedDrainEpoch;
const currentTarget = (c: DrainSessionContext) => c.session?.target ?? c.clear?.target ?? N1;

export const drainSessionModel: MachineModel = {
  name: 'drainSession',
  machine: drainSessionMachine,
  source: 'machines/coordinator/drainSession.ts',
  spec: '§2.5.5, §2.5.4, §2.5.2',
  summary:
    "The coordinator's drain session behind the DrainNode API: one target at a time (I18), a drain epoch above every " +
    'epoch generated or observed (I19), the answer 0 only once STOPPING is observed and no tracked work remains (I17), ' +
    'a session kept until its target leaves membership, then a clear broadcast acknowledged by the nodes that were ' +
    'told the target, and a completed tombstone that answers 0 for the removed node until it re-joins.',
  inputs: [{ label: 'coordinator', input: {} }],
  events: (snapshot) => {
    const c = snapshot.context as DrainSessionContext;
    const t = latestStamp(c);
    const inside = t + DRAIN_TARGET_RESEND_INTERVAL_MS / 2;
    const past = t + DRAIN_TARGET_RESEND_INTERVAL_MS;
    // Drain epochs relative to the last generated one, so replace chains stay finite.
    const g = c.lastGeneratedDrainEpoch;
    const e = currentEpoch(c);
    const target = currentTarget(c);
    const hb = (from: string, nodeEpoch: Uint64, viewEpoch: Uint64, drainTarget: { target: string; epoch: Uint64 }, participant = true) => ({
      type: 'NODE_HEARTBEAT',
      now: inside,
      from,
      nodeEpoch,
      view: { observed: true, nodeEpoch: viewEpoch },
      drainTarget,
      participant,
      clearParticipants: [N2, N3],
    });
    return [
      drainNode(c, inside, N1, 'done'),
      drainNode(c, inside, N1, 'busy'),
      drainNode(c, inside, N1, 'unknown'),
      drainNode(c, inside, N2, 'busy'),
      drainNode(c, inside, N1, 'done', { alive: [N2, N3] }),
      drainNode(c, inside, N1, 'busy', { alive: [N2, N3] }),
      drainNode(c, inside, N1, 'busy', { alive: [N1, N2] }),
      drainNode(c, inside, N1, 'busy', { initialized: false }),
      drainNode(c, inside, N1, 'busy', { n3: null }),
      drainNode(c, inside, N1, 'busy', { n3: 0 }),
      drainNode(c, inside, N1, 'busy', { tso: null }),
      drainNode(c, inside, N1, 'busy', { tso: TSO_OVERFLOW }),
      hb(N2, 1n, 1n, { target, epoch: e }),
      hb(N2, 2n, 2n, { target, epoch: e }),
      hb(N2, 1n, 2n, { target, epoch: e }),
      hb(N3, 1n, 1n, { target, epoch: e }),
      hb(N2, 2n, 2n, { target: '', epoch: e }),
      hb(N3, 1n, 1n, { target: '', epoch: e }),
      hb(N2, 2n, 2n, { target: N1, epoch: g + 1n }),
      hb(N2, 2n, 2n, { target: '', epoch: g + 1n }),
      hb(N2, 2n, 2n, { target: '', epoch: g > 0n ? g - 1n : 0n }),
      hb(N3, 1n, 1n, { target: N1, epoch: e }, false),
      { type: 'BOOTSTRAP_RESPONSE', now: inside, from: N3, drainProtocolVersion: 1, drainTarget: { target: '', epoch: e }, participant: true, clearParticipants: [N2, N3] },
      { type: 'BOOTSTRAP_RESPONSE', now: inside, from: N3, drainProtocolVersion: 1, drainTarget: { target: N1, epoch: g }, participant: true, clearParticipants: [N2, N3] },
      { type: 'BOOTSTRAP_RESPONSE', now: inside, from: N3, drainProtocolVersion: 0, drainTarget: { target: '', epoch: 0n }, participant: false, clearParticipants: [N2, N3] },
      ...(['done', 'busy'] as const).map((k) => ({ type: 'NODE_REMOVED', now: inside, node: N1, observation: observation(c, k), aliveNodes: [N2, N3] })),
      // The last node standing: no one to clear.
      { type: 'NODE_REMOVED', now: inside, node: N1, observation: observation(c, 'busy'), aliveNodes: [] },
      { type: 'NODE_REMOVED', now: inside, node: N2, observation: observation(c, 'busy'), aliveNodes: [N1, N3] },
      { type: 'NODE_REMOVED', now: inside, node: N3, observation: observation(c, 'busy'), aliveNodes: [N1, N2] },
      { type: 'NODE_ADDED', node: N1 },
      ...[inside, past].flatMap((now) =>
        (['done', 'busy'] as const).map((k) => ({ type: 'TICK', now, initialized: true, aliveNodes: ALL, observation: observation(c, k) })),
      ),
    ];
  },
  clock: (s) => latestStamp(s.context as DrainSessionContext),
  shiftTime: (c: DrainSessionContext, d: number) => ({
    ...c,
    session: c.session && { ...c.session, lastSent: c.session.lastSent === null ? null : c.session.lastSent + d },
    clear: c.clear && { ...c.clear, lastSent: c.clear.lastSent === null ? null : c.clear.lastSent + d },
  }),
  abstract: (s) => {
    const c = s.context as DrainSessionContext;
    const base = c.lastGeneratedDrainEpoch;
    const rel = (x: Uint64) => (x - base).toString();
    return {
      value: s.value,
      session: c.session && { ...c.session, epoch: rel(c.session.epoch), lastSent: age(c, c.session.lastSent) },
      clear: c.clear && { ...c.clear, epoch: rel(c.clear.epoch), lastSent: age(c, c.clear.lastSent) },
      completed: c.completed,
      gate: c.gate && { ...c.gate, epoch: rel(c.gate.epoch) },
      maxObserved: c.maxObservedDrainEpoch > base ? rel(c.maxObservedDrainEpoch) : '≤',
      generated: base === 0n,
    };
  },
  properties: [
    {
      name: 'DrainNode answers 0 only for the completed tombstone, the legacy fallback, or a complete session on the target (I17)',
      holds: (s) => {
        const e = s.event as unknown as DrainNodeCallEvent;
        if (e.type !== 'DRAIN_NODE') return true;
        const a = ctxOf(s.prev);
        return effectsOf(s.effects, 'drain.result').every((r) => {
          if (r.remaining !== 0 || r.error !== null) return true;
          const alive = e.cluster.aliveNodes;
          const tombstone = a.completed === e.target && !alive.includes(e.target);
          const legacy = !a.session && alive.every((n) => e.cluster.drainProtocol[n] != null) && alive.some((n) => e.cluster.drainProtocol[n] === 0);
          const b = ctxOf(s.next);
          const complete = b.session?.target === e.target && isDrainComplete(b.session, e.observation);
          return tombstone || legacy || complete;
        });
      },
    },
    {
      name: 'one drain at a time: with a session on another target or a clear state, DrainNode answers 1 and starts nothing (I18)',
      holds: (s) => {
        const e = s.event as unknown as DrainNodeCallEvent;
        const a = ctxOf(s.prev);
        if (e.type !== 'DRAIN_NODE' || !e.cluster.aliveNodes.includes(e.target)) return true;
        if (!((a.session && a.session.target !== e.target) || a.clear)) return true;
        const b = ctxOf(s.next);
        return effectsOf(s.effects, 'drain.result').every((r) => r.remaining === 1) && b.session === a.session && b.clear === a.clear;
      },
    },
    {
      name: 'a new drain epoch exceeds the last generated, every observed and the clear epoch (I19)',
      holds: (s) => {
        const a = ctxOf(s.prev);
        const b = ctxOf(s.next);
        if (!b.session || b.session.epoch === a.session?.epoch) return true;
        return b.session.epoch > a.lastGeneratedDrainEpoch && b.session.epoch > a.maxObservedDrainEpoch && b.session.epoch > (a.clear?.epoch ?? 0n);
      },
    },
    {
      name: 'the gate follows the session: Active ⇒ its target gate, Clearing ⇒ a clear gate pending the same nodes, NoSession ⇒ none',
      holds: (s) => {
        const c = ctxOf(s.next);
        if (c.session) return c.gate?.kind === 'target' && c.gate.target === c.session.target && c.gate.epoch === c.session.epoch;
        if (c.clear)
          return c.gate?.kind === 'clear' && c.gate.epoch === c.clear.epoch && c.gate.pendingNodes.join() === c.clear.pendingNodes.join() && c.clear.pendingNodes.length > 0;
        return c.gate === null;
      },
    },
    {
      name: 'target broadcasts carry the session (target, epoch), clears the empty target at the clear epoch, to alive nodes only',
      holds: (s) => {
        const a = ctxOf(s.prev);
        const b = ctxOf(s.next);
        const alive = (ev(s).aliveNodes as string[] | undefined) ?? ((ev(s).cluster as { aliveNodes: string[] } | undefined)?.aliveNodes ?? ALL);
        return effectsOf(s.effects, 'SetDispatcherDrainTargetRequest').every((m) => {
          const to = m.to as string;
          if (!alive.includes(to) && ev(s).type !== 'BOOTSTRAP_RESPONSE') return false;
          if (m.targetNodeId === '') return b.clear !== null && m.targetEpoch === b.clear.epoch && b.clear.pendingNodes.includes(to);
          return b.session !== null && m.targetNodeId === b.session.target && m.targetEpoch === b.session.epoch && (b.session.targetSyncNodes.includes(to) || a.session === null);
        });
      },
    },
    {
      name: 'a failed DrainNode (typed error) changes nothing',
      holds: (s) => !effectsOf(s.effects, 'drain.result').some((r) => r.error !== null) || s.next.context === s.prev.context,
    },
    {
      name: 'readyToStop only with the view not Unknown, DRAINING observed and no remaining work (§2.5.1)',
      holds: (s) => {
        const o = ev(s).observation as TargetObservation | undefined;
        const b = ctxOf(s.next);
        return effectsOf(s.effects, 'drain.advance').every(
          (m) => !m.readyToStop || (o !== undefined && b.session !== null && o.view !== 'Unknown' && o.drainingObserved && drainRemaining(b.session, o) === 0),
        );
      },
    },
    {
      name: 'the completed tombstone is recorded only when the target of a complete session leaves (§2.5.5 RemoveNode)',
      holds: (s) => {
        const a = ctxOf(s.prev);
        const b = ctxOf(s.next);
        if (b.completed === null || b.completed === a.completed) return true;
        const o = ev(s).observation as TargetObservation;
        return ev(s).type === 'NODE_REMOVED' && a.session?.target === ev(s).node && a.session !== null && isDrainComplete(a.session, o);
      },
    },
    {
      name: 'a session is answered with drainAnswer, never 0 while remaining > 0',
      holds: (s) => {
        const e = s.event as unknown as DrainNodeCallEvent;
        if (e.type !== 'DRAIN_NODE') return true;
        const b = ctxOf(s.next);
        const row = drainNodeRow(ctxOf(s.prev), e);
        return effectsOf(s.effects, 'drain.result').every(
          (r) => r.row === row && (row !== 8 || r.error !== null || (b.session !== null && r.remaining === drainAnswer(b.session, e.observation))),
        );
      },
    },
  ],
};
