/**
 * Embedded epoch store on LMDB (lmdb-js), the default (`.opcharts/store`). The conditional write is
 * one LMDB write transaction: LMDB admits one writer at a time across every process that opens
 * the file, so comparing revisions and writing inside it is a compare-and-swap that is safe with
 * several processes. Revisions come from one store-wide counter (like etcd's), never per key, so
 * a key deleted and re-created cannot match a stale revision.
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import { mkdirSync } from 'node:fs';
import { KvUnavailable, type Kv, type KvCompare, type KvEntry, type KvTxnResult, type KvWrite } from './kv.js';
import { KvEpochStore } from './store.js';
import type { CasPolicy } from './types.js';
import type { KeyLayout } from './codec.js';

export const DEFAULT_LMDB_PATH = '.opcharts/store';
const REVISION_KEY = '\u0000revision';

/** Values are stored as `<revision> <text>`, so one read gives both. */
function unpack(raw: string | undefined): KvEntry | undefined {
  if (raw === undefined) return undefined;
  const sp = raw.indexOf(' ');
  return { revision: BigInt(raw.slice(0, sp)), value: raw.slice(sp + 1) };
}

export class LmdbKv implements Kv {
  private readonly root: RootDatabase;
  private readonly db: Database<string, string>;

  constructor(readonly path: string = DEFAULT_LMDB_PATH) {
    try {
      mkdirSync(path, { recursive: true });
      this.root = open({ path, compression: false });
      this.db = this.root.openDB<string, string>({ name: 'opcharts', encoding: 'string' });
    } catch (e) {
      throw new KvUnavailable(false, e);
    }
  }

  async get(keys: readonly string[]): Promise<Array<KvEntry | undefined>> {
    try {
      // lmdb-js reuses a read snapshot; another process's commit is only seen in a fresh one.
      this.root.resetReadTxn();
      return keys.map((k) => unpack(this.db.get(k)));
    } catch (e) {
      throw new KvUnavailable(false, e);
    }
  }

  async txn(compares: readonly KvCompare[], writes: readonly KvWrite[]): Promise<KvTxnResult> {
    try {
      return this.db.transactionSync((): KvTxnResult => {
        const current = compares.map((c) => unpack(this.db.get(c.key)));
        if (!compares.every((c, i) => (current[i]?.revision ?? null) === c.revision)) return { ok: false, current };
        const revision = BigInt(this.db.get(REVISION_KEY) ?? '0') + 1n;
        this.db.putSync(REVISION_KEY, revision.toString());
        for (const w of writes) {
          if (w.value === null) this.db.removeSync(w.key);
          else this.db.putSync(w.key, `${revision} ${w.value}`);
        }
        return { ok: true, revision };
      });
    } catch (e) {
      // A failure inside the transaction aborts it: nothing was written.
      throw new KvUnavailable(false, e);
    }
  }

  /** Raw access for tests: the stored bytes of a key, or a hand-written value. */
  raw(key: string): string | undefined {
    return this.db.get(key);
  }
  setRaw(key: string, value: string): void {
    this.db.putSync(key, value);
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
