/**
 * Issue 9, items 10–14: the boundary as a hostile host meets it. Actor inputs are validated before
 * an actor exists; every network-facing event has a schema; the reader reads own data properties
 * only, turns every exception into a typed error, refuses over-long epochs before converting them
 * and truncates what it quotes; quiesce looks operators up as own keys; event and input types are
 * inferred from the schemas.
 *
 * Machines: all twelve, through parseInput / parseEvent / createValidatedActor.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as o from 'opcharts';
import {
  createValidatedActor,
  describe as describeValue,
  dispatcherQueueMachine,
  drainNodeMachine,
  InvalidEventError,
  InvalidInputError,
  maintainerRegistryMachine,
  moveMaintainerMachine,
  nodeDrainTargetMachine,
  nodeLivenessMachine,
  operatorEventSchemas,
  parseEvent,
  parseEventWith,
  parseInput,
  quiesceMachine,
  minCheckpoint,
  MAX_UINT64,
} from 'opcharts';
import { createActor, type EventFromLogic, type InputFrom } from 'xstate';

const status = { type: 'STATUS', from: 'n1', state: 'Stopped', bootstrapDone: true } as const;
const moveInput = { changefeedId: 'cf', origin: 'n1', dest: 'n2', originEpoch: 4n, maintainerEpoch: 5n, checkpointTs: 9n };

function refusedEvent(r: o.ParseResult<unknown>): InvalidEventError {
  expect(r.ok).toBe(false);
  if (r.ok) throw new Error('accepted');
  expect(r.error).toBeInstanceOf(InvalidEventError);
  expect(r.error.code).toBe('INVALID_EVENT');
  return r.error;
}

function refusedInput(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
    expect((e as InvalidInputError).code).toBe('INVALID_INPUT');
    return e as InvalidInputError;
  }
  throw new Error('accepted');
}

describe('item 10: actor input is validated before the actor starts', () => {
  it('a null drain input is a typed error thrown synchronously, before any actor exists', () => {
    const err = refusedInput(() => createValidatedActor(drainNodeMachine, null));
    expect(err.machine).toBe('drainNode');
    expect(err.field).toBe('(input)');
  });

  it('a plain createActor with invalid input never builds a context: the actor is in status error with the typed error', () => {
    const actor = createActor(drainNodeMachine, { input: null as never });
    expect(actor.getSnapshot().status).toBe('error');
    expect(actor.getSnapshot().error).toBeInstanceOf(InvalidInputError);
    const seen: unknown[] = [];
    actor.subscribe({ error: (e) => seen.push(e) });
    actor.start();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(InvalidInputError);
  });

  it('a move whose originEpoch arrives as the JSON number 4 gets 4n and completes its remove phase', () => {
    const move = createValidatedActor(moveMaintainerMachine, { ...moveInput, originEpoch: 4, maintainerEpoch: '5' });
    move.start();
    expect(move.getSnapshot().context.originEpoch).toBe(4n);
    expect(move.getSnapshot().context.maintainerEpoch).toBe(5n);
    move.send({ ...status, maintainerEpoch: 4n });
    expect(move.getSnapshot().value).toBe('OriginStopped');
  });

  it.each([
    ['an imprecise JSON number', { ...moveInput, originEpoch: 2 ** 60 }, 'originEpoch'],
    ['2^70', { ...moveInput, originEpoch: 2n ** 70n }, 'originEpoch'],
    ['a negative epoch', { ...moveInput, maintainerEpoch: '-1' }, 'maintainerEpoch'],
    ['an empty node', { ...moveInput, dest: '' }, 'dest'],
    ['a missing checkpoint', { ...moveInput, checkpointTs: undefined }, 'checkpointTs'],
    ['an array', [moveInput], '(input)'],
  ])('a move input with %s is refused naming %s', (_name, raw, field) => {
    expect(refusedInput(() => parseInput(moveMaintainerMachine, raw)).field).toBe(field);
  });

  it('nested and list fields are checked: the liveness coordinator, the registry alive set', () => {
    expect(
      refusedInput(() => parseInput(nodeLivenessMachine, { nodeId: 'n1', nodeEpoch: 5n, coordinator: { id: 'c', version: 'v1' } })).field,
    ).toBe('coordinator.version');
    const registry = { changefeedId: 'cf', node: 'n1', coordinatorId: 'c', aliveNodes: ['n1', 'n2', 'n1'] };
    expect(refusedInput(() => parseInput(maintainerRegistryMachine, registry)).field).toBe('aliveNodes[2]');
    expect(refusedInput(() => parseInput(maintainerRegistryMachine, { ...registry, aliveNodes: ['n1', 7] })).field).toBe('aliveNodes[1]');
  });

  it('unknown input fields never reach the context', () => {
    const actor = createValidatedActor(maintainerRegistryMachine, {
      changefeedId: 'cf',
      node: 'n1',
      coordinatorId: 'c',
      aliveNodes: ['n1'],
      epoch: 'pwned',
      generation: -1,
    }).start();
    expect(actor.getSnapshot().context.epoch).toBe(0n);
    expect(actor.getSnapshot().context.generation).toBe(0);
  });
});

describe('item 11: every network-facing event has a schema', () => {
  it('nodeDrainTarget: epochs and versions are uint64, parsed exactly', () => {
    expect(refusedEvent(parseEvent(nodeDrainTargetMachine, { type: 'SET_DISPATCHER_DRAIN_TARGET', from: 'c', target: 'n2', epoch: (2n ** 70n).toString() })).field).toBe('epoch');
    expect(refusedEvent(parseEvent(nodeDrainTargetMachine, { type: 'COORDINATOR_BOOTSTRAP', from: 'c', version: 'one' })).field).toBe('version');
    const d = createValidatedActor(nodeDrainTargetMachine, { coordinatorId: 'c', coordinatorVersion: '1' }).start();
    d.send({ type: 'SET_DISPATCHER_DRAIN_TARGET', from: 'c', target: 'n2', epoch: '3' } as never);
    expect(d.getSnapshot().context).toMatchObject({ target: 'n2', epoch: 3n, coordinatorVersion: 1n });
  });

  it('dispatcherQueue: {type: ENQUEUE} is a typed error and the actor keeps working', () => {
    expect(refusedEvent(parseEvent(dispatcherQueueMachine, { type: 'ENQUEUE' })).field).toBe('message');
    const q = createValidatedActor(dispatcherQueueMachine, undefined).start();
    const before = q.getSnapshot();
    expect(() => q.send({ type: 'ENQUEUE' } as never)).toThrow(InvalidEventError);
    expect(() => q.send({ type: 'ENQUEUE', message: { type: 'close', from: 'm', maintainerEpoch: 2n ** 70n } } as never)).toThrow(/message\.maintainerEpoch/);
    expect(q.getSnapshot()).toBe(before);
    q.send({ type: 'ENQUEUE', message: { type: 'close', from: 'm', maintainerEpoch: '7', removed: true } } as never);
    expect(q.getSnapshot().status).toBe('active');
    expect(q.getSnapshot().context.queued).toEqual({ type: 'close', from: 'm', maintainerEpoch: 7n, removed: true });
  });

  it('quiesce, admission and the registry CLEANUP refuse out-of-range values', () => {
    expect(refusedEvent(parseEvent(quiesceMachine, { type: 'ADD_OPERATOR', id: 't1', checkpointTs: 2 ** 70 })).field).toBe('checkpointTs');
    expect(refusedEvent(parseEvent(quiesceMachine, { type: 'QUIESCE_EXCEPT', allowed: 'ddl' })).field).toBe('allowed');
    expect(refusedEvent(parseEvent(o.admissionMachine, { type: 'BUMPED', epoch: -1 })).field).toBe('epoch');
    expect(refusedEvent(parseEvent(o.admissionMachine, { type: 'BUMP_FAILED', maybeApplied: true })).field).toBe('code');
    expect(refusedEvent(parseEvent(o.admissionMachine, { type: 'BUMP_FAILED', code: 'X', maybeApplied: 'yes' })).field).toBe('maybeApplied');
    expect(refusedEvent(parseEvent(maintainerRegistryMachine, { type: 'CLEANUP', generation: '1' })).field).toBe('generation');
    expect(refusedEvent(parseEvent(maintainerRegistryMachine, { type: 'CLEANUP', generation: 1.5 })).field).toBe('generation');
    expect(parseEvent(maintainerRegistryMachine, { type: 'CLEANUP', generation: 1 })).toEqual({ ok: true, event: { type: 'CLEANUP', generation: 1 } });
  });
});

describe('item 12: the reader reads own data properties only and never throws', () => {
  it('a polluted Object.prototype does not supply a missing epoch', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.maintainerEpoch = '7';
    try {
      expect(refusedEvent(parseEventWith(operatorEventSchemas, { ...status })).field).toBe('maintainerEpoch');
    } finally {
      delete proto.maintainerEpoch;
    }
  });

  it('a getter is refused without being called; an inherited field is not read', () => {
    let calls = 0;
    const raw = { ...status };
    Object.defineProperty(raw, 'maintainerEpoch', { enumerable: true, get: () => (calls++, '4') });
    expect(refusedEvent(parseEventWith(operatorEventSchemas, raw)).field).toBe('maintainerEpoch');
    expect(calls).toBe(0);
    expect(refusedEvent(parseEventWith(operatorEventSchemas, Object.create({ ...status, maintainerEpoch: '4' }))).field).toBe('type');
  });

  it('throwing Proxies, revoked Proxies and lying array lengths are typed errors', () => {
    const trap = () => {
      throw new Error('boom');
    };
    const hostile = [
      new Proxy({ ...status, maintainerEpoch: '4' }, { getOwnPropertyDescriptor: trap }),
      new Proxy({ ...status, maintainerEpoch: '4' }, { get: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap, getPrototypeOf: trap }),
      (() => {
        const p = Proxy.revocable({}, {});
        p.revoke();
        return p.proxy;
      })(),
      new Proxy([], { get: trap }),
    ];
    for (const raw of hostile) refusedEvent(parseEventWith(operatorEventSchemas, raw));
    const endless = new Proxy(['ddl'], {
      getOwnPropertyDescriptor: (t, k) => (k === 'length' ? { value: 2 ** 32 - 1, writable: true, enumerable: false, configurable: false } : Reflect.getOwnPropertyDescriptor(t, k)),
    });
    expect(refusedEvent(parseEvent(quiesceMachine, { type: 'QUIESCE_EXCEPT', allowed: endless })).message).toMatch(/more than 10000 elements/);
    expect(refusedInput(() => parseInput(nodeLivenessMachine, new Proxy({}, { getOwnPropertyDescriptor: trap }))).field).toBe('nodeId');
  });

  it('an epoch longer than 20 digits is refused before conversion, and messages quote at most a short prefix', () => {
    const huge = '1'.repeat(1_000_000);
    const err = refusedEvent(parseEventWith(operatorEventSchemas, { ...status, maintainerEpoch: huge }));
    expect(err.message).toMatch(/longer than 20 digits/);
    expect(err.message.length).toBeLessThan(200);
    expect(refusedEvent(parseEventWith(operatorEventSchemas, { ...status, maintainerEpoch: '018446744073709551615' })).field).toBe('maintainerEpoch');
    expect(parseEventWith(operatorEventSchemas, { ...status, maintainerEpoch: '18446744073709551615' })).toMatchObject({ ok: true, event: { maintainerEpoch: MAX_UINT64 } });
    expect(refusedEvent(parseEventWith(operatorEventSchemas, { type: 'x'.repeat(1_000_000) })).message.length).toBeLessThan(200);
    expect(refusedEvent(parseEventWith(operatorEventSchemas, { ...status, from: { big: 'y'.repeat(100_000) } })).message.length).toBeLessThan(200);
  });

  it('describe never throws and stays short', () => {
    const throwing = { toJSON: () => { throw new Error('no'); } };
    expect(describeValue(throwing)).toBe('(object)');
    expect(describeValue(new Proxy({}, { get: () => { throw new Error('no'); }, ownKeys: () => { throw new Error('no'); } }))).toBe('(object)');
    expect(describeValue(Symbol('s'))).toBe('symbol');
    expect(describeValue('z'.repeat(10_000)).length).toBeLessThanOrEqual(64);
    expect(describeValue('z'.repeat(10_000))).toMatch(/10000 characters/);
  });
});

describe('item 13: quiesce looks operators up as own keys', () => {
  it("OPERATOR_FINISHED{id:'constructor'} finishes nothing; ADD_OPERATOR{id:'toString'} and '__proto__' are operators like any other", () => {
    const q = createValidatedActor(quiesceMachine, undefined);
    const effects: Array<{ type: string; id?: string }> = [];
    q.on('*', (e) => effects.push(e));
    q.start();
    const before = q.getSnapshot();
    q.send({ type: 'OPERATOR_FINISHED', id: 'constructor' });
    q.send({ type: 'STATUS', id: 'hasOwnProperty' });
    q.send({ type: 'POLL', id: 'valueOf' });
    expect(q.getSnapshot()).toBe(before);
    expect(effects).toEqual([]);
    q.send({ type: 'ADD_OPERATOR', id: 'toString', checkpointTs: 3n });
    q.send({ type: 'ADD_OPERATOR', id: '__proto__', checkpointTs: 2n });
    expect(effects.map((e) => `${e.type} ${e.id}`)).toEqual(['operator.started toString', 'operator.started __proto__']);
    expect(Object.keys(q.getSnapshot().context.operators).sort()).toEqual(['__proto__', 'toString']);
    expect(minCheckpoint(q.getSnapshot().context)).toBe(2n);
    q.send({ type: 'QUIESCE_EXCEPT', allowed: ['toString'] });
    q.send({ type: 'POLL', id: '__proto__' });
    q.send({ type: 'OPERATOR_FINISHED', id: 'toString' });
    expect(effects.slice(2).map((e) => `${e.type} ${e.id}`)).toEqual(['operator.dequeued __proto__', 'operator.finished toString']);
    expect(q.getSnapshot().context.operators).toEqual({ ['__proto__']: { checkpointTs: 2n, queued: false } });
  });
});

describe('item 14: event and input types are inferred from the schemas', () => {
  it('each machine’s event and input types equal what its schemas parse to', () => {
    expectTypeOf<o.EventOf<typeof o.operatorEventSchemas>>().toEqualTypeOf<o.OperatorEvent>();
    expectTypeOf<o.EventOf<typeof o.drainNodeEventSchemas>>().toEqualTypeOf<EventFromLogic<typeof o.drainNodeMachine>>();
    expectTypeOf<o.EventOf<typeof o.livenessViewEventSchemas>>().toEqualTypeOf<EventFromLogic<typeof o.livenessViewMachine>>();
    expectTypeOf<o.EventOf<typeof o.nodeLivenessEventSchemas>>().toEqualTypeOf<EventFromLogic<typeof o.nodeLivenessMachine>>();
    expectTypeOf<o.EventOf<typeof o.admissionEventSchemas>>().toEqualTypeOf<EventFromLogic<typeof o.admissionMachine>>();
    expectTypeOf<o.EventOf<typeof o.maintainerRegistryEventSchemas>>().toEqualTypeOf<EventFromLogic<typeof o.maintainerRegistryMachine>>();
    expectTypeOf<o.EventOf<typeof o.dispatcherManagerEventSchemas>>().toEqualTypeOf<EventFromLogic<typeof o.dispatcherManagerMachine>>();
    expectTypeOf<o.EventOf<typeof o.dispatcherQueueEventSchemas>>().toEqualTypeOf<EventFromLogic<typeof o.dispatcherQueueMachine>>();
    expectTypeOf<o.EventOf<typeof o.quiesceEventSchemas>>().toEqualTypeOf<EventFromLogic<typeof o.quiesceMachine>>();
    expectTypeOf<o.EventOf<typeof o.nodeDrainTargetEventSchemas>>().toEqualTypeOf<EventFromLogic<typeof o.nodeDrainTargetMachine>>();
    expectTypeOf<o.InputOf<'addMaintainer'>>().toEqualTypeOf<InputFrom<typeof o.addMaintainerMachine>>();
    expectTypeOf<o.InputOf<'moveMaintainer'>>().toEqualTypeOf<InputFrom<typeof o.moveMaintainerMachine>>();
    expectTypeOf<o.InputOf<'stopChangefeed'>>().toEqualTypeOf<InputFrom<typeof o.stopChangefeedMachine>>();
    expectTypeOf<o.InputOf<'drainNode'>>().toEqualTypeOf<InputFrom<typeof o.drainNodeMachine>>();
    expectTypeOf<o.InputOf<'nodeLiveness'>>().toEqualTypeOf<InputFrom<typeof o.nodeLivenessMachine>>();
    expectTypeOf<o.InputOf<'livenessView'>>().toEqualTypeOf<InputFrom<typeof o.livenessViewMachine>>();
    expectTypeOf<o.InputOf<'admission'>>().toEqualTypeOf<InputFrom<typeof o.admissionMachine>>();
    expectTypeOf<o.InputOf<'maintainerRegistry'>>().toEqualTypeOf<InputFrom<typeof o.maintainerRegistryMachine>>();
    expectTypeOf<o.InputOf<'dispatcherManager'>>().toEqualTypeOf<InputFrom<typeof o.dispatcherManagerMachine>>();
    expectTypeOf<o.InputOf<'nodeDrainTarget'>>().toEqualTypeOf<InputFrom<typeof o.nodeDrainTargetMachine>>();
    // The runtime half: a parsed event is sendable as is (this line fails `tsc` if the type is not inferred).
    const parsed = parseEventWith(operatorEventSchemas, { ...status, maintainerEpoch: '4' });
    const move = createActor(moveMaintainerMachine, { input: moveInput }).start();
    if (parsed.ok) move.send(parsed.event);
    expect(move.getSnapshot().value).toBe('OriginStopped');
  });
});
