/**
 * Issue 9 hardening: persisted epochs never go backwards when revisions recur (item 1, invariant
 * I1, spec §3.2), LMDB survives a full map (item 3), etcd's whole-request size limit and error
 * classification (item 7). Each test failed on the code before its fix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CorruptRecordError,
  EtcdEpochStore,
  InvalidRecordError,
  LmdbEpochStore,
  MemoryEpochStore,
  StoreLocationError,
  StoreSpecError,
  StoreUnavailableError,
  openEpochStore,
  ValueTooLargeError,
  type ChangefeedInfo,
  type ChangefeedStatus,
} from '../../adapters/index.js';
import { OpchartsError } from '../../machines/errors.js';
import { REVISION_KEY } from '../../adapters/lmdb.js';
import { CACHE_MAX_KEYS, CACHE_MAX_VALUE_BYTES } from '../../adapters/store.js';
import { EtcdServer, etcdAvailable } from '../helpers/etcd.js';

const MAX = 2n ** 64n - 1n;
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
    const other = a.memory.raw(key)!.replace('"epoch":100,', '"epoch":1000,');
    expect(other).toContain('"epoch":1000,');
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
  const root = join(import.meta.dirname, '..', '..');
  const helper = join(import.meta.dirname, '..', 'helpers', 'lmdb-full-disk.ts');
  // A real full disk: a 4 MiB tmpfs in a user namespace (no root needed), half of it taken by a
  // filler file the helper deletes later. Where user namespaces are not allowed, the file-size
  // limit (ulimit -f) is the nearest thing, without the recovery phase.
  const tmpfsAllowed =
    spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'true'], { encoding: 'utf8' }).status === 0;
  const run = () => {
    if (tmpfsAllowed) {
      const script =
        'mkdir -p /tmp/opcharts-fulldisk && mount -t tmpfs -o size=4m tmpfs /tmp/opcharts-fulldisk && ' +
        'head -c 2000000 /dev/zero > /tmp/opcharts-fulldisk/filler && ' +
        'exec "$0" --import tsx "$1" /tmp/opcharts-fulldisk/s /tmp/opcharts-fulldisk/filler';
      return spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'bash', '-c', script, process.execPath, helper], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      });
    }
    // SIGXFSZ would end the process at the limit; ignored, the write fails with EFBIG instead.
    return spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f 2048; exec "$0" --import tsx "$1" "$2"`, process.execPath, helper, join(tmp(), 's')], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
  };
  it(`${tmpfsAllowed ? 'a full 4 MiB tmpfs' : 'a file-size limit (ulimit -f, 2 MiB)'}: each failed write is STORE_UNAVAILABLE not maybe-applied, the process survives every later write, no acknowledged epoch is lost${tmpfsAllowed ? ', and once space is freed the store writes again' : ''}`, () => {
    const r = run();
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const failures = lines.filter((l) => l.error !== undefined && l.op !== 'bump-after-free');
    expect(failures.length).toBeGreaterThan(0); // the disk was really full
    for (const f of failures) expect(f).toMatchObject({ error: 'STORE_UNAVAILABLE', maybeApplied: false });
    // Some write after the first failure was attempted (the process went on past it).
    const firstFailure = lines.findIndex((l) => l.error !== undefined);
    expect(lines.slice(firstFailure + 1).some((l) => l.op === 'update' || l.op === 'bump')).toBe(true);
    if (tmpfsAllowed) {
      const after = lines.filter((l) => l.op === 'bump-after-free');
      expect(after).toHaveLength(3);
      for (const a of after) expect(a.error).toBeUndefined();
    }
    const final = lines.at(-1)!;
    expect(final.op).toBe('final');
    expect(final.stored).toBe(final.acked);
  }, 90_000);

  it('a failed write transaction reopens the environment before the next call; the store still holds every acknowledged write', async () => {
    const dir = tmp();
    const s = LmdbEpochStore.open(dir, { policy: { casDelayMs: 1 } });
    await s.create('cf', info(1n), status);
    await s.bumpEpoch('cf', 5n);
    // Make LMDB itself fail inside the write transaction, as ENOSPC would.
    const kv = s.lmdb as unknown as { db: { putSync: (...a: unknown[]) => unknown } };
    const putSync = kv.db.putSync;
    kv.db.putSync = () => {
      throw Object.assign(new Error('MDB_MAP_FULL: Environment mapsize limit reached'), { code: -30792 });
    };
    const failed = await s.bumpEpoch('cf', 9n).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(StoreUnavailableError);
    expect((failed as StoreUnavailableError).maybeApplied).toBe(false);
    const before = (s.lmdb as unknown as { db: object }).db;
    const reopened = await s.get('cf'); // the next call runs on a reopened environment
    expect((s.lmdb as unknown as { db: object }).db).not.toBe(before);
    expect(reopened.info.value.epoch).toBe(5n);
    expect((await s.bumpEpoch('cf', 9n)).value.epoch).toBe(9n);
    expect(putSync).toBeTypeOf('function');
    await s.close();
  });
});

describe('LMDB values without the version header (issue 9 item 8)', () => {
  it.each([
    ['a short value', 'abc'],
    ['a JSON record', '{"changefeed-id":"cf","epoch":"7","state":"normal","error":null,"config":{}}'],
  ])('%s written without useVersions is CORRUPT_RECORD on read and on a bump, and is not rewritten', async (_name, text) => {
    const s = LmdbEpochStore.open(tmp(), { policy: { casDelayMs: 1 } });
    await s.create('cf', info(1n), status);
    s.lmdb.putUnversioned(s.keys('cf').info, text);
    await expect(s.get('cf')).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
    await expect(s.bumpEpoch('cf', 2n)).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
    await expect(s.get('cf')).rejects.toMatchObject({ code: 'CORRUPT_RECORD' }); // still the same bytes
    await s.close();
  });
});

describe.skipIf(!etcdAvailable)('etcd request size and error classification (issue 9 item 7)', () => {
  let etcd: EtcdServer;
  const stores: EtcdEpochStore[] = [];
  const connect = (maxValueBytes?: number, hosts = etcd.endpoint) => {
    const s = EtcdEpochStore.connect({
      hosts,
      callTimeoutMs: 3000,
      layout: { prefix: `/t${stores.length}` },
      policy: { casDelayMs: 1, ...(maxValueBytes ? { maxValueBytes } : {}) },
    });
    stores.push(s);
    return s;
  };
  beforeAll(async () => {
    etcd = await EtcdServer.start();
  }, 30_000);
  afterAll(async () => {
    for (const s of stores) await s.close();
    await etcd?.stop();
  });

  /** A config padding that brings the info's key + value to `bytes`. */
  const paddedInfo = (s: EtcdEpochStore, id: string, bytes: number): ChangefeedInfo => {
    const bare = Buffer.byteLength(s.keys(id).info) + Buffer.byteLength(JSON.stringify({ epoch: '1', state: 'normal', error: null, config: { pad: '' } }));
    return info(1n, { pad: 'p'.repeat(bytes - bare - 64) });
  };

  it('a write within 200 bytes of the 1.5 MiB limit is refused before sending (whole request counted), nothing written', async () => {
    const s = connect();
    const limit = s.policy.maxValueBytes;
    // Info value alone below the limit; with the status, compares and framing, over it.
    const big = paddedInfo(s, 'near', limit - 200);
    const e = await s.create('near', big, status).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ValueTooLargeError);
    expect((e as ValueTooLargeError).maybeApplied).toBe(false);
    await expect(s.get('near')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('etcd’s own “request is too large” is a ValueTooLargeError with maybeApplied false, not STORE_UNAVAILABLE', async () => {
    // The client's own limit raised above etcd's, so the request reaches etcd and etcd refuses it.
    const s = connect(8 * 1024 * 1024);
    const e = await s.create('huge', paddedInfo(s, 'huge', 1_700_000), status).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ValueTooLargeError);
    expect((e as ValueTooLargeError).maybeApplied).toBe(false);
    await expect(connect().get('huge')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a host name that does not resolve fails as STORE_UNAVAILABLE with maybeApplied false (the write never left)', async () => {
    const s = connect(undefined, 'no-such-host.invalid:2379');
    const e = await s.create('dns', info(1n), status).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StoreUnavailableError);
    expect((e as StoreUnavailableError).maybeApplied).toBe(false);
  }, 20_000);
});

describe('the revision cache is bounded (issue 9 item 2)', () => {
  it('writes to more changefeeds than the bound keep at most CACHE_MAX_KEYS entries; a get() sweep adds none; large values are not kept', async () => {
    const s = new MemoryEpochStore();
    const n = CACHE_MAX_KEYS / 2 + 50; // two keys per changefeed: over the bound
    for (let i = 0; i < n; i++) await s.create(`cf${i}`, info(1n), status);
    expect(s.cachedKeys).toBe(CACHE_MAX_KEYS);
    const other = new MemoryEpochStore(s.memory);
    for (let i = 0; i < n; i++) await other.get(`cf${i}`);
    expect(other.cachedKeys).toBe(0);
    await other.create('big', info(1n, { pad: 'x'.repeat(CACHE_MAX_VALUE_BYTES) }), status);
    expect(other.cachedKeys).toBe(1); // the status only
    // The bump still works from a cold start and caches what the next bump compares.
    expect((await other.bumpEpoch('cf0', 5n)).value.epoch).toBe(5n);
    expect(other.cachedKeys).toBe(2);
  });
});

describe('records are validated before they are written (issue 9 item 6)', () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const badInfos: Array<[string, unknown]> = [
    ['state bogus', { ...info(1n), state: 'bogus' }],
    ['error {code:1}', { ...info(1n), error: { code: 1, message: 'm' } }],
    ['bigint config', info(1n, { n: 1n })],
    ['circular config', info(1n, circular)],
    ['epoch as number', { ...info(1n), epoch: 5 }],
    ['negative epoch', info(-1n)],
  ];
  const badStatuses: Array<[string, unknown]> = [
    ['progress Bogus', { checkpointTs: 1n, progress: 'Bogus' }],
    ['missing progress', { checkpointTs: 1n }],
    ['progress toString', { checkpointTs: 1n, progress: 'toString' }],
    ['checkpoint as string', { checkpointTs: '1', progress: 'None' }],
  ];
  it.each(badInfos)('create/update with %s: InvalidRecordError, nothing written', async (_, bad) => {
    const s = new MemoryEpochStore();
    await s.create('ok', info(1n), status);
    const before = [s.memory.raw(s.keys('ok').info), s.memory.raw(s.keys('ok').status)];
    await expect(s.create('cf', bad as ChangefeedInfo, status)).rejects.toBeInstanceOf(InvalidRecordError);
    await expect(s.update('ok', bad as ChangefeedInfo, status)).rejects.toBeInstanceOf(InvalidRecordError);
    expect(s.memory.raw(s.keys('cf').info)).toBeUndefined();
    expect([s.memory.raw(s.keys('ok').info), s.memory.raw(s.keys('ok').status)]).toEqual(before);
  });
  it.each(badStatuses)('create/update/setProgress/bump with %s: InvalidRecordError, nothing written', async (_, bad) => {
    const s = new MemoryEpochStore();
    await s.create('ok', info(1n), status);
    const before = [s.memory.raw(s.keys('ok').info), s.memory.raw(s.keys('ok').status)];
    await expect(s.create('cf', info(1n), bad as ChangefeedStatus)).rejects.toBeInstanceOf(InvalidRecordError);
    await expect(s.update('ok', info(1n), bad as ChangefeedStatus)).rejects.toBeInstanceOf(InvalidRecordError);
    await expect(s.bumpEpoch('ok', 9n, { status: bad as ChangefeedStatus })).rejects.toBeInstanceOf(InvalidRecordError);
    const progress = (bad as { progress?: unknown }).progress;
    if (progress !== 'None') await expect(s.setProgress('ok', progress as 'None')).rejects.toBeInstanceOf(InvalidRecordError);
    expect(s.memory.raw(s.keys('cf').info)).toBeUndefined();
    expect([s.memory.raw(s.keys('ok').info), s.memory.raw(s.keys('ok').status)]).toEqual(before);
  });
  it('bumpEpoch with state "bogus" or error {code:1}: InvalidRecordError, epoch unchanged', async () => {
    const s = new MemoryEpochStore();
    await s.create('ok', info(1n), status);
    await expect(s.bumpEpoch('ok', 9n, { state: 'bogus' as 'normal' })).rejects.toBeInstanceOf(InvalidRecordError);
    await expect(s.bumpEpoch('ok', 9n, { error: { code: 1 } as never })).rejects.toBeInstanceOf(InvalidRecordError);
    expect((await s.get('ok')).info.value.epoch).toBe(1n);
  });
});

describe('store specs and locations (issue 9 items 4, 8)', () => {
  it.each([
    'etcd://h:99999',
    'etcd://h:0',
    'etcd://a:1/../x',
    'etcd://a:1/p/./q',
    'etcd://a:1/p\u0000x',
    'etcd://a:1,',
    'etcd://-bad-:1',
    'etcd://a:1//x',
    'lmdb: ',
    'lmdb:',
    'lmdb:a\u0000b',
    'lmdb: x',
    'bogus',
    '',
  ])('%j is a StoreSpecError', (spec) => {
    expect(() => openEpochStore(spec)).toThrow(StoreSpecError);
  });
  it.each([[null], [42], [{}], [['memory']]])('a non-string spec (%j) is a StoreSpecError', (spec) => {
    expect(() => openEpochStore(spec as unknown as string)).toThrow(StoreSpecError);
  });
  it('etcd://h:65535/a/b is accepted with prefix /a/b (nothing contacted until used)', async () => {
    const s = openEpochStore('etcd://h:65535/a/b');
    expect(s.layout.prefix).toBe('/a/b');
    await s.close();
  });

  it.each(['/proc/x/y', '/dev/null', '/sys/x'])('lmdb:%s fails at once with StoreLocationError', (path) => {
    expect(() => openEpochStore(`lmdb:${path}`)).toThrow(StoreLocationError);
  });
  it('a path under a regular file (ENOTDIR) and a truncated data.mdb are StoreLocationError', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'file'), 'x');
    expect(() => openEpochStore(`lmdb:${join(dir, 'file', 'sub')}`)).toThrow(StoreLocationError);
    expect(() => openEpochStore(`lmdb:${join(dir, 'file')}`)).toThrow(StoreLocationError);
    const store = join(dir, 'store');
    const s = openEpochStore(`lmdb:${store}`);
    await s.create('cf', info(1n), status);
    await s.close();
    truncateSync(join(store, 'data.mdb'), 100);
    let caught: unknown;
    try {
      const again = openEpochStore(`lmdb:${store}`);
      await again.get('cf').finally(() => again.close());
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(OpchartsError);
  });
});

describe('§3.1 TiCDC’s own record encoding is read exactly (issue 9 item 9)', () => {
  // The shape TiCDC's ChangeFeedInfo / ChangeFeedStatus marshal to (Go encoding/json: uint64 as numbers).
  const ticdcInfo = (epoch: string, state: string) =>
    `{"upstream-id":7,"namespace":"default","changefeed-id":"cf","sink-uri":"blackhole://","create-time":"2026-11-23T00:00:00Z",` +
    `"start-ts":449000000000000000,"target-ts":0,"admin-job-type":0,"sort-engine":"unified","sort-dir":"",` +
    `"config":{"epoch":12345678901234567890,"nested":{"epoch":1}},"state":"${state}","error":null,` +
    `"warning":null,"creator-version":"v9.0.0","epoch":${epoch},"keyspace-id":0}`;
  it.each([
    ['18446744073709551615', 'normal'],
    ['9007199254740993', 'pending'], // 2^53+1: a float would round it
    ['0', 'warning'],
  ])('epoch %s (a JSON number), state %s', async (epoch, state) => {
    const s = new MemoryEpochStore();
    s.memory.setRaw(s.keys('cf').info, ticdcInfo(epoch, state));
    s.memory.setRaw(s.keys('cf').status, '{"checkpoint-ts":449000000000000001,"progress":1,"min-table-barrier-ts":0,"admin-job-type":0}');
    const rec = await s.get('cf');
    expect(rec.info.value.epoch).toBe(BigInt(epoch));
    expect(rec.info.value.state).toBe(state);
    expect(rec.status!.value).toEqual({ checkpointTs: 449000000000000001n, progress: 'None' });
    // The config keeps TiCDC's own fields; a nested "epoch" is not the changefeed epoch.
    expect((rec.info.value.config as { nested: { epoch: number } }).nested.epoch).toBe(1);
  });
  const ticdcStatus = '{"checkpoint-ts":449000000000000001,"min-table-barrier-ts":449000000000000002,"progress":1,"admin-job-type":0}';
  it('an opcharts bump, resume, pause and progress over a TiCDC record change only their own fields: every other byte (start-ts past 2^53, the replica config) is kept', async () => {
    const s = new MemoryEpochStore(undefined, { policy: { casDelayMs: 1 } });
    const k = s.keys('cf');
    const original = ticdcInfo('9007199254740993', 'normal');
    s.memory.setRaw(k.info, original);
    s.memory.setRaw(k.status, ticdcStatus);
    await s.bumpEpoch('cf', 5n);
    expect(s.memory.raw(k.info)).toBe(original.replace('"epoch":9007199254740993,', '"epoch":9007199254740994,'));
    await s.bumpEpoch('cf', 7n, { state: 'warning', error: { code: 'CDC:ErrX', message: 'boom' } });
    expect(s.memory.raw(k.info)).toBe(
      original
        .replace('"state":"normal"', '"state":"warning"')
        .replace('"error":null', '"error":{"code":"CDC:ErrX","message":"boom"}')
        .replace('"epoch":9007199254740993,', '"epoch":9007199254740995,'),
    );
    await s.resume('cf', 1n, 449000000000000009n);
    expect(s.memory.raw(k.info)).toBe(original.replace('"epoch":9007199254740993,', '"epoch":9007199254740996,'));
    expect(s.memory.raw(k.status)).toBe(ticdcStatus.replace('449000000000000001', '449000000000000009'));
    await s.setProgress('cf', 'Removing');
    expect(s.memory.raw(k.status)).toBe(ticdcStatus.replace('449000000000000001', '449000000000000009').replace('"progress":1', '"progress":2'));
    await s.pause('cf');
    expect(s.memory.raw(k.info)).toBe(original.replace('"epoch":9007199254740993,', '"epoch":9007199254740996,').replace('"state":"normal"', '"state":"stopped"'));
    expect(s.memory.raw(k.status)).toBe(ticdcStatus.replace('449000000000000001', '449000000000000009').replace('"progress":1', '"progress":3'));
  });
  it('a record opcharts creates has TiCDC’s types: epoch and checkpoint-ts as exact JSON numbers, progress as its number, state a FeedState, error null or {code, message}', async () => {
    const s = new MemoryEpochStore();
    await s.create('cf', { epoch: MAX, state: 'normal', error: null, config: {} }, { checkpointTs: MAX - 1n, progress: 'Stopping' });
    const infoText = s.memory.raw(s.keys('cf').info)!;
    const statusText = s.memory.raw(s.keys('cf').status)!;
    // What Go's encoding/json needs for a uint64 field: a number literal, its digits exact.
    expect(infoText).toMatch(/"epoch":18446744073709551615[,}]/);
    expect(statusText).toMatch(/"checkpoint-ts":18446744073709551614[,}]/);
    expect(JSON.parse(statusText)).toMatchObject({ progress: 3 });
    expect(JSON.parse(infoText)).toMatchObject({ state: 'normal', error: null });
    expect(typeof JSON.parse(infoText).epoch).toBe('number');
    // And records written by earlier opcharts versions (digits in a string) are still read.
    s.memory.setRaw(s.keys('cf').info, '{"epoch":"42","state":"normal","error":null,"config":{}}');
    expect((await s.get('cf')).info.value.epoch).toBe(42n);
  });
  it('a TiCDC epoch 2^64 or fractional is still CORRUPT_RECORD', async () => {
    const s = new MemoryEpochStore();
    for (const epoch of ['18446744073709551616', '1.5', '-1', '1e3']) {
      s.memory.setRaw(s.keys('cf').info, ticdcInfo(epoch, 'normal'));
      await expect(s.get('cf')).rejects.toBeInstanceOf(CorruptRecordError);
    }
  });
});
