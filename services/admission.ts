/**
 * The host side of operator admission (spec §2.4): drives one pure {@link admissionMachine}
 * against the host's operator controller and a real {@link EpochStore}.
 *
 * - PRECHECK and RECHECK carry the controller's view, read when the machine asks for it (the host
 *   holds its own lock around each read; the machine never does I/O).
 * - The machine's `controller.*` effects are applied to the controller as they are emitted.
 * - Its `store.bumpEpoch` intent is run here: a candidate from the epoch clock (§3.5), then
 *   `bumpEpochLogic` (a `fromPromise` actor) against the store; the result goes back as BUMPED or
 *   BUMP_FAILED {code, maybeApplied}. The whole bump has the source's 10 s deadline
 *   (`operatorEpochBumpTimeout`); past it the bump counts as failed with an unknown outcome.
 */
import { createActor, toPromise } from 'xstate';
import { admissionMachine, type AdmittedKind, type PersistedEpoch, type RejectReason } from '../machines/admission.js';
import { OpchartsError } from '../machines/errors.js';
import { StoreUnavailableError } from '../adapters/errors.js';
import type { EpochStore } from '../adapters/types.js';
import { processEpochClock, type EpochClock } from './epochClock.js';
import { bumpEpochLogic, runLogic } from './storeActors.js';

/** What admission needs from the host's operator controller (its lock is the host's concern). */
export interface OperatorControllerView {
  hasOperator(changefeedId: string): boolean;
  isBumping(changefeedId: string): boolean;
  /** The in-memory changefeed object; compared by identity at recheck. */
  lookup(changefeedId: string): object | undefined;
  reserveBumping(changefeedId: string): void;
  releaseBumping(changefeedId: string): void;
  setInfo(changefeedId: string, epoch: bigint): void;
  pushOperator(changefeedId: string, kind: AdmittedKind): void;
}

export type AdmissionResult =
  | { accepted: true; epoch: bigint | null; persistedEpoch: PersistedEpoch }
  | { accepted: false; reason: RejectReason; bumpError: string | null; persistedEpoch: PersistedEpoch };

/** §2.4: `operatorEpochBumpTimeout`. */
export const OPERATOR_EPOCH_BUMP_TIMEOUT_MS = 10_000;

export class BumpTimeoutError extends OpchartsError {
  constructor(changefeedId: string, ms: number) {
    super('BUMP_TIMEOUT', `epoch bump of changefeed ${changefeedId} did not finish within ${ms} ms`);
  }
}

export async function admitOperator(options: {
  controller: OperatorControllerView;
  store: EpochStore;
  changefeedId: string;
  kind: AdmittedKind;
  /** Default: {@link processEpochClock}. */
  clock?: EpochClock;
  /** PD and a backend are wired (default true); see AdmissionInput.needsBump. */
  needsBump?: boolean;
  bumpTimeoutMs?: number;
}): Promise<AdmissionResult> {
  const { controller: c, changefeedId: id } = options;
  const clock = options.clock ?? processEpochClock();
  const timeoutMs = options.bumpTimeoutMs ?? OPERATOR_EPOCH_BUMP_TIMEOUT_MS;
  const actor = createActor(admissionMachine, { input: { changefeedId: id, kind: options.kind, needsBump: options.needsBump ?? true } });
  const identity = c.lookup(id);
  let bump: Promise<void> | undefined;

  const runBump = async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new BumpTimeoutError(id, timeoutMs)), timeoutMs);
      });
      const info = await Promise.race([
        (async () => runLogic(bumpEpochLogic, { store: options.store, changefeedId: id, candidate: await clock.next() }))(),
        deadline,
      ]);
      actor.send({ type: 'BUMPED', epoch: info.value.epoch });
    } catch (e) {
      actor.send({
        type: 'BUMP_FAILED',
        code: e instanceof OpchartsError ? e.code : 'UNKNOWN',
        // Unknown outcome: the store said so, or the deadline passed with the write in flight.
        maybeApplied: (e instanceof StoreUnavailableError && e.maybeApplied) || e instanceof BumpTimeoutError,
      });
    } finally {
      clearTimeout(timer);
    }
    if (actor.getSnapshot().value === 'Recheck') {
      const current = c.lookup(id);
      actor.send({ type: 'RECHECK', hasOperator: c.hasOperator(id), changefeedExists: current !== undefined, sameChangefeed: current === identity });
    }
  };

  actor.on('*', (effect) => {
    switch (effect.type) {
      case 'controller.reserveBumping':
        return c.reserveBumping(id);
      case 'controller.releaseBumping':
        return c.releaseBumping(id);
      case 'controller.setInfo':
        return c.setInfo(id, effect.epoch);
      case 'controller.pushOperator':
        return c.pushOperator(id, effect.kind);
      case 'store.bumpEpoch':
        bump = runBump();
        return;
    }
  });
  actor.start();
  actor.send({ type: 'PRECHECK', hasOperator: c.hasOperator(id), bumping: c.isBumping(id), changefeedExists: identity !== undefined });
  await bump;
  await toPromise(actor);
  const { context, value } = actor.getSnapshot();
  return value === 'Accepted'
    ? { accepted: true, epoch: context.epoch, persistedEpoch: context.persistedEpoch }
    : { accepted: false, reason: context.reason!, bumpError: context.bumpError, persistedEpoch: context.persistedEpoch };
}
