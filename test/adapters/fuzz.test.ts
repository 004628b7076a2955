/**
 * Seeded, bounded fuzzing of the epoch stores (issue 9, "Done when"): store specs, changefeed ids
 * and records on every adapter (memory, LMDB, a real etcd as test/helpers/etcd.ts starts it).
 * Each property checks: every rejection is a typed OpchartsError (never an untyped error or a
 * crash), no invalid value is accepted (whatever is accepted reads back equal), and the store is
 * unchanged on every rejection. Fixed seeds and run counts keep it to a few seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EtcdEpochStore,
  LmdbEpochStore,
  MemoryEpochStore,
  StoreSpecError,
  openEpochStore,
  type ChangefeedInfo,
  type ChangefeedStatus,
  type KvEpochStore,
} from '../../adapters/index.js';
import { OpchartsError } from '../../machines/errors.js';
import { EtcdServer, etcdAvailable } from '../helpers/etcd.js';

const SEED = 0x5eed_0009;
const MAX_UINT64 = (1n << 64n) - 1n;

/** Values near and past the edges of every field. */
const anyValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }),
  fc.constantFrom(0n, MAX_UINT64, MAX_UINT64 + 1n, -1n),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('normal', 'pending', 'bogus', 'None', 'Stopping', 'Bogus', 'toString', '__proto__', ''),
  fc.object({ maxDepth: 1, maxKeys: 3 }),
);
const validId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,20}$/);
const anyId = fc.oneof(validId, fc.string({ maxLength: 140 }), fc.constantFrom('', '../x', 'a/b', 'a\u0000b', 'x'.repeat(129), 'toString'));
const anyInfo = fc.oneof(
  fc.record({
    epoch: fc.oneof(fc.bigInt({ min: 0n, max: MAX_UINT64 }), anyValue),
    state: fc.oneof(fc.constantFrom('normal', 'pending', 'stopped', 'failed'), anyValue),
    error: fc.oneof(fc.constant(null), fc.record({ code: fc.string({ maxLength: 8 }), message: fc.string({ maxLength: 8 }) }), anyValue),
    config: fc.oneof(fc.jsonValue({ maxDepth: 2 }), anyValue),
  }),
  anyValue,
);
const anyStatus = fc.oneof(
  fc.record({
    checkpointTs: fc.oneof(fc.bigInt({ min: 0n, max: MAX_UINT64 }), anyValue),
    progress: fc.oneof(fc.constantFrom('None', 'Removing', 'Stopping'), anyValue),
  }),
  anyValue,
);

const typed = (e: unknown) => {
  expect(e, String(e)).toBeInstanceOf(OpchartsError);
};

describe('fuzz: store specs', () => {
  it('every spec either opens a store or is a StoreSpecError / typed error; nothing else', async () => {
    const spec = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.string({ maxLength: 30 }).map((s) => `etcd://${s}`),
      fc.tuple(fc.string({ maxLength: 10 }), fc.integer({ min: -5, max: 70000 }), fc.string({ maxLength: 10 })).map(([h, p, x]) => `etcd://${h}:${p}${x}`),
      fc.constantFrom('etcd://h:99999', 'etcd://h:0', 'etcd://a:1/../x', 'etcd://a:1/p\u0000', 'lmdb: ', 'lmdb:', 'lmdb:\u0000', 'lmdb:/proc/x/y', 'lmdb:/dev/null'),
      anyValue,
    );
    await fc.assert(
      fc.asyncProperty(spec, async (s) => {
        // Random lmdb: paths would create directories wherever they point: only the refused ones run.
        // undefined is the documented default (lmdb:.opcharts/store in the working directory).
        if (s === undefined) return;
        if (typeof s === 'string' && s.startsWith('lmdb:') && !/^lmdb:(\s*$|.*\u0000|\/(proc|dev|sys)\/)/.test(s)) return;
        let store: KvEpochStore | undefined;
        try {
          store = openEpochStore(s as string);
        } catch (e) {
          typed(e);
          if (typeof s !== 'string' || !s.startsWith('lmdb:')) expect(e).toBeInstanceOf(StoreSpecError);
          return;
        }
        expect(typeof s === 'string' && (s === 'memory' || s.startsWith('etcd://'))).toBe(true);
        await store.close();
      }),
      { seed: SEED, numRuns: 400 },
    );
  });
});

interface Adapter {
  name: string;
  available: boolean;
  runs: number;
  open(): Promise<KvEpochStore>;
  close(): Promise<void>;
}
const dirs: string[] = [];
let etcd: EtcdServer | undefined;
const adapters: Adapter[] = [
  { name: 'memory', available: true, runs: 300, open: async () => new MemoryEpochStore(undefined, { policy: { casDelayMs: 1 } }), close: async () => {} },
  {
    name: 'lmdb',
    available: true,
    runs: 150,
    open: async () => {
      const d = mkdtempSync(join(tmpdir(), 'opcharts-fuzz-'));
      dirs.push(d);
      return LmdbEpochStore.open(d, { policy: { casDelayMs: 1 } });
    },
    close: async () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })),
  },
  {
    name: 'etcd',
    available: etcdAvailable,
    runs: 60,
    open: async () => {
      etcd ??= await EtcdServer.start();
      return EtcdEpochStore.connect({ hosts: etcd.endpoint, layout: { prefix: `/fuzz${Math.random().toString(36).slice(2)}` }, policy: { casDelayMs: 1 } });
    },
    close: async () => {
      await etcd?.stop();
    },
  },
];

for (const a of adapters) {
  describe.skipIf(!a.available)(`fuzz: ids and records on ${a.name}`, () => {
    let store: KvEpochStore;
    const base: ChangefeedInfo = { epoch: 5n, state: 'normal', error: null, config: { sink: 'x' } };
    const baseStatus: ChangefeedStatus = { checkpointTs: 7n, progress: 'None' };
    let n = 0;
    beforeAll(async () => {
      store = await a.open();
      await store.create('base', base, baseStatus);
    }, 30_000);
    afterAll(async () => {
      await store?.close();
      await a.close();
    });
    const snapshot = async () => store.get('base');

    it('create / update / bumpEpoch / setProgress with fuzzed ids and records: typed rejections, store unchanged, accepted values read back', async () => {
      await fc.assert(
        fc.asyncProperty(anyId, anyInfo, anyStatus, fc.constantFrom('create', 'update', 'bump', 'progress'), async (rawId, info, status, op) => {
          // A valid id gets a unique suffix so runs do not collide; fuzzed ids go as they are.
          const id = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,20}$/.test(rawId) ? `${rawId}-${n++}` : rawId;
          const before = await snapshot();
          const existed = await store.get(id).then(
            () => true,
            () => false,
          );
          try {
            if (op === 'create') await store.create(id, info as ChangefeedInfo, status as ChangefeedStatus);
            else if (op === 'update') await store.update(id, info as ChangefeedInfo, status as ChangefeedStatus);
            else if (op === 'bump') await store.bumpEpoch('base', 1n, { state: (info as ChangefeedInfo)?.state, status: status as ChangefeedStatus });
            else await store.setProgress('base', (status as ChangefeedStatus)?.progress);
          } catch (e) {
            typed(e);
            expect(await snapshot()).toEqual(before);
            if (op !== 'bump' && op !== 'progress' && !existed) {
              await store.get(id).then(
                () => expect.fail(`rejected ${op} of ${JSON.stringify(id)} left a record`),
                (g) => typed(g),
              );
            }
            return;
          }
          // Accepted: it reads back as written (no invalid value got in).
          if (op === 'create' || op === 'update') {
            const rec = await store.get(id);
            const i = info as ChangefeedInfo;
            expect(rec.info.value.epoch).toBe(i.epoch);
            expect(rec.info.value.state).toBe(i.state);
            expect(rec.info.value.config).toEqual(JSON.parse(JSON.stringify(i.config ?? null)));
            expect(rec.status!.value).toEqual({ checkpointTs: (status as ChangefeedStatus).checkpointTs, progress: (status as ChangefeedStatus).progress });
            await store.delete(id);
          } else {
            await snapshot(); // still readable: nothing corrupt was written
            await store.update('base', base, baseStatus);
          }
        }),
        { seed: SEED, numRuns: a.runs },
      );
    }, 60_000);
  });
}

describe('fuzz: stored bytes (corrupt records, TiCDC-shaped records, LMDB headers)', () => {
  /** Record-like texts: TiCDC's and opcharts' shapes with fuzzed fields, and arbitrary text. */
  const storedText = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc
      .record({
        epoch: fc.oneof(fc.bigInt({ min: 0n, max: MAX_UINT64 + 2n }).map(String), fc.constantFrom('"7"', '-1', '1.5', '1e3', 'null', '"x"')),
        state: fc.oneof(fc.constantFrom('normal', 'pending', 'warning', 'bogus', ''), fc.string({ maxLength: 6 })),
        extra: fc.constantFrom('', '"start-ts":449000000000000000,', '"config":{"epoch":12345678901234567890},', '"epoch":1,'),
      })
      .map(({ epoch, state, extra }) => `{${extra}"epoch":${epoch},"state":${JSON.stringify(state)},"error":null}`),
  );
  it('memory and LMDB: any stored text reads as a record or CORRUPT_RECORD; a bump over it writes a readable record or changes nothing', async () => {
    const d = mkdtempSync(join(tmpdir(), 'opcharts-fuzz-raw-'));
    dirs.push(d);
    const lmdb = LmdbEpochStore.open(d, { policy: { casDelayMs: 1 } });
    const memory = new MemoryEpochStore(undefined, { policy: { casDelayMs: 1 } });
    const status: ChangefeedStatus = { checkpointTs: 1n, progress: 'None' };
    let n = 0;
    await fc.assert(
      fc.asyncProperty(storedText, fc.boolean(), fc.uint8Array({ maxLength: 12 }), async (text, header, junk) => {
        for (const store of [memory, lmdb] as KvEpochStore[]) {
          const id = `raw-${n++}`;
          await store.create(id, { epoch: 1n, state: 'normal', error: null, config: {} }, status);
          const key = store.keys(id).info;
          if (store === lmdb && !header) lmdb.lmdb.putUnversioned(key, Buffer.from([...junk, ...Buffer.from(text)]).toString('latin1'));
          else if (store === lmdb) lmdb.lmdb.setRaw(key, text);
          else memory.memory.setRaw(key, text);
          const rawOf = () => (store === lmdb ? lmdb.lmdb.raw(key) : memory.memory.raw(key));
          let before: string | undefined;
          try {
            before = rawOf();
          } catch (e) {
            typed(e); // an LMDB value without a header cannot even be shown
          }
          const read = await store.get(id).then(
            (r) => r,
            (e: unknown) => {
              typed(e);
              expect((e as OpchartsError).code).toBe('CORRUPT_RECORD');
              return undefined;
            },
          );
          try {
            const bumped = await store.bumpEpoch(id, 0n);
            expect(read).toBeDefined();
            expect(bumped.value.epoch).toBe(read!.info.value.epoch + 1n);
            expect((await store.get(id)).info.value.epoch).toBe(bumped.value.epoch);
          } catch (e) {
            typed(e);
            if (before !== undefined) expect(rawOf()).toBe(before); // nothing rewritten
          }
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
    await lmdb.close();
  }, 60_000);
});
