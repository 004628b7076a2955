/**
 * A separate process for the full-disk test (issue 9 item 3): run under `ulimit -f` so the LMDB
 * file cannot grow past a small size (no root, no tmpfs). Bumps a small changefeed and writes
 * large ones until the file is full, then keeps going; prints one JSON line per call and a final
 * line with the stored epoch. The parent checks the process survived and every failure was typed.
 */
import { LmdbEpochStore } from '../../adapters/lmdb.js';
import { OpchartsError } from '../../machines/errors.js';

const [path] = process.argv.slice(2);
const store = LmdbEpochStore.open(path!, { policy: { casDelayMs: 1 } });
const status = { checkpointTs: 1n, progress: 'None' as const };
await store.create('cf', { epoch: 1n, state: 'normal', error: null, config: {} }, status);
const report = (op: string, e: unknown) =>
  console.log(
    JSON.stringify({
      op,
      error: e instanceof OpchartsError ? e.code : `untyped: ${String(e)}`,
      maybeApplied: (e as { maybeApplied?: boolean }).maybeApplied,
    }),
  );
let acked = 1n;
for (let i = 0; i < 40; i++) {
  try {
    await store.update(`big${i}`, { epoch: 1n, state: 'normal', error: null, config: { pad: 'y'.repeat(100_000) } }, status);
    console.log(JSON.stringify({ op: 'update', ok: true }));
  } catch (e) {
    report('update', e);
  }
  try {
    acked = (await store.bumpEpoch('cf', acked + 1n)).value.epoch;
    console.log(JSON.stringify({ op: 'bump', epoch: acked.toString() }));
  } catch (e) {
    report('bump', e);
  }
}
console.log(JSON.stringify({ op: 'final', stored: (await store.get('cf')).info.value.epoch.toString(), acked: acked.toString() }));
await store.close();
