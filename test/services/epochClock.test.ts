/**
 * Epoch candidates (spec §3.5): TSO `physical_ms << 18 | logical`, the local UnixNano fallback, and
 * strictly increasing candidates within a clock; then what the store makes of them (§3.2).
 */
import { describe, expect, it } from 'vitest';
import { MemoryEpochStore } from '../../adapters/index.js';
import { EpochClock, LocalTso, processEpochClock } from '../../services/index.js';
import { composeTso, MAX_UINT64, splitTso } from '../../machines/epoch.js';

describe('§3.5 epoch clock', () => {
  it('TSO candidates are physical << 18 | logical', async () => {
    const clock = new EpochClock({ tso: { getTs: async () => ({ physicalMs: 1_700_000_000_000n, logical: 7n }) } });
    expect(await clock.next()).toBe((1_700_000_000_000n << 18n) | 7n);
  });

  it('by default candidates are TSO-shaped from the local millisecond clock', async () => {
    const before = BigInt(Date.now());
    const { physicalMs, logical } = splitTso(await new EpochClock().next());
    expect(physicalMs >= before && physicalMs <= BigInt(Date.now())).toBe(true);
    expect(logical).toBe(0n);
  });

  it('a failing TSO falls back to local UnixNano and says so; the next call tries the TSO again', async () => {
    const fallbacks: unknown[] = [];
    let fail = true;
    const clock = new EpochClock({
      tso: { getTs: async () => (fail ? Promise.reject(new Error('pd down')) : { physicalMs: 1n, logical: 0n }) },
      nowNanos: () => 1_763_000_000_000_000_000n,
      onFallback: (e) => fallbacks.push(e),
    });
    expect(await clock.next()).toBe(1_763_000_000_000_000_000n);
    expect(fallbacks).toEqual([new Error('pd down')]);
    fail = false;
    expect(await clock.next()).toBe(1n << 18n);
    expect(fallbacks).toHaveLength(1);
  });

  it('§3.5 GenerateChangefeedEpoch is stateless: one PD failure moves only the changefeed being bumped onto the UnixNano scale', async () => {
    const store = new MemoryEpochStore();
    const tsoAt = (ms: bigint) => composeTso(ms, 0n);
    for (const id of ['cf-a', 'cf-b']) {
      await store.create(id, { epoch: tsoAt(1_000n), state: 'normal', error: null, config: {} }, { checkpointTs: 1n, progress: 'None' });
    }
    let ms = 2_000n;
    let fail = false;
    const clock = new EpochClock({
      tso: { getTs: async () => (fail ? Promise.reject(new Error('pd down')) : { physicalMs: ms++, logical: 0n }) },
      nowNanos: () => 1_763_000_000_000_000_000n,
    });
    fail = true;
    const a = await store.bumpEpoch('cf-a', await clock.next());
    expect(a.value.epoch).toBe(1_763_000_000_000_000_000n);
    fail = false;
    // cf-b's next bump is a TSO again, not fallback + 1: the fallback did not leak across changefeeds.
    const b = await store.bumpEpoch('cf-b', await clock.next());
    expect(b.value.epoch).toBe(tsoAt(2_000n));
    // cf-a stays strictly increasing: the store persists stored + 1 over the lower TSO candidate.
    expect((await store.bumpEpoch('cf-a', await clock.next())).value.epoch).toBe(1_763_000_000_000_000_001n);
  });

  it('a TSO answer that does not fit (logical ≥ 2^18) counts as a failure: local time is used', async () => {
    const fallbacks: unknown[] = [];
    const clock = new EpochClock({
      tso: { getTs: async () => ({ physicalMs: 1n, logical: 1n << 18n }) },
      nowNanos: () => 42n,
      onFallback: (e) => fallbacks.push(e),
    });
    expect(await clock.next()).toBe(42n);
    expect(fallbacks).toMatchObject([{ code: 'EPOCH_RANGE' }]);
  });

  it('without PD (tso: null) candidates are the local UnixNano', async () => {
    const clock = new EpochClock({ tso: null, nowNanos: () => 1_763_000_000_123_456_789n });
    expect(await clock.next()).toBe(1_763_000_000_123_456_789n);
  });

  it('candidates are what the source gives, repeats and steps back included: the clock adds no state', async () => {
    const values = [100n, 100n, 50n];
    const clock = new EpochClock({ tso: null, nowNanos: () => values.shift()! });
    expect([await clock.next(), await clock.next(), await clock.next()]).toEqual([100n, 100n, 50n]);
  });

  it('a local clock outside uint64 is a typed error, not a wrapped candidate', async () => {
    await expect(new EpochClock({ tso: null, nowNanos: () => MAX_UINT64 + 1n }).next()).rejects.toMatchObject({ code: 'EPOCH_RANGE' });
    expect(await new EpochClock({ tso: null, nowNanos: () => MAX_UINT64 }).next()).toBe(MAX_UINT64);
  });

  it('the local TSO counts logicals within a millisecond, and moves physical on when the clock stalls past 2^18 or goes back', async () => {
    let now = 1000;
    const tso = new LocalTso(() => now);
    expect(await tso.getTs()).toEqual({ physicalMs: 1000n, logical: 0n });
    expect(await tso.getTs()).toEqual({ physicalMs: 1000n, logical: 1n });
    now = 999; // the clock goes back
    expect(await tso.getTs()).toEqual({ physicalMs: 1000n, logical: 2n });
    for (let i = 3; i < 1 << 18; i++) await tso.getTs();
    expect(await tso.getTs()).toEqual({ physicalMs: 1001n, logical: 0n });
    now = 1005;
    expect(await tso.getTs()).toEqual({ physicalMs: 1005n, logical: 0n });
  });

  it('one process-wide clock', async () => {
    expect(processEpochClock()).toBe(processEpochClock());
    const a = await processEpochClock().next();
    expect(await processEpochClock().next()).toBeGreaterThan(a);
  });

  it('after a UnixNano fallback, TSO candidates fall below the stored epoch and the store yields current+1 (§3.5 derived)', async () => {
    const store = new MemoryEpochStore();
    await store.create('cf', { epoch: 1_763_000_000_000_000_000n, state: 'normal', error: null, config: {} }, { checkpointTs: 1n, progress: 'None' });
    const tso = (1_763_000_000_000n << 18n) | 0n;
    expect(tso < 1_763_000_000_000_000_000n).toBe(true);
    expect((await store.bumpEpoch('cf', tso)).value.epoch).toBe(1_763_000_000_000_000_001n);
  });
});
