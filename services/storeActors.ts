/**
 * XState actor logic (`fromPromise`) over an epoch store (spec §3.2-§3.4: bump, resume, set
 * progress, delete), for hosts to run the store intents the pure machines emit (`store.*`) and
 * feed the results back as events. The machines themselves never invoke these.
 */
import { createActor, fromPromise, toPromise } from 'xstate';
import type { Progress } from '../machines/protocol.js';
import type { BumpOptions, ChangefeedInfo, EpochStore, Versioned } from '../adapters/types.js';

/**
 * The same operations with the store bound, for `machine.provide({ actors: epochStoreActors(store) })`
 * in a host: each takes only the changefeed's arguments as input.
 */
export function epochStoreActors(store: EpochStore) {
  return {
    bumpEpoch: fromPromise<Versioned<ChangefeedInfo>, { changefeedId: string; candidate: bigint; opts?: BumpOptions }>(({ input }) =>
      store.bumpEpoch(input.changefeedId, input.candidate, input.opts),
    ),
    resume: fromPromise<Versioned<ChangefeedInfo>, { changefeedId: string; candidate: bigint; checkpointTs: bigint }>(({ input }) =>
      store.resume(input.changefeedId, input.candidate, input.checkpointTs),
    ),
    setProgress: fromPromise<void, { changefeedId: string; progress: Progress }>(({ input }) =>
      store.setProgress(input.changefeedId, input.progress),
    ),
    deleteChangefeed: fromPromise<void, { changefeedId: string }>(({ input }) => store.delete(input.changefeedId)),
  };
}

export const bumpEpochLogic = fromPromise<
  Versioned<ChangefeedInfo>,
  { store: EpochStore; changefeedId: string; candidate: bigint; opts?: BumpOptions }
>(({ input }) => input.store.bumpEpoch(input.changefeedId, input.candidate, input.opts));

export const resumeLogic = fromPromise<
  Versioned<ChangefeedInfo>,
  { store: EpochStore; changefeedId: string; candidate: bigint; checkpointTs: bigint }
>(({ input }) => input.store.resume(input.changefeedId, input.candidate, input.checkpointTs));

export const setProgressLogic = fromPromise<void, { store: EpochStore; changefeedId: string; progress: Progress }>(({ input }) =>
  input.store.setProgress(input.changefeedId, input.progress),
);

export const deleteChangefeedLogic = fromPromise<void, { store: EpochStore; changefeedId: string }>(({ input }) =>
  input.store.delete(input.changefeedId),
);

/** Runs one actor logic to completion and returns its output (or throws its error). */
export function runLogic<I, O>(logic: ReturnType<typeof fromPromise<O, I>>, input: I): Promise<O> {
  const actor = createActor(logic, { input });
  actor.start();
  return toPromise(actor);
}

/**
 * Carries out a stop operator's PostFinish intent (§2.3): delete, or set progress. The source only
 * logs failures of both; the error is returned so the host can log it.
 */
export async function runStoreIntent(
  store: EpochStore,
  effect: { type: string; changefeedId?: string; progress?: Progress },
): Promise<{ ok: true } | { ok: false; error: unknown } | undefined> {
  try {
    if (effect.type === 'store.deleteChangefeed') {
      await runLogic(deleteChangefeedLogic, { store, changefeedId: effect.changefeedId! });
      return { ok: true };
    }
    if (effect.type === 'store.setChangefeedProgress') {
      await runLogic(setProgressLogic, { store, changefeedId: effect.changefeedId!, progress: effect.progress! });
      return { ok: true };
    }
    return undefined;
  } catch (error) {
    return { ok: false, error };
  }
}
