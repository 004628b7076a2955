/**
 * The wire codec of the §1.1 message catalogue (machines/wire.ts): every message type round-trips
 * exactly (uint64 across its whole range), the text carries uint64 as decimal strings, and malformed
 * text is refused with the path of the bad field. That every message the machines emit on their
 * generated paths round-trips is checked in test/snapshot/snapshot.test.ts, which generates them once.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  InvalidEventError,
  InvalidMessageError,
  MAX_UINT64,
  decodeEvent,
  encodeEvent,
  eventSchemas,
  type EventSchemas,
  type MachineId,
  decodeMessage,
  encodeMessage,
  messageSchemas,
  tryDecodeMessage,
  type WireMessage,
} from 'opcharts';
import { recordOf } from '../helpers/schemaArbitrary.js';

const TYPES = Object.keys(messageSchemas) as Array<keyof typeof messageSchemas>;

function rejection(text: string): InvalidMessageError {
  const r = tryDecodeMessage(text);
  if (r.ok) throw new Error(`accepted ${text}`);
  expect(r.error).toBeInstanceOf(InvalidMessageError);
  expect(r.error.code).toBe('INVALID_MESSAGE');
  return r.error;
}

describe('§1.1 message catalogue: wire codec round trip', () => {
  for (const type of TYPES) {
    it(`${type}: decode(encode(m)) equals m, uint64 as decimal strings`, () => {
      fc.assert(
        fc.property(recordOf(messageSchemas[type]), (fields) => {
          const message = { type, ...fields } as WireMessage;
          const text = encodeMessage(message);
          expect(decodeMessage(text)).toStrictEqual(message);
          // No uint64 became a JSON number: every uint64 field is a string in the text.
          const parsed = JSON.parse(text) as Record<string, unknown>;
          for (const [name, kind] of Object.entries(messageSchemas[type])) {
            if (kind === 'uint64') expect(parsed[name]).toBe(String((message as Record<string, unknown>)[name]));
          }
        }),
        { seed: 20261123, numRuns: 150 },
      );
    });
  }

  it('2^64-2 and 2^64-1 stay distinct', () => {
    const a = encodeMessage({ type: 'SetNodeLivenessRequest', to: 'n1', target: 'Draining', nodeEpoch: MAX_UINT64 - 1n });
    const b = encodeMessage({ type: 'SetNodeLivenessRequest', to: 'n1', target: 'Draining', nodeEpoch: MAX_UINT64 });
    expect(a).toContain('"18446744073709551614"');
    expect(b).toContain('"18446744073709551615"');
    expect((decodeMessage(a) as { nodeEpoch: bigint }).nodeEpoch).toBe(MAX_UINT64 - 1n);
  });
});

describe('§1.1 message catalogue: malformed messages are refused', () => {
  const good = { type: 'AddMaintainerRequest', to: 'n2', changefeedId: 'cf', maintainerEpoch: '42', checkpointTs: '7', isNew: true };
  const text = (m: Record<string, unknown>) => JSON.stringify(m);

  it('accepts the well-formed message', () => {
    expect(decodeMessage(text(good))).toEqual({ ...good, maintainerEpoch: 42n, checkpointTs: 7n });
  });

  it.each([
    ['an unknown type', { ...good, type: 'AddMaintainer' }, 'type'],
    ['a missing type', { ...good, type: undefined }, 'type'],
    ['a number epoch', { ...good, maintainerEpoch: 42 }, 'maintainerEpoch'],
    ['a bigint-suffixed epoch', { ...good, maintainerEpoch: '42n' }, 'maintainerEpoch'],
    ['a leading zero', { ...good, maintainerEpoch: '042' }, 'maintainerEpoch'],
    ['a negative epoch', { ...good, maintainerEpoch: '-1' }, 'maintainerEpoch'],
    ['an exponent', { ...good, checkpointTs: '1e3' }, 'checkpointTs'],
    ['2^64', { ...good, maintainerEpoch: '18446744073709551616' }, 'maintainerEpoch'],
    ['a 1000-digit epoch', { ...good, maintainerEpoch: '9'.repeat(1000) }, 'maintainerEpoch'],
    ['a missing field', { ...good, isNew: undefined }, 'isNew'],
    ['an extra field', { ...good, keyspace: 'k' }, 'keyspace'],
    ['an empty changefeed ID', { ...good, changefeedId: '' }, 'changefeedId'],
    ['a wrong kind', { ...good, isNew: 'true' }, 'isNew'],
  ])('refuses %s', (_what, message, field) => {
    expect(rejection(text(message)).field).toBe(field);
  });

  it('refuses a bad nested field with its path', () => {
    const m = {
      type: 'MaintainerBootstrapResponse',
      to: 'm',
      changefeedId: 'cf',
      maintainerEpoch: '3',
      spans: ['d1'],
      operators: [{ dispatcher: 'd1', kind: 'create', owner: 'm', ownerEpoch: '3' }, { dispatcher: 'd2', kind: 'merge', owner: 'm', ownerEpoch: '3' }],
      error: null,
    };
    expect(decodeMessage(text({ ...m, operators: m.operators.slice(0, 1) }))).toMatchObject({ operators: [{ ownerEpoch: 3n }] });
    expect(rejection(text(m)).field).toBe('operators[1].kind');
  });

  it.each([['not JSON', '{"type":'], ['an array', '[]'], ['null', 'null'], ['a string', '"AddMaintainerRequest"']])('refuses %s', (_what, t) => {
    expect(rejection(t).field).toMatch(/^\(message\)|type$/);
  });

  it('refuses text longer than the bound before parsing it', () => {
    expect(rejection(' '.repeat((1 << 20) + 1)).message).toMatch(/longer than/);
  });

  it('refuses to encode a number epoch, an out-of-range epoch or an extra field', () => {
    const m = { type: 'NodeHeartbeat', to: 'coord', liveness: 'Alive', nodeEpoch: 5n, forced: false } as const;
    expect(() => encodeMessage({ ...m, nodeEpoch: 5 } as never)).toThrow(InvalidMessageError);
    expect(() => encodeMessage({ ...m, nodeEpoch: MAX_UINT64 + 1n })).toThrow(/nodeEpoch: exceeds 2\^64-1/);
    expect(() => encodeMessage({ ...m, extra: 1 } as never)).toThrow(/extra: unknown field/);
    expect(encodeMessage(m)).toBe('{"type":"NodeHeartbeat","to":"coord","liveness":"Alive","nodeEpoch":"5","forced":false}');
  });
});

describe('machine events in the same text form (encodeEvent / decodeEvent)', () => {
  for (const [machineId, schemas] of Object.entries(eventSchemas) as Array<[MachineId, EventSchemas]>) {
    it(`${machineId}: every event type round-trips`, () => {
      const events = fc.oneof(...Object.entries(schemas).map(([type, schema]) => recordOf(schema).map((f) => ({ type, ...f }))));
      fc.assert(
        fc.property(events, (event) => {
          expect(decodeEvent(machineId, encodeEvent(machineId, event as never))).toStrictEqual(event);
        }),
        { seed: 20261123, numRuns: 100 },
      );
    });
  }

  it('refuses a number epoch, an unknown event type, an extra field, and an unknown machine', () => {
    const status = { type: 'STATUS', from: 'n1', state: 'Working', bootstrapDone: true, maintainerEpoch: '3' };
    expect(decodeEvent('moveMaintainer', JSON.stringify(status))).toEqual({ ...status, maintainerEpoch: 3n });
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidEventError);
        return (e as InvalidEventError).field;
      }
      throw new Error('accepted');
    };
    expect(field(() => decodeEvent('moveMaintainer', JSON.stringify({ ...status, maintainerEpoch: 3 })))).toBe('maintainerEpoch');
    expect(field(() => decodeEvent('moveMaintainer', JSON.stringify({ ...status, type: 'OBSERVE' })))).toBe('type');
    expect(field(() => decodeEvent('moveMaintainer', JSON.stringify({ ...status, extra: 1 })))).toBe('extra');
    expect(field(() => encodeEvent('nope' as MachineId, { type: 'SCHEDULE' } as never))).toBe('(machine)');
  });
});
