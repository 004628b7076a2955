/**
 * Saving and restoring actors (services/snapshot.ts, issue 10 §4): at every step of every generated
 * path of every model (a deterministic sample of about 3000 steps in the two largest), the snapshot
 * is saved and restored, and the restored actor, driven with the
 * rest of the path, goes through the same states and contexts and emits the same effects as the
 * original; the same generated effects round-trip through the wire codec (§1.1).
 */
import { describe, expect, it } from 'vitest';
import { createActor, createMachine, type AnyMachineSnapshot } from 'xstate';
import {
  InvalidSnapshotError,
  contextSchemas,
  decodeMessage,
  encodeMessage,
  machineHash,
  messageSchemas,
  restoreActor,
  restoreSnapshot,
  serializeSnapshot,
  type WireMessage,
} from 'opcharts';
import { models, type Replay } from 'opcharts/graph';
import { generatedFor } from './generated.js';

type Effect = { type: string } & Record<string, unknown>;

/** Restore points per model; the continuation from each is replayed to the end of its path. */
const RESTORE_BUDGET = 3000;

/** Restores the snapshot before step `from` of `r` and replays the rest of the path on it. */
function continueFrom(model: (typeof models)[number], r: Replay, from: number) {
  const text = serializeSnapshot(r.snapshots[from]!);
  const actor = restoreActor(model.machine, text);
  const effects: Effect[][] = [];
  let pending: Effect[] = [];
  actor.on('*', (e: unknown) => pending.push(e as Effect));
  actor.start();
  // A restored actor does not run entry actions again: nothing is emitted on start.
  expect(pending).toEqual([]);
  const snapshots: AnyMachineSnapshot[] = [actor.getSnapshot() as AnyMachineSnapshot];
  for (const event of r.path.events.slice(from)) {
    pending = [];
    actor.send(event as never);
    effects.push(pending);
    snapshots.push(actor.getSnapshot() as AnyMachineSnapshot);
  }
  actor.stop();
  return { text, snapshots, effects };
}

const view = (s: AnyMachineSnapshot) => ({ status: s.status, value: s.value, context: s.context });

describe('restored actors continue exactly as the originals (every model, every generated path)', () => {
  it('every machine with a model has a context schema', () => {
    for (const model of models) expect(Object.keys(contextSchemas)).toContain(model.machine.id);
  });

  for (const model of models) {
    it(`${model.name}: save and restore at every step of every generated path`, () => {
      const { replays } = generatedFor(model);
      // Every step of every path, except in the two largest models (maintainerRegistry ~29k steps,
      // dispatcherManager ~7k), where every stride-th step is taken: about RESTORE_BUDGET per model.
      const steps = replays.reduce((n, r) => n + r.snapshots.length, 0);
      const stride = Math.max(1, Math.ceil(steps / RESTORE_BUDGET));
      let checked = 0;
      let index = 0;
      for (const r of replays) {
        for (let from = 0; from < r.snapshots.length; from++) {
          if (index++ % stride !== 0) continue;
          const { text, snapshots, effects } = continueFrom(model, r, from);
          // The restored snapshot is the saved one: saving it again gives the same text.
          expect(serializeSnapshot(snapshots[0]!)).toBe(text);
          expect(snapshots.map(view)).toStrictEqual(r.snapshots.slice(from).map(view));
          expect(effects).toStrictEqual(r.steps.slice(from).map((s) => s.effects));
          checked++;
        }
      }
      expect(checked).toBe(Math.ceil(steps / stride));
    });
  }
});

describe('§1.1 wire codec: every message the machines emit on their generated paths round-trips', () => {
  it('all models', () => {
    const seen = new Set<string>();
    for (const model of models) {
      for (const r of generatedFor(model).replays) {
        for (const effect of r.steps.flatMap((s) => s.effects)) {
          if (!Object.prototype.hasOwnProperty.call(messageSchemas, effect.type)) continue;
          seen.add(effect.type);
          expect(decodeMessage(encodeMessage(effect as unknown as WireMessage))).toStrictEqual(effect);
        }
      }
    }
    // Every type but the bootstrap request (received as COORDINATOR_BOOTSTRAP, never emitted) is emitted somewhere.
    expect([...seen].sort()).toEqual(Object.keys(messageSchemas).filter((t) => t !== 'CoordinatorBootstrapRequest').sort());
  });
});

describe('the saved text', () => {
  it('keeps uint64 exact as decimal strings, where JSON.stringify of the persisted snapshot throws', () => {
    const model = models.find((m) => m.name === 'moveMaintainer')!;
    const actor = createActor(model.machine, {
      input: { changefeedId: 'cf', origin: 'a', dest: 'b', originEpoch: 2n ** 64n - 2n, maintainerEpoch: 2n ** 64n - 1n, checkpointTs: 2n ** 53n + 1n },
    });
    actor.start();
    expect(() => JSON.stringify(actor.getPersistedSnapshot())).toThrow(/BigInt/);
    const text = serializeSnapshot(actor);
    const env = JSON.parse(text);
    expect(env).toMatchObject({ format: 'opcharts.snapshot', version: 1, machine: 'moveMaintainer', status: 'active', value: 'RemoveOrigin' });
    expect(env.context).toMatchObject({ originEpoch: '18446744073709551614', maintainerEpoch: '18446744073709551615', checkpointTs: '9007199254740993' });
    const restored = restoreSnapshot(model.machine, text) as unknown as { context: Record<string, unknown> };
    expect(restored.context.originEpoch).toBe(2n ** 64n - 2n);
    expect(restored.context.checkpointTs).toBe(2n ** 53n + 1n);
    actor.stop();
  });

  it('is tied to the machine structure: the same for a provided variant, refused by a changed machine', () => {
    const m = models.find((x) => x.name === 'moveMaintainer')!.machine;
    const actor = createActor(m, { input: { changefeedId: 'cf', origin: 'a', dest: 'b', originEpoch: 1n, maintainerEpoch: 2n, checkpointTs: 3n } });
    actor.start();
    const text = serializeSnapshot(actor);
    actor.stop();
    const variant = m.provide({ guards: { isOriginStoppedStatus: () => true } });
    expect(machineHash(variant)).toBe(machineHash(m));
    expect(() => restoreSnapshot(variant, text)).not.toThrow();
    const changed = createMachine({ ...m.config, states: { ...m.config.states, Extra: {} } } as never, m.implementations as never);
    expect(changed.id).toBe(m.id);
    expect(machineHash(changed)).not.toBe(machineHash(m));
    expect(() => restoreSnapshot(changed, text)).toThrow(/machineHash: saved from another version of moveMaintainer/);
  });

  it('refuses to save a context that would not restore (an epoch that is not a bigint)', () => {
    const model = models.find((m) => m.name === 'addMaintainer')!;
    const actor = createActor(model.machine, { input: { changefeedId: 'cf', dest: 'b', maintainerEpoch: 1n, checkpointTs: 1n, isNew: true } });
    actor.start();
    const snap = actor.getSnapshot();
    const broken = { ...snap, context: { ...snap.context, maintainerEpoch: '1' } } as unknown as AnyMachineSnapshot;
    expect(() => serializeSnapshot(broken)).toThrow(InvalidSnapshotError);
    expect(() => serializeSnapshot(broken)).toThrow(/context\.maintainerEpoch: expected a uint64 bigint/);
    actor.stop();
  });
});
