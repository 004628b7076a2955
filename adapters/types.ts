/**
 * The epoch store contract (spec §3): per-changefeed records as in TiCDC's etcd layout (§3.1), an
 * *info* (epoch, state, error, opaque config) and a *status* (checkpointTs, progress), each with a
 * revision. uint64 values are `bigint` here and exact decimal digits at rest (codec.ts).
 */
import type { Progress } from '../machines/protocol.js';

/** TiCDC's FeedState values (pkg/config/changefeed.go), including "pending" (issue 9 item 9). */
export type FeedState = 'normal' | 'pending' | 'warning' | 'stopped' | 'failed' | 'finished' | 'removed';
export const FEED_STATES: readonly FeedState[] = ['normal', 'pending', 'warning', 'stopped', 'failed', 'finished', 'removed'];

export interface RunningError {
  code: string;
  message: string;
}

export interface ChangefeedInfo {
  epoch: bigint;
  state: FeedState;
  error: RunningError | null;
  /** Opaque to the control plane: kept and returned as stored. */
  config: unknown;
}

export interface ChangefeedStatus {
  checkpointTs: bigint;
  progress: Progress;
}

/** A value with the store revision it was read or written at (etcd's mod revision). */
export interface Versioned<T> {
  value: T;
  revision: bigint;
}

export interface ChangefeedRecord {
  id: string;
  info: Versioned<ChangefeedInfo>;
  status: Versioned<ChangefeedStatus> | undefined;
}

export interface BumpOptions {
  /** Set the state in the same write (the Warning path of §2.4.3 passes Warning). */
  state?: FeedState;
  /** Set (or, with null, clear) the error in the same write (`UpdateError`). */
  error?: RunningError | null;
  /** Also write the status, comparing its revision too (§3.2 step 5, `UpdateStatus`). */
  status?: ChangefeedStatus;
}

export interface EpochStore {
  /** Both keys in one write; fails with AlreadyExistsError if either exists (§3.4 CreateChangefeed). */
  create(id: string, info: ChangefeedInfo, status: ChangefeedStatus): Promise<ChangefeedRecord>;
  /** The info and status; NotFoundError without an info. */
  get(id: string): Promise<ChangefeedRecord>;
  /**
   * §3.2: a CAS loop writing `advance(candidate, stored)` (overflow error at 2^64−1), up to
   * `casAttempts` attempts `casDelayMs` apart, comparing only the info's revision unless the status
   * is written too. Returns the persisted info with its revision.
   */
  bumpEpoch(id: string, candidate: bigint, opts?: BumpOptions): Promise<Versioned<ChangefeedInfo>>;
  /** §3.3: a bump that also sets state normal, clears the error, sets the checkpoint and progress None. */
  resume(id: string, candidate: bigint, checkpointTs: bigint): Promise<Versioned<ChangefeedInfo>>;
  /** §3.4: CAS on the status; a no-op if the progress is already `progress`. */
  setProgress(id: string, progress: Progress): Promise<void>;
  /**
   * §3.4 UpdateChangefeed: an **unconditional** put of the whole info (whatever epoch it holds) and
   * the status. Kept faithful on purpose: it is how Failed/Finished are written, with no CAS.
   */
  update(id: string, info: ChangefeedInfo, status: ChangefeedStatus): Promise<void>;
  /** §3.4 PauseChangefeed: state stopped, progress Stopping, both put unconditionally. */
  pause(id: string): Promise<void>;
  /** §3.4 DeleteChangefeed: both keys in one write. */
  delete(id: string): Promise<void>;
  close(): Promise<void>;
}

export interface CasPolicy {
  /** Attempts before CasExhaustedError (§2.9: 10). */
  casAttempts: number;
  /** Pause between attempts (§2.9: 25 ms). */
  casDelayMs: number;
  /** Largest value written (etcd refuses requests over 1.5 MiB). */
  maxValueBytes: number;
}

export const DEFAULT_CAS_POLICY: CasPolicy = { casAttempts: 10, casDelayMs: 25, maxValueBytes: 1.5 * 1024 * 1024 };
