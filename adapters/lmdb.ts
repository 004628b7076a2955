/**
 * Embedded epoch store on LMDB (lmdb-js), the default (`.opcharts/store`).
 *
 * CAS inside one LMDB write transaction: the database is opened with `useVersions`, each entry
 * carries its revision as its version, and each compare checks the version and the value (or
 * absence, as etcd's `create_revision == 0`) before the writes. They run inside one LMDB write
 * transaction, which LMDB admits one at a time across
 * every process that opens the file, so the compares and the writes are atomic together and safe
 * with several processes on one file; a failed compare reads the current entries in the same
 * transaction (etcd's else-branch).
 *
 * Revisions come from one store-wide counter (like etcd's), never per key, so a key that is
 * deleted and created again can never match a revision read before the delete (no ABA). lmdb-js
 * versions are doubles: the counter is exact to 2^53 writes, which is checked. Values at rest are
 * exactly the JSON text of the codec (spec §3.1 layout, uint64 fields as exact decimal number literals, TiCDC's encoding).
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KvUnavailable, type Kv, type KvCompare, type KvEntry, type KvTxnResult, type KvWrite } from './kv.js';
import { KvEpochStore } from './store.js';
import { CorruptRecordError, StoreLocationError } from './errors.js';
import type { CasPolicy } from './types.js';
import type { KeyLayout } from './codec.js';

export { REVISION_KEY };
const utf8 = new TextDecoder('utf-8', { fatal: true });
export const DEFAULT_LMDB_PATH = '.opcharts/store';
/** The store-wide revision counter; outside any changefeed key (those start with the prefix). */
const REVISION_KEY = '\u0000revision';

/**
 * Refuses locations LMDB cannot hold a store on before touching them: a NUL byte, and pseudo or
 * device file systems (/proc, /sys, /dev), where mkdir or mmap hang or fail untyped (issue 9
 * item 4).
 */
function checkLocation(path: string): void {
  if (typeof path !== 'string' || path.trim() === '') throw new StoreLocationError(String(path), 'empty path');
  if (path.includes('\0')) throw new StoreLocationError(path.replace(/\0/g, '\\0'), 'NUL byte in the path');
  const abs = resolve(path);
  if (/^\/(proc|sys|dev)(\/|$)/.test(abs)) throw new StoreLocationError(path, `${abs} is on a pseudo or device file system`);
}

/**
 * LMDB maps data.mdb and trusts it: a file cut short makes the first read fault (SIGBUS/SIGSEGV
 * kills the process). Refuse the shapes a whole file never has: shorter than its two meta pages,
 * or not a whole number of pages. A file cut at a page boundary past the meta pages is not caught
 * (adapters/README.md, limits).
 */
function checkDataFile(dir: string): void {
  let size: number;
  try {
    size = statSync(join(dir, 'data.mdb')).size;
  } catch {
    return; // absent: a new store
  }
  const page = 4096;
  if (size < 2 * page || size % page !== 0) throw new Error(`data.mdb is ${size} bytes: truncated (not whole ${page}-byte pages)`);
}

export class LmdbKv implements Kv {
  private root!: RootDatabase;
  private db!: Database<string, string>;
  /** The same entries as raw bytes (version header included), for reads that check the header. */
  private bytes!: Database<Buffer, string>;
  /** Set by a failed write transaction; the environment is reopened before the next call. */
  private poisoned = false;

  constructor(readonly path: string = DEFAULT_LMDB_PATH) {
    checkLocation(path);
    try {
      mkdirSync(path, { recursive: true });
      if (!statSync(path).isDirectory()) throw new Error('not a directory');
      checkDataFile(path);
      this.openEnv();
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new StoreLocationError(path, err.code ? `${err.code}: ${err.message}` : String(err.message ?? e));
    }
  }

  private openEnv(): void {
    this.root = open({ path: this.path, compression: false });
    this.db = this.root.openDB<string, string>({ name: 'epochs', encoding: 'string', useVersions: true });
    this.bytes = this.root.openDB<Buffer, string>({ name: 'epochs', encoding: 'binary' });
  }

  /**
   * A write that failed inside LMDB (ENOSPC, EIO while spilling pages) can leave the environment's
   * in-memory free-page state inconsistent, and LMDB aborts the process on a later commit
   * (`mdb_freelist_save` assertion, lmdb-js #283; the `malloc(): invalid next size` abort of issue 9
   * item 3). Nothing of the failed transaction reached the file, so the environment is closed and
   * opened again from the file before the next call: the store fails closed for that one call and
   * is whole again after it.
   */
  private async recover(): Promise<void> {
    if (!this.poisoned) return;
    try {
      await this.root.close();
    } catch {
      // closing a broken environment may fail; the reopen below decides
    }
    this.openEnv();
    this.poisoned = false;
  }

  /**
   * lmdb-js stores each value behind an 8-byte version header (`useVersions`: a little-endian
   * double). A value written without it (another tool, another open mode) would be read by lmdb-js
   * as a version taken from its first bytes, and a value shorter than the header makes lmdb-js
   * read past it (a segmentation fault, seen here). So entries are read as raw bytes and the header
   * is checked here: shorter than 8 bytes, a version that is not a whole revision, or text that is
   * not UTF-8 is corrupt, never a default (issue 9 item 8).
   */
  private entry(key: string): KvEntry | undefined {
    const raw = this.bytes.getBinary(key);
    if (raw === undefined) return undefined;
    const version = raw.length >= 8 ? raw.readDoubleLE(0) : NaN;
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new CorruptRecordError('*', key, 'LMDB value without a valid version header (written without useVersions?)');
    }
    let value: string;
    try {
      value = utf8.decode(raw.subarray(8));
    } catch {
      throw new CorruptRecordError('*', key, 'LMDB value is not UTF-8 text');
    }
    return { value, revision: BigInt(version) };
  }

  /** The version of a key for the revision counter; an unreadable header counts as none. */
  private versionOf(key: string): number {
    const raw = this.bytes.getBinary(key);
    const v = raw !== undefined && raw.length >= 8 ? raw.readDoubleLE(0) : 0;
    return Number.isSafeInteger(v) && v > 0 ? v : 0;
  }

  async get(keys: readonly string[]): Promise<Array<KvEntry | undefined>> {
    await this.recover();
    try {
      // lmdb-js reuses a read snapshot; another process's commit is only seen in a fresh one.
      // One snapshot for all the keys, as etcd's single-revision read.
      this.root.resetReadTxn();
      return keys.map((k) => this.entry(k));
    } catch (e) {
      if (e instanceof CorruptRecordError) throw e;
      throw new KvUnavailable(false, e);
    }
  }

  /**
   * Inside a write transaction: the next store-wide revision, persisted with it. It never moves
   * back: 1 + the largest of the counter and every version this transaction compared or
   * overwrites, so a counter moved back (hand edit, partial restore) cannot hand out a revision
   * some entry already has (issue 9 item 1). A counter that does not parse is corrupt.
   */
  private nextRevision(keys: readonly string[] = []): bigint {
    // The counter's own version is not a revision (a hand edit may give it any), only its text counts.
    const raw = this.bytes.getBinary(REVISION_KEY);
    const text = raw === undefined ? '0' : raw.length >= 8 ? raw.subarray(8).toString('latin1') : '';
    if (!/^(0|[1-9][0-9]{0,19})$/.test(text)) {
      throw new CorruptRecordError('*', 'lmdb revision counter', `not a decimal revision: ${JSON.stringify(text.slice(0, 40))}`);
    }
    let highest = BigInt(text);
    for (const k of keys) {
      const v = BigInt(this.versionOf(k));
      if (v > highest) highest = v;
    }
    const revision = highest + 1n;
    if (revision > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('LMDB revision counter passed 2^53-1');
    this.db.putSync(REVISION_KEY, revision.toString(), Number(revision));
    return revision;
  }

  /** Inside a write transaction: does `c` hold? Revision and, when given, value (issue 9 item 1). */
  private holds(c: KvCompare): boolean {
    const cur = this.entry(c.key);
    if (c.revision === null) return cur === undefined;
    if (cur === undefined || cur.revision !== c.revision) return false;
    return c.value === undefined || cur.value === c.value;
  }

  async txn(compares: readonly KvCompare[], writes: readonly KvWrite[]): Promise<KvTxnResult> {
    await this.recover();
    try {
      return this.db.transactionSync((): KvTxnResult => {
        // Reads inside transactionSync see the write transaction, which LMDB holds exclusively,
        // so the compares and the writes are atomic together.
        if (!compares.every((c) => this.holds(c))) return { ok: false, current: compares.map((c) => this.entry(c.key)) };
        const revision = this.nextRevision([...compares.map((c) => c.key), ...writes.map((w) => w.key)]);
        for (const w of writes) {
          if (w.value === null) this.db.removeSync(w.key);
          else this.db.putSync(w.key, w.value, Number(revision));
        }
        return { ok: true, revision };
      });
    } catch (e) {
      if (e instanceof CorruptRecordError) throw e;
      // A failure inside the transaction aborts it: nothing was written.
      this.poisoned = true;
      throw new KvUnavailable(false, e);
    }
  }

  /** Raw access for tests: the stored text of a key. */
  raw(key: string): string | undefined {
    this.root.resetReadTxn();
    return this.entry(key)?.value;
  }

  /** A hand edit, as another tool would make it: writes `value` at a fresh revision. */
  setRaw(key: string, value: string): void {
    this.db.transactionSync(() => {
      this.db.putSync(key, value, Number(this.nextRevision([key])));
    });
  }

  /** A partial restore or hand edit, for tests: writes `value` at `version`, counter untouched. */
  putRawAt(key: string, value: string, version: number): void {
    this.db.transactionSync(() => {
      this.db.putSync(key, value, version);
    });
  }

  /** Raw access for tests: a value written without the version header (another open mode). */
  putUnversioned(key: string, value: string): void {
    this.bytes.putSync(key, Buffer.from(value));
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}

export class LmdbEpochStore extends KvEpochStore {
  constructor(
    readonly lmdb: LmdbKv,
    options: { layout?: Partial<KeyLayout>; policy?: Partial<CasPolicy> } = {},
  ) {
    super(lmdb, options);
  }

  static open(path = DEFAULT_LMDB_PATH, options: { layout?: Partial<KeyLayout>; policy?: Partial<CasPolicy> } = {}) {
    return new LmdbEpochStore(new LmdbKv(path), options);
  }
}
