/**
 * The machine table against XState's own actors: on seeded random walks over every machine's event
 * domain (models/index.ts), from every input, the table's successor (value, context, status) and
 * emitted effects equal those of `createActor` + `send` at every step, and a cache hit returns the
 * very same result.
 */
import { describe, expect, it } from 'vitest';
import { createActor, type AnyMachineSnapshot } from 'xstate';
import { MachineTable, MachineTableError, type Effect } from '../../explorer/machineTable.js';
import { models } from '../../models/index.js';

/** mulberry32: a small seeded PRNG, so a failing walk can be replayed from its seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WALKS = 12;
const STEPS = 60;
/** Effects compared over all walks: the comparison must have had something to compare. */
let effectsSeen = 0;

describe('MachineTable agrees with createActor + send', () => {
  for (const model of models) {
    it(`${model.name}: ${WALKS} seeded walks of ${STEPS} steps per input`, () => {
      const table = new MachineTable(model.machine);
      let steps = 0;
      let revisits = 0;
      for (const [inputIndex, { input }] of model.inputs.entries()) {
        for (let walk = 0; walk < WALKS; walk++) {
          const random = prng(1_000 * inputIndex + walk + 1);
          const actor = createActor(model.machine, { input } as never);
          let emitted: Effect[] = [];
          actor.on('*', (e: unknown) => emitted.push(e as Effect));
          actor.start();
          const init = table.initial(input);
          const first = actor.getSnapshot() as AnyMachineSnapshot;
          expect(table.snapshot(init.next).value).toEqual(first.value);
          expect(table.snapshot(init.next).context).toEqual(first.context);
          expect(init.effects).toEqual(emitted);
          let id = init.next;
          for (let i = 0; i < STEPS; i++) {
            const snap = actor.getSnapshot() as AnyMachineSnapshot;
            if (snap.status !== 'active') break;
            const domain = model.events(snap);
            if (domain.length === 0) break;
            const event = domain[Math.floor(random() * domain.length)]!;
            const missesBefore = table.misses;
            const result = table.step(id, event);
            if (table.misses === missesBefore) revisits++;
            emitted = [];
            actor.send(event);
            const after = actor.getSnapshot() as AnyMachineSnapshot;
            const mine = table.snapshot(result.next);
            expect(mine.value, `${model.name} seed ${walk} step ${i}`).toEqual(after.value);
            expect(mine.context, `${model.name} seed ${walk} step ${i}`).toEqual(after.context);
            expect(mine.status).toBe(after.status);
            expect(result.effects).toEqual(emitted);
            effectsSeen += emitted.length;
            // A second step on the same (state, event) is a cache hit: the identical result.
            expect(table.step(id, { ...event })).toBe(result);
            id = result.next;
            steps++;
          }
          actor.stop();
        }
      }
      expect(steps).toBeGreaterThan(0);
      // The walks revisit (state, event) pairs, so the cache was exercised on real hits, too.
      expect(revisits).toBeGreaterThan(0);
    });
  }

  it('the walks compared emitted effects, not only empty lists', () => {
    expect(effectsSeen).toBeGreaterThan(100);
  });

  it('unknown ids are a typed error', () => {
    const table = new MachineTable(models[0]!.machine);
    expect(() => table.stepById(7, 0)).toThrow(MachineTableError);
    expect(() => table.snapshot(0)).toThrow(MachineTableError);
  });

  it('snapshots with the same key share an id; the caller may supply a coarser key', () => {
    const model = models[0]!;
    const input = model.inputs[0]!.input;
    const exact = new MachineTable(model.machine);
    expect(exact.initial(input).next).toBe(exact.initial(input).next);
    expect(exact.size).toBe(1);
    const coarse = new MachineTable(model.machine, { key: (s) => JSON.stringify(s.value) });
    const a = coarse.initial(input).next;
    const other = model.inputs[1]?.input;
    if (other !== undefined) expect(coarse.initial(other).next).toBe(a);
    expect(coarse.size).toBe(1);
  });
});
