/**
 * A separate process for the full-disk test (issue 9 item 3). The parent runs it with the store
 * on a small tmpfs (a user namespace, no root needed) or, where that is not allowed, under
 * `ulimit -f`. It bumps a small changefeed and writes large ones until the disk is full, then keeps
 * going; with a filler file (tmpfs) it then deletes the filler and checks the store writes again.
 * Prints one JSON line per call and a final line with the stored epoch; the parent checks the
 * process survived, every failure was typed, and no acknowledged epoch was lost.
 */
import { rmSync } from 'node:fs';
import { LmdbEpochStore } from '../../adapters/lmdb.js';
import { OpchartsError } from '../../machines/errors.js';

const [path, filler] = process.argv.slice(2);
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
async function round(i: number, size: number): Promise<void> {
  try {
    await store.update(`big${i}`, { epoch: 1n, state: 'normal', error: null, config: { pad: 'y'.repeat(size) } }, status);
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
for (let i = 0; i < 40; i++) await round(i, 50_000 + (i % 7) * 9_000);
if (filler) {
  // Space comes back: the store must write again without a restart.
  rmSync(filler);
  console.log(JSON.stringify({ op: 'freed' }));
  for (let i = 0; i < 3; i++) {
    try {
      acked = (await store.bumpEpoch('cf', acked + 1n)).value.epoch;
      console.log(JSON.stringify({ op: 'bump-after-free', epoch: acked.toString() }));
    } catch (e) {
      report('bump-after-free', e);
    }
  }
}
console.log(JSON.stringify({ op: 'final', stored: (await store.get('cf')).info.value.epoch.toString(), acked: acked.toString() }));
await store.close();
