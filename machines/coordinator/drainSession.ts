/**
 * The coordinator's drain session and the `DrainNode(target)` API (`coordinator/controller_drain.go`),
 * spec §2.5.5, with the coordinator side of drain target propagation (§2.5.4) and the scheduler
 * gates it installs (§2.5.1, §2.5.2, see {@link ./gates.ts}).
 *
 * Two orthogonal regions:
 * - `session`: `NoSession`, `Active(target, epoch)` (the `drainSession` record) and
 *   `Clearing(target, epoch, pendingNodes)` (the `drainClearState` tombstone);
 * - `tombstone`: `None` or `Completed(target)` (`drainCompleted`).
 *
 * Rules encoded:
 * - DRAIN_NODE evaluates the table of §2.5.5 top to bottom, first match wins
 *   ({@link drainNodeRow}), and answers with a `drain.result {target, remaining, error}` effect.
 *   Row 8 reuses the session on the same target or allocates a drain epoch
 *   ({@link nextDrainEpoch}: PD failure and overflow are typed errors that change nothing); a new
 *   session freezes the tracked changefeeds (replicating and meant to run), `pendingStatus` (the
 *   same set) and `targetSyncNodes` (the alive nodes), records `lastGeneratedDrainEpoch`, starts the
 *   target gate, and clears the clear state and the completed tombstone. Row 8 then broadcasts the
 *   target (forced), asks the drain workflow to drain (`drain.requestDrain`) and computes the answer.
 * - `remaining` = max(maintainers on the target, operators involving it, Σ dispatcher counts, Σ
 *   in-flight moves, |pendingStatus|), the sums over tracked changefeeds that are Replicating and
 *   report DrainProgress for exactly (target, epoch) ({@link drainRemaining}); `complete` = view not
 *   Unknown ∧ DRAINING and STOPPING observed ∧ remaining = 0. The answer is 0 only when complete,
 *   else max(remaining, 1) (I17). A complete session is not closed: it blocks other targets until
 *   its target leaves membership (I18).
 * - `pendingStatus` only shrinks: a changefeed leaves when it is gone, no longer meant to run, or
 *   reports DrainProgress for exactly (target, epoch).
 * - NODE_REMOVED of the session target: `complete` is computed from the event's observation, read
 *   by the host **before** `OnNodeRemoved` changes anything (RemoveNode step 1); then the session
 *   ends, the clear state takes the target-sync nodes still alive (none: no clear state, no send, the
 *   gate goes), the empty target at the same epoch is force-broadcast to them, and a complete
 *   session leaves the `Completed` tombstone. A removed node pending a clear counts as acked; an
 *   empty pending set drops the clear state and its gate. Any removal deletes the node's gate ack.
 * - Clear-state acknowledgement (heartbeats and bootstrap snapshots, no active session) from a
 *   drain-capable, bootstrapped, alive participant or a node already pending: lower epoch ignored;
 *   equal epoch empty → ack, non-empty → pending; higher epoch empty → ack, non-empty → a new clear
 *   state for that (target, epoch). With neither session nor clear state, a participant reporting a
 *   non-empty target starts a clear state (stale-target recovery). A new clear state pends on every
 *   alive clear participant (`clearParticipants`, event data), and is not started without one.
 * - Target-gate acks come from node heartbeats ({@link recordHeartbeat}); every heartbeat and
 *   bootstrap response raises `maxObservedDrainEpoch` (clears included).
 * - A drain-capable bootstrap from a node not yet synced joins `targetSyncNodes` and gets the target.
 * - TICK (the 500 ms periodic task): rebroadcast the target (or the clear) to the alive sync (or
 *   pending) nodes when dirty or 5 s after the last send; with an initialized coordinator and an
 *   active session, emit `drain.advance {node: target, readyToStop}` for the drain workflow, where
 *   readyToStop = view not Unknown ∧ DRAINING observed ∧ remaining = 0 (§2.5.1).
 * - NODE_ADDED of the completed node (re-join) clears the tombstone.
 *
 * Events in: DRAIN_NODE, NODE_HEARTBEAT, BOOTSTRAP_RESPONSE, NODE_REMOVED, NODE_ADDED, TICK; the
 * rest of the coordinator (membership, liveness view, drain workflow flags, operator and maintainer
 * counts, changefeeds, PD TSO, wall clock) enters as event data, read by the host under its lock.
 * Effects out: SetDispatcherDrainTargetRequest, drain.requestDrain, drain.advance, drain.result.
 *
 * Simplifications:
 * - The source allocates the epoch with PD `GetTS` outside its lock and fails the call when another
 *   target won the race, or the target left, meanwhile. An actor handles one event at a time, so the
 *   TSO is event data and neither race exists; the "target gone" error is row 3.
 * - `pendingStatus` shrinks when DRAIN_NODE or TICK carries the changefeeds' reports, not on each
 *   maintainer heartbeat; the answer is computed after the shrink either way.
 * - A later-joining node gets the target directly; the source marks the session dirty and
 *   rebroadcasts to every alive sync node (the others already hold the same target and epoch).
 * - `schedulingFrozen` is computed when asked ({@link isSchedulingFrozen}), see gates.ts.
 */
import { fromValidInput } from '../boundary.js';
import { setup, assign, enqueueActions } from 'xstate';
import type { Uint64 } from '../epoch.js';
import type { NodeId } from '../protocol.js';
import type { ViewState } from '../livenessView.js';
import { DrainEpochError, nextDrainEpoch } from './drainEpoch.js';
import {
  forgetAck,
  recordHeartbeat,
  removeClearPending,
  sorted,
  startTargetGate,
  switchToClearGate,
  type SchedulerGate,
} from './gates.js';

export const DRAIN_TARGET_RESEND_INTERVAL_MS = 5_000;

/** A maintainer's `DrainProgress` as reported in its status. */
export interface DrainProgress {
  target: NodeId;
  epoch: Uint64;
  dispatcherCount: number;
  inflightMoves: number;
}

/** One changefeed as the coordinator sees it at the event. */
export interface ChangefeedDrainView {
  id: string;
  replicating: boolean;
  /** The changefeed's state says it should run (not stopped, failed, finished, removed). */
  shouldRun: boolean;
  drainProgress: DrainProgress | null;
}

/** What the host reads about a drain target at the event (the inputs of `remaining` and `complete`). */
export interface TargetObservation {
  view: ViewState;
  drainingObserved: boolean;
  stoppingObserved: boolean;
  maintainersOnTarget: number;
  operatorsInvolvingTarget: number;
  changefeeds: ChangefeedDrainView[];
}

/** Membership and the coordinator's readiness at the event. */
export interface ClusterView {
  aliveNodes: NodeId[];
  initialized: boolean;
  /** Drain-protocol capability per alive node: null while unobserved, 0 legacy, 1 current. */
  drainProtocol: Record<NodeId, number | null>;
}

export interface DrainTargetSnapshot {
  target: NodeId;
  epoch: Uint64;
}

export interface ActiveSession {
  target: NodeId;
  epoch: Uint64;
  targetSyncNodes: NodeId[];
  trackedChangefeeds: string[];
  pendingStatus: string[];
  dirty: boolean;
  lastSent: number | null;
}

export interface ClearState {
  target: NodeId;
  epoch: Uint64;
  pendingNodes: NodeId[];
  dirty: boolean;
  lastSent: number | null;
}

export interface DrainSessionContext {
  session: ActiveSession | null;
  clear: ClearState | null;
  completed: NodeId | null;
  gate: SchedulerGate;
  lastGeneratedDrainEpoch: Uint64;
  maxObservedDrainEpoch: Uint64;
  resendIntervalMs: number;
}

export interface DrainSessionInput {
  resendIntervalMs?: number;
}

export type DrainNodeCallEvent = {
  type: 'DRAIN_NODE';
  now: number;
  target: NodeId;
  cluster: ClusterView;
  observation: TargetObservation;
  /** PD TSO, or null when PD failed. */
  tso: { physicalMs: bigint; logical: bigint } | null;
  wallClockNs: Uint64;
};

export type DrainSessionEvent =
  | DrainNodeCallEvent
  | {
      type: 'NODE_HEARTBEAT';
      now: number;
      from: NodeId;
      nodeEpoch: Uint64;
      /** The liveness record after observing this heartbeat. */
      view: { observed: boolean; nodeEpoch: Uint64 };
      drainTarget: DrainTargetSnapshot;
      /** Drain-capable, bootstrapped and alive. */
      participant: boolean;
      /** Every alive clear participant: the pending set of a clear state this report starts. */
      clearParticipants: NodeId[];
    }
  | {
      type: 'BOOTSTRAP_RESPONSE';
      now: number;
      from: NodeId;
      drainProtocolVersion: number;
      drainTarget: DrainTargetSnapshot;
      participant: boolean;
      clearParticipants: NodeId[];
    }
  | { type: 'NODE_REMOVED'; now: number; node: NodeId; observation: TargetObservation; aliveNodes: NodeId[] }
  | { type: 'NODE_ADDED'; node: NodeId }
  | { type: 'TICK'; now: number; initialized: boolean; aliveNodes: NodeId[]; observation: TargetObservation };

export type DrainNodeErrorCode = 'CAPTURE_NOT_EXIST' | 'PD_UNAVAILABLE' | 'DRAIN_EPOCH_OVERFLOW' | 'DRAIN_EPOCH_NEGATIVE';

export type DrainSessionEffect =
  | { type: 'SetDispatcherDrainTargetRequest'; to: NodeId; targetNodeId: NodeId; targetEpoch: Uint64 }
  | { type: 'drain.requestDrain'; node: NodeId }
  | { type: 'drain.advance'; node: NodeId; readyToStop: boolean }
  | { type: 'drain.result'; target: NodeId; remaining: number; row: DrainNodeRow; error: DrainNodeErrorCode | null };

export type DrainNodeRow = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

/** The row of the §2.5.5 table that answers `DrainNode(target)`, first match wins. */
export function drainNodeRow(context: DrainSessionContext, e: DrainNodeCallEvent): DrainNodeRow {
  const inMembership = e.cluster.aliveNodes.includes(e.target);
  if (!inMembership && context.completed === e.target) return 1;
  if (!inMembership && context.session?.target === e.target) return 2;
  if (!inMembership) return 3;
  if ((context.session && context.session.target !== e.target) || context.clear) return 4;
  if (!e.cluster.initialized) return 5;
  if (!context.session) {
    const caps = e.cluster.aliveNodes.map((n) => e.cluster.drainProtocol[n] ?? null);
    if (caps.some((c) => c === null)) return 6;
    if (caps.some((c) => c === 0)) return 7;
  }
  return 8;
}

/** Row 8 without a session on the target: the epoch it would get, or the typed error. */
export function allocateDrainEpoch(context: DrainSessionContext, e: DrainNodeCallEvent): Uint64 | DrainEpochError {
  if (e.tso === null) return new DrainEpochError('PD_UNAVAILABLE', 'PD GetTS failed');
  try {
    return nextDrainEpoch({
      tso: e.tso,
      wallClockNs: e.wallClockNs,
      maxObservedDrainEpoch: context.maxObservedDrainEpoch,
      lastGeneratedDrainEpoch: context.lastGeneratedDrainEpoch,
      clearEpoch: context.clear?.epoch ?? 0n,
    });
  } catch (err) {
    if (err instanceof DrainEpochError) return err;
    throw err;
  }
}

const reportsExactly = (p: DrainProgress | null, s: { target: NodeId; epoch: Uint64 }) =>
  p !== null && p.target === s.target && p.epoch === s.epoch;

/** `pendingStatus` after the changefeeds' current reports: it only shrinks. */
export function shrinkPendingStatus(session: ActiveSession, changefeeds: ChangefeedDrainView[]): string[] {
  const byId = new Map(changefeeds.map((cf) => [cf.id, cf]));
  return session.pendingStatus.filter((id) => {
    const cf = byId.get(id);
    return cf !== undefined && cf.shouldRun && !reportsExactly(cf.drainProgress, session);
  });
}

/** `remaining` of §2.5.5 for the session, with `pendingStatus` already shrunk by this observation. */
export function drainRemaining(session: ActiveSession, obs: TargetObservation): number {
  const tracked = new Set(session.trackedChangefeeds);
  let dispatchers = 0;
  let moves = 0;
  for (const cf of obs.changefeeds) {
    if (!tracked.has(cf.id) || !cf.replicating || !reportsExactly(cf.drainProgress, session)) continue;
    dispatchers += cf.drainProgress!.dispatcherCount;
    moves += cf.drainProgress!.inflightMoves;
  }
  return Math.max(
    obs.maintainersOnTarget,
    obs.operatorsInvolvingTarget,
    dispatchers,
    moves,
    shrinkPendingStatus(session, obs.changefeeds).length,
  );
}

/** `complete` of §2.5.5. */
export function isDrainComplete(session: ActiveSession, obs: TargetObservation): boolean {
  return obs.view !== 'Unknown' && obs.drainingObserved && obs.stoppingObserved && drainRemaining(session, obs) === 0;
}

/** The API's answer for an active session: 0 only when complete (I17). */
export function drainAnswer(session: ActiveSession, obs: TargetObservation): number {
  return isDrainComplete(session, obs) ? 0 : Math.max(drainRemaining(session, obs), 1);
}

function newSession(context: DrainSessionContext, e: DrainNodeCallEvent, epoch: Uint64): ActiveSession {
  const tracked = e.observation.changefeeds.filter((cf) => cf.replicating && cf.shouldRun).map((cf) => cf.id).sort();
  return {
    target: e.target,
    epoch,
    targetSyncNodes: sorted(e.cluster.aliveNodes),
    trackedChangefeeds: tracked,
    pendingStatus: tracked,
    dirty: true,
    lastSent: null,
  };
}

type Ev<T extends DrainSessionEvent['type']> = Extract<DrainSessionEvent, { type: T }>;
const isReport = (e: DrainSessionEvent): e is Ev<'NODE_HEARTBEAT'> | Ev<'BOOTSTRAP_RESPONSE'> =>
  e.type === 'NODE_HEARTBEAT' || e.type === 'BOOTSTRAP_RESPONSE';
const maxU = (a: Uint64, b: Uint64) => (a > b ? a : b);

/** What a heartbeat or bootstrap snapshot does to the clear state (no active session). */
export type ClearAckOutcome = 'ignore' | 'ack' | 'pend' | 'replace';
export function clearAckOutcome(
  clear: ClearState | null,
  e: { from: NodeId; participant: boolean; drainTarget: DrainTargetSnapshot; clearParticipants: NodeId[] },
): ClearAckOutcome {
  const { target, epoch } = e.drainTarget;
  // A new clear state needs a non-empty target, a non-zero epoch and someone to pend on.
  const canStart = target !== '' && epoch !== 0n && e.clearParticipants.length > 0;
  if (!clear) return e.participant && canStart ? 'replace' : 'ignore';
  if (!e.participant && !clear.pendingNodes.includes(e.from)) return 'ignore';
  if (epoch < clear.epoch) return 'ignore';
  if (target === '') return 'ack';
  if (epoch === clear.epoch) return 'pend';
  return canStart ? 'replace' : 'ignore';
}

function broadcastDue(rec: { dirty: boolean; lastSent: number | null }, now: number, interval: number): boolean {
  return rec.dirty || rec.lastSent === null || now - rec.lastSent >= interval;
}

export const drainSessionMachine = setup({
  types: {
    input: {} as DrainSessionInput,
    context: {} as DrainSessionContext,
    events: {} as DrainSessionEvent,
    emitted: {} as DrainSessionEffect,
  },
  guards: {
    startsNewSession: ({ context, event }) =>
      event.type === 'DRAIN_NODE' &&
      drainNodeRow(context, event) === 8 &&
      context.session?.target !== event.target &&
      !(allocateDrainEpoch(context, event) instanceof DrainEpochError),
    reusesSession: ({ context, event }) =>
      event.type === 'DRAIN_NODE' && drainNodeRow(context, event) === 8 && context.session?.target === event.target,
    removesSessionTarget: ({ context, event }) => event.type === 'NODE_REMOVED' && context.session?.target === event.node,
    leavesClearPending: ({ context, event }) => {
      if (event.type !== 'NODE_REMOVED' || context.session?.target !== event.node) return false;
      return context.session.targetSyncNodes.some((n) => n !== event.node && event.aliveNodes.includes(n));
    },
    removesCompletedSessionTarget: ({ context, event }) =>
      event.type === 'NODE_REMOVED' &&
      context.session?.target === event.node &&
      isDrainComplete(context.session, event.observation),
    removalEmptiesClear: ({ context, event }) =>
      event.type === 'NODE_REMOVED' &&
      context.clear !== null &&
      context.clear.pendingNodes.length === 1 &&
      context.clear.pendingNodes[0] === event.node,
    reportStartsClear: ({ context, event }) => isReport(event) && clearAckOutcome(context.clear, event) === 'replace',
    reportEmptiesClear: ({ context, event }) =>
      isReport(event) &&
      context.clear !== null &&
      clearAckOutcome(context.clear, event) === 'ack' &&
      context.clear.pendingNodes.length === 1 &&
      context.clear.pendingNodes[0] === event.from,
    isCompletedNodeRejoining: ({ context, event }) => event.type === 'NODE_ADDED' && context.completed === event.node,
  },
  actions: {
    answerDrainNode: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'DRAIN_NODE') return;
      const row = drainNodeRow(context, event);
      const result = (remaining: number, error: DrainNodeErrorCode | null = null) =>
        enqueue.emit({ type: 'drain.result', target: event.target, remaining, row, error });
      switch (row) {
        case 1:
        case 7:
          return result(0);
        case 2:
          return result(drainAnswer(context.session!, event.observation));
        case 3:
          return result(0, 'CAPTURE_NOT_EXIST');
        case 4:
        case 5:
        case 6:
          return result(1);
        case 8: {
          let session = context.session;
          if (session?.target !== event.target) {
            const epoch = allocateDrainEpoch(context, event);
            if (epoch instanceof DrainEpochError) return result(0, epoch.code as DrainNodeErrorCode);
            session = newSession(context, event, epoch);
            enqueue.assign({ lastGeneratedDrainEpoch: epoch, gate: startTargetGate(event.target, epoch), clear: null, completed: null });
          }
          session = { ...session, pendingStatus: shrinkPendingStatus(session, event.observation.changefeeds) };
          // Forced broadcast of the target to the alive sync nodes.
          for (const to of session.targetSyncNodes.filter((n) => event.cluster.aliveNodes.includes(n))) {
            enqueue.emit({ type: 'SetDispatcherDrainTargetRequest', to, targetNodeId: session.target, targetEpoch: session.epoch });
          }
          enqueue.assign({ session: { ...session, dirty: false, lastSent: event.now } });
          enqueue.emit({ type: 'drain.requestDrain', node: event.target });
          return result(drainAnswer(session, event.observation));
        }
      }
    }),
    observeReport: enqueueActions(({ context, event, enqueue }) => {
      if (!isReport(event)) return;
      const maxObservedDrainEpoch = maxU(context.maxObservedDrainEpoch, event.drainTarget.epoch);
      const gate =
        event.type === 'NODE_HEARTBEAT'
          ? recordHeartbeat(context.gate, event.from, event.nodeEpoch, event.view, event.drainTarget)
          : context.gate;
      enqueue.assign({ maxObservedDrainEpoch, gate });
      const s = context.session;
      // A later-joining drain-capable node joins the target sync set and gets the target.
      if (s && event.type === 'BOOTSTRAP_RESPONSE' && event.drainProtocolVersion >= 1 && !s.targetSyncNodes.includes(event.from)) {
        enqueue.assign({ session: { ...s, targetSyncNodes: sorted([...s.targetSyncNodes, event.from]) } });
        enqueue.emit({ type: 'SetDispatcherDrainTargetRequest', to: event.from, targetNodeId: s.target, targetEpoch: s.epoch });
      }
    }),
    applyClearAck: assign(({ context, event }) => {
      if (!isReport(event) || context.session) return {};
      const clear = context.clear;
      switch (clearAckOutcome(clear, event)) {
        case 'ignore':
          return {};
        case 'ack': {
          const pendingNodes = clear!.pendingNodes.filter((n) => n !== event.from);
          if (pendingNodes.length === 0) return { clear: null, gate: null };
          return { clear: { ...clear!, pendingNodes }, gate: removeClearPending(context.gate, event.from) };
        }
        case 'pend':
          return {
            clear: { ...clear!, pendingNodes: sorted([...clear!.pendingNodes, event.from]), dirty: true },
            gate: switchToClearGate(context.gate, clear!.target, clear!.epoch, [event.from]),
          };
        case 'replace': {
          const { target, epoch } = event.drainTarget;
          return {
            clear: { target, epoch, pendingNodes: sorted(event.clearParticipants), dirty: true, lastSent: null },
            gate: switchToClearGate(context.gate, target, epoch, event.clearParticipants),
          };
        }
      }
    }),
    // RemoveNode step 3: the session becomes a clear state on the sync nodes still alive.
    clearSession: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'NODE_REMOVED' || !context.session) return;
      const s = context.session;
      const pendingNodes = s.targetSyncNodes.filter((n) => n !== event.node && event.aliveNodes.includes(n));
      if (pendingNodes.length === 0) {
        // No one to clear: no clear state, nothing sent, and the session's target gate goes with it.
        enqueue.assign({ session: null, clear: null, gate: null });
        return;
      }
      enqueue.assign({
        session: null,
        clear: { target: s.target, epoch: s.epoch, pendingNodes, dirty: false, lastSent: event.now },
        gate: switchToClearGate(context.gate, s.target, s.epoch, pendingNodes),
      });
      for (const to of pendingNodes) enqueue.emit({ type: 'SetDispatcherDrainTargetRequest', to, targetNodeId: '', targetEpoch: s.epoch });
    }),
    // RemoveNode steps 4–5: a removed pending node counts as acked; its drain record (and gate ack) goes.
    forgetRemovedNode: assign(({ context, event }) => {
      if (event.type !== 'NODE_REMOVED') return {};
      let { clear, gate } = context;
      if (clear?.pendingNodes.includes(event.node)) {
        const pendingNodes = clear.pendingNodes.filter((n) => n !== event.node);
        gate = removeClearPending(gate, event.node);
        clear = pendingNodes.length === 0 ? null : { ...clear, pendingNodes };
        if (!clear && gate?.kind === 'clear') gate = null;
      }
      return { clear, gate: forgetAck(gate, event.node) };
    }),
    recordCompleted: assign(({ event }) => (event.type === 'NODE_REMOVED' ? { completed: event.node } : {})),
    clearCompleted: assign({ completed: null }),
    tickActive: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'TICK' || !context.session) return;
      let s: ActiveSession = { ...context.session, pendingStatus: shrinkPendingStatus(context.session, event.observation.changefeeds) };
      if (broadcastDue(s, event.now, context.resendIntervalMs)) {
        for (const to of s.targetSyncNodes.filter((n) => event.aliveNodes.includes(n))) {
          enqueue.emit({ type: 'SetDispatcherDrainTargetRequest', to, targetNodeId: s.target, targetEpoch: s.epoch });
        }
        s = { ...s, dirty: false, lastSent: event.now };
      }
      enqueue.assign({ session: s });
      if (event.initialized) {
        const o = event.observation;
        const readyToStop = o.view !== 'Unknown' && o.drainingObserved && drainRemaining(s, o) === 0;
        enqueue.emit({ type: 'drain.advance', node: s.target, readyToStop });
      }
    }),
    tickClearing: enqueueActions(({ context, event, enqueue }) => {
      const c = context.clear;
      if (event.type !== 'TICK' || !c || !broadcastDue(c, event.now, context.resendIntervalMs)) return;
      for (const to of c.pendingNodes.filter((n) => event.aliveNodes.includes(n))) {
        enqueue.emit({ type: 'SetDispatcherDrainTargetRequest', to, targetNodeId: '', targetEpoch: c.epoch });
      }
      enqueue.assign({ clear: { ...c, dirty: false, lastSent: event.now } });
    }),
  },
}).createMachine({
  id: 'drainSession',
  type: 'parallel',
  context: fromValidInput('drainSession', (input) => ({
    session: null,
    clear: null,
    completed: null,
    gate: null,
    lastGeneratedDrainEpoch: 0n,
    maxObservedDrainEpoch: 0n,
    resendIntervalMs: input.resendIntervalMs ?? DRAIN_TARGET_RESEND_INTERVAL_MS,
  })),
  states: {
    session: {
      initial: 'NoSession',
      states: {
        NoSession: {
          on: {
            DRAIN_NODE: [{ guard: 'startsNewSession', target: 'Active', actions: 'answerDrainNode' }, { actions: 'answerDrainNode' }],
            NODE_HEARTBEAT: [
              { guard: 'reportStartsClear', target: 'Clearing', actions: ['observeReport', 'applyClearAck'] },
              { actions: 'observeReport' },
            ],
            BOOTSTRAP_RESPONSE: [
              { guard: 'reportStartsClear', target: 'Clearing', actions: ['observeReport', 'applyClearAck'] },
              { actions: 'observeReport' },
            ],
            NODE_REMOVED: { actions: 'forgetRemovedNode' },
          },
        },
        Active: {
          on: {
            DRAIN_NODE: { actions: 'answerDrainNode' },
            NODE_HEARTBEAT: { actions: 'observeReport' },
            BOOTSTRAP_RESPONSE: { actions: 'observeReport' },
            NODE_REMOVED: [
              { guard: 'leavesClearPending', target: 'Clearing', actions: ['clearSession', 'forgetRemovedNode'] },
              { guard: 'removesSessionTarget', target: 'NoSession', actions: ['clearSession', 'forgetRemovedNode'] },
              { actions: 'forgetRemovedNode' },
            ],
            TICK: { actions: 'tickActive' },
          },
        },
        Clearing: {
          on: {
            // Row 4 answers every call that reaches it while a clear state exists.
            DRAIN_NODE: { actions: 'answerDrainNode' },
            NODE_HEARTBEAT: [
              { guard: 'reportEmptiesClear', target: 'NoSession', actions: ['observeReport', 'applyClearAck'] },
              { actions: ['observeReport', 'applyClearAck'] },
            ],
            BOOTSTRAP_RESPONSE: [
              { guard: 'reportEmptiesClear', target: 'NoSession', actions: ['observeReport', 'applyClearAck'] },
              { actions: ['observeReport', 'applyClearAck'] },
            ],
            NODE_REMOVED: [
              { guard: 'removalEmptiesClear', target: 'NoSession', actions: 'forgetRemovedNode' },
              { actions: 'forgetRemovedNode' },
            ],
            TICK: { actions: 'tickClearing' },
          },
        },
      },
    },
    tombstone: {
      initial: 'None',
      states: {
        None: {
          on: {
            NODE_REMOVED: { guard: 'removesCompletedSessionTarget', target: 'Completed', actions: 'recordCompleted' },
          },
        },
        Completed: {
          on: {
            NODE_ADDED: { guard: 'isCompletedNodeRejoining', target: 'None', actions: 'clearCompleted' },
            // A new session clears the tombstone (and a session cannot coexist with one otherwise).
            DRAIN_NODE: { guard: 'startsNewSession', target: 'None' },
          },
        },
      },
    },
  },
});
