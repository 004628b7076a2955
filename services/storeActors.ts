/**
 * Actor logic bound to an epoch store, for hosts to provide to the machines (XState `fromPromise`),
 * and the executor of the store intents the machines emit (`store.*`).
 */
import { createActor, fromPromise, toPromise } from 'xstate';
import type { Progress } from '../machines/protocol.js';
import type { ChangefeedInfo, EpochStore, Versioned } from '../adapters/types.js';

export const bumpEpochLogic = fromPromise<Versioned<ChangefeedInfo>, { store: EpochStore; changefeedId: string; candidate: bigint }>(
  ({ input }) => input.store.bumpEpoch(input.changefeedId, input.candidate),
);

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
