/**
 * Admission with an asynchronous epoch bump (spec §2.4 table), run through the host driver against
 * the memory store, and the epoch clock (§3.5).
 * Machines: admissionMachine. Specs: §2.4, §3.2, §3.5; invariants I2, I4, I7; §5.1 B2, B3.
 */
import { describe, expect, it } from 'vitest';
import { MemoryEpochStore } from '../../adapters/index.js';
import { admitOperator, EpochClock, runStoreIntent, type OperatorControllerView } from '../../services/index.js';
import { MAX_UINT64 } from '../../machines/epoch.js';

/** A host operator controller: an operator map, the bumping set, and the in-memory changefeeds. */
class Controller implements OperatorControllerView {
  operators = new Map<string, string>();
  bumping = new Set<string>();
  changefeeds = new Map<string, { epoch: bigint }>();
  log: string[] = [];
  hasOperator = (id: string) => this.operators.has(id);
  isBumping = (id: string) => this.bumping.has(id);
  lookup = (id: string) => this.changefeeds.get(id);
  reserveBumping = (id: string) => void this.bumping.add(id);
  releaseBumping = (id: string) => void this.bumping.delete(id);
  setInfo = (id: string, epoch: bigint) => {
    this.changefeeds.get(id)!.epoch = epoch;
    this.log.push(`setInfo ${epoch}`);
  };
  pushOperator = (id: string, kind: string) => {
    this.operators.set(id, kind);
    this.log.push(`push ${kind} with epoch ${this.changefeeds.get(id)!.epoch}`);
  };
}

async function setupCase(epoch = 5n) {
  const store = new MemoryEpochStore();
  await store.create('cf', { epoch, state: 'normal', error: null, config: {} }, { checkpointTs: 1n, progress: 'None' });
  const c = new Controller();
  c.changefeeds.set('cf', { epoch });
  let t = 0n;
  const clock = new EpochClock({ nowNanos: () => (t += 1n) });
  return { store, c, clock };
}

describe('§2.4 AddOperator with an epoch bump', () => {
  it('accepted: bump persisted, in-memory info set, then the operator pushed with the new epoch (I4)', async () => {
    const { store, c, clock } = await setupCase(5n);
    const r = await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'move' });
    expect(r).toEqual({ accepted: true, epoch: 6n });
    expect((await store.get('cf')).info.value.epoch).toBe(6n);
    expect(c.log).toEqual(['setInfo 6', 'push move with epoch 6']);
    expect(c.bumping.size).toBe(0);
  });

  it('rejected at precheck when the changefeed already has an operator; nothing bumped', async () => {
    const { store, c, clock } = await setupCase();
    c.operators.set('cf', 'stop');
    expect(await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add' })).toMatchObject({ accepted: false, reason: 'operator-exists' });
    expect((await store.get('cf')).info.value.epoch).toBe(5n);
  });

  it('rejected at precheck while another bump for the changefeed is in flight (§5.1 B2)', async () => {
    const { store, c, clock } = await setupCase();
    c.bumping.add('cf');
    expect(await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add' })).toMatchObject({ accepted: false, reason: 'bump-in-flight' });
  });

  it('two concurrent admissions for one changefeed: exactly one is admitted, one bump persisted', async () => {
    const { store, c, clock } = await setupCase();
    const [a, b] = await Promise.all([
      admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add' }),
      admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'move' }),
    ]);
    expect([a.accepted, b.accepted].filter(Boolean)).toHaveLength(1);
    expect((await store.get('cf')).info.value.epoch).toBe(6n);
  });

  it('rejected at precheck when the changefeed is not in the DB', async () => {
    const { store, c, clock } = await setupCase();
    c.changefeeds.clear();
    expect(await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add' })).toMatchObject({ accepted: false, reason: 'changefeed-missing' });
  });

  it('without PD or a backend there is no bump: pushed with the in-memory epoch', async () => {
    const { store, c, clock } = await setupCase(5n);
    expect(await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add', needsBump: false })).toEqual({ accepted: true, epoch: null });
    expect(c.log).toEqual(['push add with epoch 5']);
    expect((await store.get('cf')).info.value.epoch).toBe(5n);
  });

  it('a failed bump rejects, releases the reservation, and leaves the persisted epoch unchanged', async () => {
    const { store, c, clock } = await setupCase();
    store.memory.inject('write', 'unavailable');
    expect(await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add' })).toEqual({
      accepted: false,
      reason: 'bump-failed',
      bumpError: 'STORE_UNAVAILABLE',
    });
    expect(c.bumping.size).toBe(0);
    expect((await store.get('cf')).info.value.epoch).toBe(5n);
  });

  it('a stop wins while the bump is in flight → rejected, persisted epoch already bumped, in-memory not updated', async () => {
    const { store, c, clock } = await setupCase(5n);
    store.memory.beforeCommit = () => {
      // StopChangefeed does not look at epochBumping: it pushes its operator during the bump.
      c.operators.set('cf', 'stop');
      store.memory.beforeCommit = undefined;
    };
    const r = await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add' });
    expect(r).toMatchObject({ accepted: false, reason: 'operator-took-slot-during-bump' });
    expect((await store.get('cf')).info.value.epoch).toBe(6n);
    expect(c.changefeeds.get('cf')!.epoch).toBe(5n);
    expect(c.operators.get('cf')).toBe('stop');
    expect(c.bumping.size).toBe(0);
  });

  it('the changefeed removed during the bump → rejected at recheck', async () => {
    const { store, c, clock } = await setupCase();
    store.memory.beforeCommit = () => void c.changefeeds.delete('cf');
    expect(await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add' })).toMatchObject({
      accepted: false,
      reason: 'changefeed-removed-during-bump',
    });
  });

  it('the changefeed replaced by a new object with the same ID during the bump → rejected at recheck', async () => {
    const { store, c, clock } = await setupCase();
    store.memory.beforeCommit = () => void c.changefeeds.set('cf', { epoch: 5n });
    expect(await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add' })).toMatchObject({
      accepted: false,
      reason: 'changefeed-replaced-during-bump',
    });
  });
});

describe('§3.5 epoch clock', () => {
  it('TSO candidates are physical << 18 | logical', async () => {
    const clock = new EpochClock({ tso: { getTs: async () => ({ physicalMs: 1_700_000_000_000n, logical: 7n }) } });
    expect(await clock.next()).toBe((1_700_000_000_000n << 18n) | 7n);
  });

  it('a failing TSO falls back to local UnixNano and says so', async () => {
    const fallbacks: unknown[] = [];
    const clock = new EpochClock({
      tso: { getTs: async () => Promise.reject(new Error('pd down')) },
      nowNanos: () => 1_763_000_000_000_000_000n,
      onFallback: (e) => fallbacks.push(e),
    });
    expect(await clock.next()).toBe(1_763_000_000_000_000_000n);
    expect(fallbacks).toHaveLength(1);
  });

  it('candidates strictly increase within the process even if the source repeats or goes back', async () => {
    const values = [100n, 100n, 50n, 200n];
    const clock = new EpochClock({ nowNanos: () => values.shift()! });
    expect([await clock.next(), await clock.next(), await clock.next(), await clock.next()]).toEqual([100n, 101n, 102n, 200n]);
  });

  it('after a UnixNano fallback, TSO candidates fall below the stored epoch and the store yields current+1 (§3.5 derived)', async () => {
    const store = new MemoryEpochStore();
    await store.create('cf', { epoch: 1_763_000_000_000_000_000n, state: 'normal', error: null, config: {} }, { checkpointTs: 1n, progress: 'None' });
    const tso = (1_763_000_000_000n << 18n) | 0n;
    expect(tso < 1_763_000_000_000_000_000n).toBe(true);
    expect((await store.bumpEpoch('cf', tso)).value.epoch).toBe(1_763_000_000_000_000_001n);
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
  });
});
