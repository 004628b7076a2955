/**
 * The one primitive the three adapters provide: versioned reads and an atomic, conditional
 * multi-key write (a transaction comparing revisions, like etcd's). Every operation of the
 * contract is written once on top of it (store.ts), so the adapters differ only in transport.
 */
export interface KvEntry {
  value: string;
  /** Revision of the last write (monotonic across the whole store, like etcd's mod revision). */
  revision: bigint;
}

/**
 * `revision: null` compares "the key is absent". With a revision, `value` (when given) must match
 * too: revisions can recur (an etcd data directory restored from a backup, an LMDB counter moved
 * back), so a remembered revision alone does not prove the stored value (issue 9 item 1).
 */
export interface KvCompare {
  key: string;
  revision: bigint | null;
  value?: string;
}

/** `value: null` deletes the key. */
export interface KvWrite {
  key: string;
  value: string | null;
}

export type KvTxnResult =
  | { ok: true; revision: bigint }
  /** The compare failed; `current` are fresh reads of the compared keys (etcd's else-branch). */
  | { ok: false; current: Array<KvEntry | undefined> };

export interface Kv {
  get(keys: readonly string[]): Promise<Array<KvEntry | undefined>>;
  txn(compares: readonly KvCompare[], writes: readonly KvWrite[]): Promise<KvTxnResult>;
  close(): Promise<void>;
}

/** Thrown by a Kv when the store cannot be reached; `maybeApplied` if a write's outcome is unknown. */
export class KvUnavailable extends Error {
  constructor(
    readonly maybeApplied: boolean,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** Thrown by a Kv when the server refused a request as too large: nothing was applied. */
export class KvTooLarge extends Error {
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}
