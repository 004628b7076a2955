/**
 * The cluster check as the parallel explorer's worker threads build it (`opcharts check --workers N`):
 * the same model as a single-threaded check, with an encoding that every thread computes alike.
 *
 * The single-threaded encoding (cluster/model.ts `tableEncoder`) numbers machine snapshots in the
 * order one thread meets them, so two threads would number one state differently. Here each part
 * of the world (a machine snapshot, a message, a pending runtime task, a stored record) is
 * represented by a 64-bit hash of its canonical text, computed once per object (the hash-consing
 * stepper hands out one object per distinct snapshot, so this is a cache hit almost always), and
 * the bag by its sorted message hashes. Two distinct parts with one hash would count as one: the
 * parallel search is a hash-compaction search anyway and says it may miss states. The encoding
 * cannot be decoded, so each worker keeps the states it found (explorer/parallel.ts, local mode).
 *
 * A user invariant module (`--invariant`) is loaded by every worker from the spec the main thread
 * passes in `workerData`.
 */
import { workerData } from 'node:worker_threads';
import type { AnyMachineSnapshot } from 'xstate';
import { stableStringify } from '../graph/serialize.js';
import type { ParallelModel } from '../explorer/parallel.js';
import { buildCheck, loadInvariantModule, type CheckSpec } from './check.js';
import type { ClusterInvariant } from './invariants.js';
import type { ClusterConfig, World, Action } from './world.js';

/** Two independent 32-bit hashes (FNV-1a and a multiply-xorshift) of a string: one 64-bit hash. */
function hashText(text: string, out: number[]): void {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  out.push(a | 0, (b ^ (b >>> 13)) | 0);
}

/** A portable encoding of worlds of one configuration: the same words in every thread. */
export function portableEncoder(config: ClusterConfig): (w: World) => Int32Array {
  const cache = new WeakMap<object, [number, number]>();
  const tmp: number[] = [];
  const part = (v: object | null, text: (v: object) => string, out: number[]) => {
    if (v === null) {
      out.push(0, 0);
      return;
    }
    let h = cache.get(v);
    if (!h) {
      tmp.length = 0;
      hashText(text(v), tmp);
      h = [tmp[0]!, tmp[1]!];
      cache.set(v, h);
    }
    out.push(h[0], h[1]);
  };
  const snapText = (s: object) => stableStringify({ v: (s as AnyMachineSnapshot).value, c: (s as AnyMachineSnapshot).context });
  const plainText = (v: object) => stableStringify(v);
  const buf: number[] = [];
  const bag: number[] = [];
  return (w) => {
    buf.length = 0;
    for (const id of config.nodes) {
      const e = w.epochs[id] ?? 0n;
      tmp.length = 0;
      hashText(e.toString(), tmp);
      buf.push(tmp[0]!, tmp[1]!);
      const n = w.nodes[id];
      if (!n) {
        buf.push(-1);
        continue;
      }
      part(n.liveness, snapText, buf);
      part(n.drainTarget, snapText, buf);
      for (const cf of config.changefeeds) {
        part(n.registries[cf]!, snapText, buf);
        part(n.managers[cf]!, snapText, buf);
      }
      buf.push(n.runtime.length);
      for (const t of n.runtime) part(t, plainText, buf);
    }
    for (const cf of config.changefeeds) part(w.store[cf] ?? null, plainText, buf);
    buf.push(w.budgets.loss, w.budgets.duplication, w.budgets.crashes);
    tmp.length = 0;
    hashText(stableStringify(w.coordinator ?? null), tmp);
    buf.push(tmp[0]!, tmp[1]!);
    // Every other field of the world, as the single-threaded encoding has them (cluster/model.ts).
    tmp.length = 0;
    hashText(
      stableStringify({
        fo: w.failovers ?? 0,
        lv: w.lastCoordinatorVersion ?? 0n,
        sc: w.storeCalls ?? [],
        sf: w.storeFaults ?? 0,
        pd: [w.pdAvailable ?? true, w.pdOutages ?? 0],
        api: w.apiCalls ?? 0,
        re: w.retiredEpochs ?? {},
        rv: w.revisions ?? null,
        ca: w.checkpointAdvances ?? null,
        panic: w.coordinatorPanic ?? null,
      }),
      tmp,
    );
    buf.push(tmp[0]!, tmp[1]!);
    // The bag: message hashes as pairs, sorted, so that the order of a bag never matters.
    bag.length = 0;
    for (const m of w.inFlight) part(m, plainText, bag);
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < bag.length; i += 2) pairs.push([bag[i]!, bag[i + 1]!]);
    pairs.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    buf.push(pairs.length);
    for (const [x, y] of pairs) buf.push(x, y);
    return Int32Array.from(buf);
  };
}

// In a worker, the spec arrives as workerData; its user invariants are loaded before the factory runs.
const spec = (workerData as { config?: CheckSpec } | null)?.config;
const userInvariants: ClusterInvariant[] = spec?.invariantModule ? await loadInvariantModule(spec.invariantModule) : [];

/** The parallel explorer's factory: the check's model with the portable encoding, and its invariants. */
export function checkModelFactory(spec: CheckSpec): { model: ParallelModel<World, Action>; invariants: ClusterInvariant[] } {
  const built = buildCheck(spec, userInvariants);
  const encode = portableEncoder(spec.config.cluster);
  return { model: { ...built.model, encode }, invariants: built.invariants };
}
