/**
 * The input boundary: raw messages become typed events or a typed error naming the bad field, and
 * a rejected input never reaches the machine, so the machine's state never changes.
 *
 * Machines: addMaintainerMachine, moveMaintainerMachine, drainNodeMachine, nodeLivenessMachine.
 */
import { describe, expect, it } from 'vitest';
import {
  addMaintainerMachine,
  drainNodeEventSchemas,
  drainNodeMachine,
  InvalidEventError,
  moveMaintainerMachine,
  nodeLivenessEventSchemas,
  nodeLivenessMachine,
  operatorEventSchemas,
  parseEventOrThrow,
  parseEventWith,
  type EventSchemas,
} from 'opcharts';
import { createActor, type AnyStateMachine } from 'xstate';

/** Feeds raw input through the boundary into an actor, as a host's transport handler would. */
function host(machine: AnyStateMachine, input: unknown, schemas: EventSchemas) {
  const actor = createActor(machine, { input });
  const effects: unknown[] = [];
  actor.on('*', (e) => effects.push(e));
  actor.start();
  return {
    actor,
    effects,
    deliver(raw: unknown) {
      const r = parseEventWith(schemas, raw);
      if (r.ok) actor.send(r.event as never);
      return r;
    },
  };
}

const moveInput = { changefeedId: 'cf', origin: 'n1', dest: 'n2', originEpoch: 1n, maintainerEpoch: 2n, checkpointTs: 9n };

const BAD: Array<[string, unknown, string]> = [
  ['not an object', 'STATUS', '(event)'],
  ['an array', [], '(event)'],
  ['null', null, '(event)'],
  ['no type', { from: 'n1' }, 'type'],
  ['unknown event type', { type: 'EXPLODE' }, 'type'],
  ['prototype key as type', { type: 'toString' }, 'type'],
  ['missing from', { type: 'STATUS', state: 'Stopped', bootstrapDone: true, maintainerEpoch: '1' }, 'from'],
  ['empty node id', { type: 'STATUS', from: '', state: 'Stopped', bootstrapDone: true, maintainerEpoch: '1' }, 'from'],
  ['unknown state', { type: 'STATUS', from: 'n1', state: 'Dead', bootstrapDone: true, maintainerEpoch: '1' }, 'state'],
  ['bootstrapDone as string', { type: 'STATUS', from: 'n1', state: 'Stopped', bootstrapDone: 'yes', maintainerEpoch: '1' }, 'bootstrapDone'],
  ['negative epoch', { type: 'STATUS', from: 'n1', state: 'Stopped', bootstrapDone: true, maintainerEpoch: '-1' }, 'maintainerEpoch'],
  ['epoch above 2^64-1', { type: 'STATUS', from: 'n1', state: 'Stopped', bootstrapDone: true, maintainerEpoch: '18446744073709551616' }, 'maintainerEpoch'],
  ['fractional epoch', { type: 'STATUS', from: 'n1', state: 'Stopped', bootstrapDone: true, maintainerEpoch: 1.5 }, 'maintainerEpoch'],
  ['imprecise JSON number epoch', { type: 'STATUS', from: 'n1', state: 'Stopped', bootstrapDone: true, maintainerEpoch: 2 ** 60 }, 'maintainerEpoch'],
  ['epoch of the wrong type', { type: 'STATUS', from: 'n1', state: 'Stopped', bootstrapDone: true, maintainerEpoch: true }, 'maintainerEpoch'],
  ['node removal without node', { type: 'NODE_REMOVED' }, 'node'],
];

describe('input boundary for the operators', () => {
  it.each(BAD)('rejects %s with a typed error naming %j... and the move does not change', (_name, raw, field) => {
    const h = host(moveMaintainerMachine, moveInput, operatorEventSchemas);
    const before = h.actor.getSnapshot();
    const effectsBefore = h.effects.length;
    const r = h.deliver(raw);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(InvalidEventError);
    expect(r.error.code).toBe('INVALID_EVENT');
    expect(r.error.field).toBe(field);
    expect(h.actor.getSnapshot()).toBe(before);
    expect(h.effects.length).toBe(effectsBefore);
  });

  it('a well-formed status with a decimal-string epoch drives the machine', () => {
    const h = host(moveMaintainerMachine, moveInput, operatorEventSchemas);
    const r = h.deliver({ type: 'STATUS', from: 'n1', state: 'Stopped', bootstrapDone: false, maintainerEpoch: '1', extra: 'dropped' });
    expect(r).toEqual({
      ok: true,
      event: { type: 'STATUS', from: 'n1', state: 'Stopped', bootstrapDone: false, maintainerEpoch: 1n },
    });
    expect(h.actor.getSnapshot().value).toBe('OriginStopped');
  });

  it('2^64-1 passes the boundary exactly', () => {
    const ev = parseEventOrThrow(operatorEventSchemas, {
      type: 'STATUS',
      from: 'n1',
      state: 'Working',
      bootstrapDone: true,
      maintainerEpoch: '18446744073709551615',
    });
    expect(ev).toMatchObject({ maintainerEpoch: 2n ** 64n - 1n });
    const h = host(addMaintainerMachine, { changefeedId: 'cf', dest: 'n1', maintainerEpoch: 2n ** 64n - 1n, checkpointTs: 1n, isNew: false }, operatorEventSchemas);
    h.actor.send(ev as never);
    expect(h.actor.getSnapshot().value).toBe('Succeeded');
  });

  it('parseEventOrThrow throws the typed error', () => {
    expect(() => parseEventOrThrow(operatorEventSchemas, { type: 'NODE_REMOVED', node: 7 })).toThrow(InvalidEventError);
  });
});

describe('input boundary for drain and liveness', () => {
  it.each([
    [{ type: 'ADVANCE', now: -1, readyToStop: true }, 'now'],
    [{ type: 'ADVANCE', now: 1.5, readyToStop: true }, 'now'],
    [{ type: 'ADVANCE', now: 10 }, 'readyToStop'],
    [{ type: 'OBSERVE', now: 1, nodeEpoch: 'x', liveness: 'Alive' }, 'nodeEpoch'],
    [{ type: 'OBSERVE', now: 1, nodeEpoch: '5', liveness: 'Zombie' }, 'liveness'],
    [{ type: 'SET_NODE_LIVENESS', from: 'coord', target: 'Draining' }, 'nodeEpoch'],
  ])('rejects %j naming %s; the machine is unchanged', (raw, field) => {
    const isDrain = (raw as { type: string }).type !== 'SET_NODE_LIVENESS';
    const h = isDrain
      ? host(drainNodeMachine, { node: 'n1' }, drainNodeEventSchemas)
      : host(nodeLivenessMachine, { nodeId: 'n1', nodeEpoch: 5n, coordinator: { id: 'coord', version: 1n } }, nodeLivenessEventSchemas);
    const before = h.actor.getSnapshot();
    const r = h.deliver(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.field).toBe(field);
    expect(h.actor.getSnapshot()).toBe(before);
    expect(h.effects).toEqual([]);
  });

  it('a valid SetNodeLiveness at the node epoch is applied', () => {
    const h = host(nodeLivenessMachine, { nodeId: 'n1', nodeEpoch: 5n, coordinator: { id: 'coord', version: 1n } }, nodeLivenessEventSchemas);
    expect(h.deliver({ type: 'SET_NODE_LIVENESS', from: 'coord', target: 'Draining', nodeEpoch: '5' }).ok).toBe(true);
    expect(h.actor.getSnapshot().value).toBe('Draining');
  });
});
