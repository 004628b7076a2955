/**
 * Epoch candidates (spec §3.5, `GenerateChangefeedEpoch`): a TSO `physical_ms << 18 | logical`
 * from the timestamp oracle when there is one, the local UnixNano when there is none or when it
 * fails (a warning, as in the source). Candidates are strictly increasing within the process.
 * Only a candidate: the store's bump still persists `max(candidate, stored + 1)` (§3.2).
 */
import { composeTso, MAX_UINT64, type Uint64 } from '../machines/epoch.js';

export interface TsoSource {
  getTs(): Promise<{ physicalMs: bigint; logical: bigint }>;
}

export interface EpochClockOptions {
  /** The timestamp oracle (PD); absent = local time only (`pdClient == nil`). */
  tso?: TsoSource;
  /** Local clock in nanoseconds since the epoch (default: `Date.now()` × 1e6 plus a sub-ms counter). */
  nowNanos?: () => bigint;
  /** Told when the TSO failed and local time was used. */
  onFallback?: (error: unknown) => void;
}

export class EpochClock {
  private last = 0n;
  constructor(private readonly options: EpochClockOptions = {}) {}

  private localNanos(): bigint {
    return this.options.nowNanos ? this.options.nowNanos() : BigInt(Date.now()) * 1_000_000n;
  }

  /** The next candidate: never 0, never repeated, never smaller than one already returned. */
  async next(): Promise<Uint64> {
    let candidate: bigint;
    if (this.options.tso) {
      try {
        const { physicalMs, logical } = await this.options.tso.getTs();
        candidate = composeTso(physicalMs, logical);
      } catch (e) {
        this.options.onFallback?.(e);
        candidate = this.localNanos();
      }
    } else {
      candidate = this.localNanos();
    }
    if (candidate <= this.last) candidate = this.last + 1n;
    if (candidate === 0n) candidate = 1n;
    if (candidate > MAX_UINT64) candidate = MAX_UINT64;
    this.last = candidate;
    return candidate;
  }
}
