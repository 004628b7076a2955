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

const HOST = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
/** A prefix segment: printable, no separators, not `.` or `..` (the key would not be canonical). */
const PREFIX_SEGMENT = /^[A-Za-z0-9_.-]+$/;

function etcdHost(spec: string, h: string): string {
  const m = /^([^:]+):([0-9]{1,5})$/.exec(h);
  if (!m || !HOST.test(m[1]!)) throw new StoreSpecError(spec, `bad host ${JSON.stringify(h)}: expected HOST:PORT`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new StoreSpecError(spec, `port ${m[2]} out of range 1-65535`);
  return `http://${m[1]}:${port}`;
}

function etcdPrefix(spec: string, prefix: string): string | undefined {
  const trimmed = prefix.replace(/\/$/, '');
  if (trimmed === '') return undefined;
  for (const seg of trimmed.slice(1).split('/')) {
    if (!PREFIX_SEGMENT.test(seg) || seg === '.' || seg === '..') {
      throw new StoreSpecError(spec, `bad prefix segment ${JSON.stringify(seg)}: expected [A-Za-z0-9_.-]+, not . or ..`);
    }
  }
  return trimmed;
}

/**
 * Opens an epoch store from a spec: `memory`, `lmdb` / `lmdb:PATH`, or
 * `etcd://HOST:PORT[,HOST:PORT...][/prefix]` (keys under the prefix, default `/tidb/cdc`).
 * A malformed spec is a {@link StoreSpecError}, checked completely before anything is opened
 * (issue 9 item 8). See adapters/README.md.
 */
export function openEpochStore(spec: string = `lmdb:${DEFAULT_LMDB_PATH}`, policy: Partial<CasPolicy> = {}): KvEpochStore {
  if (typeof spec !== 'string') throw new StoreSpecError(String(spec), 'expected a string');
  if (spec === 'memory') return new MemoryEpochStore(undefined, { policy });
  if (spec === 'lmdb') return LmdbEpochStore.open(DEFAULT_LMDB_PATH, { policy });
  if (spec.startsWith('lmdb:')) {
    const path = spec.slice('lmdb:'.length);
    if (path.trim() === '') throw new StoreSpecError(spec, 'lmdb: needs a path');
    if (path.includes('\0')) throw new StoreSpecError(spec.replace(/\0/g, '\\0'), 'NUL in the path');
    if (path !== path.trim()) throw new StoreSpecError(spec, 'leading or trailing white space in the path');
    return LmdbEpochStore.open(path, { policy });
  }
  if (spec.startsWith('etcd://')) {
    const rest = spec.slice('etcd://'.length);
    if (/[\0\s]/.test(rest)) throw new StoreSpecError(spec.replace(/\0/g, '\\0'), 'NUL or white space in the spec');
    const slash = rest.indexOf('/');
    const hosts = (slash < 0 ? rest : rest.slice(0, slash)).split(',').map((h) => etcdHost(spec, h));
    const prefix = slash < 0 ? undefined : etcdPrefix(spec, rest.slice(slash));
    return EtcdEpochStore.connect({ hosts, policy, ...(prefix ? { layout: { prefix } } : {}) });
  }
  throw new StoreSpecError(spec, 'expected memory, lmdb:PATH or etcd://HOST:PORT');
}
