/**
 * Test models of the drain workflow (§2.5.1), the node-side liveness register (§2.6.1–§2.6.3) and
 * the coordinator's liveness view (§2.6.4).
 *
 * Time: event times are relative to the latest stamp the machine holds (the model's clock), inside
 * and past each throttle or TTL. When a reset wipes the stamps the model's clock restarts from the
 * base; the machine cannot tell, because every guard compares `now` only with a stamp recorded
 * after the reset. The search key replaces stamps by their age relative to the latest stamp,
 * capped at the throttle/TTL boundary: exactly what the guards distinguish.
 * Node epochs: fixed values 0 (never a real node epoch: dropped), 4, 5, 6 and 2^64−1, so that
 * from any observed epoch there is an older, the same and a newer one.
 */
import { MAX_UINT64, type Uint64 } from '../machines/epoch.js';
import { drainNodeMachine, DRAIN_RESEND_INTERVAL_MS, type DrainNodeContext } from '../machines/drainNode.js';
import { livenessViewMachine, LIVENESS_TTL_MS, type LivenessViewContext } from '../machines/livenessView.js';
import { nodeLivenessMachine, type NodeLivenessContext } from '../machines/nodeLiveness.js';
import type { Liveness } from '../machines/protocol.js';
import type { MachineModel, Step } from '../graph/model.js';
import { COORD, LIVENESSES, ORIGIN, OTHER, effectsOf, livenessRank } from './domain.js';

const NODE_EPOCHS: Uint64[] = [0n, 4n, 5n, 6n, MAX_UINT64];
const BASE_MS = 10_000;
const ctxOf = <C>(s: Step['prev']) => s.context as C;
const ev = (s: Step) => s.event as Record<string, unknown>;

function observeEvents(now: number) {
  return LIVENESSES.flatMap((liveness) => NODE_EPOCHS.map((nodeEpoch) => ({ type: 'OBSERVE', now, nodeEpoch, liveness })));
}

// ---------------------------------------------------------------------------------------------

const latestStamp = (c: DrainNodeContext) => Math.max(BASE_MS, c.lastDrainCmdSentAt ?? 0, c.lastStopCmdSentAt ?? 0);
const age = (c: DrainNodeContext, stamp: number | null) =>
  stamp === null ? null : Math.min(latestStamp(c) - stamp, DRAIN_RESEND_INTERVAL_MS);

export const drainNodeModel: MachineModel = {
  name: 'drainNode',
  machine: drainNodeMachine,
  spec: '§2.5.1',
  summary:
    "The coordinator's per-node drain workflow. A drain request sends SetNodeLiveness(DRAINING) — with epoch 0 as a " +
    'probe while the node epoch is unknown — and resends it at most once a second until DRAINING is observed; once the ' +
    'drain session says the node is ready to stop, STOPPING is sent with the epoch DRAINING was observed at (I14). ' +
    'Observations never move the view backwards within a node epoch, and a restarted node (higher epoch) starts over.',
  inputs: [{ label: 'node', input: { node: ORIGIN } }],
  events: (snapshot) => {
    const t = latestStamp(snapshot.context as DrainNodeContext);
    const inside = t + DRAIN_RESEND_INTERVAL_MS / 2;
    const past = t + DRAIN_RESEND_INTERVAL_MS;
    return [
      { type: 'REQUEST_DRAIN', now: inside },
      { type: 'REQUEST_DRAIN', now: past },
      ...[inside, past].flatMap((now) => [true, false].map((readyToStop) => ({ type: 'ADVANCE', now, readyToStop }))),
      ...observeEvents(past),
      { type: 'NODE_REMOVED', node: ORIGIN },
      { type: 'NODE_REMOVED', node: OTHER },
    ];
  },
  clock: (s) => latestStamp(s.context as DrainNodeContext),
  shiftTime: (c: DrainNodeContext, d: number) => ({
    ...c,
    lastDrainCmdSentAt: c.lastDrainCmdSentAt === null ? null : c.lastDrainCmdSentAt + d,
    lastStopCmdSentAt: c.lastStopCmdSentAt === null ? null : c.lastStopCmdSentAt + d,
  }),
  abstract: (s) => {
    const c = s.context as DrainNodeContext;
    return {
      value: s.value,
      observed: c.observed,
      nodeEpoch: c.nodeEpoch,
      liveness: c.liveness,
      drainAge: age(c, c.lastDrainCmdSentAt),
      stopAge: age(c, c.lastStopCmdSentAt),
    };
  },
  properties: [
    {
      name: 'STOPPING is never sent with epoch 0, and only with DRAINING observed at that same node epoch (I14)',
      holds: (s) =>
        effectsOf(s.effects, 'SetNodeLivenessRequest')
          .filter((m) => m.target === 'Stopping')
          .every((m) => {
            const c = ctxOf<DrainNodeContext>(s.prev);
            return m.nodeEpoch !== 0n && s.prev.value === 'DrainingObserved' && c.observed && m.nodeEpoch === c.nodeEpoch;
          }),
    },
    {
      name: 'DRAINING is sent only before DRAINING is observed, with the observed epoch or the 0 probe',
      holds: (s) =>
        effectsOf(s.effects, 'SetNodeLivenessRequest')
          .filter((m) => m.target === 'Draining')
          .every((m) => {
            const c = ctxOf<DrainNodeContext>(s.prev);
            return (s.prev.value === 'Idle' || s.prev.value === 'Requested') && m.nodeEpoch === (c.observed ? c.nodeEpoch : 0n);
          }),
    },
    {
      name: 'each liveness command is throttled to one per second',
      holds: (s) => {
        const c = ctxOf<DrainNodeContext>(s.prev);
        const now = ev(s).now as number;
        return effectsOf(s.effects, 'SetNodeLivenessRequest').every((m) => {
          const last = m.target === 'Stopping' ? c.lastStopCmdSentAt : c.lastDrainCmdSentAt;
          return last === null || now - last >= DRAIN_RESEND_INTERVAL_MS;
        });
      },
    },
    {
      name: 'removal deletes the record: Idle, unobserved, no send stamps, like a node never seen (§2.5.1 RemoveNode)',
      holds: (s) => {
        if (!(ev(s).type === 'NODE_REMOVED' && ev(s).node === ctxOf<DrainNodeContext>(s.prev).node)) return true;
        const b = ctxOf<DrainNodeContext>(s.next);
        return s.next.value === 'Idle' && !b.observed && b.lastDrainCmdSentAt === null && b.lastStopCmdSentAt === null && s.effects.length === 0;
      },
    },
    {
      name: 'the observed record never regresses: epochs never decrease, liveness never drops within an epoch (I13)',
      holds: (s) => {
        const a = ctxOf<DrainNodeContext>(s.prev);
        const b = ctxOf<DrainNodeContext>(s.next);
        // RemoveNode deletes the record: the next observation is a first one (§2.5.1).
        if (!a.observed || (ev(s).type === 'NODE_REMOVED' && ev(s).node === a.node)) return true;
        return b.nodeEpoch > a.nodeEpoch || (b.nodeEpoch === a.nodeEpoch && livenessRank(b.liveness) >= livenessRank(a.liveness));
      },
    },
  ],
};

// ---------------------------------------------------------------------------------------------

const NODE_EPOCH = 5n;

export const nodeLivenessModel: MachineModel = {
  name: 'nodeLiveness',
  machine: nodeLivenessMachine,
  spec: '§2.6.1–§2.6.3',
  summary:
    "A node's own liveness register: Alive → Draining → Stopping, one step at a time and never back (I12). The " +
    'coordinator moves it with SetNodeLiveness, which applies only at this process\'s exact node epoch (I15; the 0 ' +
    'probe is always answered with the real epoch) and is followed by a forced heartbeat. A Stopping node drops new ' +
    'maintainers silently (I16).',
  inputs: [
    { label: 'node', input: { nodeId: ORIGIN, nodeEpoch: NODE_EPOCH, coordinator: { id: COORD, version: 1n } } },
    { label: 'version-0 coordinator', input: { nodeId: ORIGIN, nodeEpoch: NODE_EPOCH, coordinator: { id: COORD, version: 0n } } },
  ],
  events: () => [
    ...[COORD, OTHER].flatMap((from) =>
      LIVENESSES.flatMap((target) =>
        [0n, NODE_EPOCH, NODE_EPOCH + 1n, MAX_UINT64].map((nodeEpoch) => ({ type: 'SET_NODE_LIVENESS', from, target, nodeEpoch })),
      ),
    ),
    ...LIVENESSES.map((liveness) => ({ type: 'STORE', liveness })),
    ...[COORD, OTHER].flatMap((from) => [0n, 1n, 2n].map((version) => ({ type: 'COORDINATOR_BOOTSTRAP', from, version }))),
    ...[COORD, OTHER].map((from) => ({ type: 'ADD_MAINTAINER', from, changefeedId: 'cf', maintainerEpoch: 3n })),
  ],
  properties: [
    {
      name: 'liveness never moves backwards or skips a step (I12)',
      holds: (s) => {
        const d = livenessRank(s.next.value as Liveness) - livenessRank(s.prev.value as Liveness);
        return d === 0 || d === 1;
      },
    },
    {
      name: 'a SetNodeLiveness changes liveness only from the coordinator at the exact node epoch (I15), with a forced heartbeat once bootstrapped',
      holds: (s) =>
        !(ev(s).type === 'SET_NODE_LIVENESS' && s.prev.value !== s.next.value) ||
        (ev(s).from === ctxOf<NodeLivenessContext>(s.prev).coordinatorId &&
          ev(s).nodeEpoch === ctxOf<NodeLivenessContext>(s.prev).nodeEpoch &&
          (ctxOf<NodeLivenessContext>(s.prev).coordinatorVersion === 0n ||
            effectsOf(s.effects, 'NodeHeartbeat').some((h) => h.forced === true && h.liveness === s.next.value))),
    },
    {
      name: 'no node heartbeat and no admitted add before a coordinator with version > 0 bootstrapped the node (§2.6.3)',
      holds: (s) =>
        ctxOf<NodeLivenessContext>(s.next).coordinatorVersion > 0n ||
        (effectsOf(s.effects, 'NodeHeartbeat').length === 0 && effectsOf(s.effects, 'mm.admitAddMaintainer').length === 0),
    },
    {
      name: 'liveness changes only to the value a request or a local store asked for',
      holds: (s) =>
        s.prev.value === s.next.value ||
        (ev(s).type === 'SET_NODE_LIVENESS' && ev(s).target === s.next.value) ||
        (ev(s).type === 'STORE' && ev(s).liveness === s.next.value),
    },
    {
      name: 'every SetNodeLivenessResponse reports the resulting liveness and the real node epoch',
      holds: (s) =>
        effectsOf(s.effects, 'SetNodeLivenessResponse').every(
          (r) => r.applied === s.next.value && r.nodeEpoch === ctxOf<NodeLivenessContext>(s.next).nodeEpoch,
        ),
    },
    {
      name: 'a Stopping node admits no new maintainer (I16)',
      holds: (s) => s.prev.value !== 'Stopping' || effectsOf(s.effects, 'mm.admitAddMaintainer').length === 0,
    },
  ],
};

// ---------------------------------------------------------------------------------------------

export const livenessViewModel: MachineModel = {
  name: 'livenessView',
  machine: livenessViewMachine,
  spec: '§2.5.1, §2.6.4',
  summary:
    "The coordinator's reading of one node: Alive, Draining or Stopping as last observed, Unknown after 30 s without " +
    'an observation, and Alive for a node never observed (rollout compatibility). It is monotonic per node epoch: late ' +
    'heartbeats or responses from an older epoch, or with a lower liveness, are dropped (B19, I13).',
  inputs: [{ label: 'node', input: { node: ORIGIN } }],
  events: (snapshot) => {
    const c = snapshot.context as LivenessViewContext;
    const t = Math.max(BASE_MS, c.lastSeen);
    return [
      ...observeEvents(t + LIVENESS_TTL_MS + 10_000),
      { type: 'TICK', now: t + LIVENESS_TTL_MS },
      { type: 'TICK', now: t + LIVENESS_TTL_MS + 1 },
      { type: 'NODE_REMOVED', node: ORIGIN },
      { type: 'NODE_REMOVED', node: OTHER },
    ];
  },
  clock: (s) => Math.max(BASE_MS, (s.context as LivenessViewContext).lastSeen),
  shiftTime: (c: LivenessViewContext, d: number) => (c.observed ? { ...c, lastSeen: c.lastSeen + d } : c),
  abstract: (s) => {
    const c = s.context as LivenessViewContext;
    return { value: s.value, observed: c.observed, nodeEpoch: c.nodeEpoch, liveness: c.liveness };
  },
  properties: [
    {
      name: 'the view never regresses within a node epoch, and epochs never decrease but by node removal (I13)',
      holds: (s) => {
        const a = ctxOf<LivenessViewContext>(s.prev);
        const b = ctxOf<LivenessViewContext>(s.next);
        if (!a.observed || !b.observed) return true;
        return b.nodeEpoch > a.nodeEpoch || (b.nodeEpoch === a.nodeEpoch && livenessRank(b.liveness) >= livenessRank(a.liveness));
      },
    },
    {
      name: 'Unknown is entered only by a tick strictly past the TTL',
      holds: (s) =>
        !(s.next.value === 'Unknown' && s.prev.value !== 'Unknown') ||
        (ev(s).type === 'TICK' && (ev(s).now as number) - ctxOf<LivenessViewContext>(s.prev).lastSeen > LIVENESS_TTL_MS),
    },
    {
      name: 'a never-observed node is not Unknown',
      holds: (s) => ctxOf<LivenessViewContext>(s.next).observed || s.next.value === 'Unobserved',
    },
  ],
};
