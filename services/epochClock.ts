/**
 * Epoch candidates (spec §3.5, `pkg/pdutil/utils.go:GenerateChangefeedEpoch`):
 * - a TSO `physical_ms << 18 | logical` from the timestamp oracle when there is one;
 * - the local UnixNano when the oracle fails (the source logs a warning and carries on), and when
 *   there is no oracle at all (`pdClient == nil`, `tso: null` here).
 * opcharts has no PD, so the default oracle is {@link LocalTso}: TSO-shaped values from the local
 * millisecond clock (strictly increasing, as PD's are); use {@link processEpochClock} for one
 * oracle per process. The clock itself keeps **no state across calls or changefeeds**, like the
 * source's `GenerateChangefeedEpoch`: one PD failure yields one UnixNano candidate for the
 * changefeed being bumped and nothing else, so other changefeeds stay on the TSO scale. Strict
 * increase per changefeed is the store's job: its bump persists `max(candidate, stored + 1)`
 * (§3.2), so after a UnixNano fallback that changefeed's later TSO candidates fall below its stored
 * epoch and its bumps yield `stored + 1` (§3.5, derived). Time sources are injectable for tests.
 */
import { composeTso, MAX_TSO_LOGICAL, MAX_UINT64, type Uint64 } from '../machines/epoch.js';
import { EpochRangeError } from '../machines/errors.js';

export interface TsoSource {
  getTs(): Promise<{ physicalMs: bigint; logical: bigint }>;
}

/**
 * A TSO-like oracle on the local millisecond clock: physical = the clock, logical counts up within
 * one millisecond; when the clock stalls, goes back, or 2^18 logicals are used, physical moves on
 * by one, as PD's allocator does. Strictly increasing.
 */
export class LocalTso implements TsoSource {
  private physical = -1n;
  private logical = 0n;
  constructor(private readonly nowMs: () => number = Date.now) {}

  async getTs(): Promise<{ physicalMs: bigint; logical: bigint }> {
    const now = BigInt(Math.floor(this.nowMs()));
    if (now > this.physical) {
      this.physical = now;
      this.logical = 0n;
    } else if (this.logical < MAX_TSO_LOGICAL) {
      this.logical++;
    } else {
      this.physical++;
      this.logical = 0n;
    }
    return { physicalMs: this.physical, logical: this.logical };
  }
}

export interface EpochClockOptions {
  /** The timestamp oracle (PD). Default: {@link LocalTso}. `null`: no PD, local UnixNano only. */
  tso?: TsoSource | null;
  /** Local clock in nanoseconds since the Unix epoch (default: `Date.now()` × 10^6). */
  nowNanos?: () => bigint;
  /** Told when the oracle failed and local time was used (the source logs a warning). */
  onFallback?: (error: unknown) => void;
}

export class EpochClock {
  private readonly tso: TsoSource | null;
  constructor(private readonly options: EpochClockOptions = {}) {
    this.tso = options.tso === undefined ? new LocalTso() : options.tso;
  }

  private localNanos(): bigint {
    return this.options.nowNanos ? this.options.nowNanos() : BigInt(Date.now()) * 1_000_000n;
  }

  /**
   * A candidate for one bump: the TSO, or the local UnixNano when the oracle fails or is absent.
   * Stateless: it may repeat or go back; the store's `max(candidate, stored + 1)` decides.
   */
  async next(): Promise<Uint64> {
    let candidate: bigint;
    if (this.tso) {
      try {
        const { physicalMs, logical } = await this.tso.getTs();
        candidate = composeTso(physicalMs, logical);
      } catch (e) {
        this.options.onFallback?.(e);
        candidate = this.localNanos();
      }
    } else {
      candidate = this.localNanos();
    }
    if (candidate < 0n || candidate > MAX_UINT64) throw new EpochRangeError('epoch candidate', candidate, 'outside uint64');
    return candidate;
  }
}

let shared: EpochClock | undefined;
/** One clock for the whole process: one local TSO, whose values never repeat within the process. */
export function processEpochClock(): EpochClock {
  shared ??= new EpochClock();
  return shared;
}
