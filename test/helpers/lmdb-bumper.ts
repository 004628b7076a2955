/**
 * A separate process for the multi-process LMDB contention test: opens the store at argv[2] and
 * bumps changefeed argv[3] argv[4] times, printing one JSON line per call (decimal strings).
 */
import { LmdbEpochStore } from '../../adapters/lmdb.js';
import { OpchartsError } from '../../machines/errors.js';

const [path, id, count] = process.argv.slice(2);
const store = LmdbEpochStore.open(path!, { policy: { casDelayMs: 1 } });
for (let i = 0; i < Number(count); i++) {
  try {
    const r = await store.bumpEpoch(id!, 0n);
    console.log(JSON.stringify({ epoch: r.value.epoch.toString(), revision: r.revision.toString() }));
  } catch (e) {
    console.log(JSON.stringify({ error: e instanceof OpchartsError ? e.code : String(e) }));
  }
}
await store.close();
