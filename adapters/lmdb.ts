/**
 * Embedded epoch store on LMDB (lmdb-js), the default (`.opcharts/store`).
 *
 * CAS through LMDB's versioned conditional writes: the database is opened with `useVersions`, each
 * entry carries its revision as its version, and a transaction's compares are `ifVersion(key,
 * revision)` (or `ifNoExists(key)` for "absent", as etcd's `create_revision == 0`) wrapped around
 * the writes. They run inside one LMDB write transaction, which LMDB admits one at a time across
 * every process that opens the file, so the compares and the writes are atomic together and safe
 * with several processes on one file; a failed compare reads the current entries in the same
 * transaction (etcd's else-branch).
 *
 * Revisions come from one store-wide counter (like etcd's), never per key, so a key that is
 * deleted and created again can never match a revision read before the delete (no ABA). lmdb-js
 * versions are doubles: the counter is exact to 2^53 writes, which is checked. Values at rest are
 * exactly the JSON text of the codec (spec §3.1 layout, uint64 fields as decimal strings).
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import { mkdirSync } from 'node:fs';
import { KvUnavailable, type Kv, type KvCompare, type KvEntry, type KvTxnResult, type KvWrite } from './kv.js';
import { KvEpochStore } from './store.js';
import type { CasPolicy } from './types.js';
import type { KeyLayout } from './codec.js';

export const DEFAULT_LMDB_PATH = '.opcharts/store';
/** The store-wide revision counter; outside any changefeed key (those start with the prefix). */
const REVISION_KEY = '\u0000revision';

export class LmdbKv implements Kv {
  private readonly root: RootDatabase;
  private readonly db: Database<string, string>;

  constructor(readonly path: string = DEFAULT_LMDB_PATH) {
    try {
      mkdirSync(path, { recursive: true });
      this.root = open({ path, compression: false });
      this.db = this.root.openDB<string, string>({ name: 'epochs', encoding: 'string', useVersions: true });
    } catch (e) {
      throw new KvUnavailable(false, e);
    }
  }

  private entry(key: string): KvEntry | undefined {
    const e = this.db.getEntry(key);
    if (e === undefined) return undefined;
    return { value: e.value, revision: BigInt(e.version ?? 0) };
  }

  async get(keys: readonly string[]): Promise<Array<KvEntry | undefined>> {
    try {
      // lmdb-js reuses a read snapshot; another process's commit is only seen in a fresh one.
      // One snapshot for all the keys, as etcd's single-revision read.
      this.root.resetReadTxn();
      return keys.map((k) => this.entry(k));
    } catch (e) {
      throw new KvUnavailable(false, e);
    }
  }

  /** Inside a write transaction: the next store-wide revision, persisted with it. */
  private nextRevision(): bigint {
    const revision = BigInt(this.db.get(REVISION_KEY) ?? '0') + 1n;
    if (revision > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('LMDB revision counter passed 2^53-1');
    this.db.putSync(REVISION_KEY, revision.toString(), Number(revision));
    return revision;
  }

  async txn(compares: readonly KvCompare[], writes: readonly KvWrite[]): Promise<KvTxnResult> {
    try {
      return this.db.transactionSync((): KvTxnResult => {
        let revision: bigint | undefined;
        const apply = () => {
          revision = this.nextRevision();
          for (const w of writes) {
            if (w.value === null) this.db.removeSync(w.key);
            else this.db.putSync(w.key, w.value, Number(revision));
          }
        };
        // Nested conditions: the writes run only if every compare holds. Inside a write
        // transaction lmdb-js evaluates ifVersion / ifNoExists synchronously.
        const guarded = compares.reduceRight<() => void>(
          (inner, c) => () =>
            void (c.revision === null ? this.db.ifNoExists(c.key, inner) : this.db.ifVersion(c.key, Number(c.revision), inner)),
          apply,
        );
        guarded();
        if (revision === undefined) return { ok: false, current: compares.map((c) => this.entry(c.key)) };
        return { ok: true, revision };
      });
    } catch (e) {
      // A failure inside the transaction aborts it: nothing was written.
      throw new KvUnavailable(false, e);
    }
  }

  /** Raw access for tests: the stored text of a key. */
  raw(key: string): string | undefined {
    this.root.resetReadTxn();
    return this.db.get(key);
  }

  /** A hand edit, as another tool would make it: writes `value` at a fresh revision. */
  setRaw(key: string, value: string): void {
    this.db.transactionSync(() => {
      this.db.putSync(key, value, Number(this.nextRevision()));
    });
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
