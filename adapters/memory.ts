/**
 * In-memory epoch store: for tests and the cluster model. Same semantics as the others (it runs
 * the shared store logic), plus failure injection: the next reads or writes can fail as
 * unavailable, or apply and then fail as "maybe applied", as a dropped etcd connection does.
 */
import { KvUnavailable, type Kv, type KvCompare, type KvEntry, type KvTxnResult, type KvWrite } from './kv.js';
import { KvEpochStore } from './store.js';
import type { CasPolicy } from './types.js';
import type { KeyLayout } from './codec.js';

export type InjectedFailure = 'unavailable' | 'maybe-applied';

export class MemoryKv implements Kv {
  private readonly data = new Map<string, KvEntry>();
  private revision = 0n;
  private readonly failures: Array<{ on: 'read' | 'write'; kind: InjectedFailure }> = [];
  /** Called before each transaction commits (tests use it to interleave a concurrent writer). */
  beforeCommit: (() => void | Promise<void>) | undefined;

  inject(on: 'read' | 'write', kind: InjectedFailure, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push({ on, kind });
  }

  private takeFailure(on: 'read' | 'write') {
    const i = this.failures.findIndex((f) => f.on === on);
    return i < 0 ? undefined : this.failures.splice(i, 1)[0];
  }

  async get(keys: readonly string[]): Promise<Array<KvEntry | undefined>> {
    await Promise.resolve();
    if (this.takeFailure('read')) throw new KvUnavailable(false, new Error('injected: store unavailable'));
    return keys.map((k) => this.data.get(k));
  }

  async txn(compares: readonly KvCompare[], writes: readonly KvWrite[]): Promise<KvTxnResult> {
    await this.beforeCommit?.();
    const failure = this.takeFailure('write');
    if (failure?.kind === 'unavailable') throw new KvUnavailable(false, new Error('injected: store unavailable'));
    const ok = compares.every((c) => {
      const cur = this.data.get(c.key);
      if (c.revision === null) return cur === undefined;
      return cur !== undefined && cur.revision === c.revision && (c.value === undefined || cur.value === c.value);
    });
    if (!ok) return { ok: false, current: compares.map((c) => this.data.get(c.key)) };
    const revision = ++this.revision;
    for (const w of writes) {
      if (w.value === null) this.data.delete(w.key);
      else this.data.set(w.key, { value: w.value, revision });
    }
    if (failure?.kind === 'maybe-applied') throw new KvUnavailable(true, new Error('injected: connection lost after commit'));
    return { ok: true, revision };
  }

  /** Raw access for tests: the stored text of a key, or a hand-written value. */
  raw(key: string): string | undefined {
    return this.data.get(key)?.value;
  }
  setRaw(key: string, value: string): void {
    this.data.set(key, { value, revision: ++this.revision });
  }

  /** A restore from a backup, for tests: `value` at an explicit (possibly reused) revision. */
  putRawAt(key: string, value: string, revision: bigint): void {
    this.data.set(key, { value, revision });
  }
  /** Moves the store-wide revision counter (a restore from an older backup), for tests. */
  setRevisionCounter(revision: bigint): void {
    this.revision = revision;
  }

  async close(): Promise<void> {}
}

export class MemoryEpochStore extends KvEpochStore {
  constructor(
    readonly memory: MemoryKv = new MemoryKv(),
    options: { layout?: Partial<KeyLayout>; policy?: Partial<CasPolicy> } = {},
  ) {
    super(memory, options);
  }
}
