/**
 * The cluster model's store (cluster/store.ts, spec §3) against the real adapter: the same random
 * operation sequences on `KvEpochStore` over the memory KV and on `applyStoreOp` leave the same
 * persisted record and fail with the same codes. Plus the §3 rules checked directly.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryEpochStore } from '../../adapters/memory.js';
import { MAX_UINT64 } from '../../machines/epoch.js';
import { applyStoreOp, keysCompared, keysWritten, type StoreOp, type StoredChangefeed } from '../../cluster/store.js';
import type { EpochStore } from '../../adapters/types.js';

const epochArb = fc.oneof(fc.constantFrom(0n, 1n, 2n, 5n, MAX_UINT64 - 1n, MAX_UINT64), fc.bigInt({ min: 0n, max: 20n }));
const progressArb = fc.constantFrom('None', 'Removing', 'Stopping') as fc.Arbitrary<'None' | 'Removing' | 'Stopping'>;
const stateArb = fc.constantFrom('normal', 'warning', 'stopped', 'failed', 'finished', 'removed') as fc.Arbitrary<StoredChangefeed['state']>;
const recordArb: fc.Arbitrary<StoredChangefeed> = fc.record({ epoch: epochArb, state: stateArb, error: fc.boolean(), checkpointTs: epochArb, progress: progressArb });

const opArb: fc.Arbitrary<StoreOp> = fc.oneof(
  fc.record({ op: fc.constant('create' as const), epoch: epochArb, checkpointTs: epochArb }),
  fc.record(
    { op: fc.constant('bump' as const), candidate: epochArb, state: stateArb, error: fc.boolean(), status: fc.record({ checkpointTs: epochArb, progress: progressArb }) },
    { requiredKeys: ['op', 'candidate'] },
  ),
  fc.record({ op: fc.constant('resume' as const), candidate: epochArb, checkpointTs: epochArb }),
  fc.record({ op: fc.constant('setProgress' as const), progress: progressArb }),
  fc.record({ op: fc.constant('update' as const), value: recordArb }),
  fc.constant({ op: 'pause' as const }),
  fc.constant({ op: 'delete' as const }),
);

const ERR = { code: 'E1', message: 'running error' };

async function onAdapter(store: EpochStore, op: StoreOp): Promise<string | null> {
  try {
    switch (op.op) {
      case 'create':
        await store.create('cf', { epoch: op.epoch, state: 'normal', error: null, config: {} }, { checkpointTs: op.checkpointTs, progress: 'None' });
        break;
      case 'bump':
        await store.bumpEpoch('cf', op.candidate, {
          ...(op.state !== undefined ? { state: op.state } : {}),
          ...(op.error !== undefined ? { error: op.error ? ERR : null } : {}),
          ...(op.status ? { status: op.status } : {}),
        });
        break;
      case 'resume':
        await store.resume('cf', op.candidate, op.checkpointTs);
        break;
      case 'setProgress':
        await store.setProgress('cf', op.progress);
        break;
      case 'update':
        await store.update(
          'cf',
          { epoch: op.value.epoch, state: op.value.state, error: op.value.error ? ERR : null, config: {} },
          { checkpointTs: op.value.checkpointTs, progress: op.value.progress },
        );
        break;
      case 'pause':
        await store.pause('cf');
        break;
      case 'delete':
        await store.delete('cf');
        break;
      case 'updateCheckpoint':
        throw new Error('not an adapter operation');
    }
    return null;
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

async function adapterRecord(store: EpochStore): Promise<StoredChangefeed | undefined> {
  try {
    const r = await store.get('cf');
    if (!r.status) return undefined;
    const i = r.info.value;
    return { epoch: i.epoch, state: i.state, error: i.error !== null, checkpointTs: r.status.value.checkpointTs, progress: r.status.value.progress };
  } catch (e) {
    if ((e as { code?: string }).code === 'NOT_FOUND') return undefined;
    throw e;
  }
}

describe('cluster store model (§3) = the real adapter', () => {
  it('random operation sequences leave the same record and fail with the same codes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 12 }), async (ops) => {
        const store = new MemoryEpochStore();
        let model: StoredChangefeed | undefined;
        for (const op of ops) {
          const code = await onAdapter(store, op);
          const r = applyStoreOp(model, op);
          expect(r.ok ? null : r.failure).toBe(code);
          model = r.record;
          expect(await adapterRecord(store)).toEqual(model);
        }
      }),
      { seed: 20261123, numRuns: 300 },
    );
  });
});

describe('cluster store model: §3 rules', () => {
  const base: StoredChangefeed = { epoch: 5n, state: 'normal', error: false, checkpointTs: 10n, progress: 'None' };

  it('a bump persists max(candidate, stored + 1); at 2^64−1 it fails and changes nothing (§3.2)', () => {
    expect(applyStoreOp(base, { op: 'bump', candidate: 3n }).record?.epoch).toBe(6n);
    expect(applyStoreOp(base, { op: 'bump', candidate: 9n }).record?.epoch).toBe(9n);
    const top = { ...base, epoch: MAX_UINT64 };
    expect(applyStoreOp(top, { op: 'bump', candidate: 1n })).toEqual({ ok: false, failure: 'EPOCH_OVERFLOW', record: top });
  });

  it('an unconditional update puts the epoch its caller holds, even an older one (§3.4)', () => {
    expect(applyStoreOp(base, { op: 'update', value: { ...base, epoch: 2n } }).record?.epoch).toBe(2n);
  });

  it('resume sets normal, clears the error, sets the checkpoint and resets the progress in one write (§3.3)', () => {
    const r = applyStoreOp({ ...base, state: 'failed', error: true, progress: 'Stopping' }, { op: 'resume', candidate: 0n, checkpointTs: 42n });
    expect(r.record).toEqual({ epoch: 6n, state: 'normal', error: false, checkpointTs: 42n, progress: 'None' });
  });
});

/** The revisions of the two keys on the adapter (undefined where a key is absent). */
async function revisions(store: MemoryEpochStore): Promise<{ info?: bigint; status?: bigint }> {
  try {
    const r = await store.get('cf');
    return { info: r.info.revision, ...(r.status ? { status: r.status.revision } : {}) };
  } catch (e) {
    if ((e as { code?: string }).code === 'NOT_FOUND') return {};
    throw e;
  }
}

describe('cluster store model: per-key revisions (§3.2 ModRevision) = the real adapter', () => {
  it('a successful writer changes the revisions of exactly the keys keysWritten names; a failed one of none', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 12 }), async (ops) => {
        const store = new MemoryEpochStore();
        let model: StoredChangefeed | undefined;
        for (const op of ops) {
          const before = await revisions(store);
          await onAdapter(store, op);
          const after = await revisions(store);
          const r = applyStoreOp(model, op);
          const expected = r.ok ? keysWritten(op, model, r.record) : { info: false, status: false };
          expect({ info: before.info !== after.info, status: before.status !== after.status }).toEqual(expected);
          model = r.record;
        }
      }),
      { seed: 20261123, numRuns: 300 },
    );
  });

  const seeded = async () => {
    const store = new MemoryEpochStore(undefined, { policy: { casAttempts: 1, casDelayMs: 0 } });
    await store.create('cf', { epoch: 5n, state: 'normal', error: null, config: {} }, { checkpointTs: 10n, progress: 'None' });
    return store;
  };
  const writers: Array<{ name: string; op: StoreOp }> = [
    { name: 'an epoch-only bump', op: { op: 'bump', candidate: 0n } },
    { name: 'a bump with a status update', op: { op: 'bump', candidate: 0n, status: { checkpointTs: 11n, progress: 'None' } } },
    { name: 'a resume', op: { op: 'resume', candidate: 0n, checkpointTs: 11n } },
  ];
  for (const { name, op } of writers) {
    for (const key of ['info', 'status'] as const) {
      it(`${name} conflicts with a write of the ${key} key between its read and its txn exactly when keysCompared names it (§3.2 step 5)`, async () => {
        const store = await seeded();
        const k = store.keys('cf')[key];
        let interleaved = 0;
        // A concurrent writer puts the key again (same value, new revision) just before each of the
        // bump's txns (the adapter's first txn may start from its cache; a lost compare there is free).
        store.memory.beforeCommit = () => {
          interleaved++;
          store.memory.setRaw(k, store.memory.raw(k)!);
        };
        const code = await onAdapter(store, op);
        expect(interleaved).toBeGreaterThan(0);
        expect(code === 'CAS_EXHAUSTED').toBe(keysCompared(op)![key]);
      });
    }
  }

  it('only bumps and resumes compare revisions; the unconditional writers and the checkpoint writer do not (§3.4)', () => {
    expect(keysCompared({ op: 'updateCheckpoint', checkpointTs: 3n })).toBeUndefined();
    expect(keysCompared({ op: 'pause' })).toBeUndefined();
    expect(keysWritten({ op: 'updateCheckpoint', checkpointTs: 3n }, undefined, undefined)).toEqual({ info: false, status: true });
  });
});
