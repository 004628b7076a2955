/**
 * The historical-bug catalogue (spec §5.1): each variant reintroduces one fixed bug into a machine
 * by overriding the named guards or actions of its definition (`machine.provide`), so that the
 * generated tests and the checker can be run against the bug and must catch it. The faithful
 * definitions stay untouched.
 *
 * The variants here are the ones a single machine can express; the ones that live between
 * components (B2's interleaving, B5, B6, B10, B11, B20, B22, B23 …) join with the cluster model.
 */
import { assign, createMachine, emit, enqueueActions, type AnyStateMachine } from 'xstate';
import { moveMaintainerMachine } from '../machines/moveMaintainer.js';
import { addMaintainerMachine } from '../machines/addMaintainer.js';
import { maintainerRegistryMachine } from '../machines/maintainerRegistry.js';
import { dispatcherManagerMachine } from '../machines/dispatcherManager.js';
import { livenessViewMachine } from '../machines/livenessView.js';
import { drainNodeMachine } from '../machines/drainNode.js';
import { match, maxEpoch } from '../machines/epoch.js';
import type { OperatorControllerGlue } from '../machines/coordinator/operatorController.js';
import type { StoreGlue } from './store.js';
import type { AdmissionGlue } from './coordinator.js';
import { MultipleOwnersError, type BootstrapGlue, type BootstrapReport } from '../machines/coordinator/bootstrap.js';
import { quiesceMachine } from '../machines/quiesce.js';
import { admissionMachine } from '../machines/admission.js';
import { drainSessionMachine, drainNodeRow, isDrainComplete, type DrainSessionContext, type DrainSessionEvent } from '../machines/coordinator/drainSession.js';

export interface Variant {
  /** The bug's ID in spec §5.1. */
  id: string;
  /** What the variant puts back, in one line. */
  reintroduces: string;
  /** The invariant of spec §4 the bug breaks. */
  invariant: string;
  /** Replacement machines, by model name (models/index.ts). */
  machines: Record<string, AnyStateMachine>;
  /**
   * The step property of the machine's test model that the generated paths break, when a single
   * machine shows the bug; absent when it shows only in the composed cluster (a liveness bug, or
   * one that needs other components), where the checker must catch it.
   */
  caughtBy?: string;
  /**
   * Glue the variant replaces, by name, where the bug lived between machines rather than in one:
   * `operatorController` entries replace the operator controller's named functions
   * (machines/coordinator/operatorController.ts `OperatorControllerGlue`), which the composed
   * coordinator's controller takes from the world's stepper (cluster/check.ts VariantStepper);
   * `admission` entries replace the coordinator's admission glue (cluster/coordinator.ts
   * `AdmissionGlue`), read from the same stepper.
   */
  glue?: VariantGlue;
}

/** The glue a variant may replace (see {@link Variant.glue}). */
export interface VariantGlue {
  operatorController?: Partial<OperatorControllerGlue>;
  /** The store's rules and the bump options the coordinator passes (cluster/store.ts `StoreGlue`). */
  store?: Partial<StoreGlue>;
  /** The coordinator's admission glue (cluster/coordinator.ts `AdmissionGlue`). */
  admission?: Partial<AdmissionGlue>;
  /**
   * The coordinator bootstrap's rules (machines/coordinator/bootstrap.ts `BootstrapGlue`): which
   * reported statuses take part, the owner selection, the stale owners' stop epoch (§2.4.2).
   */
  bootstrap?: Partial<BootstrapGlue>;
}

type Ctx = Record<string, any>;
type Ev = Record<string, any>;

export const machineVariants: Variant[] = [
  {
    id: 'B4',
    caughtBy: "every RemoveMaintainerRequest goes to the origin with originEpoch, non-cascade (I23)",
    reintroduces: "the move's remove to the origin carries the post-bump epoch instead of originEpoch",
    invariant: 'I23',
    machines: {
      moveMaintainer: moveMaintainerMachine.provide({
        actions: {
          sendRemoveToOrigin: emit(({ context }: { context: Ctx }) => ({
            type: 'RemoveMaintainerRequest' as const,
            to: context.origin,
            changefeedId: context.changefeedId,
            cascade: false,
            removed: false,
            maintainerEpoch: context.maintainerEpoch,
          })),
        } as never,
      }),
    },
  },
  {
    id: 'B7',
    reintroduces: 'the move falls back to a removed origin when the destination is removed (no originRemoved flag)',
    invariant: 'I22',
    machines: {
      moveMaintainer: moveMaintainerMachine.provide({
        guards: {
          isTargetRemovedAfterOriginGone: ({ context, event }: { context: Ctx; event: Ev }) =>
            event.type === 'NODE_REMOVED' && event.node === context.target && context.target === context.origin,
        } as never,
      }),
    },
  },
  {
    id: 'B8',
    caughtBy: "removal of dest before PostFinish always cancels with NodeRemoved (I22)",
    reintroduces: 'an add that succeeded is not cancelled when its destination is removed before PostFinish',
    invariant: 'I22',
    machines: { addMaintainer: addMaintainerMachine.provide({ guards: { isDestRemoved: () => false } as never }) },
  },
  {
    id: 'B12',
    caughtBy: "a bootstrap response restores only the new owner's operators and stale removes in the snapshot (B12)",
    reintroduces: "a bootstrap response restores every stored operator, stale owners' creates included",
    invariant: 'I10',
    machines: {
      dispatcherManager: dispatcherManagerMachine.provide({
        actions: {
          respondBootstrap: emit(({ context, event }: { context: Ctx; event: Ev }) => ({
            type: 'MaintainerBootstrapResponse' as const,
            to: event.from,
            changefeedId: context.changefeedId,
            maintainerEpoch: context.ownerEpoch,
            spans: [...context.spans],
            operators: [...context.operators],
            error: null,
          })),
        } as never,
      }),
    },
  },
  {
    id: 'B14',
    caughtBy: "a maintainer is constructed only into an empty slot or over a fully stopped one with a strictly newer epoch (I5, B14)",
    reintroduces: 'a stopped maintainer is replaced by any add, older and epoch-0 ones included',
    invariant: 'I5',
    machines: { maintainerRegistry: maintainerRegistryMachine.provide({ guards: { canReplace: () => true } as never }) },
  },
  {
    id: 'B15',
    caughtBy: "cleanup deletes only the maintainer it saw (B15)",
    reintroduces: 'cleanup deletes whatever maintainer is in the slot (no CompareAndDelete)',
    invariant: 'I5',
    machines: { maintainerRegistry: maintainerRegistryMachine.provide({ guards: { isSameGeneration: () => true } as never }) },
  },
  {
    id: 'B17',
    reintroduces: 'an epoch-0 close records a tombstone even when it only pauses',
    invariant: 'I11 (availability)',
    machines: {
      dispatcherManager: dispatcherManagerMachine.provide({
        actions: {
          recordTombstone: assign({
            tombstone: ({ context, event }: { context: Ctx; event: Ev }) =>
              event.type !== 'CLOSE' ? context.tombstone : context.tombstone === null ? event.maintainerEpoch : maxEpoch(context.tombstone, event.maintainerEpoch),
          }),
        } as never,
      }),
    },
  },
  {
    id: 'B18',
    caughtBy: "the Stopped reply for a missing maintainer echoes the request epoch (B18)",
    reintroduces: 'the Stopped ack for a missing maintainer carries epoch 0 (the wildcard)',
    invariant: 'I8/I9',
    machines: {
      maintainerRegistry: maintainerRegistryMachine.provide({
        actions: {
          replyStoppedWithRequestEpoch: emit(({ context }: { context: Ctx }) => ({
            type: 'MaintainerStatus' as const,
            to: context.coordinatorId,
            changefeedId: context.changefeedId,
            state: 'Stopped' as const,
            maintainerEpoch: 0n,
            bootstrapDone: false,
            error: false,
          })),
        } as never,
      }),
    },
  },
  {
    id: 'B19',
    caughtBy: "the view never regresses within a node epoch, and epochs never decrease but by node removal (I13)",
    reintroduces: 'the liveness view takes late observations (older epoch, or lower liveness at the same epoch)',
    invariant: 'I13',
    machines: { livenessView: livenessViewMachine.provide({ guards: { isStaleObservation: () => false } as never }) },
  },
  {
    id: 'B20',
    caughtBy: "the observed record never regresses: epochs never decrease, liveness never drops within an epoch (I13)",
    reintroduces: 'the drain workflow keeps drainingObserved across a node restart (a new node epoch)',
    invariant: 'I14',
    machines: {
      drainNode: drainNodeMachine.provide({
        guards: { isDroppedObservation: ({ event }: { event: Ev }) => event.type === 'OBSERVE' && event.nodeEpoch === 0n } as never,
      }),
    },
  },
  {
    id: 'B26',
    reintroduces: 'a non-cascade remove before bootstrap puts the maintainer into removing, so it never bootstraps',
    invariant: 'liveness',
    machines: { maintainerRegistry: maintainerRegistryMachine.provide({ guards: { isIgnoredBeforeBootstrap: () => false } as never }) },
  },
  // ----- node and drain side, caught on the composed cluster (cluster/catalogueNode.ts) -----
  {
    id: 'B16',
    reintroduces: 'a close response is taken by a maintainer that is not removing (a late one from a superseded epoch-0 maintainer marks closed nodes)',
    invariant: 'I9',
    machines: { maintainerRegistry: b16Registry() },
  },
  {
    id: 'B23',
    reintroduces: 'DrainNode closes the drain session as soon as the drain is complete, with its target still a member',
    invariant: 'I17/I18',
    machines: { drainSession: b23Session() },
  },
  {
    id: 'B22',
    reintroduces: 'a scheduler-gate ack is not keyed by node epoch: it survives the node restarting (and leaving and re-joining)',
    invariant: 'I20',
    machines: { drainSession: b22Session() },
  },
  {
    id: 'B25',
    caughtBy: 'while quiescing, a frozen operator stays in the operator map (B25)',
    reintroduces: 'quiesce drops a frozen operator from the operator map when the queue pops it (its checkpoint constraint goes with it)',
    invariant: 'I21',
    machines: {
      quiesce: quiesceMachine.provide({
        actions: {
          dequeue: assign({
            operators: ({ context, event }: { context: Ctx; event: Ev }) => Object.fromEntries(Object.entries(context.operators).filter(([id]) => id !== event.id)),
          }),
        } as never,
      }),
    },
  },
];

/**
 * §5.1 B6 as a machine: the move's AddTarget state before `3c9a2e1d9` — when the destination is
 * removed after the AddMaintainer may have been delivered, the move falls back to the origin
 * (OriginStopped, target := origin), and its next Schedule binds the origin and re-sends the add
 * with the same post-bump epoch. The structure changes (a transition, not an implementation), so
 * the variant is the faithful definition with that one transition put back; its guards and actions
 * are the faithful ones.
 */
const moveConfig = moveMaintainerMachine.config as unknown as { states: Record<string, { on: Record<string, unknown> }> };
const moveB6 = createMachine(
  {
    ...(moveMaintainerMachine.config as object),
    states: {
      ...moveConfig.states,
      AddTarget: {
        ...moveConfig.states.AddTarget,
        on: {
          ...moveConfig.states.AddTarget!.on,
          NODE_REMOVED: [
            { guard: 'isTargetRemoved', target: 'OriginStopped', actions: 'fallBackToOrigin' },
            { guard: 'isOriginRemoved', actions: 'recordOriginRemoved' },
          ],
        },
      },
    },
  } as never,
  moveMaintainerMachine.implementations as never,
) as unknown as AnyStateMachine;

/**
 * The coordinator-side variants of the catalogue that the cluster checker catches (cluster/catalogue.ts
 * gives each its configuration and the invariant it breaks): the ones that show only in the composed
 * cluster, or that replace glue rather than a machine (`glue`).
 */
export const operatorVariants: Variant[] = [
  {
    id: 'B6',
    reintroduces: 'a move whose destination is removed after the add was sent falls back to the origin and re-sends the add with the same epoch',
    invariant: 'I5',
    machines: { moveMaintainer: moveB6 },
  },
  {
    id: 'B5',
    reintroduces: 'a stop during a move goes to the DB node with the in-memory (bumped) epoch, not to the origin with originEpoch, before the target is bound',
    invariant: 'I23',
    machines: {},
    // Before bb1e1b1dc the stop path did not ask the move for its origin (§2.3.2 steps 2 and 4).
    glue: { operatorController: { originStopTarget: () => undefined } },
  },
  {
    id: 'B27',
    reintroduces: "an epoch-only bump also compares the status key's revision, so a checkpoint write between its read and its txn fails it (ErrMetaOpFailed once the retries are spent) and the add or move is rejected",
    invariant: '§3.2',
    machines: {},
    // Between 271b31094 and 35b8e1a41 every bump read the status and compared both revisions.
    glue: { store: { keysCompared: (op) => (op.op === 'bump' || op.op === 'resume' ? { info: true, status: true } : undefined) } },
  },
  {
    id: 'B29',
    reintroduces: "every epoch bump writes the caller's in-memory checkpoint (and progress None) into the status instead of keeping the stored one",
    invariant: 'I1',
    machines: {},
    // Before 271b31094 the admission and warning bumps passed cf.GetStatus().CheckpointTs and
    // ProgressNone, the backend put that status unconditionally, and the txn compared the info key only.
    glue: {
      store: {
        bumpStatus: (checkpointTs) => ({ checkpointTs, progress: 'None' }),
        keysCompared: (op) => (op.op === 'bump' || op.op === 'resume' ? { info: true, status: false } : undefined),
      },
    },
  },
  {
    id: 'B2',
    reintroduces: 'two Add/Move calls for one changefeed run their epoch bumps concurrently (no epochBumping reservation)',
    invariant: 'I7',
    machines: { admission: admissionB2() },
    // The glue kept one admission per changefeed because the reservation failed every second
    // precheck; before b46288d8b nothing did, so a second call runs beside the first.
    glue: { admission: { admissionSlot: twoAdmissionsPerChangefeed } },
  },
  {
    id: 'B10',
    reintroduces: 'coordinator bootstrap panics ("maintainer runs on multiple node") when two nodes report the same changefeed, as during a handover',
    invariant: 'availability',
    machines: {},
    glue: { bootstrap: preFixBootstrapSelection() },
  },
  {
    id: 'B11',
    reintroduces: "a stale bootstrap owner is stopped with the persisted (current) epoch instead of the epoch it reported",
    invariant: 'I9/liveness',
    machines: {},
    glue: { bootstrap: { staleStopEpoch: (_stale, persistedEpoch) => persistedEpoch } },
  },
];

/**
 * B10: the bootstrap before `29be5d5e5`. Every reported status took part (TiCDC reports Stopped
 * maintainers that are not yet cleaned up as well; the model's faithful glue leaves them out) and a
 * changefeed reported by a second node panicked at once, whatever the epochs. One report was the
 * owner when its epoch matched the persisted one (`match`), else a stale owner stopped with its own
 * epoch.
 */
function preFixBootstrapSelection(): Partial<BootstrapGlue> {
  return {
    takesPart: () => true,
    select(changefeedId, persistedEpoch, reports) {
      if (reports.length > 1) throw new MultipleOwnersError(changefeedId, reports.map((r) => r.node));
      const only: BootstrapReport | undefined = reports[0];
      if (!only) return { owner: undefined, stale: [] };
      return match(only.maintainerEpoch, persistedEpoch) ? { owner: only, stale: [] } : { owner: undefined, stale: [only] };
    },
  };
}

/** Every variant of the catalogue: the machine-level ones, then the coordinator-side ones. */
export const catalogueVariants: Variant[] = [...machineVariants, ...operatorVariants];

/**
 * B16: the registry before `b46288d8b`. The faithful machine takes a MaintainerCloseResponse only in
 * `Removing`; this one also takes it in every other maintainer state (after the epoch `match`, which
 * an epoch-0 response passes against any epoch) and records the sender in `closedNodes`. The
 * transition is added to the definition (a variant of its config with the same implementations):
 * no guard or action of the faithful machine changes.
 */
function b16Registry(): AnyStateMachine {
  const config = maintainerRegistryMachine.config as Ctx;
  const maintainer = config.states.Maintainer;
  return createMachine(
    {
      ...config,
      states: {
        ...config.states,
        Maintainer: {
          ...maintainer,
          on: { ...maintainer.on, CLOSE_RESPONSE: [{ guard: 'isStaleResponse' }, { guard: 'isFailedClose' }, { actions: 'recordClosedNode' }] },
        },
      },
    } as never,
    maintainerRegistryMachine.implementations as never,
  ) as AnyStateMachine;
}

/**
 * B23: the drain session before `c640d608b`. The faithful DrainNode answer keeps a complete
 * session (it blocks other targets until its target leaves); this one answers as the faithful one
 * and then, when the call found the session on its target complete, closes it (session and gate
 * gone). The state value stays `Active` with no session record; every guard and action reads the
 * record, so the machine behaves as one with no session.
 */
function b23Session(): AnyStateMachine {
  const answer = drainSessionMachine.implementations.actions.answerDrainNode;
  return drainSessionMachine.provide({
    actions: {
      answerDrainNode: enqueueActions(({ context, event, enqueue }: { context: DrainSessionContext; event: DrainSessionEvent; enqueue: any }) => {
        enqueue(answer);
        if (event.type !== 'DRAIN_NODE' || drainNodeRow(context, event) !== 8) return;
        const s = context.session;
        if (s && s.target === event.target && isDrainComplete(s, event.observation)) enqueue.assign({ session: null, gate: null });
      }),
    } as never,
  });
}

/**
 * B22: the gate acks before `c7b979fbd`, when an ack was a flag per node. The faithful gate keys an
 * ack by the node epoch it was given at and drops it on a newer epoch or a removal; here an acked
 * node stays acked: its ack follows the node to whatever epoch the view holds at its next
 * heartbeat, and a removal keeps it.
 */
function b22Session(): AnyStateMachine {
  const { observeReport, forgetRemovedNode } = drainSessionMachine.implementations.actions;
  type Gate = DrainSessionContext['gate'];
  const withAck = (gate: Gate, node: string, epoch: bigint | undefined): Gate =>
    gate?.kind === 'target' && epoch !== undefined ? { ...gate, ackedNodes: { ...gate.ackedNodes, [node]: epoch } } : gate;
  return drainSessionMachine.provide({
    actions: {
      observeReport: enqueueActions(({ context, event, enqueue }: { context: DrainSessionContext; event: DrainSessionEvent; enqueue: any }) => {
        enqueue(observeReport);
        if (event.type !== 'NODE_HEARTBEAT' || context.gate?.kind !== 'target' || !event.view.observed) return;
        if (context.gate.ackedNodes[event.from] === undefined) return;
        const epoch = event.view.nodeEpoch;
        enqueue.assign({ gate: ({ context: c }: { context: DrainSessionContext }) => withAck(c.gate, event.from, epoch) });
      }),
      forgetRemovedNode: enqueueActions(({ context, event, enqueue }: { context: DrainSessionContext; event: DrainSessionEvent; enqueue: any }) => {
        enqueue(forgetRemovedNode);
        if (event.type !== 'NODE_REMOVED' || context.gate?.kind !== 'target') return;
        const prior = context.gate.ackedNodes[event.node];
        enqueue.assign({ gate: ({ context: c }: { context: DrainSessionContext }) => withAck(c.gate, event.node, prior) });
      }),
    } as never,
  });
}

/**
 * B2: admission (§2.4) before `b46288d8b`. The bump already ran outside the controller lock with
 * the recheck after it (`0cd639081`), but no `epochBumping` set existed: the precheck never finds
 * a bump in flight, and nothing is reserved or released. The recheck is unchanged (it was the same
 * code), so whichever call relocks first pushes its operator and a later one fails on the slot —
 * unless the first one's operator has already finished. With nothing reserved the schedulers'
 * `predictedAdmission` sees no bump in flight either, so they propose the changefeed again as the
 * old code did; no scheduler hook is needed.
 *
 * What the composed cluster shows: I7 (an add pushed while the other bump still runs), and the
 * "two owners at distinct epochs" harm ("I5 an add is pushed only for an unplaced changefeed",
 * cluster/catalogueInvariants.ts). Model limit: a bump's commit and its caller's relock are one
 * world step (cluster/world.ts `store`), so bumps are answered in commit order; the spec's other
 * harm, a loser that relocks after a newer epoch was set and regresses the in-memory info, needs
 * them apart and is not reached.
 */
function admissionB2(): AnyStateMachine {
  return admissionMachine.provide({
    guards: { isBumping: () => false },
    actions: { reserve: () => undefined, release: () => undefined },
  } as never);
}

/**
 * B2's admission glue: a second concurrent `AddOperator` call of a changefeed is kept beside the
 * first, under `<cf>#2`. Two calls are all the bug needs; a third would only widen the state
 * space, so further calls are not started while two run (the model bounds the goroutines, not
 * the code).
 */
export function twoAdmissionsPerChangefeed(...[admissions, cf]: Parameters<AdmissionGlue['admissionSlot']>): string | null {
  if (!admissions[cf]) return cf;
  const second = `${cf}#2`;
  return admissions[second] ? null : second;
}
