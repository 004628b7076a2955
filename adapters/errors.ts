/**
 * Typed errors of the epoch stores. Each names the changefeed (and key, where one is at fault) it
 * concerns and has a stable `code`. A failure never changes what is stored, except where
 * `maybeApplied` says the outcome of a write is unknown.
 */
import { EpochOverflowError, OpchartsError } from '../machines/errors.js';

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

/**
 * The bump would pass 2^64−1 (§3.2 step 3, "changefeed epoch overflow"): nothing was written.
 * Extends the machines' {@link EpochOverflowError} (same code, `EPOCH_OVERFLOW`), adding the
 * changefeed and the key whose stored epoch is at the maximum.
 */
export class StoreEpochOverflowError extends EpochOverflowError {
  readonly changefeedId: string;
  readonly key: string;
  constructor(changefeedId: string, key: string, current: bigint) {
    super(current, `changefeed ${changefeedId} epoch (${key})`);
    this.changefeedId = changefeedId;
    this.key = key;
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
  /** Always false: refused before sending, or refused by the server before applying anything. */
  readonly maybeApplied = false;
  constructor(changefeedId: string, key: string, bytes: number, limit: number) {
    super('VALUE_TOO_LARGE', changefeedId, `write to ${key} is ${bytes} bytes (whole request), over the ${limit}-byte limit`);
    this.key = key;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** A changefeed id that cannot name a key: 1-128 of `[A-Za-z0-9_.-]`, starting with a letter or digit. */
export class InvalidChangefeedIdError extends StoreError {
  constructor(changefeedId: string) {
    super(
      'INVALID_CHANGEFEED_ID',
      changefeedId,
      `invalid changefeed id ${JSON.stringify(changefeedId)}: expected 1-128 of [A-Za-z0-9_.-], starting with a letter or digit`,
    );
  }
}

/**
 * A record the store could not read back (bad state, progress or error shape, a config that is not
 * plain JSON): refused before anything is written (issue 9 item 6).
 */
export class InvalidRecordError extends StoreError {
  readonly field: string;
  constructor(changefeedId: string, field: string, reason: string) {
    super('INVALID_RECORD', changefeedId, `invalid ${field} for ${changefeedId}: ${reason}`);
    this.field = field;
  }
}

/** The store specification (`memory`, `lmdb:PATH`, `etcd://HOST:PORT[/prefix]`) is malformed. */
export class StoreSpecError extends OpchartsError {
  constructor(spec: string, reason: string) {
    super('STORE_SPEC', `bad epoch store "${spec}": ${reason}`);
  }
}

/**
 * The LMDB store cannot be opened at this location (permissions, not a directory, a device or
 * pseudo file system, a truncated data file): refused at open, never a hang (issue 9 item 4).
 */
export class StoreLocationError extends OpchartsError {
  readonly path: string;
  constructor(path: string, reason: string) {
    super('STORE_LOCATION', `cannot open the epoch store at ${JSON.stringify(path)}: ${reason}`);
    this.path = path;
  }
}
