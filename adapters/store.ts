/**
 * The epoch store contract (spec §3) written once over the {@link Kv} primitive. Each adapter
 * (memory, LMDB, etcd) supplies a Kv; the semantics below are shared and follow the source:
 *
 * - bumpEpoch (§3.2): read the info (and the status when it is written too), `advance(candidate,
 *   stored)`, then one conditional write comparing the info's revision only — or both revisions
 *   when the status is written in the same transaction. A lost compare costs no extra read: the
 *   failed transaction returns the fresh values (etcd's else-branch). Up to `casAttempts`
 *   attempts `casDelayMs` apart, then CasExhaustedError.
 * - resume (§3.3) is a bump with state normal, error cleared, checkpoint set and progress None.
 * - setProgress: CAS on the status, a no-op if already there. update and pause are unconditional
 *   puts, as in the source (§3.4). create requires both keys absent; delete removes both.
 * - Stored values are validated on every read (CorruptRecordError, nothing written); sizes are
 *   checked before any write (ValueTooLargeError); transport failures become
 *   StoreUnavailableError, with `maybeApplied` when a write was in flight.
 */
import { advance, assertUint64 } from '../machines/epoch.js';
import type { Progress } from '../machines/protocol.js';
import {
  AlreadyExistsError,
  CasExhaustedError,
  InvalidRecordError,
  NotFoundError,
  StoreEpochOverflowError,
  StoreUnavailableError,
  ValueTooLargeError,
} from './errors.js';
import { KvTooLarge, KvUnavailable, type Kv, type KvCompare, type KvEntry, type KvWrite } from './kv.js';
import {
  DEFAULT_LAYOUT,
  checkChangefeedId,
  checkProgress,
  checkRunningError,
  checkState,
  checkStatus,
  decodeInfo,
  decodeStatus,
  encodeInfo,
  encodeStatus,
  patchInfo,
  patchStatus,
  infoKey,
  statusKey,
  type KeyLayout,
} from './codec.js';
import {
  DEFAULT_CAS_POLICY,
  type BumpOptions,
  type CasPolicy,
  type ChangefeedInfo,
  type ChangefeedRecord,
  type ChangefeedStatus,
  type EpochStore,
  type Versioned,
} from './types.js';

/** Bound of the revision cache: keys kept, and the largest value kept (about 16 MiB at most). */
export const CACHE_MAX_KEYS = 1024;
export const CACHE_MAX_VALUE_BYTES = 16 * 1024;
/**
 * Framing the size check adds per operation and per request (protobuf tags, lengths, revisions,
 * the request header): generous, so a request that passes here is never refused by etcd.
 */
const REQUEST_OP_OVERHEAD = 32;
const REQUEST_FIXED_OVERHEAD = 256;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class KvEpochStore implements EpochStore {
  readonly layout: KeyLayout;
  readonly policy: CasPolicy;
  /**
   * The last value and revision this store wrote or lost a compare against, per key: a bump
   * starts from it instead of reading first, so an uncontended bump is one round trip; a stale
   * entry only costs a lost compare, whose else-branch returns the fresh value. Bounded (issue 9
   * item 2): at most {@link CACHE_MAX_KEYS} keys, least recently used evicted, values over
   * {@link CACHE_MAX_VALUE_BYTES} never kept; plain reads (`get`) do not fill it.
   */
  private readonly seen = new Map<string, KvEntry>();

  constructor(
    protected readonly kv: Kv,
    options: { layout?: Partial<KeyLayout>; policy?: Partial<CasPolicy> } = {},
  ) {
    this.layout = { ...DEFAULT_LAYOUT, ...options.layout };
    this.policy = { ...DEFAULT_CAS_POLICY, ...options.policy };
  }

  keys(id: string): { info: string; status: string } {
    checkChangefeedId(id);
    return { info: infoKey(this.layout, id), status: statusKey(this.layout, id) };
  }

  private async read(id: string, keys: string[], remember = true): Promise<Array<KvEntry | undefined>> {
    let entries: Array<KvEntry | undefined>;
    try {
      entries = await this.kv.get(keys);
    } catch (e) {
      throw unavailable(id, e, false);
    }
    if (remember) this.remember(keys, entries);
    return entries;
  }

  /** The cached entries of `keys`, or a read when any is unknown. */
  private async readCached(id: string, keys: string[]): Promise<{ entries: Array<KvEntry | undefined>; cached: boolean }> {
    const entries = keys.map((k) => this.seen.get(k));
    if (entries.every((e) => e !== undefined)) {
      // Most recently used goes last, so eviction takes the oldest.
      keys.forEach((k, i) => {
        this.seen.delete(k);
        this.seen.set(k, entries[i]!);
      });
      return { entries, cached: true };
    }
    return { entries: await this.read(id, keys), cached: false };
  }

  private remember(keys: readonly string[], entries: ReadonlyArray<KvEntry | undefined>): void {
    keys.forEach((k, i) => {
      const e = entries[i];
      this.seen.delete(k);
      if (e && Buffer.byteLength(e.value) <= CACHE_MAX_VALUE_BYTES) this.seen.set(k, e);
    });
    while (this.seen.size > CACHE_MAX_KEYS) this.seen.delete(this.seen.keys().next().value!);
  }

  /** Number of cached entries (for tests of the bound). */
  get cachedKeys(): number {
    return this.seen.size;
  }

  private async write(id: string, compares: KvCompare[], writes: KvWrite[]) {
    // etcd refuses a request over 1.5 MiB (and one over 2 MiB trips its client's retries): count
    // the whole request as sent (compares with their values, writes, the else-branch reads and
    // framing), per key and in total, before anything is sent (issue 9 item 7).
    let total = REQUEST_FIXED_OVERHEAD;
    for (const w of writes) {
      const bytes = Buffer.byteLength(w.key) + (w.value === null ? 0 : Buffer.byteLength(w.value));
      if (bytes > this.policy.maxValueBytes) throw new ValueTooLargeError(id, w.key, bytes, this.policy.maxValueBytes);
      total += bytes + REQUEST_OP_OVERHEAD;
    }
    for (const c of compares) {
      // The compare, and the range read of the else-branch.
      total += 2 * (Buffer.byteLength(c.key) + REQUEST_OP_OVERHEAD) + (c.value === undefined ? 0 : Buffer.byteLength(c.value));
    }
    if (total > this.policy.maxValueBytes) {
      throw new ValueTooLargeError(id, writes.map((w) => w.key).join(' + '), total, this.policy.maxValueBytes);
    }
    let r;
    try {
      r = await this.kv.txn(compares, writes);
    } catch (e) {
      for (const w of writes) this.seen.delete(w.key);
      if (e instanceof KvTooLarge) {
        const bytes = writes.reduce((n, w) => n + Buffer.byteLength(w.key) + (w.value === null ? 0 : Buffer.byteLength(w.value)), 0);
        throw new ValueTooLargeError(id, writes.map((w) => w.key).join(' + '), bytes, this.policy.maxValueBytes);
      }
      throw unavailable(id, e, true);
    }
    if (r.ok) {
      // Only conditional writes' keys are cached: they are what the next bump compares.
      this.remember(
        writes.map((w) => w.key),
        writes.map((w) => (w.value === null || compares.length === 0 ? undefined : { value: w.value, revision: r.revision })),
      );
    } else {
      this.remember(compares.map((c) => c.key), r.current);
    }
    return r;
  }

  private decodeRecord(id: string, info: KvEntry | undefined, status: KvEntry | undefined): ChangefeedRecord {
    const k = this.keys(id);
    if (!info) throw new NotFoundError(id, k.info);
    return {
      id,
      info: { value: decodeInfo(id, k.info, info.value), revision: info.revision },
      status: status ? { value: decodeStatus(id, k.status, status.value), revision: status.revision } : undefined,
    };
  }

  async create(id: string, info: ChangefeedInfo, status: ChangefeedStatus): Promise<ChangefeedRecord> {
    const k = this.keys(id);
    const r = await this.write(
      id,
      [
        { key: k.info, revision: null },
        { key: k.status, revision: null },
      ],
      [
        { key: k.info, value: encodeInfo(id, info) },
        { key: k.status, value: encodeStatus(status, id) },
      ],
    );
    if (!r.ok) throw new AlreadyExistsError(id);
    return { id, info: { value: info, revision: r.revision }, status: { value: status, revision: r.revision } };
  }

  async get(id: string): Promise<ChangefeedRecord> {
    const k = this.keys(id);
    const [info, status] = await this.read(id, [k.info, k.status], false);
    return this.decodeRecord(id, info, status);
  }

  async bumpEpoch(id: string, candidate: bigint, opts: BumpOptions = {}): Promise<Versioned<ChangefeedInfo>> {
    assertUint64(candidate, 'candidate');
    const k = this.keys(id);
    // Options checked before anything is read or written (issue 9 item 6).
    if (typeof opts !== 'object' || opts === null) throw new InvalidRecordError(id, 'options', 'expected an object');
    if (opts.state !== undefined) checkState(id, opts.state);
    if (opts.error !== undefined) checkRunningError(id, opts.error);
    if (opts.status !== undefined) checkStatus(id, opts.status);
    const withStatus = opts.status !== undefined;
    const keys = withStatus ? [k.info, k.status] : [k.info];
    // A cached start is a guess: a lost compare on it costs no attempt and no pause, and any
    // verdict other than a write (missing, corrupt, overflow) is only given on a fresh read.
    let { entries: seen, cached } = await this.readCached(id, keys);
    for (let attempt = 1; ; ) {
      const [infoEntry, statusEntry] = seen;
      let info: ChangefeedInfo;
      try {
        if (!infoEntry) throw new NotFoundError(id, k.info);
        if (withStatus && !statusEntry) throw new NotFoundError(id, k.status);
        const stored = decodeInfo(id, k.info, infoEntry.value);
        if (withStatus) decodeStatus(id, k.status, statusEntry!.value);
        let epoch: bigint;
        try {
          epoch = advance(candidate, stored.epoch);
        } catch {
          throw new StoreEpochOverflowError(id, k.info, stored.epoch);
        }
        info = {
          ...stored,
          epoch,
          ...(opts.state !== undefined ? { state: opts.state } : {}),
          ...(opts.error !== undefined ? { error: opts.error } : {}),
        };
      } catch (e) {
        if (!cached) throw e;
        seen = await this.read(id, keys);
        cached = false;
        continue;
      }
      // Revision and value: a recurring revision must not pass for the value it once had.
      // From the cache, prove the value too. From a fresh read compare the revision only, as
      // TiCDC does (§3.2), so a bump's request does not carry the value twice.
      const proof = (e: KvEntry) => (cached ? { value: e.value } : {});
      const compares: KvCompare[] = [{ key: k.info, revision: infoEntry!.revision, ...proof(infoEntry!) }];
      // Patched over the stored texts: fields opcharts does not own (TiCDC's) keep their bytes.
      const writes: KvWrite[] = [{ key: k.info, value: patchInfo(id, infoEntry!.value, info) }];
      if (withStatus) {
        compares.push({ key: k.status, revision: statusEntry!.revision, ...proof(statusEntry!) });
        writes.push({ key: k.status, value: patchStatus(id, statusEntry!.value, opts.status!) });
      }
      const r = await this.write(id, compares, writes);
      if (r.ok) return { value: info, revision: r.revision };
      seen = r.current;
      if (cached) {
        cached = false;
        continue;
      }
      if (attempt >= this.policy.casAttempts) throw new CasExhaustedError(id, 'bump changefeed epoch', attempt);
      attempt++;
      await sleep(this.policy.casDelayMs);
    }
  }

  resume(id: string, candidate: bigint, checkpointTs: bigint): Promise<Versioned<ChangefeedInfo>> {
    return this.bumpEpoch(id, candidate, { state: 'normal', error: null, status: { checkpointTs, progress: 'None' } });
  }

  async setProgress(id: string, progress: Progress): Promise<void> {
    const k = this.keys(id);
    checkProgress(id, progress);
    // Fresh, not cached: "already there" must be true of the store, not of a stale copy.
    let [seen] = await this.read(id, [k.status], false);
    for (let attempt = 1; ; attempt++) {
      if (!seen) throw new NotFoundError(id, k.status);
      const status = decodeStatus(id, k.status, seen.value);
      if (status.progress === progress) return;
      const r = await this.write(id, [{ key: k.status, revision: seen.revision }], [
        { key: k.status, value: patchStatus(id, seen.value, { ...status, progress }) },
      ]);
      if (r.ok) return;
      if (attempt >= this.policy.casAttempts) throw new CasExhaustedError(id, 'set changefeed progress', attempt);
      await sleep(this.policy.casDelayMs);
      seen = r.current[0];
    }
  }

  async update(id: string, info: ChangefeedInfo, status: ChangefeedStatus): Promise<void> {
    const k = this.keys(id);
    await this.write(id, [], [
      { key: k.info, value: encodeInfo(id, info) },
      { key: k.status, value: encodeStatus(status, id) },
    ]);
  }

  async pause(id: string): Promise<void> {
    const k = this.keys(id);
    const [infoEntry, statusEntry] = await this.read(id, [k.info, k.status], false);
    if (!infoEntry) throw new NotFoundError(id, k.info);
    if (!statusEntry) throw new NotFoundError(id, k.status);
    const info = decodeInfo(id, k.info, infoEntry.value);
    const status = decodeStatus(id, k.status, statusEntry.value);
    await this.write(id, [], [
      { key: k.info, value: patchInfo(id, infoEntry.value, { ...info, state: 'stopped' }) },
      { key: k.status, value: patchStatus(id, statusEntry.value, { ...status, progress: 'Stopping' }) },
    ]);
  }

  async delete(id: string): Promise<void> {
    const k = this.keys(id);
    await this.write(id, [], [
      { key: k.info, value: null },
      { key: k.status, value: null },
    ]);
  }

  close(): Promise<void> {
    return this.kv.close();
  }
}

function unavailable(id: string, e: unknown, wasWrite: boolean): Error {
  if (e instanceof KvUnavailable) return new StoreUnavailableError(id, wasWrite && e.maybeApplied, e.cause);
  return e instanceof Error ? e : new Error(String(e));
}
