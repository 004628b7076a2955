/**
 * The epoch store contract (spec §3, §6.9 item 4), one suite run against every adapter: memory,
 * LMDB (a temporary file) and etcd (a real /usr/bin/etcd on loopback; skipped with a notice only
 * when the binary is absent — CI installs it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AlreadyExistsError,
  CasExhaustedError,
  CorruptRecordError,
  EtcdEpochStore,
  KvEpochStore,
  LmdbEpochStore,
  MemoryEpochStore,
  NotFoundError,
  StoreEpochOverflowError,
  StoreSpecError,
  ValueTooLargeError,
  openEpochStore,
  InvalidChangefeedIdError,
  type ChangefeedInfo,
  type Kv,
} from '../../adapters/index.js';
import { MAX_UINT64 } from '../../machines/epoch.js';
import { EtcdServer, etcdAvailable } from '../helpers/etcd.js';

interface Harness {
  name: string;
  /** False only for etcd when /usr/bin/etcd is absent: the one allowed skip, with a notice. */
  available: boolean;
  open(): Promise<KvEpochStore>;
  /** The store's transport, to wrap (see {@link interleaved}). */
  kv(store: KvEpochStore): Kv;
  /** Overwrite a stored key with raw text, bypassing the store. */
  corrupt(store: KvEpochStore, key: string, text: string): Promise<void>;
  /** The raw stored text of a key. */
  raw(store: KvEpochStore, key: string): Promise<string | undefined>;
  /** A second client of the same data, as another process would be. */
  peer(store: KvEpochStore): Promise<KvEpochStore>;
  teardown(): Promise<void>;
}

const tmpDirs: string[] = [];
let etcd: EtcdServer | undefined;

const harnesses: Harness[] = [
  {
    name: 'memory',
    available: true,
    open: async () => new MemoryEpochStore(undefined, { policy: { casDelayMs: 1 } }),
    kv: (s) => (s as MemoryEpochStore).memory,
    corrupt: async (s, key, text) => (s as MemoryEpochStore).memory.setRaw(key, text),
    raw: async (s, key) => (s as MemoryEpochStore).memory.raw(key),
    peer: async (s) => new MemoryEpochStore((s as MemoryEpochStore).memory),
    teardown: async () => {},
  },
  {
    name: 'lmdb',
    available: true,
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'opcharts-lmdb-'));
      tmpDirs.push(dir);
      return LmdbEpochStore.open(dir, { policy: { casDelayMs: 1 } });
    },
    kv: (s) => (s as LmdbEpochStore).lmdb,
    corrupt: async (s, key, text) => (s as LmdbEpochStore).lmdb.setRaw(key, text),
    raw: async (s, key) => (s as LmdbEpochStore).lmdb.raw(key),
    peer: async (s) => LmdbEpochStore.open((s as LmdbEpochStore).lmdb.path),
    teardown: async () => {},
  },
  {
    name: 'etcd',
    available: etcdAvailable,
    open: async () => {
      etcd ??= await EtcdServer.start();
      return EtcdEpochStore.connect({ hosts: etcd.endpoint, layout: { prefix: `/t${Math.random().toString(36).slice(2)}` }, policy: { casDelayMs: 1 } });
    },
    kv: (s) => (s as EtcdEpochStore).etcd,
    corrupt: async (s, key, text) => void (await (s as EtcdEpochStore).etcd.client.put(key).value(text)),
    raw: async (s, key) => (await (s as EtcdEpochStore).etcd.client.get(key).string()) ?? undefined,
    peer: async (s) => EtcdEpochStore.connect({ hosts: etcd!.endpoint, layout: s.layout }),
    teardown: async () => etcd?.stop(),
  },
];

if (!etcdAvailable) {
  console.warn(
    'NOTICE: /usr/bin/etcd is not installed (apt-get install etcd-server): the etcd contract suite is SKIPPED here; CI installs it.',
  );
}

afterAll(async () => {
  for (const h of harnesses) await h.teardown();
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

/**
 * A store over the same data whose transport runs `before(n)` ahead of its n-th transaction (n from
 * 1), so another writer can commit between this store's read and its conditional write — on the
 * real adapter, with no mock of the store. Counts reads and transactions.
 */
function interleaved(h: Harness, store: KvEpochStore, before: (n: number) => Promise<void>) {
  const inner = h.kv(store);
  const counts = { reads: 0, txns: 0 };
  const kv: Kv = {
    get: (keys) => {
      counts.reads++;
      return inner.get(keys);
    },
    txn: async (compares, writes) => {
      await before(++counts.txns);
      return inner.txn(compares, writes);
    },
    close: async () => {},
  };
  return { store: new KvEpochStore(kv, { layout: store.layout, policy: { casDelayMs: 1 } }), counts };
}

const info = (epoch: bigint, extra: Partial<ChangefeedInfo> = {}): ChangefeedInfo => ({
  epoch,
  state: 'normal',
  error: null,
  config: { sinkUri: 'blackhole://', filter: ['*.*'] },
  ...extra,
});
const status = (checkpointTs = 100n) => ({ checkpointTs, progress: 'None' as const });

// One suite, every adapter (a loop rather than describe.each so the etcd run can be skipped visibly).
for (const h of harnesses) describe.skipIf(!h.available)(`EpochStore contract: ${h.name}`, () => {
  let store: KvEpochStore;
  beforeAll(async () => {
    store = await h.open();
  });
  afterAll(async () => {
    await store.close();
  });
  let n = 0;
  const fresh = () => `cf-${h.name}-${++n}`;

  it('create writes both records; a second create fails with AlreadyExists and changes nothing', async () => {
    const id = fresh();
    const rec = await store.create(id, info(5n), status(300n));
    expect(rec.info.value.epoch).toBe(5n);
    await expect(store.create(id, info(99n), status(1n))).rejects.toBeInstanceOf(AlreadyExistsError);
    const got = await store.get(id);
    expect(got.info.value).toEqual(info(5n));
    expect(got.status?.value).toEqual(status(300n));
  });

  it('get of a missing changefeed is NotFound', async () => {
    await expect(store.get(fresh())).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.bumpEpoch(fresh(), 1n)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('6.9.4 BumpChangefeedEpoch: stored 8, candidate 7 → 9, state applied, status untouched', async () => {
    const id = fresh();
    await store.create(id, info(8n, { state: 'warning' }), status(300n));
    const before = await store.get(id);
    const bumped = await store.bumpEpoch(id, 7n, { state: 'normal' });
    expect(bumped.value.epoch).toBe(9n);
    expect(bumped.value.state).toBe('normal');
    const after = await store.get(id);
    expect(after.info.value).toEqual(bumped.value);
    expect(after.status?.revision).toBe(before.status?.revision);
  });

  it('6.9.4 …UpdatesStatus: candidate 9 > 8 → 9, status checkpoint 300 and progress Stopping in the same write', async () => {
    const id = fresh();
    await store.create(id, info(8n), status(100n));
    const bumped = await store.bumpEpoch(id, 9n, { status: { checkpointTs: 300n, progress: 'Stopping' } });
    expect(bumped.value.epoch).toBe(9n);
    const after = await store.get(id);
    expect(after.status?.value).toEqual({ checkpointTs: 300n, progress: 'Stopping' });
    expect(after.status?.revision).toBe(after.info.revision);
  });

  it('6.9.4 ResumeChangefeed: 8 → 9, state normal, error cleared, checkpoint 300, progress None', async () => {
    const id = fresh();
    await store.create(id, info(8n, { state: 'failed', error: { code: 'E', message: 'boom' } }), { checkpointTs: 1n, progress: 'Stopping' });
    const resumed = await store.resume(id, 7n, 300n);
    expect(resumed.value).toMatchObject({ epoch: 9n, state: 'normal', error: null });
    expect((await store.get(id)).status?.value).toEqual({ checkpointTs: 300n, progress: 'None' });
  });

  it('6.9.4 RetriesOnCASConflict: a bump committed between read and write makes the next attempt read 9 and write 10, with no extra read', async () => {
    const id = fresh();
    await store.create(id, info(8n), status());
    const x = interleaved(h, store, async (n) => {
      if (n === 1) expect((await store.bumpEpoch(id, 0n)).value.epoch).toBe(9n);
    });
    expect((await x.store.bumpEpoch(id, 0n)).value.epoch).toBe(10n);
    // The lost compare's else-branch returned the fresh record: one read, two transactions.
    expect(x.counts).toEqual({ reads: 1, txns: 2 });
    expect((await store.get(id)).info.value.epoch).toBe(10n);
  });

  it('two concurrent bumps from two clients on one key both succeed with distinct, consecutive epochs', async () => {
    const id = fresh();
    await store.create(id, info(8n), status());
    const other = await h.peer(store);
    try {
      const [a, b] = await Promise.all([store.bumpEpoch(id, 0n), other.bumpEpoch(id, 0n)]);
      expect([a.value.epoch, b.value.epoch].sort((x, y) => (x < y ? -1 : 1))).toEqual([9n, 10n]);
    } finally {
      if (h.name !== 'lmdb') await other.close(); // lmdb-js shares one environment per path
    }
  });

  it('a bump after another client changed the record starts over from the fresh value (no stale cache verdicts, no ABA)', async () => {
    const id = fresh();
    await store.create(id, info(MAX_UINT64), status());
    await store.get(id); // this store has now seen epoch 2^64-1
    const other = await h.peer(store);
    try {
      await other.update(id, info(7n), status()); // an unconditional writer lowers it (§3.4)
      expect((await store.bumpEpoch(id, 0n)).value.epoch).toBe(8n);
      await other.delete(id);
      await expect(store.bumpEpoch(id, 0n)).rejects.toBeInstanceOf(NotFoundError);
      // Deleted and created again behind this store's back: the revision it holds from before
      // the delete must not match the new record (revisions are store-wide, never reused).
      const id2 = fresh();
      await store.create(id2, info(5n), status());
      await other.delete(id2);
      await other.create(id2, info(100n), status());
      expect((await store.bumpEpoch(id2, 0n)).value.epoch).toBe(101n);
    } finally {
      if (h.name !== 'lmdb') await other.close();
    }
  });

  it('a bump compares only the info: a status write between its read and write does not conflict (§3.2 step 5)', async () => {
    const id = fresh();
    await store.create(id, info(1n), status(50n));
    const x = interleaved(h, store, async (n) => {
      if (n === 1) await store.setProgress(id, 'Removing');
    });
    expect((await x.store.bumpEpoch(id, 0n)).value.epoch).toBe(2n);
    expect(x.counts.txns).toBe(1);
    expect((await store.get(id)).status?.value).toEqual({ checkpointTs: 50n, progress: 'Removing' });
  });

  it('a bump that also writes the status compares both: the same status write makes it retry, and the retry wins', async () => {
    const id = fresh();
    await store.create(id, info(1n, { state: 'failed' }), status(50n));
    const x = interleaved(h, store, async (n) => {
      if (n === 1) await store.setProgress(id, 'Removing');
    });
    expect((await x.store.resume(id, 0n, 300n)).value).toMatchObject({ epoch: 2n, state: 'normal' });
    expect(x.counts.txns).toBe(2);
    expect((await store.get(id)).status?.value).toEqual({ checkpointTs: 300n, progress: 'None' });
  });

  it('a writer that wins every race makes the bump give up after 10 attempts with CasExhausted, writing nothing', async () => {
    const id = fresh();
    await store.create(id, info(1n), status());
    const x = interleaved(h, store, async () => void (await store.bumpEpoch(id, 0n)));
    const err = await x.store.bumpEpoch(id, 0n).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CasExhaustedError);
    expect(err).toMatchObject({ code: 'CAS_EXHAUSTED', changefeedId: id, attempts: 10 });
    expect(x.counts.txns).toBe(10);
    // Only the winner's ten bumps are stored.
    expect((await store.get(id)).info.value.epoch).toBe(11n);
  });

  it('setProgress retries a lost compare on the status, and stops if the progress is already there', async () => {
    const id = fresh();
    await store.create(id, info(1n), status(50n));
    const x = interleaved(h, store, async (n) => {
      if (n === 1) await store.update(id, info(1n), { checkpointTs: 60n, progress: 'None' });
    });
    await x.store.setProgress(id, 'Stopping');
    expect(x.counts.txns).toBe(2);
    expect((await store.get(id)).status?.value).toEqual({ checkpointTs: 60n, progress: 'Stopping' });
    const y = interleaved(h, store, async (n) => {
      if (n === 1) await store.setProgress(id, 'Removing');
    });
    await y.store.setProgress(id, 'Removing');
    expect(y.counts.txns).toBe(1); // the lost compare showed Removing already there: no second write
    expect((await store.get(id)).status?.value.progress).toBe('Removing');
  });

  it('overflow at 2^64−1 is an error and writes nothing', async () => {
    const id = fresh();
    await store.create(id, info(MAX_UINT64), status());
    const before = await store.get(id);
    await expect(store.bumpEpoch(id, 5n)).rejects.toBeInstanceOf(StoreEpochOverflowError);
    expect(await store.get(id)).toEqual(before);
    // A candidate can still reach the top from below.
    const id2 = fresh();
    await store.create(id2, info(MAX_UINT64 - 1n), status());
    expect((await store.bumpEpoch(id2, 0n)).value.epoch).toBe(MAX_UINT64);
  });

  it.each([2n ** 53n - 1n, 2n ** 53n + 1n, MAX_UINT64])('%s round-trips exactly, at rest as an exact JSON number literal (TiCDC’s encoding, no float)', async (v) => {
    const id = fresh();
    await store.create(id, info(v), status(v));
    const got = await store.get(id);
    expect(got.info.value.epoch).toBe(v);
    expect(got.status?.value.checkpointTs).toBe(v);
    expect(await h.raw(store, store.keys(id).info)).toContain(`"epoch":${v},`);
    expect(await h.raw(store, store.keys(id).status)).toContain(`"checkpoint-ts":${v},`);
    // And as a bump's candidate: persisted and returned exactly.
    if (v < MAX_UINT64) {
      const id2 = fresh();
      await store.create(id2, info(v - 1n), status());
      expect((await store.bumpEpoch(id2, v)).value.epoch).toBe(v);
      expect((await store.get(id2)).info.value.epoch).toBe(v);
    }
  });

  it('a hand-corrupted info yields CorruptRecord from every reader and is left byte-for-byte as it was', async () => {
    const id = fresh();
    await store.create(id, info(3n), status());
    const key = store.keys(id).info;
    const bad = [
      '{not json',
      '{"epoch":12.5,"state":"normal"}', // TiCDC's JSON number is read, but only an exact uint64
      '{"epoch":18446744073709551616,"state":"normal"}', // 2^64 as a number
      '{"state":"normal"}', // no epoch: never read as 0
      '{"epoch":"-1","state":"normal"}',
      '{"epoch":"18446744073709551616","state":"normal"}', // 2^64
      '{"epoch":"1e3","state":"normal"}',
      '{"epoch":"3","state":"zombie"}',
      '',
    ];
    for (const text of bad) {
      await h.corrupt(store, key, text);
      expect(await h.raw(store, key)).toBe(text);
      await expect(store.get(id)).rejects.toBeInstanceOf(CorruptRecordError);
      await expect(store.bumpEpoch(id, 10n)).rejects.toMatchObject({ code: 'CORRUPT_RECORD', key, changefeedId: id });
      await expect(store.resume(id, 10n, 5n)).rejects.toMatchObject({ code: 'CORRUPT_RECORD', key });
      await expect(store.pause(id)).rejects.toMatchObject({ code: 'CORRUPT_RECORD', key });
      expect(await h.raw(store, key)).toBe(text);
    }
  });

  it('a hand-corrupted status yields CorruptRecord where it is read, and is left as it was', async () => {
    const id = fresh();
    await store.create(id, info(3n), status());
    const key = store.keys(id).status;
    for (const text of ['{"checkpoint-ts":"5","progress":9}', '{"checkpoint-ts":-5,"progress":1}', '[]']) {
      await h.corrupt(store, key, text);
      await expect(store.get(id)).rejects.toMatchObject({ code: 'CORRUPT_RECORD', key });
      await expect(store.setProgress(id, 'Stopping')).rejects.toMatchObject({ code: 'CORRUPT_RECORD', key });
      await expect(store.resume(id, 10n, 5n)).rejects.toMatchObject({ code: 'CORRUPT_RECORD', key });
      expect(await h.raw(store, key)).toBe(text);
    }
    // A bump that does not write the status does not read it (§3.2 step 5), so it still works.
    expect((await store.bumpEpoch(id, 0n)).value.epoch).toBe(4n);
  });

  it('setProgress is a CAS on the status and a no-op when already there', async () => {
    const id = fresh();
    await store.create(id, info(1n), status(50n));
    await store.setProgress(id, 'Removing');
    const a = await store.get(id);
    expect(a.status?.value).toEqual({ checkpointTs: 50n, progress: 'Removing' });
    await store.setProgress(id, 'Removing');
    expect((await store.get(id)).status?.revision).toBe(a.status?.revision);
    await expect(store.setProgress(fresh(), 'None')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('update is unconditional: it writes whatever epoch it is given, even a lower one (§3.4, faithful)', async () => {
    const id = fresh();
    await store.create(id, info(10n), status());
    await store.update(id, info(4n, { state: 'failed' }), { checkpointTs: 7n, progress: 'Stopping' });
    const got = await store.get(id);
    expect(got.info.value).toMatchObject({ epoch: 4n, state: 'failed' });
    expect(got.status?.value).toEqual({ checkpointTs: 7n, progress: 'Stopping' });
  });

  it('pause sets state stopped and progress Stopping', async () => {
    const id = fresh();
    await store.create(id, info(2n), status(9n));
    await store.pause(id);
    const got = await store.get(id);
    expect(got.info.value).toMatchObject({ epoch: 2n, state: 'stopped' });
    expect(got.status?.value).toEqual({ checkpointTs: 9n, progress: 'Stopping' });
  });

  it('delete removes both keys at once', async () => {
    const id = fresh();
    await store.create(id, info(2n), status());
    await store.delete(id);
    await expect(store.get(id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await h.raw(store, store.keys(id).status)).toBeUndefined();
    await store.create(id, info(1n), status()); // both absent again
  });

  it('a value over the size limit (etcd: 1.5 MiB) is refused before any write, and the store keeps working', async () => {
    const id = fresh();
    const big = info(1n, { config: 'x'.repeat(1.6 * 1024 * 1024) });
    await expect(store.create(id, big, status())).rejects.toBeInstanceOf(ValueTooLargeError);
    await expect(store.get(id)).rejects.toBeInstanceOf(NotFoundError);
    await store.create(id, info(1n), status());
    const err = await store.update(id, big, status()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'VALUE_TOO_LARGE', key: store.keys(id).info, changefeedId: id, limit: 1.5 * 1024 * 1024 });
    expect((await store.get(id)).info.value).toEqual(info(1n));
    expect((await store.bumpEpoch(id, 0n)).value.epoch).toBe(2n);
  });

  it('bad changefeed ids are refused with a typed error before any I/O', async () => {
    for (const bad of ['../etc', '', 'a/b', 'x'.repeat(129)]) {
      await expect(store.get(bad)).rejects.toBeInstanceOf(InvalidChangefeedIdError);
      await expect(store.create(bad, info(1n), status())).rejects.toMatchObject({ code: 'INVALID_CHANGEFEED_ID' });
    }
  });

  it('a candidate that is not a uint64 is refused', async () => {
    const id = fresh();
    await store.create(id, info(1n), status());
    await expect(store.bumpEpoch(id, MAX_UINT64 + 1n)).rejects.toMatchObject({ code: 'EPOCH_RANGE' });
    await expect(store.bumpEpoch(id, -1n)).rejects.toMatchObject({ code: 'EPOCH_RANGE' });
    expect((await store.get(id)).info.value.epoch).toBe(1n);
  });
});

describe('failure injection (memory)', () => {
  it('unavailable reads and writes are typed; a write that applied and then failed says maybeApplied', async () => {
    const store = new MemoryEpochStore();
    await store.create('cf', info(1n), status());
    store.memory.inject('read', 'unavailable');
    await expect(store.get('cf')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', maybeApplied: false, changefeedId: 'cf' });
    store.memory.inject('write', 'unavailable');
    await expect(store.bumpEpoch('cf', 0n)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', maybeApplied: false });
    expect((await store.get('cf')).info.value.epoch).toBe(1n);
    store.memory.inject('write', 'maybe-applied');
    await expect(store.bumpEpoch('cf', 0n)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', maybeApplied: true });
    expect((await store.get('cf')).info.value.epoch).toBe(2n);
  });
});

describe('openEpochStore', () => {
  it('memory and lmdb:PATH open working stores; an LMDB path keeps its data across opens', async () => {
    const m = openEpochStore('memory');
    expect(m).toBeInstanceOf(MemoryEpochStore);
    await m.create('a', info(1n), status());
    expect((await m.bumpEpoch('a', 0n)).value.epoch).toBe(2n);
    const dir = mkdtempSync(join(tmpdir(), 'opcharts-spec-'));
    tmpDirs.push(dir);
    const l = openEpochStore(`lmdb:${dir}`);
    expect(l).toBeInstanceOf(LmdbEpochStore);
    await l.create('a', info(7n), status());
    await l.close();
    const again = openEpochStore(`lmdb:${dir}`);
    expect((await again.get('a')).info.value.epoch).toBe(7n);
    await again.close();
  });

  it.skipIf(!etcdAvailable)('etcd://HOST:PORT/prefix connects and lays the keys out under the prefix (§3.1)', async () => {
    etcd ??= await EtcdServer.start();
    const spec = `etcd://127.0.0.1:${etcd.clientPort}/my/prefix/`;
    const e = openEpochStore(spec);
    expect(e).toBeInstanceOf(EtcdEpochStore);
    expect(e.layout.prefix).toBe('/my/prefix');
    await e.create('spec-cf', info(3n), status());
    const raw = (e as EtcdEpochStore).etcd.client;
    expect(await raw.get('/my/prefix/default/default/changefeed/info/spec-cf').string()).toContain('"epoch":3,');
    expect(await raw.get('/my/prefix/default/default/changefeed/status/spec-cf').string()).toContain('"checkpoint-ts":100,');
    await e.close();
    const plain = openEpochStore(`etcd://127.0.0.1:${etcd.clientPort}`);
    expect(plain.keys('x').info).toBe('/tidb/cdc/default/default/changefeed/info/x');
    await plain.close();
  });

  it('refuses a malformed spec with a typed error', () => {
    for (const bad of ['', 'lmdb:', 'etcd://', 'etcd://host', 'etcd://host:port', 'redis://x:1', 'etcd://a:1;rm', 'memory:x']) {
      expect(() => openEpochStore(bad), bad).toThrow(StoreSpecError);
    }
    expect(() => openEpochStore('etcd://')).toThrow(/STORE_SPEC|bad epoch store/);
  });
});
