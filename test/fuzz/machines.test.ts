/**
 * Fuzz suite for the machines' boundary (issue 9, "Done when"): seeded, bounded fast-check runs
 * over raw actor inputs and raw event sequences on every exported machine.
 *
 * For each machine it checks, against an independent oracle (test/fuzz/arbitraries.ts):
 * - inputs: `parseInput` accepts exactly the valid inputs (with exact bigint values) and refuses
 *   the rest with an `InvalidInputError`; `createValidatedActor` throws that error before any
 *   actor exists; a plain `createActor` never builds a context from invalid input (its snapshot
 *   is in status `error` with the typed error);
 * - events: on a running validated actor, every raw event is either parsed to exactly the
 *   oracle's value and applied, or refused by `send` with an `InvalidEventError`, leaving the
 *   snapshot identical and emitting nothing; the actor never errors; every context value stays
 *   well-typed (bigints are uint64, numbers are non-negative safe integers, a field keeps its type).
 * An actor error would also surface as an unhandled error, which fails the run: 0 crashes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as opcharts from 'opcharts';
import {
  createValidatedActor,
  eventSchemas,
  hasSchemas,
  inputSchemas,
  InvalidEventError,
  InvalidInputError,
  MAX_UINT64,
  parseEvent,
  parseInput,
} from 'opcharts';
import { createActor, StateMachine, type AnyStateMachine } from 'xstate';
import { eventArb, recordArb, type Built } from './arbitraries.js';

const SEED = 20261123;

/** Every machine the package exports: the suite covers a new one as soon as it is exported. */
const machines = (Object.values(opcharts) as unknown[]).filter((v): v is AnyStateMachine => v instanceof StateMachine);

/** Context invariants: uint64 bigints, non-negative safe-integer numbers, no field changing its type. */
function checkContext(context: unknown, initial: Record<string, unknown>, where: string) {
  const walk = (v: unknown, path: string): void => {
    if (typeof v === 'bigint') {
      if (v < 0n || v > MAX_UINT64) throw new Error(`${where}: ${path} = ${v} is not a uint64`);
    } else if (typeof v === 'number') {
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${where}: ${path} = ${v} is not a non-negative safe integer`);
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
    } else if (v !== null && typeof v !== 'string' && typeof v !== 'boolean') {
      throw new Error(`${where}: ${path} has type ${typeof v}`);
    }
  };
  walk(context, 'context');
  for (const [k, v] of Object.entries(context as Record<string, unknown>)) {
    const was = initial[k];
    if (was !== null && v !== null && typeof was !== typeof v) throw new Error(`${where}: context.${k} changed type ${typeof was} → ${typeof v}`);
    if (Array.isArray(was) !== Array.isArray(v) && was !== null && v !== null) throw new Error(`${where}: context.${k} changed shape`);
  }
}

describe('fuzz: every machine has a boundary', () => {
  it('the package exports machines, and each has an input schema and event schemas', () => {
    expect(machines.length).toBeGreaterThanOrEqual(12);
    expect(machines.map((m) => m.id).filter((id) => !hasSchemas(id))).toEqual([]);
  });
});

describe.each(machines.map((m) => [m.id, m] as const))('fuzz: %s', (id, machine) => {
  if (!hasSchemas(id)) return; // reported by the test above
  const inputSchema = inputSchemas[id];
  const schemas = eventSchemas[id];

  it('raw inputs: exactly the valid ones are accepted, with exact values; the rest are a typed error before any actor runs', () => {
    fc.assert(
      fc.property(recordArb(inputSchema, { hostile: true }), ({ raw, verdict }: Built) => {
        let parsed: unknown;
        let error: unknown;
        try {
          parsed = parseInput(machine, raw);
        } catch (e) {
          error = e;
        }
        if (verdict.ok) {
          expect(error).toBeUndefined();
          expect(parsed).toEqual(verdict.value);
          const actor = createValidatedActor(machine, raw);
          const errors: unknown[] = [];
          actor.subscribe({ error: (e) => errors.push(e) });
          actor.start();
          expect(errors).toEqual([]);
          checkContext(actor.getSnapshot().context, actor.getSnapshot().context, `${id} input`);
          actor.stop();
          return;
        }
        expect(error).toBeInstanceOf(InvalidInputError);
        expect((error as InvalidInputError).code).toBe('INVALID_INPUT');
        expect((error as InvalidInputError).machine).toBe(id);
        expect((error as InvalidInputError).message.length).toBeLessThan(400);
        expect(() => createValidatedActor(machine, raw)).toThrow(InvalidInputError);
        // A host that skips the boundary still never gets a context from invalid input.
        const direct = createActor(machine, { input: raw } as never);
        expect(direct.getSnapshot().status).toBe('error');
        expect(direct.getSnapshot().error).toBeInstanceOf(InvalidInputError);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('raw event sequences: valid events are applied, invalid ones are a typed error that changes nothing; the actor never errors', () => {
    const validInput = recordArb(inputSchema, { hostile: false });
    const events = fc.array(fc.oneof({ weight: 3, arbitrary: eventArb(schemas, false) }, { weight: 2, arbitrary: eventArb(schemas, true) }), {
      minLength: 1,
      maxLength: 30,
    });
    fc.assert(
      fc.property(validInput, events, (input, sequence) => {
        const actor = createValidatedActor(machine, input.raw);
        const errors: unknown[] = [];
        const effects: unknown[] = [];
        actor.subscribe({ error: (e) => errors.push(e) });
        actor.on('*', (e) => effects.push(e));
        actor.start();
        const initial = actor.getSnapshot().context as Record<string, unknown>;
        for (const { raw, verdict } of sequence) {
          const before = actor.getSnapshot();
          const effectsBefore = effects.length;
          const parsed = parseEvent(machine, raw);
          expect(parsed.ok).toBe(verdict.ok);
          // A machine in a final state takes no more events (XState only warns): check the parse alone.
          if (before.status === 'done') continue;
          if (!verdict.ok) {
            expect(() => actor.send(raw as never)).toThrow(InvalidEventError);
            if (!parsed.ok) expect(parsed.error.code).toBe('INVALID_EVENT');
            expect(actor.getSnapshot()).toBe(before);
            expect(effects.length).toBe(effectsBefore);
            continue;
          }
          if (parsed.ok) expect(parsed.event).toEqual(verdict.value);
          actor.send(raw as never);
          expect(errors).toEqual([]);
          expect(actor.getSnapshot().status).not.toBe('error');
          checkContext(actor.getSnapshot().context, initial, `${id} after ${JSON.stringify(verdict.value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}`);
        }
        actor.stop();
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});
