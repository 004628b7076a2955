/**
 * The store's actor logic (XState `fromPromise`, spec §3.2-§3.4) that hosts use to run the store
 * intents the machines emit, and the stop operator's PostFinish intents (§2.3).
 */
import { describe, expect, it } from 'vitest';
import { createActor, setup, toPromise } from 'xstate';
import { MemoryEpochStore } from '../../adapters/index.js';
import {
  bumpEpochLogic,
  deleteChangefeedLogic,
  epochStoreActors,
  resumeLogic,
  runLogic,
  runStoreIntent,
  setProgressLogic,
} from '../../services/index.js';

async function seeded(epoch = 5n) {
  const store = new MemoryEpochStore();
  await store.create('cf', { epoch, state: 'failed', error: { code: 'E', message: 'x' }, config: {} }, { checkpointTs: 1n, progress: 'Stopping' });
  return store;
}

describe('store actor logic', () => {
  it('bump, resume, setProgress and delete run as actors against the store', async () => {
    const store = await seeded();
    expect((await runLogic(bumpEpochLogic, { store, changefeedId: 'cf', candidate: 0n })).value.epoch).toBe(6n);
    const resumed = await runLogic(resumeLogic, { store, changefeedId: 'cf', candidate: 100n, checkpointTs: 42n });
    expect(resumed.value).toMatchObject({ epoch: 100n, state: 'normal', error: null });
    await runLogic(setProgressLogic, { store, changefeedId: 'cf', progress: 'Removing' });
    expect((await store.get('cf')).status?.value).toEqual({ checkpointTs: 42n, progress: 'Removing' });
    await runLogic(deleteChangefeedLogic, { store, changefeedId: 'cf' });
    await expect(store.get('cf')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it("an actor's error is the store's typed error", async () => {
    const store = await seeded();
    store.memory.inject('write', 'maybe-applied');
    await expect(runLogic(bumpEpochLogic, { store, changefeedId: 'cf', candidate: 0n })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      maybeApplied: true,
    });
    await expect(runLogic(bumpEpochLogic, { store, changefeedId: 'nope', candidate: 0n })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('epochStoreActors(store) can be provided to a host machine that invokes them', async () => {
    const store = await seeded(5n);
    const host = setup({
      types: { context: {} as { epoch: bigint } },
      actors: { bumpEpoch: epochStoreActors(store).bumpEpoch },
    }).createMachine({
      initial: 'bumping',
      context: { epoch: 0n },
      states: {
        bumping: {
          invoke: {
            src: 'bumpEpoch',
            input: { changefeedId: 'cf', candidate: 9n },
            onDone: { target: 'done', actions: ({ context, event }) => void (context.epoch = event.output.value.epoch) },
            onError: 'failed',
          },
        },
        done: { type: 'final' },
        failed: { type: 'final' },
      },
    });
    const actor = createActor(host).start();
    await toPromise(actor);
    expect(actor.getSnapshot().value).toBe('done');
    expect(actor.getSnapshot().context.epoch).toBe(9n);
    expect((await store.get('cf')).info.value.epoch).toBe(9n);
  });
});

describe('store intents of the stop operator', () => {
  it('PostFinish intents run against the store; a failure is returned, not thrown (the source only logs it)', async () => {
    const store = new MemoryEpochStore();
    await store.create('cf', { epoch: 1n, state: 'normal', error: null, config: {} }, { checkpointTs: 1n, progress: 'Stopping' });
    expect(await runStoreIntent(store, { type: 'store.setChangefeedProgress', changefeedId: 'cf', progress: 'None' })).toEqual({ ok: true });
    expect((await store.get('cf')).status?.value.progress).toBe('None');
    expect(await runStoreIntent(store, { type: 'store.deleteChangefeed', changefeedId: 'cf' })).toEqual({ ok: true });
    const failed = await runStoreIntent(store, { type: 'store.setChangefeedProgress', changefeedId: 'cf', progress: 'None' });
    expect(failed).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await runStoreIntent(store, { type: 'controller.somethingElse' })).toBeUndefined();
  });
});
