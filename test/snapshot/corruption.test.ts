/**
 * A corrupted snapshot is refused with a typed error naming the bad part, never restored into an
 * actor that is stuck or wrong (services/snapshot.ts). The snapshots are real: collected on seeded
 * random walks over each model's event domain. Every field of every context is corrupted in every
 * way its kind can be (exhaustively on one snapshot per model, and by fast-check, seeded and
 * bounded, over all of them), and so is every part of the envelope.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createActor, type AnyMachineSnapshot } from 'xstate';
import { InvalidSnapshotError, contextSchemas, restoreSnapshot, serializeSnapshot, type FieldKind } from 'opcharts';
import { models, type MachineModel } from 'opcharts/graph';

type Json = unknown;

/** mulberry32, so a walk is the same on every run. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Saved snapshots met on seeded random walks (every input variant, a few walks each). */
function savedSnapshots(model: MachineModel): string[] {
  const out = new Set<string>();
  const random = prng(20261123);
  for (const { input } of model.inputs) {
    for (let walk = 0; walk < 4; walk++) {
      const actor = createActor(model.machine, { input } as never);
      actor.start();
      for (let step = 0; step < 12; step++) {
        const snapshot = actor.getSnapshot() as AnyMachineSnapshot;
        out.add(serializeSnapshot(snapshot));
        if (snapshot.status !== 'active') break;
        const events = model.events(snapshot);
        if (events.length === 0) break;
        actor.send(events[Math.floor(random() * events.length)]! as never);
      }
      actor.stop();
    }
  }
  return [...out];
}

const POOL = new Map(models.map((m) => [m.name, savedSnapshots(m)]));

/** One way to corrupt a saved snapshot, and the `field` the error must name. */
interface Corruption {
  what: string;
  field: string;
  apply(env: Record<string, Json>): void;
}

const BAD_SCALARS: Record<string, Json[]> = {
  uint64: [42, '042', '-1', '18446744073709551616', '1e3', '42n', '', ' 1', '0x10', '9'.repeat(30), true, null, {}],
  node: ['', 5, false, null],
  string: [5, false, null, []],
  'string?': [5, false, {}],
  boolean: ['true', 1, null],
  millis: [-1, 1.5, '5', 2 ** 53, null],
  count: [-1, 1.5, '5', 2 ** 53, null],
};

/** Navigates to the parent of `keys` in the envelope's context and sets, deletes or edits there. */
function at(env: Record<string, Json>, keys: readonly (string | number)[]) {
  let parent = env.context as Record<string | number, Json>;
  for (const k of keys.slice(0, -1)) parent = parent[k] as Record<string | number, Json>;
  return { parent, key: keys[keys.length - 1]! };
}

/** Every corruption of the context value `v` of `kind` found at `keys` (path `field`). */
function corruptions(kind: FieldKind, v: Json, keys: (string | number)[], field: string, nullable = false): Corruption[] {
  const out: Corruption[] = [];
  const replace = (bad: Json, what: string, expectedField = field): Corruption => ({
    what: `${field} := ${what}`,
    field: expectedField,
    apply: (env) => {
      const { parent, key } = at(env, keys);
      parent[key] = bad;
    },
  });
  if (Array.isArray(kind)) {
    for (const bad of ['Bogus', 0, ...(nullable ? [] : [null])]) out.push(replace(bad, JSON.stringify(bad)));
    return out;
  }
  if (typeof kind === 'string') {
    for (const bad of BAD_SCALARS[kind]!) {
      if (bad === null && nullable) continue;
      if (kind === 'string?' && bad === null) continue;
      out.push(replace(bad, JSON.stringify(bad)));
    }
    return out;
  }
  const k = kind as Exclude<FieldKind, string | readonly string[]>;
  if ('optional' in k) return v === undefined ? [] : corruptions(k.optional, v, keys, field, nullable);
  if ('nullable' in k) {
    if (v === null) {
      const inner = k.nullable;
      // A null where a record or list may be: replace it by values no record or list is.
      if (typeof inner === 'object' && !Array.isArray(inner)) return [replace('x', '"x"'), replace(5, '5')];
      return corruptions(inner, v, keys, field, true);
    }
    return corruptions(k.nullable, v, keys, field, true);
  }
  if ('list' in k) {
    const arr = v as Json[];
    out.push(replace('x', '"x"'), replace({}, '{}'));
    arr.forEach((item, i) => out.push(...corruptions(k.list, item, [...keys, i], `${field}[${i}]`)));
    if (k.unique && arr.length > 0) {
      out.push({
        what: `${field} repeats an element`,
        field: `${field}[${arr.length}]`,
        apply: (env) => {
          const { parent, key } = at(env, keys);
          (parent[key] as Json[]).push((parent[key] as Json[])[0]);
        },
      });
    }
    return out;
  }
  if ('map' in k) {
    const obj = v as Record<string, Json>;
    out.push(replace([], '[]'));
    out.push({
      what: `${field} gets an empty key`,
      field,
      apply: (env) => {
        const { parent, key } = at(env, keys);
        (parent[key] as Record<string, Json>)[''] = Object.values(obj)[0] ?? '1';
      },
    });
    for (const [name, item] of Object.entries(obj)) out.push(...corruptions(k.map, item, [...keys, name], `${field}.${name}`));
    return out;
  }
  if ('tagged' in k) {
    const obj = v as Record<string, Json>;
    out.push(replace([], '[]'), replace('x', '"x"'));
    out.push(...corruptions(Object.keys(k.variants), obj[k.tagged], [...keys, k.tagged], `${field}.${k.tagged}`));
    return out.concat(objectCorruptions(k.variants[obj[k.tagged] as string]!, obj, keys, field));
  }
  out.push(replace([], '[]'), replace('x', '"x"'));
  return out.concat(objectCorruptions(k.object, v as Record<string, Json>, keys, field));
}

function objectCorruptions(schema: Record<string, FieldKind>, obj: Record<string, Json>, keys: (string | number)[], field: string): Corruption[] {
  const out: Corruption[] = [];
  const join = (name: string) => (field === '' ? `context.${name}` : `${field}.${name}`);
  out.push({
    what: `${field || 'context'} gets an extra field`,
    field: join('extraField'),
    apply: (env) => {
      const target = keys.length === 0 ? (env.context as Record<string, Json>) : (at(env, keys).parent[at(env, keys).key] as Record<string, Json>);
      target.extraField = '1';
    },
  });
  for (const [name, kind] of Object.entries(schema)) {
    const isOptional = typeof kind === 'object' && !Array.isArray(kind) && 'optional' in kind;
    if (!isOptional) {
      out.push({
        what: `${join(name)} is missing`,
        field: join(name),
        apply: (env) => {
          const { parent, key } = at(env, [...keys, name]);
          delete parent[key];
        },
      });
    }
    out.push(...corruptions(kind, obj[name], [...keys, name], join(name)));
  }
  return out;
}

function contextCorruptions(machineId: string, text: string): Corruption[] {
  const env = JSON.parse(text) as { context: Record<string, Json> };
  return objectCorruptions(contextSchemas[machineId as keyof typeof contextSchemas], env.context, [], '');
}

function expectRefused(model: MachineModel, text: string, field: string) {
  let error: unknown;
  try {
    restoreSnapshot(model.machine, text);
  } catch (e) {
    error = e;
  }
  expect(error, `accepted a corruption of ${field}`).toBeInstanceOf(InvalidSnapshotError);
  expect((error as InvalidSnapshotError).code).toBe('INVALID_SNAPSHOT');
  expect((error as InvalidSnapshotError).machine).toBe(model.machine.id);
  expect((error as InvalidSnapshotError).field).toBe(field);
}

function corrupted(text: string, c: Corruption): string {
  const env = JSON.parse(text) as Record<string, Json>;
  c.apply(env);
  return JSON.stringify(env);
}

describe('corrupted snapshots are refused with the path of the bad field', () => {
  for (const model of models) {
    const pool = POOL.get(model.name)!;

    it(`${model.name}: every corruption of every context field of its largest snapshot`, () => {
      const text = pool.reduce((a, b) => (b.length > a.length ? b : a));
      // The control: the uncorrupted text restores.
      expect(() => restoreSnapshot(model.machine, text)).not.toThrow();
      const all = contextCorruptions(model.machine.id, text);
      expect(all.length).toBeGreaterThan(Object.keys(contextSchemas[model.machine.id as keyof typeof contextSchemas]).length);
      for (const c of all) expectRefused(model, corrupted(text, c), c.field);
    });

    it(`${model.name}: random corruptions of its walked snapshots (fast-check, seeded)`, () => {
      fc.assert(
        fc.property(fc.nat(pool.length - 1), fc.nat(), (i, j) => {
          const text = pool[i]!;
          const all = contextCorruptions(model.machine.id, text);
          const c = all[j % all.length]!;
          expectRefused(model, corrupted(text, c), c.field);
        }),
        { seed: 4242, numRuns: 60 },
      );
    });
  }
});

describe('corrupted envelopes are refused', () => {
  const model = models.find((m) => m.name === 'moveMaintainer')!;
  const session = models.find((m) => m.name === 'drainSession')!;
  const text = POOL.get('moveMaintainer')![0]!;
  const edit = (t: string, f: (env: Record<string, Json>) => void) => {
    const env = JSON.parse(t) as Record<string, Json>;
    f(env);
    return JSON.stringify(env);
  };

  it.each<[string, (env: Record<string, Json>) => void, string]>([
    ['a hand-edited string epoch', (e) => ((e.context as Record<string, Json>).maintainerEpoch = '0042'), 'context.maintainerEpoch'],
    ['a number epoch', (e) => ((e.context as Record<string, Json>).originEpoch = 42), 'context.originEpoch'],
    ['2^64', (e) => ((e.context as Record<string, Json>).checkpointTs = '18446744073709551616'), 'context.checkpointTs'],
    ['a missing field', (e) => delete (e.context as Record<string, Json>).originRemoved, 'context.originRemoved'],
    ['an extra field', (e) => ((e.context as Record<string, Json>).dest = 'b'), 'context.dest'],
    ['an unknown state', (e) => (e.value = 'Moving'), 'value'],
    ['a state value of the wrong shape', (e) => (e.value = { RemoveOrigin: 'X' }), 'value.RemoveOrigin'],
    ['a wrong machine ID', (e) => (e.machine = 'addMaintainer'), 'machine'],
    ['another version of the machine', (e) => (e.machineHash = '0000000000000000'), 'machineHash'],
    ['a wrong format tag', (e) => (e.format = 'xstate'), 'format'],
    ['a newer format version', (e) => (e.version = 2), 'version'],
    ['a status that disagrees with the value', (e) => (e.status = 'done'), 'status'],
    ['a missing context', (e) => delete e.context, 'context'],
    ['a context that is not an object', (e) => (e.context = []), 'context'],
    ['an extra envelope field', (e) => (e.children = {}), 'children'],
  ])('refuses %s', (_what, f, field) => {
    expectRefused(model, edit(text, f), field);
  });

  it.each<[string, (env: Record<string, Json>) => void, string]>([
    ['a parallel state value missing a region', (e) => (e.value = { session: 'NoSession' }), 'value.tombstone'],
    ['a parallel state value with an extra region', (e) => (e.value = { session: 'NoSession', tombstone: 'None', x: 'A' }), 'value.x'],
    ['a parallel state value as a leaf name', (e) => (e.value = 'NoSession'), 'value'],
    ['a gate of an unknown kind', (e) => ((e.context as Record<string, Json>).gate = { kind: 'frozen', target: 'n1', epoch: '1' }), 'context.gate.kind'],
  ])('drainSession: refuses %s', (_what, f, field) => {
    expectRefused(session, edit(POOL.get('drainSession')![0]!, f), field);
  });

  it.each([
    ['not JSON', '{"format":'],
    ['an array', '[]'],
    ['not a string', 42 as unknown as string],
    ['longer than the bound', ' '.repeat(16 * 1024 * 1024 + 1)],
  ])('refuses text that is %s', (_what, t) => {
    expectRefused(model, t, '(snapshot)');
  });

  it('refuses a snapshot of one machine restored into another', () => {
    const add = models.find((m) => m.name === 'addMaintainer')!;
    expectRefused(add, text, 'machine');
  });
});
