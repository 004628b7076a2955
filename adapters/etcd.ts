/**
 * Epoch store on etcd (etcd3 client), keys under a configurable prefix laid out like TiCDC's
 * (spec §3.1: `{prefix}/{clusterID}/{keyspace}/changefeed/info|status/{name}`).
 *
 * Every operation is one etcd `Txn` RPC:
 * - a conditional write compares mod revisions (create revision 0 for "absent", as CreateChangefeed
 *   does, §3.4) and has an else-branch that reads the compared keys, so a lost compare costs one
 *   round trip in all (§3.2 step 5-6);
 * - an unconditional write (update, pause, delete: §3.4) is a transaction with no compare, so both
 *   keys change together;
 * - a read of several keys is a transaction of range requests: one round trip, one revision.
 *
 * The store owns its client, so epoch writes never queue behind other traffic on a shared one.
 *
 * Fault handling: etcd3's default circuit breaker opens after 3 failures and refuses every call
 * for 5 s, and its default global policy retries (which could apply a write twice); both are
 * replaced by cockatiel's `noop`, so an outage costs its real downtime and a write is sent at most
 * once. Each call has a deadline, so a dead server fails a call instead of hanging it. A failed
 * write is "maybe applied" unless the error proves it never left the client (no connection could
 * be established): a connection reset or a deadline after sending leaves the outcome unknown.
 */
import { Etcd3, type IOptions, type ICompare, type IRequestOp, type IResponseOp, type IKeyValue } from 'etcd3';
import { noop } from 'cockatiel';
import { KvTooLarge, KvUnavailable, type Kv, type KvCompare, type KvEntry, type KvTxnResult, type KvWrite } from './kv.js';
import { KvEpochStore } from './store.js';
import type { CasPolicy } from './types.js';
import type { KeyLayout } from './codec.js';

export interface EtcdKvOptions {
  hosts: string | string[];
  /** Per-call deadline in ms (default 3000). */
  callTimeoutMs?: number;
  /** Extra etcd3 client options. */
  client?: Partial<IOptions>;
}

// etcd's protobuf enums (rpc.proto): CompareResult.EQUAL, CompareTarget.CREATE / MOD.
const EQUAL = 0;
const TARGET_CREATE = 1;
const TARGET_MOD = 2;
const TARGET_VALUE = 3;

/**
 * True only when the error shows the request was never sent: grpc-js could not pick a connection
 * (refused, or still waiting for one when the deadline passed). Anything else may have reached
 * the server.
 */
export function provablyNotSent(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  // DNS failures (ENOTFOUND, grpc's "Name resolution failed") never leave the client either.
  return /No connection established|ECONNREFUSED|Waiting for LB pick|Failed to connect|ENOTFOUND|EAI_AGAIN|Name resolution failed|DNS resolution failed/i.test(
    m,
  );
}

/** etcd refused the request as over `--max-request-bytes` (or gRPC's message limit): not applied. */
export function refusedAsTooLarge(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return /request is too large|RESOURCE_EXHAUSTED|larger than max/i.test(m);
}

export class EtcdKv implements Kv {
  readonly client: Etcd3;
  private readonly timeout: number;

  constructor(options: EtcdKvOptions) {
    this.timeout = options.callTimeoutMs ?? 3000;
    this.client = new Etcd3({
      hosts: options.hosts,
      dialTimeout: this.timeout,
      faultHandling: { host: () => noop, global: noop },
      ...options.client,
    });
  }

  private entry(r: IResponseOp | undefined): KvEntry | undefined {
    const kv: IKeyValue | undefined = r?.response_range?.kvs?.[0];
    return kv ? { value: kv.value.toString('utf8'), revision: BigInt(kv.mod_revision) } : undefined;
  }

  private range(key: string): IRequestOp {
    return { request_range: { key: Buffer.from(key) } };
  }

  private exec(compare: ICompare[], success: IRequestOp[], failure: IRequestOp[]) {
    return this.client.kv.txn({ compare, success, failure }, { deadline: Date.now() + this.timeout });
  }

  async get(keys: readonly string[]): Promise<Array<KvEntry | undefined>> {
    try {
      const res = await this.exec([], keys.map((k) => this.range(k)), []);
      return res.responses.map((r) => this.entry(r));
    } catch (e) {
      throw new KvUnavailable(false, e);
    }
  }

  async txn(compares: readonly KvCompare[], writes: readonly KvWrite[]): Promise<KvTxnResult> {
    const compare: ICompare[] = compares.flatMap((c): ICompare[] =>
      c.revision === null
        ? [{ key: Buffer.from(c.key), result: EQUAL, target: TARGET_CREATE, create_revision: 0 }]
        : [
            { key: Buffer.from(c.key), result: EQUAL, target: TARGET_MOD, mod_revision: c.revision.toString() },
            // Revisions recur after a restore from backup: the value must match as well.
            ...(c.value === undefined
              ? []
              : [{ key: Buffer.from(c.key), result: EQUAL, target: TARGET_VALUE, value: Buffer.from(c.value) }]),
          ],
    );
    const success: IRequestOp[] = writes.map((w) =>
      w.value === null
        ? { request_delete_range: { key: Buffer.from(w.key) } }
        : { request_put: { key: Buffer.from(w.key), value: Buffer.from(w.value) } },
    );
    let res;
    try {
      res = await this.exec(compare, success, compares.map((c) => this.range(c.key)));
    } catch (e) {
      if (refusedAsTooLarge(e)) throw new KvTooLarge(e);
      throw new KvUnavailable(!provablyNotSent(e), e);
    }
    if (res.succeeded) return { ok: true, revision: BigInt(res.header.revision) };
    return { ok: false, current: res.responses.map((r) => this.entry(r)) };
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

export class EtcdEpochStore extends KvEpochStore {
  constructor(
    readonly etcd: EtcdKv,
    options: { layout?: Partial<KeyLayout>; policy?: Partial<CasPolicy> } = {},
  ) {
    super(etcd, options);
  }

  static connect(options: EtcdKvOptions & { layout?: Partial<KeyLayout>; policy?: Partial<CasPolicy> }) {
    return new EtcdEpochStore(new EtcdKv(options), options);
  }
}
