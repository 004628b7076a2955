/**
 * Exact uint64 epochs: the notation rules (match, strictAllow, dmAllow), advance (§3.2, §6.9
 * item 5), TSO composition (§3.5), and parsing at the edges 0, 1, 2^53±1, 2^64−1.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  advance,
  assertUint64,
  composeTso,
  dmAllow,
  EpochOverflowError,
  EpochRangeError,
  formatUint64,
  match,
  MAX_UINT64,
  parseUint64,
  splitTso,
  strictAllow,
  toUint64,
} from 'opcharts';

const P53 = 2n ** 53n;
const EDGES = [0n, 1n, P53 - 1n, P53, P53 + 1n, MAX_UINT64 - 1n, MAX_UINT64];
const uint64 = fc.bigInt({ min: 0n, max: MAX_UINT64 });

describe('§6.9.5 maintainer_epoch_test: AdvanceChangefeedEpoch', () => {
  it('Advance(10, 8) = 10', () => expect(advance(10n, 8n)).toBe(10n));
  it('Advance(10, 12) = 13', () => expect(advance(10n, 12n)).toBe(13n));
  it('Advance(10, Max) → overflow error, never wraps', () => {
    expect(() => advance(10n, MAX_UINT64)).toThrow(EpochOverflowError);
    expect(() => advance(MAX_UINT64, MAX_UINT64)).toThrow(EpochOverflowError);
  });
  it('Advance(Max, Max-1) = Max (a candidate can still reach the top)', () =>
    expect(advance(MAX_UINT64, MAX_UINT64 - 1n)).toBe(MAX_UINT64));
  it('the result is max(candidate, current+1) and strictly greater than current', () => {
    fc.assert(
      fc.property(uint64, fc.bigInt({ min: 0n, max: MAX_UINT64 - 1n }), (candidate, current) => {
        const next = advance(candidate, current);
        expect(next > current).toBe(true);
        expect(next).toBe(candidate > current + 1n ? candidate : current + 1n);
      }),
    );
  });
});

describe('parsing and formatting uint64 at the edges', () => {
  it.each(EDGES.map((e) => [e]))('%s round-trips exactly through its decimal string', (e) => {
    expect(parseUint64(formatUint64(e))).toBe(e);
    expect(formatUint64(e)).toBe(e.toString());
  });

  it.each([
    ['-1', 'negative'],
    ['1.5', 'not an integer'],
    ['1e3', 'not a canonical'],
    ['abc', 'not a canonical'],
    ['', 'not a canonical'],
    [' 1', 'not a canonical'],
    ['0x10', 'not a canonical'],
    ['01', 'not a canonical'],
    ['18446744073709551616', 'exceeds 2^64-1'],
  ])('rejects %j (%s) with a typed error', (text, reason) => {
    const err = (() => {
      try {
        parseUint64(text, 'maintainerEpoch');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(EpochRangeError);
    expect((err as EpochRangeError).field).toBe('maintainerEpoch');
    expect((err as Error).message).toContain(reason);
  });

  it('toUint64 refuses JSON numbers that may have lost precision, and accepts safe ones', () => {
    expect(toUint64(Number(P53 - 1n))).toBe(P53 - 1n);
    expect(() => toUint64(2 ** 53)).toThrow(EpochRangeError);
    expect(() => toUint64(-1)).toThrow(EpochRangeError);
    expect(() => toUint64(1.5)).toThrow(EpochRangeError);
    expect(toUint64('18446744073709551615')).toBe(MAX_UINT64);
    expect(() => assertUint64(MAX_UINT64 + 1n)).toThrow(EpochRangeError);
    expect(() => assertUint64(-1n)).toThrow(EpochRangeError);
  });
});

describe('fencing rules of the notation section', () => {
  it('match: 0 is the wildcard on either side, otherwise equality', () => {
    expect(match(0n, 5n)).toBe(true);
    expect(match(5n, 0n)).toBe(true);
    expect(match(5n, 5n)).toBe(true);
    expect(match(5n, 6n)).toBe(false);
    expect(match(MAX_UINT64, MAX_UINT64 - 1n)).toBe(false);
  });

  it('strictAllow is asymmetric: a strict maintainer refuses 0, a compat one takes anything', () => {
    expect(strictAllow(0n, 0n)).toBe(true);
    expect(strictAllow(0n, 2n)).toBe(false);
    expect(strictAllow(2n, 0n)).toBe(true);
    expect(strictAllow(2n, 2n)).toBe(true);
    expect(strictAllow(1n, 2n)).toBe(false);
    fc.assert(
      fc.property(uint64, uint64, (a, b) => {
        expect(strictAllow(a, b)).toBe(a === 0n ? b === 0n : b === 0n || a === b);
      }),
    );
  });

  it('dmAllow: exact (sender, epoch); 0 only for a compatibility owner that is unset or the same', () => {
    expect(dmAllow('m1', 2n, 'm1', 2n)).toBe(true);
    expect(dmAllow('m2', 2n, 'm1', 2n)).toBe(false);
    expect(dmAllow('m1', 1n, 'm1', 2n)).toBe(false);
    expect(dmAllow('m1', 0n, '', 0n)).toBe(true);
    expect(dmAllow('m1', 0n, 'm1', 0n)).toBe(true);
    expect(dmAllow('m2', 0n, 'm1', 0n)).toBe(false);
    expect(dmAllow('m1', 0n, 'm1', 2n)).toBe(false);
  });
});

describe('§3.5 TSO composition', () => {
  it('physical << 18 | logical, and back', () => {
    expect(composeTso(1n, 0n)).toBe(262144n);
    expect(composeTso(1_700_000_000_000n, 5n)).toBe((1_700_000_000_000n << 18n) + 5n);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 46n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 18n) - 1n }), (p, l) => {
        expect(splitTso(composeTso(p, l))).toEqual({ physicalMs: p, logical: l });
      }),
    );
  });
  it('rejects a logical part over 18 bits and a physical part that would overflow 64 bits', () => {
    expect(() => composeTso(1n, 1n << 18n)).toThrow(EpochRangeError);
    expect(() => composeTso(1n << 46n, 0n)).toThrow(EpochRangeError);
    expect(composeTso((1n << 46n) - 1n, (1n << 18n) - 1n)).toBe(MAX_UINT64);
  });
});
