/**
 * Bad input on the receiving side: out-of-range epochs and malformed requests are refused at the
 * boundary with a typed error naming the field; requests from unknown senders and stale epochs get
 * the documented treatment (ignored, or the documented reply) and never change state.
 * Machines: maintainerRegistryMachine, dispatcherManagerMachine.
 */
import { describe, expect, it } from 'vitest';
import {
  dispatcherManagerEventSchemas,
  dispatcherManagerMachine,
  InvalidEventError,
  maintainerRegistryEventSchemas,
  maintainerRegistryMachine,
  parseEventWith,
} from 'opcharts';
import { drive } from '../helpers/drive.js';

const registry = () => {
  const r = drive(maintainerRegistryMachine, { changefeedId: 'cf', node: 'n1', coordinatorId: 'coord', aliveNodes: ['n1'] });
  r.send({ type: 'ADD_MAINTAINER', from: 'coord', maintainerEpoch: 5n, configEpoch: 5n, checkpointTs: 1n, configValid: true });
  r.take();
  return r;
};

describe('receiver boundary', () => {
  it.each([
    [{ type: 'REMOVE_MAINTAINER', from: 'coord', maintainerEpoch: '18446744073709551616', cascade: true, removed: true }, 'maintainerEpoch'],
    [{ type: 'REMOVE_MAINTAINER', from: 'coord', maintainerEpoch: '-5', cascade: true, removed: true }, 'maintainerEpoch'],
    [{ type: 'ADD_MAINTAINER', from: 'coord', maintainerEpoch: '6', configEpoch: '6', checkpointTs: 1.5, configValid: true }, 'checkpointTs'],
    [{ type: 'CLOSE_RESPONSE', from: '', maintainerEpoch: '5', success: true }, 'from'],
    [{ type: 'REMOVE_MAINTAINER', from: 'coord', maintainerEpoch: '5', cascade: 'yes', removed: false }, 'cascade'],
  ])('the registry refuses %j naming %s, and is unchanged', (raw, field) => {
    const r = registry();
    const before = r.actor.getSnapshot();
    const parsed = parseEventWith(maintainerRegistryEventSchemas, raw);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error).toBeInstanceOf(InvalidEventError);
      expect(parsed.error.field).toBe(field);
    }
    expect(r.actor.getSnapshot()).toBe(before);
  });

  it('unknown senders and stale epochs are ignored without a reply and without a change (I9)', () => {
    const r = registry();
    const before = r.actor.getSnapshot();
    for (const raw of [
      { type: 'REMOVE_MAINTAINER', from: 'stranger', maintainerEpoch: '5', cascade: true, removed: true },
      { type: 'REMOVE_MAINTAINER', from: 'coord', maintainerEpoch: '4', cascade: true, removed: true },
      { type: 'ADD_MAINTAINER', from: 'stranger', maintainerEpoch: '9', configEpoch: '9', checkpointTs: '1', configValid: true },
    ]) {
      const parsed = parseEventWith(maintainerRegistryEventSchemas, raw);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) r.actor.send(parsed.event as never);
    }
    expect(r.actor.getSnapshot()).toBe(before);
    expect(r.take()).toEqual([]);
  });

  it('a close for an unknown changefeed gets the documented reply (success, tombstone); a bad one a typed error', () => {
    const d = drive(dispatcherManagerMachine, { changefeedId: 'cf', node: 'n2' });
    const bad = parseEventWith(dispatcherManagerEventSchemas, { type: 'CLOSE', from: 'm1', maintainerEpoch: 'x', removed: true });
    expect(bad.ok).toBe(false);
    expect(d.state()).toBe('Absent');
    const good = parseEventWith(dispatcherManagerEventSchemas, { type: 'CLOSE', from: 'm1', maintainerEpoch: '3', removed: true });
    if (!good.ok) throw good.error;
    d.actor.send(good.event as never);
    expect(d.take()).toEqual([{ type: 'MaintainerCloseResponse', to: 'm1', changefeedId: 'cf', success: true, maintainerEpoch: 3n }]);
    expect(d.actor.getSnapshot().context.tombstone).toBe(3n);
  });
});
