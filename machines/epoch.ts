/**
 * Exact uint64 epochs and the fencing rules of the spec's notation section, §3.2 and §3.5.
 *
 * Maintainer epochs, node epochs, drain epochs and checkpoint timestamps are uint64 in TiCDC. They
 * are `bigint` here and decimal strings at rest; a JavaScript number would silently lose precision
 * above 2^53 (2^53+1 reads back as ...992), which is exactly the range TSO and UnixNano epochs live in.
 */
import { EpochOverflowError, EpochRangeError } from './errors.js';

export type Uint64 = bigint;

export const MAX_UINT64: Uint64 = (1n << 64n) - 1n;
/** TSO logical bits (spec §3.5: `physical_ms << 18 | logical`). */
export const TSO_LOGICAL_BITS = 18n;
export const MAX_TSO_LOGICAL: Uint64 = (1n << TSO_LOGICAL_BITS) - 1n;

const DECIMAL = /^(0|[1-9][0-9]*)$/;
/** Digits of 2^64-1 (18446744073709551615). */
const MAX_UINT64_DIGITS = 20;

/** True iff `x` is a bigint in [0, 2^64-1]. */
export function isUint64(x: unknown): x is Uint64 {
  return typeof x === 'bigint' && x >= 0n && x <= MAX_UINT64;
}

/** Checks a bigint is a uint64 and returns it; throws {@link EpochRangeError} naming `field`. */
export function assertUint64(x: unknown, field = 'value'): Uint64 {
  if (typeof x !== 'bigint') throw new EpochRangeError(field, x, 'expected a uint64 bigint');
  if (x < 0n) throw new EpochRangeError(field, x, 'negative');
  if (x > MAX_UINT64) throw new EpochRangeError(field, x, 'exceeds 2^64-1');
  return x;
}

/**
 * Parses a canonical decimal string (as stored at rest) into a uint64.
 * Rejects signs, fractions, exponents, whitespace, leading zeros, hex and anything above 2^64-1.
 */
export function parseUint64(text: unknown, field = 'value'): Uint64 {
  if (typeof text !== 'string') throw new EpochRangeError(field, text, 'expected a decimal string');
  // 2^64-1 has 20 digits: refuse longer text before the regex and BigInt see it (BigInt of a 1 MB
  // string costs ~200 ms).
  if (text.length > MAX_UINT64_DIGITS) throw new EpochRangeError(field, text, 'longer than 20 digits, exceeds 2^64-1');
  if (text.startsWith('-')) throw new EpochRangeError(field, text, 'negative');
  if (!DECIMAL.test(text)) {
    if (/^[0-9]+\.[0-9]*$/.test(text)) throw new EpochRangeError(field, text, 'not an integer');
    throw new EpochRangeError(field, text, 'not a canonical decimal integer');
  }
  const v = BigInt(text);
  if (v > MAX_UINT64) throw new EpochRangeError(field, text, 'exceeds 2^64-1');
  return v;
}

/** Decimal string form, the representation at rest. */
export function formatUint64(x: Uint64): string {
  return assertUint64(x).toString(10);
}

/**
 * Accepts the shapes a uint64 takes on the wire: a bigint, a decimal string, or a JSON number that
 * is a safe integer (a number above 2^53-1 may already have lost precision, so it is refused).
 */
export function toUint64(x: unknown, field = 'value'): Uint64 {
  if (typeof x === 'bigint') return assertUint64(x, field);
  if (typeof x === 'string') return parseUint64(x, field);
  if (typeof x === 'number') {
    if (!Number.isInteger(x)) throw new EpochRangeError(field, x, 'not an integer');
    if (x < 0) throw new EpochRangeError(field, x, 'negative');
    if (!Number.isSafeInteger(x)) {
      throw new EpochRangeError(field, x, 'number above 2^53-1 may have lost precision; send a decimal string');
    }
    return BigInt(x);
  }
  throw new EpochRangeError(field, x, 'expected a uint64 (bigint, decimal string or safe integer)');
}

/** `match(a, b) := a == 0 || b == 0 || a == b`: 0 is the compatibility wildcard on either side. */
export function match(a: Uint64, b: Uint64): boolean {
  return a === 0n || b === 0n || a === b;
}

/**
 * The maintainer's asymmetric request rule (`isMaintainerEpochRequestAllowed`):
 * `req == 0 ? cur == 0 : (cur == 0 || req == cur)`. A strict maintainer refuses epoch-0 requests.
 */
export function strictAllow(req: Uint64, cur: Uint64): boolean {
  return req === 0n ? cur === 0n : cur === 0n || req === cur;
}

/**
 * The dispatcher manager's request admission (`IsMaintainerRequestAllowedBySnapshot`):
 * `e == 0 ? (ownerEpoch == 0 && (owner == "" || owner == from)) : (ownerEpoch == e && owner == from)`.
 */
export function dmAllow(from: string, e: Uint64, owner: string, ownerEpoch: Uint64): boolean {
  return e === 0n ? ownerEpoch === 0n && (owner === '' || owner === from) : ownerEpoch === e && owner === from;
}

/**
 * `AdvanceChangefeedEpoch(candidate, current)` (§3.2 step 3, §6.9 item 5): the candidate if it is
 * newer, else current + 1; never wraps — at current = 2^64-1 it throws {@link EpochOverflowError}.
 */
export function advance(candidate: Uint64, current: Uint64): Uint64 {
  assertUint64(candidate, 'candidate');
  assertUint64(current, 'current');
  if (candidate > current) return candidate;
  if (current === MAX_UINT64) throw new EpochOverflowError(current);
  return current + 1n;
}

/** TSO composition `physical_ms << 18 | logical` (§3.5); logical must fit in 18 bits, the result in 64. */
export function composeTso(physicalMs: Uint64, logical: Uint64): Uint64 {
  assertUint64(physicalMs, 'physicalMs');
  assertUint64(logical, 'logical');
  if (logical > MAX_TSO_LOGICAL) throw new EpochRangeError('logical', logical, 'exceeds 2^18-1');
  const ts = (physicalMs << TSO_LOGICAL_BITS) | logical;
  if (ts > MAX_UINT64) throw new EpochRangeError('physicalMs', physicalMs, 'TSO exceeds 2^64-1');
  return ts;
}

/** Splits a TSO back into `{ physicalMs, logical }`. */
export function splitTso(ts: Uint64): { physicalMs: Uint64; logical: Uint64 } {
  assertUint64(ts, 'ts');
  return { physicalMs: ts >> TSO_LOGICAL_BITS, logical: ts & MAX_TSO_LOGICAL };
}

/** Larger of two uint64 values. */
export function maxEpoch(a: Uint64, b: Uint64): Uint64 {
  return a > b ? a : b;
}
