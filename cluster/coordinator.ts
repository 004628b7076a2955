/**
 * The coordinator of the cluster model, composed from the coordinator-side machines without
 * re-implementing them (spec §2.5, §2.6.4): per node the liveness view (`livenessViewMachine`) and
 * the drain workflow (`drainNodeMachine`), and the drain session with the DrainNode API
 * (`drainSessionMachine`). Like cluster/node.ts this file is the glue, and only the glue: which
 * machine a message or API call goes to, the event data the machines ask the host for (membership,
 * views, counts), and where each effect goes — a message leaves through the network, a drain
 * intent becomes the drain workflow's event.
 *
 * Time. The machines take the time as event data. The coordinator's clock always reads 0 and every
 * stored timestamp is an age below it. Only which side of each threshold an age is on can change a
 * guard: the DRAINING/STOPPING resend throttle (1 s) and the target rebroadcast (5 s) read "due or
 * not", the liveness TTL (30 s, `>`) reads "expired or not". So time passes in two steps
 * ({@link TIME_STEPS}): `resend` makes every resend due and expires nothing; `ttl` expires every
 * liveness observation as well. Each step moves a timestamp back to the representative age of its
 * new class and no further, which keeps the state space finite and loses nothing: a run where real
 * time passes by any amount reaches, through these steps, a state whose ages sit in the same classes,
 * and the machines behave alike in both (they only compare ages with those thresholds).
 *
 * Everything here is in memory (§2.4.2): a coordinator crash loses it all.
 *
 * Simplifications: the drain epoch is allocated with a PD TSO and a wall clock of 0 (so it is
 * `max(observed, last generated, clear) + 1`, small and finite); PD unavailability is the TSO
 * `null`, a configuration choice. The changefeeds' drain progress reports are not modelled (the
 * maintainer's dispatcher drain is outside the model), so a tracked changefeed leaves
 * `pendingStatus` only when it stops being meant to run.
 */
import type { AnyMachineSnapshot, AnyStateMachine, EventObject } from 'xstate';
import type { Uint64 } from '../machines/epoch.js';
import type { ChangefeedId, Liveness, NodeId } from '../machines/protocol.js';
import { livenessViewMachine, viewStateAt, type LivenessViewContext, type ViewState } from '../machines/livenessView.js';
import { drainNodeMachine, type DrainNodeContext } from '../machines/drainNode.js';
import {
  drainSessionMachine,
  type DrainSessionContext,
  type DrainSessionEffect,
  type TargetObservation,
} from '../machines/coordinator/drainSession.js';
import type { Message } from './node.js';
import type { Stepper } from './stepper.js';
import * as oc from '../machines/coordinator/operatorController.js';
import { admissionMachine, type AdmissionEffect } from '../machines/admission.js';
import { bootstrapCoordinator, faithfulBootstrapGlue, MultipleOwnersError, type BootstrapStatus, type PersistedChangefeed } from '../machines/coordinator/bootstrap.js';
import { classifyMaintainerStatus, nextCheckpoint } from '../machines/coordinator/heartbeat.js';
import {
  basicSchedulerOutcomes,
  drainSchedulerOutcomes,
  initialDrainSchedulerState,
  type DrainSchedulerState,
  type SchedulerProposal,
  type SchedulerView,
} from '../machines/coordinator/schedulers.js';
import type { Effect, MaintainerState } from '../machines/protocol.js';
import { storeOpOf, type KeyRevisions, type StoredChangefeed, type StoreOp } from './store.js';
import type { FeedState } from '../adapters/types.js';
import {
  completeApiCall,
  createChangefeed,
  handleStateChange,
  pauseChangefeed,
  removeChangefeed,
  resumeChangefeed,
  type ApiStep,
  type ChangefeedStoreOutcome,
  type PendingApiCall,
} from '../machines/coordinator/changefeedApi.js';
import type { CoordinatorChangefeeds } from '../machines/coordinator/changefeeds.js';
import { balanceSchedulerOutcomes } from '../machines/coordinator/schedulers.js';

/**
 * The coordinator glue around admission that a host may replace by name, as the operator
 * controller's glue (machines/coordinator/operatorController.ts `OperatorControllerGlue`): a
 * checker's historical-bug variant puts an old rule back here (cluster/variants.ts
 * `glue.admission`), which the glue reads from its stepper (cluster/check.ts VariantStepper).
 */
export interface AdmissionGlue {
  /**
   * §2.4: the key under which a new `AddOperator(op)` call of `changefeedId` is kept while its bump
   * runs, or null when the call is not started. Faithful ({@link oneAdmissionPerChangefeed}): the
   * changefeed's ID, and null while one runs — its reservation (`epochBumping`) would fail the
   * second call's precheck, which changes nothing.
   */
  admissionSlot(admissions: CoordinatorState['admissions'], changefeedId: ChangefeedId): string | null;
}

/** The faithful {@link AdmissionGlue.admissionSlot}: one admission per changefeed (§2.4 `epochBumping`). */
export const oneAdmissionPerChangefeed: AdmissionGlue['admissionSlot'] = (admissions, cf) => (admissions[cf] ? null : cf);

/** A stepper that may carry replaced admission glue (cluster/check.ts VariantStepper). */
type GlueStepper = Stepper & { readonly admissionGlue?: Partial<AdmissionGlue> };

/** The representative ages: every resend due (past 1 s and 5 s), and past the 30 s liveness TTL. */
export const RESEND_DUE_AGE_MS = 5_001;
export const EXPIRED_AGE_MS = 30_001;

/** How far time may pass in one step (at least): every resend due, or the liveness TTL as well. */
export const TIME_STEPS = { resend: RESEND_DUE_AGE_MS, ttl: EXPIRED_AGE_MS } as const;
export type TimeStep = keyof typeof TIME_STEPS;

/** The coordinator's clock: always 0, timestamps are ages below it. */
const NOW = 0;

export interface CoordinatorState {
  /** The node it runs on. */
  node: NodeId;
  /** Its version (the bootstrap's), raised by every failover. */
  version: Uint64;
  /** Alive members as this coordinator knows them, sorted. */
  members: readonly NodeId[];
  /**
   * The process (node epoch) behind each member's session: a restarted process registers a new
   * session (TiCDC gives it a new capture), so the coordinator sees the old one leave and the new
   * one join even when it never saw the node down.
   */
  sessions: Readonly<Record<NodeId, Uint64>>;
  /** Nodes whose bootstrap response arrived, sorted. */
  bootstrapped: readonly NodeId[];
  /** Drain-protocol capability per node as reported at bootstrap (null: not yet). */
  drainProtocol: Readonly<Record<NodeId, number | null>>;
  views: Readonly<Record<NodeId, AnyMachineSnapshot>>;
  drains: Readonly<Record<NodeId, AnyMachineSnapshot>>;
  session: AnyMachineSnapshot;
  /** The last DrainNode answer, for the API invariants (I17, I18); null before any call. */
  lastDrainAnswer: DrainAnswer | null;
  /** Bootstrap statuses collected per responding node, until every member has answered (§2.4.2). */
  bootstrapStatuses: Readonly<Record<NodeId, readonly BootstrapStatus[]>>;
  /** The operator controller with the changefeed DB and in-memory infos; null until bootstrapped. */
  controller: oc.OperatorControllerState | null;
  /**
   * Admissions waiting for their epoch bump (§2.4), by changefeed (by {@link AdmissionGlue}'s key
   * when a variant runs several per changefeed), with the operator they push.
   */
  admissions: Readonly<Record<ChangefeedId, { snapshot: AnyMachineSnapshot; spec: oc.OperatorSpec; incarnation: number }>>;
  /** The drain scheduler's round-robin cursor (§2.5.3). */
  drainScheduler: DrainSchedulerState;
  /**
   * The in-memory `info.State` and running error per changefeed (the controller holds the epoch
   * and checkpoint), with the incarnation: a changefeed removed and created again is a new one,
   * which an admission's RECHECK must tell apart (§2.4 `sameChangefeed`).
   */
  feeds: Readonly<Record<ChangefeedId, FeedRecord>>;
  /** Changefeeds created by this coordinator so far (the next incarnation). */
  created: number;
}

/** The coordinator's in-memory state of one changefeed beside the controller's epoch and checkpoint. */
export interface FeedRecord {
  state: FeedState;
  error: boolean;
  incarnation: number;
}

/** A changefeed API call of §2.4.3 as a world step. */
export type ApiCallName = 'create' | 'pause' | 'remove' | 'resume';
/** A state change a maintainer reports to the coordinator (§2.4.3 `handleStateChange`). */
export type StateChangeName = 'warning' | 'failed' | 'finished';

/**
 * The epoch generator's fallback (§3.5): when PD's TSO cannot be read the epoch is the local
 * UnixNano, about 4× the TSO scale. One constant stands for "a UnixNano reading": every later
 * candidate, TSO or fallback, is then below the stored epoch and the bump yields current + 1.
 */
export const FALLBACK_EPOCH = 1_700_000_000_000_000_000n;
/** The running error a warning or failed state change records (its text is not modelled). */
const MODEL_ERROR = { code: 'CDC:ErrModel', message: 'reported by the maintainer' } as const;

/**
 * A call to the epoch store in flight (§3): the write may land or not, and the caller hears of it
 * in a separate step, so a stop, a status or a crash can come between (§2.4). Tagged with the
 * coordinator that made it: after a failover its answer reaches no one.
 */
export interface StoreCall {
  coordinatorVersion: Uint64;
  changefeedId: ChangefeedId;
  /**
   * `admission`: the operator admission's bump (§2.4); `postFinish`: a stop operator's write
   * (§2.3); `api`: a changefeed API call or state change (§2.4.3), with what to do when it ends;
   * `checkpoint`: the checkpoint writer's UpdateChangefeedCheckpointTs (§3.4), whose end no one awaits.
   */
  purpose: 'admission' | 'postFinish' | 'api' | 'checkpoint';
  op: StoreOp;
  pending?: PendingApiCall;
  /**
   * With store revisions (cluster/world.ts `checkpoints`): the revisions a bump or resume read when
   * it was issued, or at its latest re-read, which its txn compares (§3.2 steps 1 and 5).
   */
  seen?: KeyRevisions;
  /** Compare failures so far (§3.2 step 6: a failure re-reads and retries). */
  attempt?: number;
  /**
   * The admission a bump answers, when its record is not kept under the changefeed's own ID (only
   * a variant without the reservation runs two admissions of one changefeed, {@link AdmissionGlue}).
   */
  admission?: string;
}

/** How a store call ends: applied and acknowledged, failed unapplied, or applied but reported failed. */
export type StoreOutcome = 'ok' | 'failed' | 'appliedButFailed';

export interface DrainAnswer {
  target: NodeId;
  remaining: number;
  error: string | null;
  /** The §2.5.5 row that answered. */
  row: number;
}

export interface CoordinatorResult {
  coordinator: CoordinatorState;
  out: Message[];
  /** Store calls the step made (added to the world's calls in flight). */
  storeCalls: StoreCall[];
  /** A failed state-change write ends the coordinator's run loop (§2.4.3): the process must fail over. */
  fatal?: boolean;
  /**
   * The coordinator panicked (TiCDC `log.Panic`): the process dies and must fail over, like `fatal`,
   * and the world records why. Today only the bootstrap's "maintainer runs on multiple node"
   * (§2.4.2 step 3, §5.1 B10).
   */
  panic?: string;
}

/** What the coordinator reads of the cluster when it asks. */
export interface CoordinatorEnv {
  changefeeds: readonly ChangefeedId[];
  /** PD answers the TSO (false: PD unavailable, DrainNode fails with PD_UNAVAILABLE). */
  pdAvailable: boolean;
  /** The persisted records, as `GetAllChangefeeds` reads them at bootstrap (§2.4.2). */
  store?: Readonly<Record<ChangefeedId, StoredChangefeed | undefined>>;
  /** The scheduler batch size (§2.4.1, §2.5.3). Default 1. */
  batchSize?: number;
  /** The highest epoch each deleted changefeed had: a re-creation's TSO epoch is above it (§3.5). */
  retiredEpochs?: Readonly<Record<ChangefeedId, Uint64>>;
}

/**
 * The candidate epoch of a bump or resume (§3.5). With PD the TSO is abstracted to "above the
 * stored epoch", which §3.2's advance turns into stored + 1 (0 as the candidate gives exactly
 * that, and keeps the state space finite); without PD it is the UnixNano fallback.
 */
export const bumpCandidate = (env: CoordinatorEnv): Uint64 => (env.pdAvailable ? 0n : FALLBACK_EPOCH);

/** The generated epoch of a CreateChangefeed (§2.4.3, §3.5): above every epoch the name had. */
export function createEpoch(env: CoordinatorEnv, cf: ChangefeedId): Uint64 {
  const above = (env.retiredEpochs?.[cf] ?? 0n) + 1n;
  return env.pdAvailable || above > FALLBACK_EPOCH ? above : FALLBACK_EPOCH;
}

export class CoordinatorError extends Error {
  override name = 'CoordinatorError';
}

const sortedNodes = (xs: Iterable<NodeId>) => [...new Set(xs)].sort();

/** A freshly started coordinator (after a failover, its `version` is the old one + 1). */
export function startCoordinator(
  stepper: Stepper,
  node: NodeId,
  version: Uint64,
  members: readonly NodeId[],
  sessions: Readonly<Record<NodeId, Uint64>> = Object.fromEntries(members.map((n) => [n, 1n])),
): CoordinatorState {
  const views: Record<NodeId, AnyMachineSnapshot> = {};
  const drains: Record<NodeId, AnyMachineSnapshot> = {};
  for (const n of members) {
    views[n] = stepper.start(livenessViewMachine, { node: n }).snapshot;
    drains[n] = stepper.start(drainNodeMachine, { node: n }).snapshot;
  }
  return {
    node,
    version,
    members: sortedNodes(members),
    sessions: Object.fromEntries(members.map((n) => [n, sessions[n] ?? 1n])),
    bootstrapped: [],
    drainProtocol: Object.fromEntries(members.map((n) => [n, null])),
    views,
    drains,
    session: stepper.start(drainSessionMachine, {}).snapshot,
    lastDrainAnswer: null,
    bootstrapStatuses: {},
    controller: null,
    admissions: {},
    drainScheduler: initialDrainSchedulerState,
    feeds: {},
    created: 0,
  };
}

/** The CoordinatorBootstrap messages a (new) coordinator sends to every member (§2.4.2, §2.6.3). */
export function bootstrapMessages(c: CoordinatorState): Message[] {
  return c.members.map((to) => ({ type: 'CoordinatorBootstrap', from: c.node, to, version: c.version }));
}

export const viewOf = (c: CoordinatorState, n: NodeId): ViewState =>
  c.views[n] ? viewStateAt(c.views[n]!.context as LivenessViewContext, NOW) : 'Unknown';

const drainCtx = (c: CoordinatorState, n: NodeId) => c.drains[n]?.context as DrainNodeContext | undefined;
const drainValue = (c: CoordinatorState, n: NodeId) => c.drains[n]?.value as string | undefined;
export const sessionContext = (c: CoordinatorState) => c.session.context as DrainSessionContext;

/** Initialized: bootstrap finished (§2.4.2 step 8): every member answered and the controller runs. */
export const isInitialized = (c: CoordinatorState) => c.controller !== null;

/** What §2.5.5 reads about a drain target: its view, its drain flags, and (with operators) its work. */
export function targetObservation(c: CoordinatorState, target: NodeId, env: CoordinatorEnv): TargetObservation {
  const d = drainValue(c, target);
  return {
    view: viewOf(c, target),
    drainingObserved: d === 'DrainingObserved' || d === 'StoppingObserved',
    stoppingObserved: d === 'StoppingObserved',
    maintainersOnTarget: c.controller ? [...c.controller.db.values()].filter((e) => e.nodeId === target && e.bucket !== undefined).length : 0,
    operatorsInvolvingTarget: c.controller ? oc.countOperatorsInvolvingNode(c.controller, target) : 0,
    changefeeds: env.changefeeds.map((id) => ({
      id,
      replicating: c.controller?.db.get(id)?.bucket === 'Replicating',
      shouldRun: c.controller?.db.get(id)?.stopped === false,
      drainProgress: null,
    })),
  };
}

/** Steps the coordinator's machines and routes their effects. */
class Glue {
  readonly out: Message[] = [];
  readonly storeCalls: StoreCall[] = [];
  constructor(
    private readonly stepper: Stepper,
    public c: CoordinatorState,
    private readonly env: CoordinatorEnv,
  ) {}

  private send(m: { type: string; to: NodeId } & Record<string, unknown>) {
    this.out.push({ ...m, from: this.c.node } as Message);
  }

  private step(machine: AnyStateMachine, snap: AnyMachineSnapshot, event: { type: string } & Record<string, unknown>) {
    return this.stepper.step(machine, snap, event);
  }

  view(n: NodeId, event: { type: string } & Record<string, unknown>) {
    const s = this.c.views[n];
    if (!s) return;
    this.c = { ...this.c, views: { ...this.c.views, [n]: this.step(livenessViewMachine, s, event).snapshot } };
  }

  drain(n: NodeId, event: { type: string } & Record<string, unknown>) {
    const s = this.c.drains[n];
    if (!s) return;
    const r = this.step(drainNodeMachine, s, event);
    this.c = { ...this.c, drains: { ...this.c.drains, [n]: r.snapshot } };
    for (const e of r.effects) if (typeof e.to === 'string') this.send(e as never);
  }

  session(event: { type: string } & Record<string, unknown>) {
    const r = this.step(drainSessionMachine, this.c.session, event);
    this.c = { ...this.c, session: r.snapshot };
    for (const e of r.effects as DrainSessionEffect[]) {
      switch (e.type) {
        case 'SetDispatcherDrainTargetRequest':
          // The node's dispatcher drain target (§2.5.4): '' is the clear.
          this.send({ type: 'SetDispatcherDrainTarget', to: e.to, target: e.targetNodeId, epoch: e.targetEpoch });
          break;
        case 'drain.requestDrain':
          this.drain(e.node, { type: 'REQUEST_DRAIN', now: NOW });
          break;
        case 'drain.advance':
          this.drain(e.node, { type: 'ADVANCE', now: NOW, readyToStop: e.readyToStop });
          break;
        case 'drain.result':
          this.c = { ...this.c, lastDrainAnswer: { target: e.target, remaining: e.remaining, error: e.error, row: e.row } };
          break;
      }
    }
  }

  /** A liveness observation reaches the view and the drain workflow alike (§2.5.1, §2.6.4). */
  observe(n: NodeId, nodeEpoch: Uint64, liveness: Liveness) {
    const ev = { type: 'OBSERVE', now: NOW, nodeEpoch, liveness };
    this.view(n, ev);
    this.drain(n, ev);
  }

  participant(n: NodeId) {
    return this.c.members.includes(n) && this.c.bootstrapped.includes(n) && this.c.drainProtocol[n] === 1 && viewOf(this.c, n) !== 'Unknown';
  }

  clearParticipants() {
    return this.c.members.filter((n) => this.participant(n));
  }

  observation(target: NodeId) {
    return targetObservation(this.c, target, this.env);
  }

  /** The session's current target, or '' without one. */
  sessionTarget(): NodeId {
    return sessionContext(this.c).session?.target ?? '';
  }

  fatal = false;
  panic: string | undefined;

  result(): CoordinatorResult {
    return { coordinator: this.c, out: this.out, storeCalls: this.storeCalls, ...(this.fatal ? { fatal: true } : {}), ...(this.panic !== undefined ? { panic: this.panic } : {}) };
  }

  // ----- the operator side -----

  /** Applies a controller step and routes its effects: messages out, store intents to the store. */
  controller(step: (s: oc.OperatorControllerState) => oc.ControllerStep) {
    const ctl = this.c.controller;
    if (!ctl) return;
    const r = step(ctl);
    this.c = { ...this.c, controller: r.state };
    this.effects(r.effects);
  }

  effects(effects: readonly Effect[]) {
    for (const e of effects) {
      if (e.type.startsWith('db.')) continue; // applied by the controller itself
      if ('to' in e && typeof e.to === 'string') this.send(e as never);
      else if (e.type === 'store.deleteChangefeed') this.storeCall(e.changefeedId, 'postFinish', { op: 'delete' });
      else if (e.type === 'store.setChangefeedProgress') this.storeCall(e.changefeedId, 'postFinish', { op: 'setProgress', progress: e.progress });
    }
  }

  storeCall(changefeedId: ChangefeedId, purpose: StoreCall['purpose'], op: StoreOp, pending?: PendingApiCall, admission?: string) {
    this.storeCalls.push({ coordinatorVersion: this.c.version, changefeedId, purpose, op, ...(pending ? { pending } : {}), ...(admission !== undefined && admission !== changefeedId ? { admission } : {}) });
  }

  // ----- the changefeed API (§2.4.3) -----

  /** The controller's DB and infos with this coordinator's feed states, as changefeedApi.ts reads them. */
  changefeeds(): CoordinatorChangefeeds | null {
    const ctl = this.c.controller;
    if (!ctl) return null;
    const meta = new Map(
      [...ctl.infos].map(([cf, info]) => {
        const f = this.c.feeds[cf];
        return [cf, { epoch: info.epoch, checkpointTs: info.checkpointTs, state: f?.state ?? 'normal', error: f?.error ? MODEL_ERROR : null }] as const;
      }),
    );
    return { db: ctl.db, meta };
  }

  /** An API call's first step: refused or a no-op changes nothing; a write becomes a store call. */
  apiStep(cf: ChangefeedId, step: ApiStep) {
    if (step.kind !== 'store') return;
    const op = storeOpOf(step.intent);
    this.storeCall(cf, 'api', op.op === 'bump' ? this.withBumpStatus(cf, op) : op, step.pending);
  }

  /** An epoch bump as issued: epoch-only, unless a variant puts back the caller's status (§5.1 B29). */
  withBumpStatus(cf: ChangefeedId, op: StoreOp & { op: 'bump' }): StoreOp {
    const inMemory = this.c.controller?.infos.get(cf)?.checkpointTs;
    const status = inMemory === undefined ? undefined : this.stepper.storeGlue?.bumpStatus?.(inMemory);
    return status ? { ...op, status } : op;
  }

  apiCall(call: ApiCallName, cf: ChangefeedId, env: CoordinatorEnv) {
    const cfs = this.changefeeds();
    const ctl = this.c.controller;
    if (call === 'create') {
      // Before bootstrap the call is refused ("not initialized").
      if (!ctl || !cfs) return;
      this.apiStep(cf, createChangefeed(cfs, { changefeed: cf, epoch: createEpoch(env, cf), startTs: 1n, initialized: true, hasOperator: oc.hasOperator(ctl, cf) }));
      return;
    }
    if (!cfs) return;
    if (call === 'remove') this.apiStep(cf, removeChangefeed(cfs, { changefeed: cf }));
    else if (call === 'pause') this.apiStep(cf, pauseChangefeed(cfs, { changefeed: cf }));
    else this.apiStep(cf, resumeChangefeed(cfs, { changefeed: cf, candidate: bumpCandidate(env), newCheckpointTs: 0n, overwriteCheckpointTs: false }));
  }

  stateChange(cf: ChangefeedId, state: StateChangeName, env: CoordinatorEnv) {
    const cfs = this.changefeeds();
    if (!cfs) return;
    const error = state === 'finished' ? null : MODEL_ERROR;
    this.apiStep(cf, handleStateChange(cfs, { changefeed: cf, state, error, candidate: bumpCandidate(env) }));
  }

  /** An API write ended: completeApiCall, its result written back to the controller and feeds, its stops pushed. */
  apiAnswered(pending: PendingApiCall, outcome: StoreOutcome, record: StoredChangefeed | undefined) {
    const cfs = this.changefeeds();
    const ctl = this.c.controller;
    if (!cfs || !ctl) return;
    const cf = pending.changefeed;
    const result: ChangefeedStoreOutcome =
      outcome === 'ok'
        ? { ok: true, ...(record ? { info: { epoch: record.epoch, state: record.state, error: record.error ? MODEL_ERROR : null } } : {}) }
        : { ok: false, code: 'STORE_UNAVAILABLE' };
    const done = completeApiCall(cfs, pending, result, { selfNode: this.c.node, moveOrigin: oc.moveOriginStopTarget(ctl, cf) });
    if (done.error) {
      if (done.fatal) this.fatal = true;
      return;
    }
    const infos = new Map([...done.state.meta].map(([id, m]) => [id, { epoch: m.epoch, checkpointTs: m.checkpointTs }]));
    let created = this.c.created;
    const feeds: Record<ChangefeedId, FeedRecord> = {};
    for (const [id, m] of done.state.meta) {
      const incarnation = pending.call === 'create' && id === cf ? ++created : (this.c.feeds[id]?.incarnation ?? 0);
      feeds[id] = { state: m.state, error: m.error !== null, incarnation };
    }
    this.c = { ...this.c, controller: { ...ctl, db: done.state.db, infos }, feeds, created };
    for (const p of done.operators) {
      this.controller((s) => oc.stopRemoteMaintainerWithMaintainerEpoch(s, p.changefeed, p.node, p.removed, p.epoch));
    }
  }

  /** §2.4: one `AddOperator(op)` call through the admission machine. */
  admit(spec: oc.OperatorSpec) {
    const ctl = this.c.controller;
    if (!ctl) return;
    const cf = spec.changefeedId;
    const key = ((this.stepper as GlueStepper).admissionGlue?.admissionSlot ?? oneAdmissionPerChangefeed)(this.c.admissions, cf);
    if (key === null) return; // the reservation already holds it (its precheck would fail)
    let snap = this.stepper.start(admissionMachine, { changefeedId: cf, kind: spec.kind, needsBump: spec.kind !== 'stop' }).snapshot;
    const r = this.stepper.step(admissionMachine, snap, {
      type: 'PRECHECK',
      hasOperator: oc.hasOperator(ctl, cf),
      bumping: oc.isBumping(ctl, cf),
      changefeedExists: ctl.db.has(cf),
    } as EventObject);
    snap = r.snapshot;
    this.admissionEffects(spec, r.effects as AdmissionEffect[], key);
    this.keepAdmission(key, spec, snap);
  }

  admissionEffects(spec: oc.OperatorSpec, effects: readonly AdmissionEffect[], key: string) {
    const cf = spec.changefeedId;
    for (const e of effects) {
      switch (e.type) {
        case 'controller.reserveBumping':
          this.controller((s) => oc.reserveBumping(s, cf));
          break;
        case 'controller.releaseBumping':
          this.controller((s) => oc.releaseBumping(s, cf));
          break;
        case 'store.bumpEpoch':
          // §3.5: the TSO (stored + 1 after §3.2's advance) or, with PD down, the UnixNano fallback.
          this.storeCall(cf, 'admission', this.withBumpStatus(cf, { op: 'bump', candidate: bumpCandidate(this.env) }), undefined, key);
          break;
        case 'controller.setInfo':
          this.controller((s) => oc.setInfo(s, cf, e.epoch));
          break;
        case 'controller.pushOperator':
          this.controller((s) => oc.pushOperator(s, spec));
          break;
      }
    }
  }

  keepAdmission(key: string, spec: oc.OperatorSpec, snap: AnyMachineSnapshot) {
    const { [key]: _done, ...rest } = this.c.admissions;
    const incarnation = this.c.admissions[key]?.incarnation ?? this.c.feeds[spec.changefeedId]?.incarnation ?? 0;
    this.c = { ...this.c, admissions: snap.status === 'done' ? rest : { ...rest, [key]: { snapshot: snap, spec, incarnation } } };
  }

  /** The answer to an admission's bump (§2.4): BUMPED then RECHECK, or BUMP_FAILED. `key`: the admission's record. */
  bumpAnswered(cf: ChangefeedId, outcome: StoreOutcome, epoch: Uint64 | undefined, key: string = cf) {
    const a = this.c.admissions[key];
    const ctl = this.c.controller;
    if (!a || !ctl) return;
    let snap = a.snapshot;
    const step = (event: { type: string } & Record<string, unknown>) => {
      const r = this.stepper.step(admissionMachine, snap, event);
      snap = r.snapshot;
      this.admissionEffects(a.spec, r.effects as AdmissionEffect[], key);
    };
    if (outcome === 'ok' && epoch !== undefined) {
      step({ type: 'BUMPED', epoch });
      const now = this.c.controller!;
      // Same changefeed: not removed and created again while the bump ran (§2.4 recheck).
      const same = now.db.has(cf) && this.c.feeds[cf]?.incarnation === a.incarnation;
      step({ type: 'RECHECK', hasOperator: oc.hasOperator(now, cf), changefeedExists: now.db.has(cf), sameChangefeed: same });
    } else {
      step({ type: 'BUMP_FAILED', code: 'STORE_UNAVAILABLE', maybeApplied: outcome === 'appliedButFailed' });
    }
    this.keepAdmission(key, a.spec, snap);
  }

  /** The schedulers' view of the coordinator (§2.4.1, §2.5.3). */
  schedulerView(batchSize: number): SchedulerView | null {
    const ctl = this.c.controller;
    if (!ctl) return null;
    const sc = sessionContext(this.c);
    return {
      db: ctl.db,
      operators: [...ctl.operators].map(([changefeed, slot]) => ({
        changefeed,
        kind: slot.kind,
        ...(slot.kind === 'move' ? { origin: slot.context.origin } : {}),
      })),
      epochBumping: [...ctl.epochBumping],
      aliveNodes: [...this.c.members],
      nodeViews: Object.fromEntries(
        this.c.members.map((n) => {
          const v = this.c.views[n]?.context as LivenessViewContext | undefined;
          return [n, { state: viewOf(this.c, n), observed: v?.observed ?? false, nodeEpoch: v?.nodeEpoch ?? 0n }];
        }),
      ),
      gate: sc.gate,
      hasActiveSession: sc.session !== null,
      batchSize,
    };
  }

  /** A scheduler proposal as the operator it asks admission for. */
  specOf(p: SchedulerProposal): oc.OperatorSpec | null {
    const ctl = this.c.controller!;
    try {
      return p.kind === 'add' ? oc.newAddOperator(ctl, p.changefeed, p.dest) : oc.newMoveOperator(ctl, p.changefeed, p.dest);
    } catch {
      return null;
    }
  }

  /** §2.4.2 finishBootstrap, once every member answered: the controller starts from the store and the reports. */
  maybeFinishBootstrap(env: CoordinatorEnv) {
    if (this.c.controller || !this.c.members.every((n) => this.c.bootstrapped.includes(n))) return;
    const persisted: PersistedChangefeed[] = Object.entries(env.store ?? {})
      .filter((e): e is [string, StoredChangefeed] => e[1] !== undefined)
      .map(([id, r]) => ({
        id,
        epoch: r.epoch,
        state: r.state,
        error: r.error ? { code: 'CDC:ERROR', message: '' } : null,
        checkpointTs: r.checkpointTs,
        progress: r.progress,
      }));
    let result: ReturnType<typeof bootstrapCoordinator>;
    try {
      result = bootstrapCoordinator({
        selfNode: this.c.node,
        persisted,
        responses: this.c.members.map((node) => ({ node, statuses: this.c.bootstrapStatuses[node] ?? [] })),
        ...(this.stepper.bootstrapGlue ? { glue: this.stepper.bootstrapGlue } : {}),
      });
    } catch (e) {
      // Step 3's panic kills the process (no controller, nothing sent): a recorded world state, not an exception.
      if (!(e instanceof MultipleOwnersError)) throw e;
      this.panic = e.message;
      return;
    }
    let ctl = oc.createOperatorController({ selfNode: this.c.node, aliveNodes: this.c.members, batchSize: env.batchSize ?? 1, stepper: this.stepper });
    ctl = { ...ctl, db: result.changefeeds.db, infos: new Map([...result.changefeeds.meta].map(([id, m]) => [id, { epoch: m.epoch, checkpointTs: m.checkpointTs }])) };
    const feeds = Object.fromEntries([...result.changefeeds.meta].map(([id, m]) => [id, { state: m.state, error: m.error !== null, incarnation: 0 }]));
    this.c = { ...this.c, controller: ctl, bootstrapStatuses: {}, feeds, created: 0 };
    for (const p of result.operatorsToPush) {
      this.controller((s) => oc.pushOperator(s, { kind: 'stop', changefeedId: p.changefeed, nodeId: p.node, removed: p.removed, maintainerEpoch: p.epoch }));
    }
    for (const m of result.messages) this.send(m as never);
  }

  /** A maintainer status (§2.4.4): the operator sees it first, then the coordinator filters it. */
  maintainerStatus(from: NodeId, m: Message) {
    const ctl = this.c.controller;
    if (!ctl) return;
    const cf = m.changefeedId as ChangefeedId;
    const status = { state: m.state as MaintainerState, bootstrapDone: m.bootstrapDone as boolean, maintainerEpoch: m.maintainerEpoch as Uint64 };
    this.controller((s) => oc.updateOperatorStatus(s, cf, from, status));
    const now = this.c.controller!;
    const entry = now.db.get(cf);
    const info = now.infos.get(cf);
    const verdict = classifyMaintainerStatus({
      from,
      state: status.state,
      maintainerEpoch: status.maintainerEpoch,
      changefeed: entry && info ? { nodeId: entry.nodeId, epoch: info.epoch } : undefined,
      hasOperator: oc.hasOperator(now, cf),
    });
    if (verdict.kind === 'removeUnknown') {
      this.send({ type: 'RemoveMaintainerRequest', to: verdict.to, changefeedId: cf, cascade: true, removed: true, maintainerEpoch: verdict.maintainerEpoch });
    } else if (verdict.kind === 'apply' && info && typeof m.checkpointTs === 'bigint') {
      const next = nextCheckpoint(info.checkpointTs, m.checkpointTs, m.error === true);
      if (next.checkpointTs !== info.checkpointTs) {
        const infos = new Map(now.infos);
        infos.set(cf, { ...info, checkpointTs: next.checkpointTs });
        this.c = { ...this.c, controller: { ...now, infos } };
      }
    }
  }
}

/** Delivers a message to the coordinator. Messages of the maintainer side wait for the operators. */
export function coordinatorReceive(stepper: Stepper, c: CoordinatorState, m: Message, env: CoordinatorEnv): CoordinatorResult {
  const g = new Glue(stepper, c, env);
  const from = m.from;
  switch (m.type) {
    case 'NodeHeartbeat':
    case 'SetNodeLivenessResponse':
      g.observe(from, m.nodeEpoch as Uint64, (m.type === 'NodeHeartbeat' ? m.liveness : m.applied) as Liveness);
      break;
    case 'NodeDrainHeartbeat': {
      // The drain part of the node heartbeat (nodeDrainTarget's simplification): the session reads
      // it with the node epoch the view holds.
      const v = g.c.views[from]?.context as LivenessViewContext | undefined;
      if (!v) break;
      g.session({
        type: 'NODE_HEARTBEAT',
        now: NOW,
        from,
        nodeEpoch: v.nodeEpoch,
        view: { observed: v.observed, nodeEpoch: v.nodeEpoch },
        drainTarget: { target: m.target, epoch: m.epoch },
        participant: g.participant(from),
        clearParticipants: g.clearParticipants(),
      });
      break;
    }
    case 'CoordinatorBootstrapResponse': {
      if (!g.c.members.includes(from)) break;
      // The statuses of the node's maintainers (§2.4.2); a Stopped one owns nothing (BootstrapGlue.takesPart).
      const takesPart = stepper.bootstrapGlue?.takesPart ?? faithfulBootstrapGlue.takesPart;
      const statuses = ((m.statuses ?? []) as Array<{ changefeedId: string; state: string; maintainerEpoch: Uint64 }>)
        .filter((x) => takesPart(x.state))
        .map((x) => ({ changefeedId: x.changefeedId, maintainerEpoch: x.maintainerEpoch, checkpointTs: 0n }));
      g.c = {
        ...g.c,
        bootstrapped: sortedNodes([...g.c.bootstrapped, from]),
        drainProtocol: { ...g.c.drainProtocol, [from]: m.drainProtocolVersion as number },
        bootstrapStatuses: g.c.controller ? g.c.bootstrapStatuses : { ...g.c.bootstrapStatuses, [from]: statuses },
      };
      g.observe(from, m.nodeEpoch as Uint64, m.liveness as Liveness);
      g.session({
        type: 'BOOTSTRAP_RESPONSE',
        now: NOW,
        from,
        drainProtocolVersion: m.drainProtocolVersion,
        drainTarget: { target: m.target, epoch: m.epoch },
        participant: g.participant(from),
        clearParticipants: g.clearParticipants(),
      });
      g.maybeFinishBootstrap(env);
      break;
    }
    case 'MaintainerStatus':
      g.maintainerStatus(from, m);
      break;
    default:
      break;
  }
  return g.result();
}

type TickOutcome = { proposals: SchedulerProposal[]; drain: DrainSchedulerState };
/** Outcomes already computed, per (immutable) coordinator value and batch size: enabledActions counts them, the tick takes one. */
const outcomesOf = new WeakMap<CoordinatorState, { batchSize: number; outcomes: TickOutcome[] }>();

/** The scheduler outcomes a tick may take: every tie of the drain and the basic scheduler (§2.4.1, §2.5.3). */
function schedulerOutcomes(g: Glue, env: CoordinatorEnv): TickOutcome[] {
  const batchSize = env.batchSize ?? 1;
  const known = outcomesOf.get(g.c);
  if (known && known.batchSize === batchSize) return known.outcomes;
  const view = g.schedulerView(batchSize);
  let outcomes: TickOutcome[];
  if (!view) outcomes = [{ proposals: [], drain: g.c.drainScheduler }];
  else {
    const drains = drainSchedulerOutcomes(view, g.c.drainScheduler);
    const basics = basicSchedulerOutcomes(view);
    outcomes = drains.flatMap((d) => basics.map((b) => ({ proposals: [...d.proposals, ...b.proposals], drain: d.state })));
  }
  outcomesOf.set(g.c, { batchSize, outcomes });
  return outcomes;
}

/** How many distinct scheduler outcomes the next coordinator tick has (its choices). */
export function tickChoices(stepper: Stepper, c: CoordinatorState, env: CoordinatorEnv): number {
  return schedulerOutcomes(new Glue(stepper, c, env), env).length;
}

/** The coordinator's periodic work (the 500 ms tasks): view TTLs, the drain session's TICK. */
export function coordinatorTick(stepper: Stepper, c: CoordinatorState, env: CoordinatorEnv, choice = 0): CoordinatorResult {
  const g = new Glue(stepper, c, env);
  // Until every member answered, the bootstrap request is resent to those that have not
  // (`onPeriodTask` → `ResendBootstrapMessage`; its resend interval is the tick here), so a lost
  // request or response does not leave the coordinator uninitialized for good (§2.9).
  if (!isInitialized(g.c)) for (const n of g.c.members) if (!g.c.bootstrapped.includes(n)) g.out.push({ type: 'CoordinatorBootstrap', from: g.c.node, to: n, version: g.c.version } as Message);
  // The schedulers (one outcome of their ties), their proposals through admission (§2.4).
  const outcomes = schedulerOutcomes(g, env);
  const chosen = outcomes[choice];
  if (!chosen) throw new CoordinatorError(`no scheduler outcome ${choice} (there are ${outcomes.length})`);
  g.c = { ...g.c, drainScheduler: chosen.drain };
  for (const p of chosen.proposals) {
    const spec = g.specOf(p);
    if (spec) g.admit(spec);
  }
  // The operator controller's Execute round (§2.0): one tick is one 500 ms poll. Its clock is then
  // set back to 0 with every slot's time, so that equal controllers are equal values.
  g.controller((s) => {
    const r = oc.poll(s, s.clockMs + oc.OPERATOR_RESEND_INTERVAL_MS);
    const base = r.state.clockMs;
    const operators = new Map([...r.state.operators].map(([cf, slot]) => [cf, { ...slot, notifyAtMs: Math.max(0, slot.notifyAtMs - base) } as oc.OperatorSlot]));
    return { state: { ...r.state, clockMs: 0, operators }, effects: r.effects };
  });
  for (const n of g.c.members) g.view(n, { type: 'TICK', now: NOW });
  const target = g.sessionTarget();
  g.session({
    type: 'TICK',
    now: NOW,
    initialized: isInitialized(g.c),
    aliveNodes: [...g.c.members],
    observation: g.observation(target),
  });
  // Without a session the drain workflow still resends DRAINING to a requested node (§2.5.1).
  for (const n of g.c.members) if (n !== target && drainValue(g.c, n) === 'Requested') g.drain(n, { type: 'ADVANCE', now: NOW, readyToStop: false });
  return g.result();
}

/** The balance check interval the model's balance ticks stand for (§2.4.1 `checkBalanceInterval`). */
const BALANCE_INTERVAL_MS = 60_000;
const balanceOutcomesOf = new WeakMap<CoordinatorState, { batchSize: number; outcomes: SchedulerProposal[][] }>();

/**
 * The balance scheduler's outcomes (§2.4.1), every tie a choice. Its timers are abstracted like
 * the others: a balance tick is one at which the check interval has passed since the last
 * rebalance; a node draining or stopping still blocks it (the tick skips), but the one-interval
 * cool-down after the drain is not kept — time may always pass that far first.
 */
function balanceOutcomes(g: Glue, env: CoordinatorEnv): SchedulerProposal[][] {
  const batchSize = env.batchSize ?? 1;
  const known = balanceOutcomesOf.get(g.c);
  if (known && known.batchSize === batchSize) return known.outcomes;
  const view = g.schedulerView(batchSize);
  const outcomes = view
    ? balanceSchedulerOutcomes(view, { lastRebalanceAt: 0, forceBalance: false, drainBlockedUntil: null }, { now: BALANCE_INTERVAL_MS, intervalMs: BALANCE_INTERVAL_MS }).map((r) => [...r.proposals])
    : [[]];
  balanceOutcomesOf.set(g.c, { batchSize, outcomes });
  return outcomes;
}

/** How many distinct outcomes the next balance tick has. */
export function balanceChoices(stepper: Stepper, c: CoordinatorState, env: CoordinatorEnv): number {
  return balanceOutcomes(new Glue(stepper, c, env), env).length;
}

/** A balance-scheduler tick (§2.4.1): its moves go through admission like every proposal (§2.4). */
export function coordinatorBalanceTick(stepper: Stepper, c: CoordinatorState, env: CoordinatorEnv, choice = 0): CoordinatorResult {
  const g = new Glue(stepper, c, env);
  const outcomes = balanceOutcomes(g, env);
  const chosen = outcomes[choice];
  if (!chosen) throw new CoordinatorError(`no balance outcome ${choice} (there are ${outcomes.length})`);
  for (const p of chosen) {
    const spec = g.specOf(p);
    if (spec) g.admit(spec);
  }
  return g.result();
}

/** A store call made by this coordinator has ended: the caller hears of it (§2.4 admission; §2.3 PostFinish tolerates errors). */
export function coordinatorStoreAnswer(stepper: Stepper, c: CoordinatorState, call: StoreCall, outcome: StoreOutcome, epoch: Uint64 | undefined, env: CoordinatorEnv): CoordinatorResult {
  const g = new Glue(stepper, c, env);
  if (call.coordinatorVersion !== c.version) return g.result();
  if (call.purpose === 'admission') g.bumpAnswered(call.changefeedId, outcome, epoch, call.admission);
  else if (call.purpose === 'api' && call.pending) g.apiAnswered(call.pending, outcome, env.store?.[call.changefeedId]);
  return g.result();
}

/**
 * The coordinator's in-memory checkpoint of a changefeed advances by one (§2.4.4 step 5): this step
 * stands for a maintainer status reporting a newer checkpoint, which the node model's maintainers
 * do not report (their statuses carry none). Only with the checkpoint writer configured.
 */
export function coordinatorCheckpointAdvance(c: CoordinatorState, cf: ChangefeedId): CoordinatorState {
  const ctl = c.controller;
  const info = ctl?.infos.get(cf);
  if (!ctl || !info) throw new CoordinatorError(`the coordinator holds no checkpoint of ${cf}`);
  const infos = new Map(ctl.infos);
  infos.set(cf, { ...info, checkpointTs: info.checkpointTs + 1n });
  return { ...c, controller: { ...ctl, infos } };
}

/**
 * The checkpoint writer may persist cf's in-memory checkpoint: it is ahead of the persisted one.
 * The real writer persists a checkpoint that changed since it last wrote it; the model compares
 * with the store, which is the same while nothing else lowers it, and keeps the writer from
 * lowering a checkpoint this model's bootstrap could leave behind (bootstrap statuses carry none).
 */
export function checkpointWritable(c: CoordinatorState, cf: ChangefeedId, env: CoordinatorEnv): boolean {
  const mem = c.controller?.infos.get(cf)?.checkpointTs;
  const stored = env.store?.[cf];
  return mem !== undefined && stored !== undefined && mem > stored.checkpointTs;
}

/** The checkpoint writer (§3.4 UpdateChangefeedCheckpointTs): an unconditional put of cf's in-memory checkpoint. */
export function coordinatorCheckpointWrite(stepper: Stepper, c: CoordinatorState, cf: ChangefeedId, env: CoordinatorEnv): CoordinatorResult {
  const g = new Glue(stepper, c, env);
  const checkpointTs = c.controller?.infos.get(cf)?.checkpointTs;
  if (checkpointTs === undefined) throw new CoordinatorError(`the coordinator holds no checkpoint of ${cf}`);
  g.storeCall(cf, 'checkpoint', { op: 'updateCheckpoint', checkpointTs });
  return g.result();
}

/** A changefeed API call (§2.4.3) on the coordinator: refused or a no-op changes nothing; a write is a store call. */
export function coordinatorApiCall(stepper: Stepper, c: CoordinatorState, call: ApiCallName, cf: ChangefeedId, env: CoordinatorEnv): CoordinatorResult {
  const g = new Glue(stepper, c, env);
  g.apiCall(call, cf, env);
  return g.result();
}

/** A maintainer's reported state change (§2.4.3 `handleStateChange`): warning bumps, the others are unconditional writes. */
export function coordinatorStateChange(stepper: Stepper, c: CoordinatorState, cf: ChangefeedId, state: StateChangeName, env: CoordinatorEnv): CoordinatorResult {
  const g = new Glue(stepper, c, env);
  g.stateChange(cf, state, env);
  return g.result();
}


/** The DrainNode(target) API call (§2.5.5); the answer is in `lastDrainAnswer`. */
export function drainNodeCall(stepper: Stepper, c: CoordinatorState, target: NodeId, env: CoordinatorEnv): CoordinatorResult {
  const g = new Glue(stepper, c, env);
  g.session({
    type: 'DRAIN_NODE',
    now: NOW,
    target,
    cluster: { aliveNodes: [...g.c.members], initialized: isInitialized(g.c), drainProtocol: { ...g.c.drainProtocol } },
    observation: g.observation(target),
    tso: env.pdAvailable ? { physicalMs: 0n, logical: 0n } : null,
    wallClockNs: 0n,
  });
  return g.result();
}

/** Membership as the coordinator sees it: a node leaves (its etcd session expired) or joins. */
export function coordinatorMembership(
  stepper: Stepper,
  c: CoordinatorState,
  change: 'NODE_ADDED' | 'NODE_REMOVED',
  node: NodeId,
  env: CoordinatorEnv,
  /** The joining process's node epoch (its session). */
  processEpoch: Uint64 = 1n,
): CoordinatorResult {
  const g = new Glue(stepper, c, env);
  if (change === 'NODE_REMOVED') {
    if (!g.c.members.includes(node)) throw new CoordinatorError(`${node} is not a member`);
    // RemoveNode: `complete` is read before anything changes (§2.5.5 RemoveNode step 1).
    const observation = g.observation(node);
    const aliveNodes = g.c.members.filter((n) => n !== node);
    g.session({ type: 'NODE_REMOVED', now: NOW, node, observation, aliveNodes });
    g.view(node, { type: 'NODE_REMOVED', node });
    g.drain(node, { type: 'NODE_REMOVED', node });
    const { [node]: _gone, ...drainProtocol } = g.c.drainProtocol;
    const { [node]: _session, ...sessions } = g.c.sessions;
    const { [node]: _statuses, ...bootstrapStatuses } = g.c.bootstrapStatuses;
    g.c = { ...g.c, members: aliveNodes, sessions, bootstrapped: g.c.bootstrapped.filter((n) => n !== node), drainProtocol, bootstrapStatuses };
    // §2.0 OnNodeRemoved: absent-marking, then every operator.
    g.controller((s) => oc.onNodeRemoved(s, node));
    // A bootstrap waiting only for the departed node can finish now.
    g.maybeFinishBootstrap(env);
  } else {
    if (g.c.members.includes(node)) throw new CoordinatorError(`${node} is already a member`);
    g.c = {
      ...g.c,
      members: sortedNodes([...g.c.members, node]),
      sessions: { ...g.c.sessions, [node]: processEpoch },
      drainProtocol: { ...g.c.drainProtocol, [node]: null },
      views: g.c.views[node] ? g.c.views : { ...g.c.views, [node]: stepper.start(livenessViewMachine, { node }).snapshot },
      drains: g.c.drains[node] ? g.c.drains : { ...g.c.drains, [node]: stepper.start(drainNodeMachine, { node }).snapshot },
    };
    g.session({ type: 'NODE_ADDED', node });
    g.controller((s) => oc.addNode(s, node));
    // A joining node is bootstrapped by the coordinator (§2.6.3).
    g.out.push({ type: 'CoordinatorBootstrap', from: g.c.node, to: node, version: g.c.version } as Message);
  }
  return g.result();
}

/** A timestamp at least `minAge` old (NOW = 0); null stays null (never sent). */
const atLeast = (t: number | null, minAge: number): number | null => (t === null ? null : Math.min(t, NOW - minAge));

/** Aged copies already made, per snapshot and step: the same object comes back for the same input. */
const agedCopies = new WeakMap<AnyMachineSnapshot, Map<TimeStep, AnyMachineSnapshot>>();

/**
 * A snapshot with the same state and a new context (the same object for the same input). Resolved
 * with the snapshot's own machine: XState looks named guards and actions up on it, so a variant's
 * snapshot must stay the variant's.
 */
function withContext(snap: AnyMachineSnapshot, step: TimeStep, context: object): AnyMachineSnapshot {
  if (Object.entries(context).every(([k, v]) => (snap.context as Record<string, unknown>)[k] === v)) return snap;
  let copies = agedCopies.get(snap);
  if (!copies) agedCopies.set(snap, (copies = new Map()));
  let aged = copies.get(step);
  if (!aged) {
    const machine = (snap as unknown as { machine: AnyStateMachine }).machine;
    aged = machine.resolveState({ value: snap.value, context: { ...snap.context, ...context } } as never) as AnyMachineSnapshot;
    copies.set(step, aged);
  }
  return aged;
}

/**
 * Time passes (see the header): after `resend` every resend timestamp is due; after `ttl` every
 * liveness observation has expired too. A view's age matters only against the TTL and a resend's
 * only against its interval, so each moves to the one representative age of its class.
 */
export function passTime(c: CoordinatorState, step: TimeStep): CoordinatorState {
  const views =
    step === 'ttl'
      ? Object.fromEntries(
          Object.entries(c.views).map(([n, s]) => {
            const ctx = s.context as LivenessViewContext;
            // An unobserved record's lastSeen is never read; leaving it keeps equal states equal.
            return [n, ctx.observed ? withContext(s, step, { lastSeen: atLeast(ctx.lastSeen, EXPIRED_AGE_MS)! }) : s];
          }),
        )
      : c.views;
  const drains = Object.fromEntries(
    Object.entries(c.drains).map(([n, s]) => {
      const ctx = s.context as DrainNodeContext;
      return [
        n,
        withContext(s, step, {
          lastDrainCmdSentAt: atLeast(ctx.lastDrainCmdSentAt, RESEND_DUE_AGE_MS),
          lastStopCmdSentAt: atLeast(ctx.lastStopCmdSentAt, RESEND_DUE_AGE_MS),
        }),
      ];
    }),
  );
  const sc = sessionContext(c);
  const due = <R extends { lastSent: number | null }>(r: R | null): R | null =>
    r && (r.lastSent === null || r.lastSent <= NOW - RESEND_DUE_AGE_MS ? r : { ...r, lastSent: atLeast(r.lastSent, RESEND_DUE_AGE_MS) });
  const session = withContext(c.session, step, { session: due(sc.session), clear: due(sc.clear) });
  return { ...c, views, drains, session };
}

/** The coordinator as plain data (machine snapshots as value and context), for keys and traces. */
export function coordinatorView(c: CoordinatorState) {
  const snap = (s: AnyMachineSnapshot) => ({ v: s.value, c: s.context });
  return {
    node: c.node,
    version: c.version,
    members: c.members,
    sessions: c.sessions,
    bootstrapped: c.bootstrapped,
    drainProtocol: c.drainProtocol,
    views: Object.fromEntries(Object.entries(c.views).map(([n, s]) => [n, snap(s)])),
    drains: Object.fromEntries(Object.entries(c.drains).map(([n, s]) => [n, snap(s)])),
    session: snap(c.session),
    lastDrainAnswer: c.lastDrainAnswer,
    bootstrapStatuses: c.bootstrapStatuses,
    controller: c.controller && oc.canonicalController(c.controller),
    admissions: Object.fromEntries(Object.entries(c.admissions).map(([cf, a]) => [cf, { ...snap(a.snapshot), spec: a.spec, incarnation: a.incarnation }])),
    drainScheduler: c.drainScheduler,
    feeds: c.feeds,
    created: c.created,
  };
}

/** The coordinator's parts for an integer encoding: machine snapshots by id, the rest as one value. */
export function coordinatorParts(c: CoordinatorState, idOf: (m: AnyStateMachine, s: AnyMachineSnapshot) => number, nodes: readonly NodeId[]) {
  const ids: number[] = [idOf(drainSessionMachine, c.session)];
  for (const n of nodes) {
    ids.push(c.views[n] ? idOf(livenessViewMachine, c.views[n]!) : -1, c.drains[n] ? idOf(drainNodeMachine, c.drains[n]!) : -1);
  }
  // The parts themselves, not a fresh wrapper: unchanged parts are the same objects from world to
  // world, so an encoder that caches by object identity serialises each only once.
  for (const cf of Object.keys(c.admissions).sort()) ids.push(idOf(admissionMachine, c.admissions[cf]!.snapshot));
  return {
    ids,
    rest: [
      c.node,
      c.version,
      c.members,
      c.sessions,
      c.bootstrapped,
      c.drainProtocol,
      c.lastDrainAnswer,
      c.bootstrapStatuses,
      c.controller && controllerKey(c.controller),
      Object.entries(c.admissions).map(([cf, a]) => [cf, a.spec, a.incarnation]),
      c.drainScheduler,
      c.feeds,
      c.created,
    ] as const,
  };
}

const controllerKeys = new WeakMap<oc.OperatorControllerState, string>();
/** The controller's canonical text, once per value (controllers are immutable and shared between worlds). */
function controllerKey(ctl: oc.OperatorControllerState): string {
  let k = controllerKeys.get(ctl);
  if (k === undefined) controllerKeys.set(ctl, (k = JSON.stringify(oc.canonicalController(ctl))));
  return k;
}
