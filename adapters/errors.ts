/**
 * Typed errors of the epoch stores. Each names the changefeed (and key, where one is at fault) it
 * concerns and has a stable `code`. A failure never changes what is stored, except where
 * `maybeApplied` says the outcome of a write is unknown.
 */
import { OpchartsError } from '../machines/errors.js';

export class StoreError extends OpchartsError {
  readonly changefeedId: string;
  constructor(code: string, changefeedId: string, message: string) {
    super(code, message);
    this.changefeedId = changefeedId;
  }
}

/** The changefeed's info (or, where the operation needs it, its status) does not exist. */
export class NotFoundError extends StoreError {
  readonly key: string;
  constructor(changefeedId: string, key: string) {
    super('NOT_FOUND', changefeedId, `changefeed ${changefeedId} does not exist (${key})`);
    this.key = key;
  }
}

/** `create` found the info or the status already there. */
export class AlreadyExistsError extends StoreError {
  constructor(changefeedId: string) {
    super('ALREADY_EXISTS', changefeedId, `changefeed ${changefeedId} already exists`);
  }
}

/** The bump would pass 2^64−1 (§3.2 step 3): nothing was written. */
export class StoreEpochOverflowError extends StoreError {
  readonly current: bigint;
  constructor(changefeedId: string, current: bigint) {
    super('EPOCH_OVERFLOW', changefeedId, `changefeed ${changefeedId}: epoch overflow, stored epoch is ${current} (2^64-1)`);
    this.current = current;
  }
}

/** Every compare-and-swap attempt lost to a concurrent writer (`ErrMetaOpFailed`, §3.2). */
export class CasExhaustedError extends StoreError {
  readonly attempts: number;
  constructor(changefeedId: string, op: string, attempts: number) {
    super('CAS_EXHAUSTED', changefeedId, `${op} of changefeed ${changefeedId} failed: ${attempts} compare-and-swap attempts conflicted`);
    this.attempts = attempts;
  }
}

/**
 * The store could not be reached. `maybeApplied` is true when a write was sent and its outcome is
 * unknown (the connection dropped mid-transaction): the caller must re-read before assuming either.
 */
export class StoreUnavailableError extends StoreError {
  readonly maybeApplied: boolean;
  override readonly cause: unknown;
  constructor(changefeedId: string, maybeApplied: boolean, cause: unknown) {
    super(
      'STORE_UNAVAILABLE',
      changefeedId,
      `epoch store unavailable for ${changefeedId}${maybeApplied ? ' (the write may have been applied)' : ''}: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
    );
    this.maybeApplied = maybeApplied;
    this.cause = cause;
  }
}

/** A stored value does not parse. It is reported, never read as 0 or as absent, never rewritten. */
export class CorruptRecordError extends StoreError {
  readonly key: string;
  constructor(changefeedId: string, key: string, reason: string) {
    super('CORRUPT_RECORD', changefeedId, `corrupt record at ${key}: ${reason}`);
    this.key = key;
  }
}

/** A value over the store's limit (etcd refuses requests over 1.5 MiB): checked before any write. */
export class ValueTooLargeError extends StoreError {
  readonly key: string;
  readonly bytes: number;
  readonly limit: number;
  constructor(changefeedId: string, key: string, bytes: number, limit: number) {
    super('VALUE_TOO_LARGE', changefeedId, `value for ${key} is ${bytes} bytes, over the ${limit}-byte limit`);
    this.key = key;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** The store specification (`memory`, `lmdb:PATH`, `etcd://HOST:PORT[/prefix]`) is malformed. */
export class StoreSpecError extends OpchartsError {
  constructor(spec: string, reason: string) {
    super('STORE_SPEC', `bad epoch store "${spec}": ${reason}`);
  }
}
