/**
 * Epoch stores (spec §3): one contract (types.ts, semantics in store.ts), three adapters (memory,
 * LMDB, etcd), typed errors, and `openEpochStore(spec)`: `memory`, `lmdb` / `lmdb:PATH` (the
 * embedded default, `.opcharts/store`), and `etcd://HOST:PORT[,HOST:PORT...][/prefix]`.
 * See adapters/README.md.
 */
import { StoreSpecError } from './errors.js';
import { EtcdEpochStore } from './etcd.js';
import { DEFAULT_LMDB_PATH, LmdbEpochStore } from './lmdb.js';
import { MemoryEpochStore } from './memory.js';
import type { KvEpochStore } from './store.js';
import type { CasPolicy } from './types.js';

export * from './types.js';
export * from './errors.js';
export * from './kv.js';
export * from './codec.js';
export { KvEpochStore } from './store.js';
export { MemoryEpochStore, MemoryKv, type InjectedFailure } from './memory.js';
export { LmdbEpochStore, LmdbKv, DEFAULT_LMDB_PATH } from './lmdb.js';
export { EtcdEpochStore, EtcdKv, type EtcdKvOptions } from './etcd.js';

const HOSTPORT = /^[A-Za-z0-9.-]+:[0-9]{1,5}$/;

/**
 * Opens an epoch store from a spec: `memory`, `lmdb` / `lmdb:PATH`, or
 * `etcd://HOST:PORT[,HOST:PORT...][/prefix]` (keys under the prefix, default `/tidb/cdc`).
 * A malformed spec is a {@link StoreSpecError}. See adapters/README.md.
 */
export function openEpochStore(spec = `lmdb:${DEFAULT_LMDB_PATH}`, policy: Partial<CasPolicy> = {}): KvEpochStore {
  if (spec === 'memory') return new MemoryEpochStore(undefined, { policy });
  if (spec === 'lmdb') return LmdbEpochStore.open(DEFAULT_LMDB_PATH, { policy });
  if (spec.startsWith('lmdb:')) {
    const path = spec.slice('lmdb:'.length);
    if (!path) throw new StoreSpecError(spec, 'lmdb: needs a path');
    return LmdbEpochStore.open(path, { policy });
  }
  if (spec.startsWith('etcd://')) {
    const rest = spec.slice('etcd://'.length);
    const slash = rest.indexOf('/');
    const hosts = (slash < 0 ? rest : rest.slice(0, slash)).split(',');
    const prefix = slash < 0 ? undefined : rest.slice(slash);
    if (!hosts.every((h) => HOSTPORT.test(h))) throw new StoreSpecError(spec, 'expected etcd://HOST:PORT[,HOST:PORT...][/prefix]');
    return EtcdEpochStore.connect({
      hosts: hosts.map((h) => `http://${h}`),
      policy,
      ...(prefix && prefix !== '/' ? { layout: { prefix: prefix.replace(/\/$/, '') } } : {}),
    });
  }
  throw new StoreSpecError(spec, 'expected memory, lmdb:PATH or etcd://HOST:PORT');
}
