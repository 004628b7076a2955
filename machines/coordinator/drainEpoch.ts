/**
 * Drain epoch generation (`nextDispatcherDrainEpochLocked`), spec §2.5.4, §5.1 B24, invariant I19.
 *
 * A drain epoch is on the UnixNano scale, so that it stays above targets cached on nodes by older
 * coordinators: start from the PD TSO as `physical_ms·1e6 + logical`, raise it to at least the
 * wall clock (UnixNano), the highest drain epoch observed in heartbeats and bootstrap responses
 * (clears included), the last epoch this coordinator generated and the current clear epoch, and
 * return that **+1**. Pure: the TSO and the wall clock are arguments (PD `GetTS` runs outside the
 * lock in the source; its failure is the caller's {@link DrainEpochError} `PD_UNAVAILABLE`).
 */
import { MAX_UINT64, type Uint64 } from '../epoch.js';
import { OpchartsError } from '../errors.js';

export interface DrainEpochInputs {
  /** PD TSO: physical milliseconds and logical counter (non-negative integers). */
  tso: { physicalMs: bigint; logical: bigint };
  wallClockNs: Uint64;
  maxObservedDrainEpoch: Uint64;
  lastGeneratedDrainEpoch: Uint64;
  /** The current clear state's epoch, 0 when there is none. */
  clearEpoch: Uint64;
}

/** Typed failure of drain epoch generation; nothing is changed when it is thrown. */
export class DrainEpochError extends OpchartsError {
  constructor(code: 'DRAIN_EPOCH_OVERFLOW' | 'DRAIN_EPOCH_NEGATIVE' | 'PD_UNAVAILABLE', message: string) {
    super(code, message);
  }
}

const NS_PER_MS = 1_000_000n;

export function nextDrainEpoch(inputs: DrainEpochInputs): Uint64 {
  const { tso } = inputs;
  if (tso.physicalMs < 0n || tso.logical < 0n) {
    throw new DrainEpochError('DRAIN_EPOCH_NEGATIVE', `negative TSO (physical ${tso.physicalMs}, logical ${tso.logical})`);
  }
  let epoch = tso.physicalMs * NS_PER_MS + tso.logical;
  if (epoch > MAX_UINT64) throw new DrainEpochError('DRAIN_EPOCH_OVERFLOW', `TSO ${tso.physicalMs}ms+${tso.logical} overflows uint64 nanoseconds`);
  for (const floor of [inputs.wallClockNs, inputs.maxObservedDrainEpoch, inputs.lastGeneratedDrainEpoch, inputs.clearEpoch]) {
    if (floor > epoch) epoch = floor;
  }
  if (epoch >= MAX_UINT64) throw new DrainEpochError('DRAIN_EPOCH_OVERFLOW', 'drain epoch would exceed 2^64-1');
  return epoch + 1n;
}
