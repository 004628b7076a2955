/**
 * The epoch store as the cluster model sees it (spec §3): one changefeed's persisted info and
 * status, and every writer of §3.2–§3.4 as a pure function. The compare-and-swap retries of the
 * real store are not steps here: a write is one atomic step, and the world decides separately
 * whether the caller hears of it (a write can apply and be reported failed, or fail unapplied).
 *
 * The conditional writers (bump, resume, setProgress) re-read what they compare, so their outcome
 * depends only on the stored record — unless the world keeps per-key revisions (cluster/world.ts
 * `checkpoints`): then a bump or resume compares the revisions it read when it was issued
 * ({@link keysCompared}), a write in between fails its txn, and the world re-issues it (§3.2 step 6,
 * with a small retry bound). The unconditional writers (update, pause, the checkpoint writer)
 * put what their caller holds, which is how they can move a persisted epoch backwards (§3.4) — the
 * model keeps that on purpose. Kept honest by a differential test against the real adapter
 * (`KvEpochStore` over the memory KV) on random operation sequences.
 */
import { advance, type Uint64 } from '../machines/epoch.js';
import { EpochOverflowError } from '../machines/errors.js';
import type { Progress } from '../machines/protocol.js';
import type { FeedState } from '../adapters/types.js';
import type { ChangefeedStoreIntent } from '../machines/coordinator/changefeedApi.js';

export interface StoredChangefeed {
  epoch: Uint64;
  state: FeedState;
  /** A running error is recorded in the info (its text is not modelled). */
  error: boolean;
  checkpointTs: Uint64;
  progress: Progress;
}

export type StoreOp =
  | { op: 'create'; epoch: Uint64; checkpointTs: Uint64 }
  /** `BumpChangefeedEpoch` (§3.2); `error` undefined keeps the stored one; `status` also writes the status. */
  | { op: 'bump'; candidate: Uint64; state?: FeedState; error?: boolean; status?: { checkpointTs: Uint64; progress: Progress } }
  /** `ResumeChangefeed` (§3.3). */
  | { op: 'resume'; candidate: Uint64; checkpointTs: Uint64 }
  | { op: 'setProgress'; progress: Progress }
  /** `UpdateChangefeed`: unconditional put of the caller's info and status (epoch included). */
  | { op: 'update'; value: StoredChangefeed }
  | { op: 'pause' }
  /** `UpdateChangefeedCheckpointTs`: unconditional put of `{ckpt, progress: None}`. */
  | { op: 'updateCheckpoint'; checkpointTs: Uint64 }
  | { op: 'delete' };

export type StoreFailure = 'NOT_FOUND' | 'ALREADY_EXISTS' | 'EPOCH_OVERFLOW';

export type StoreResult =
  | { ok: true; record: StoredChangefeed | undefined }
  | { ok: false; failure: StoreFailure; record: StoredChangefeed | undefined };

/** Applies one writer to the stored record (undefined = no changefeed). A failure changes nothing. */
export function applyStoreOp(record: StoredChangefeed | undefined, op: StoreOp): StoreResult {
  const fail = (failure: StoreFailure): StoreResult => ({ ok: false, failure, record });
  switch (op.op) {
    case 'create':
      if (record) return fail('ALREADY_EXISTS');
      return { ok: true, record: { epoch: op.epoch, state: 'normal', error: false, checkpointTs: op.checkpointTs, progress: 'None' } };
    case 'delete':
      // Deletes both keys in one unconditional txn: deleting nothing succeeds.
      return { ok: true, record: undefined };
    case 'update':
      // The real writer puts both keys whether or not they exist.
      return { ok: true, record: { ...op.value } };
    case 'updateCheckpoint':
      if (!record) return fail('NOT_FOUND');
      return { ok: true, record: { ...record, checkpointTs: op.checkpointTs, progress: 'None' } };
  }
  if (!record) return fail('NOT_FOUND');
  switch (op.op) {
    case 'bump':
    case 'resume': {
      let epoch: Uint64;
      try {
        epoch = advance(op.candidate, record.epoch);
      } catch (e) {
        if (e instanceof EpochOverflowError) return fail('EPOCH_OVERFLOW');
        throw e;
      }
      if (op.op === 'resume') return { ok: true, record: { ...record, epoch, state: 'normal', error: false, checkpointTs: op.checkpointTs, progress: 'None' } };
      return {
        ok: true,
        record: {
          ...record,
          epoch,
          ...(op.state !== undefined ? { state: op.state } : {}),
          ...(op.error !== undefined ? { error: op.error } : {}),
          ...(op.status ? { checkpointTs: op.status.checkpointTs, progress: op.status.progress } : {}),
        },
      };
    }
    case 'setProgress':
      return { ok: true, record: { ...record, progress: op.progress } };
    case 'pause':
      return { ok: true, record: { ...record, state: 'stopped', progress: 'Stopping' } };
  }
}

/** A changefeed API intent as the world store's operation (§3.2–§3.4). */
export function storeOpOf(intent: ChangefeedStoreIntent): StoreOp {
  switch (intent.op) {
    case 'create':
      return { op: 'create', epoch: intent.info.epoch, checkpointTs: intent.status.checkpointTs };
    case 'setProgress':
      return { op: 'setProgress', progress: intent.progress };
    case 'pause':
      return { op: 'pause' };
    case 'resume':
      return { op: 'resume', candidate: intent.candidate, checkpointTs: intent.checkpointTs };
    case 'bumpEpoch':
      return { op: 'bump', candidate: intent.candidate, state: intent.state, error: intent.error !== null };
    case 'update':
      return {
        op: 'update',
        value: { epoch: intent.info.epoch, state: intent.info.state, error: intent.info.error !== null, checkpointTs: intent.status.checkpointTs, progress: intent.status.progress },
      };
  }
}

/** The two keys of a changefeed (§3.1): its info and its status. */
export interface StoreKeys {
  info: boolean;
  status: boolean;
}

/**
 * Per-key revisions (etcd's ModRevision, §3.2): how many writes each key has taken. Only equality
 * is ever compared, so a count per key stands for etcd's global revision at the key's last write.
 */
export interface KeyRevisions {
  info: number;
  status: number;
}

/**
 * The keys a writer puts when it succeeds (§3.2–§3.4): a put bumps the key's revision even when the
 * value is unchanged, except where the writer skips the txn (SetChangefeedProgress to the progress it
 * already has). Deleting a key changes its revision too (a later compare against it fails);
 * deleting nothing changes nothing.
 */
export function keysWritten(op: StoreOp, before: StoredChangefeed | undefined, after: StoredChangefeed | undefined): StoreKeys {
  switch (op.op) {
    case 'delete':
      return { info: before !== undefined, status: before !== undefined };
    case 'create':
    case 'update':
    case 'pause':
    case 'resume':
      return { info: true, status: true };
    case 'bump':
      return { info: true, status: op.status !== undefined };
    case 'updateCheckpoint':
      return { info: false, status: true };
    case 'setProgress':
      return { info: false, status: before?.progress !== after?.progress };
  }
}

/**
 * The keys a conditional epoch writer compares against the revisions it read (§3.2 step 5): an
 * epoch-only bump compares the info key alone (`35b8e1a41`), a bump with `UpdateStatus` — a
 * resume (§3.3) or a bump carrying a status — both. Other writers compare nothing here: the
 * unconditional ones compare nothing at all, and SetChangefeedProgress re-reads inside its retries
 * (the model makes its CAS loop one atomic step).
 */
export function keysCompared(op: StoreOp): StoreKeys | undefined {
  if (op.op === 'resume') return { info: true, status: true };
  if (op.op === 'bump') return { info: true, status: op.status !== undefined };
  return undefined;
}

/** Revisions after a successful write. */
export function revisionsAfter(rev: KeyRevisions, written: StoreKeys): KeyRevisions {
  return { info: rev.info + (written.info ? 1 : 0), status: rev.status + (written.status ? 1 : 0) };
}

/**
 * The rules of the store and its callers that a historical-bug variant may replace by name
 * (cluster/variants.ts `glue.store`); absent entries keep the faithful ones.
 */
export interface StoreGlue {
  /** §3.2 step 5: the keys a bump's txn compares; faithful {@link keysCompared} (B27). */
  keysCompared(op: StoreOp): StoreKeys | undefined;
  /**
   * §3.2 `opts`: the status an epoch bump the coordinator issues (an admission's, a warning's) also
   * writes, given the caller's in-memory checkpoint; faithful: none, the bump is epoch-only and
   * the stored status is kept (B29).
   */
  bumpStatus(inMemoryCheckpointTs: Uint64): { checkpointTs: Uint64; progress: Progress } | undefined;
}
