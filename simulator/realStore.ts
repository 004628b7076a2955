/**
 * The simulator's real epoch store (spec §3): every store call the world makes (the admission's
 * epoch bump, a stop operator's PostFinish write, the changefeed API's writes) is executed against
 * an adapter of adapters/ — memory, LMDB or etcd — and what the adapter then holds is compared
 * with the world's `store` entry. The world's own store (cluster/store.ts) stays the model; this
 * is the real thing it is checked against, step by step.
 *
 * Simplification: the world's `updateCheckpoint` writer has no adapter call of its own; it is a
 * read of the info and an unconditional `update` (one writer here, so nothing comes between).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEpochStore, StoreSpecError, StoreUnavailableError, type KvEpochStore, type RunningError } from '../adapters/index.js';
import type { ChangefeedId } from '../machines/protocol.js';
import type { StoredChangefeed, StoreFailure, StoreOp } from '../cluster/store.js';

/** The running error the world's `error: true` stands for (the model keeps no text). */
export const SIMULATED_ERROR: RunningError = { code: 'CDC:ErrSimulated', message: 'a running error (opcharts simulate)' };

/** How a real call ended: applied, refused by the store (nothing written), or the store was unreachable. */
export type RealOutcome = { ok: true } | { ok: false; failure: StoreFailure } | { ok: false; unavailable: true; maybeApplied: boolean; message: string };

const REFUSALS: readonly string[] = ['NOT_FOUND', 'ALREADY_EXISTS', 'EPOCH_OVERFLOW'];

export class RealStore {
  private constructor(
    /** The spec as given (`memory`, `lmdb:PATH`, `etcd://…`), or the default's description. */
    readonly spec: string,
    private store: KvEpochStore,
    /** Opens a new client on the same data (a new coordinator process); none for memory. */
    private readonly reopen: (() => KvEpochStore) | null,
    private readonly cleanup: () => void,
  ) {}

  /**
   * Opens a store from a spec; without one, LMDB in a new temporary directory (removed at close).
   * A malformed spec is a {@link StoreSpecError} and nothing is opened.
   */
  static open(spec?: string): RealStore {
    if (spec === undefined) {
      const dir = mkdtempSync(join(tmpdir(), 'opcharts-simulate-'));
      const path = join(dir, 'store');
      try {
        return new RealStore(`lmdb:${path}`, openEpochStore(`lmdb:${path}`), () => openEpochStore(`lmdb:${path}`), () => rmSync(dir, { recursive: true, force: true }));
      } catch (e) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
    }
    if (spec === 'memory') return new RealStore(spec, openEpochStore(spec), null, () => {});
    if (!spec.startsWith('lmdb:') && !spec.startsWith('etcd://')) throw new StoreSpecError(spec, 'expected memory, lmdb:PATH or etcd://HOST:PORT');
    return new RealStore(spec, openEpochStore(spec), () => openEpochStore(spec), () => {});
  }

  get kind(): 'memory' | 'lmdb' | 'etcd' {
    return this.spec === 'memory' ? 'memory' : this.spec.startsWith('lmdb:') ? 'lmdb' : 'etcd';
  }

  /** Makes the real store hold exactly `records` for `changefeeds` (the start of an episode): created where absent, overwritten where different. */
  async reset(changefeeds: readonly ChangefeedId[], records: Readonly<Record<ChangefeedId, StoredChangefeed | undefined>>): Promise<void> {
    for (const cf of changefeeds) {
      const r = records[cf];
      const held = await this.read(cf);
      // One write at most per changefeed (a durable commit is the cost of a step here): none when it already holds the record.
      if (recordDifference(r, held) === null) continue;
      const info = r && { epoch: r.epoch, state: r.state, error: r.error ? SIMULATED_ERROR : null, config: {} };
      if (!r) await this.store.delete(cf);
      else if (!held) await this.store.create(cf, info!, { checkpointTs: r.checkpointTs, progress: r.progress });
      else await this.store.update(cf, info!, { checkpointTs: r.checkpointTs, progress: r.progress });
    }
  }

  /** One world store call, executed for real. */
  async execute(changefeedId: ChangefeedId, op: StoreOp): Promise<RealOutcome> {
    const s = this.store;
    try {
      switch (op.op) {
        case 'create':
          await s.create(changefeedId, { epoch: op.epoch, state: 'normal', error: null, config: {} }, { checkpointTs: op.checkpointTs, progress: 'None' });
          break;
        case 'bump':
          await s.bumpEpoch(changefeedId, op.candidate, {
            ...(op.state !== undefined ? { state: op.state } : {}),
            ...(op.error !== undefined ? { error: op.error ? SIMULATED_ERROR : null } : {}),
            ...(op.status ? { status: op.status } : {}),
          });
          break;
        case 'resume':
          await s.resume(changefeedId, op.candidate, op.checkpointTs);
          break;
        case 'setProgress':
          await s.setProgress(changefeedId, op.progress);
          break;
        case 'update':
          await s.update(
            changefeedId,
            { epoch: op.value.epoch, state: op.value.state, error: op.value.error ? SIMULATED_ERROR : null, config: {} },
            { checkpointTs: op.value.checkpointTs, progress: op.value.progress },
          );
          break;
        case 'updateCheckpoint': {
          const r = await s.get(changefeedId);
          await s.update(changefeedId, r.info.value, { checkpointTs: op.checkpointTs, progress: 'None' });
          break;
        }
        case 'pause':
          await s.pause(changefeedId);
          break;
        case 'delete':
          await s.delete(changefeedId);
          break;
      }
      return { ok: true };
    } catch (e) {
      if (e instanceof StoreUnavailableError) return { ok: false, unavailable: true, maybeApplied: e.maybeApplied, message: e.message };
      const code = (e as { code?: string }).code;
      if (code !== undefined && REFUSALS.includes(code)) return { ok: false, failure: code as StoreFailure };
      throw e;
    }
  }

  /** What the real store holds for a changefeed, in the world's terms (undefined: no changefeed). */
  async read(changefeedId: ChangefeedId): Promise<StoredChangefeed | undefined> {
    try {
      const r = await this.store.get(changefeedId);
      const i = r.info.value;
      // A changefeed without a status is not one the world can hold: report it as such.
      if (!r.status) return { epoch: i.epoch, state: i.state, error: i.error !== null, checkpointTs: -1n, progress: 'None' };
      return { epoch: i.epoch, state: i.state, error: i.error !== null, checkpointTs: r.status.value.checkpointTs, progress: r.status.value.progress };
    } catch (e) {
      if ((e as { code?: string }).code === 'NOT_FOUND') return undefined;
      throw e;
    }
  }

  async readAll(changefeeds: readonly ChangefeedId[]): Promise<Record<ChangefeedId, StoredChangefeed | undefined>> {
    const out: Record<ChangefeedId, StoredChangefeed | undefined> = {};
    for (const cf of changefeeds) out[cf] = await this.read(cf);
    return out;
  }

  /**
   * A new coordinator process: a new client on the same data, with nothing cached (for LMDB and
   * etcd; the memory store has no other client to open). Returns whether a new client was opened.
   */
  async reconnect(): Promise<boolean> {
    if (!this.reopen) return false;
    await this.store.close();
    this.store = this.reopen();
    return true;
  }

  async close(): Promise<void> {
    try {
      await this.store.close();
    } finally {
      this.cleanup();
    }
  }
}

/** The world's record and the real one differ: which fields, as text. */
export function recordDifference(world: StoredChangefeed | undefined, real: StoredChangefeed | undefined): string | null {
  if (!world && !real) return null;
  if (!world) return `the world holds no record, the store holds epoch ${real!.epoch} ${real!.state}`;
  if (!real) return `the store holds no record, the world holds epoch ${world.epoch} ${world.state}`;
  const diffs: string[] = [];
  for (const k of ['epoch', 'state', 'error', 'checkpointTs', 'progress'] as const) if (world[k] !== real[k]) diffs.push(`${k}: world ${String(world[k])}, store ${String(real[k])}`);
  return diffs.length ? diffs.join('; ') : null;
}
