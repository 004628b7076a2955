/**
 * Epoch store on etcd (etcd3 client), keys under a configurable prefix laid out like TiCDC's
 * (§3.1). The conditional write is one etcd transaction comparing mod revisions (create revision
 * 0 for "absent"), with an else-branch that reads the compared keys, so a lost compare costs one
 * round trip. The store owns its client, so epoch writes never queue behind other traffic.
 *
 * Fault handling: etcd3's default circuit breaker opens after 3 failures and refuses every call
 * for 5 s; here it is replaced by cockatiel's `noop`, so an outage costs its real downtime. Each
 * call has a deadline, so a dead server fails a call instead of hanging it. A failed transaction
 * whose outcome is unknown (the connection dropped after it was sent) is "maybe applied".
 */
import { Etcd3, type IOptions } from 'etcd3';
import { noop } from 'cockatiel';
import { KvUnavailable, type Kv, type KvCompare, type KvEntry, type KvTxnResult, type KvWrite } from './kv.js';
import { KvEpochStore } from './store.js';
import type { CasPolicy } from './types.js';
import type { KeyLayout } from './codec.js';

type RangeKv = { key: Buffer; value: Buffer; mod_revision: string };

export interface EtcdKvOptions {
  hosts: string | string[];
  /** Per-call deadline in ms (default 3000). */
  callTimeoutMs?: number;
  /** Extra etcd3 client options. */
  client?: Partial<IOptions>;
}

export class EtcdKv implements Kv {
  readonly client: Etcd3;

  constructor(options: EtcdKvOptions) {
    const timeout = options.callTimeoutMs ?? 3000;
    this.client = new Etcd3({
      hosts: options.hosts,
      dialTimeout: timeout,
      faultHandling: { host: () => noop, global: noop },
      defaultCallOptions: () => ({ deadline: Date.now() + timeout }),
      ...options.client,
    });
  }

  private entry(kvs: RangeKv[] | undefined): KvEntry | undefined {
    const kv = kvs?.[0];
    return kv ? { value: kv.value.toString('utf8'), revision: BigInt(kv.mod_revision) } : undefined;
  }

  async get(keys: readonly string[]): Promise<Array<KvEntry | undefined>> {
    try {
      const res = await Promise.all(keys.map((k) => this.client.get(k).exec()));
      return res.map((r) => this.entry(r.kvs as unknown as RangeKv[]));
    } catch (e) {
      throw new KvUnavailable(false, e);
    }
  }

  async txn(compares: readonly KvCompare[], writes: readonly KvWrite[]): Promise<KvTxnResult> {
    const ops = writes.map((w) =>
      w.value === null ? this.client.delete().key(w.key) : this.client.put(w.key).value(w.value),
    );
    let builder;
    if (compares.length === 0) {
      // An unconditional write is still one transaction, so both keys change together.
      builder = this.client.if(writes[0]!.key, 'Version', '>', -1);
    } else {
      builder = compares.reduce(
        (b, c, i) => {
          const [column, value] = c.revision === null ? (['Create', 0] as const) : (['Mod', c.revision.toString()] as const);
          return i === 0 ? this.client.if(c.key, column, '==', value) : b!.and(c.key, column, '==', value);
        },
        undefined as ReturnType<Etcd3['if']> | undefined,
      )!;
    }
    builder = builder.then(...ops).else(...compares.map((c) => this.client.get(c.key)));
    let res;
    try {
      res = await builder.commit();
    } catch (e) {
      throw new KvUnavailable(true, e);
    }
    if (res.succeeded) return { ok: true, revision: BigInt(res.header.revision) };
    return {
      ok: false,
      current: res.responses.map((r) => this.entry(r.response_range?.kvs as unknown as RangeKv[] | undefined)),
    };
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
