/**
 * The `taggedUnion` field kind (machines/boundary.ts), used by the drain session's scheduler gate:
 * the boundary's lenient reader and the strict codec both pick the variant by its tag and refuse an
 * unknown tag with the path of the tag field.
 */
import { describe, expect, it } from 'vitest';
import { InvalidEventError, listOf, mapOf, parseEventWith, taggedUnion, type EventSchemas } from 'opcharts';
import { CodecFieldError, value } from '../../machines/codec.js';

const GATE = taggedUnion('kind', {
  target: { target: 'node', epoch: 'uint64', ackedNodes: mapOf('uint64') },
  clear: { target: 'node', epoch: 'uint64', pendingNodes: listOf('node', { unique: true }) },
});
const schemas = { SET_GATE: { gate: GATE } } as const satisfies EventSchemas;

describe('taggedUnion', () => {
  it('the boundary reader picks the variant by its tag', () => {
    const r = parseEventWith(schemas, { type: 'SET_GATE', gate: { kind: 'clear', target: 'n1', epoch: '7', pendingNodes: ['n2'], ignored: 1 } });
    expect(r).toEqual({ ok: true, event: { type: 'SET_GATE', gate: { kind: 'clear', target: 'n1', epoch: 7n, pendingNodes: ['n2'] } } });
    // The type follows the tag: a clear gate has pendingNodes, a target gate ackedNodes.
    if (r.ok && r.event.gate.kind === 'clear') expect(r.event.gate.pendingNodes).toEqual(['n2']);
  });

  it('the boundary reader refuses an unknown tag or a field of the other variant', () => {
    const bad = parseEventWith(schemas, { type: 'SET_GATE', gate: { kind: 'frozen', target: 'n1', epoch: '7' } });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error).toBeInstanceOf(InvalidEventError);
      expect(bad.error.field).toBe('gate.kind');
    }
    const missing = parseEventWith(schemas, { type: 'SET_GATE', gate: { kind: 'target', target: 'n1', epoch: '7', pendingNodes: [] } });
    expect(missing.ok || missing.error.field).toBe('gate.ackedNodes');
  });

  it('the strict codec round-trips both variants and refuses an extra field of the other variant', () => {
    const target = { kind: 'target', target: 'n1', epoch: 2n ** 64n - 1n, ackedNodes: { n2: 5n } };
    const json = value(GATE, target, 'gate', 'encode');
    expect(json).toEqual({ kind: 'target', target: 'n1', epoch: '18446744073709551615', ackedNodes: { n2: '5' } });
    expect(value(GATE, json, 'gate', 'decode')).toStrictEqual(target);
    expect(() => value(GATE, { ...(json as object), pendingNodes: [] }, 'gate', 'decode')).toThrow(CodecFieldError);
    expect(() => value(GATE, { ...(json as object), kind: 'frozen' }, 'gate', 'decode')).toThrow(/gate\.kind: expected one of target, clear/);
  });
});
