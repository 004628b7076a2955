/**
 * The host side of operator admission (§2.4): drives one {@link admissionMachine} against the
 * host's operator controller and a real epoch store. The controller view is read at precheck and
 * again at recheck; the bump runs through `bumpEpochLogic` with a candidate from the epoch clock.
 */
import { createActor, toPromise } from 'xstate';
import { admissionMachine, type AdmittedKind, type RejectReason } from '../machines/admission.js';
import { OpchartsError } from '../machines/errors.js';
import type { EpochStore } from '../adapters/types.js';
import type { EpochClock } from './epochClock.js';
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
  | { accepted: true; epoch: bigint | null }
  | { accepted: false; reason: RejectReason; bumpError: string | null };

export async function admitOperator(options: {
  controller: OperatorControllerView;
  store: EpochStore;
  clock: EpochClock;
  changefeedId: string;
  kind: AdmittedKind;
  needsBump?: boolean;
}): Promise<AdmissionResult> {
  const { controller: c, changefeedId: id } = options;
  const actor = createActor(admissionMachine, { input: { changefeedId: id, kind: options.kind, needsBump: options.needsBump ?? true } });
  const identity = c.lookup(id);
  let bump: Promise<void> | undefined;
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
        bump = (async () => {
          try {
            const candidate = await options.clock.next();
            const info = await runLogic(bumpEpochLogic, { store: options.store, changefeedId: id, candidate });
            actor.send({ type: 'BUMPED', epoch: info.value.epoch });
          } catch (e) {
            actor.send({ type: 'BUMP_FAILED', code: e instanceof OpchartsError ? e.code : 'UNKNOWN' });
          }
          if (actor.getSnapshot().value === 'Recheck') {
            actor.send({ type: 'RECHECK', hasOperator: c.hasOperator(id), changefeedExists: c.lookup(id) !== undefined, sameChangefeed: c.lookup(id) === identity });
          }
        })();
        return;
    }
  });
  actor.start();
  actor.send({ type: 'PRECHECK', hasOperator: c.hasOperator(id), bumping: c.isBumping(id), changefeedExists: identity !== undefined });
  await bump;
  await toPromise(actor);
  const { context, value } = actor.getSnapshot();
  return value === 'Accepted'
    ? { accepted: true, epoch: context.epoch }
    : { accepted: false, reason: context.reason!, bumpError: context.bumpError };
}
