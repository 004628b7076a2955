/** The cluster network: interning, and bags whose encoding ignores the order of sends. */
import { describe, expect, it } from 'vitest';
import { Interner, bagAdd, bagCount, bagDistinct, bagRemove } from '../../cluster/network.js';

describe('network bag', () => {
  it('interns equal values to one id, in first-seen order', () => {
    const m = new Interner<{ to: string; epoch: bigint }>((v) => `${v.to}:${v.epoch}`);
    expect(m.id({ to: 'n1', epoch: 5n })).toBe(0);
    expect(m.id({ to: 'n2', epoch: 5n })).toBe(1);
    expect(m.id({ to: 'n1', epoch: 5n })).toBe(0);
    expect(m.value(1)).toEqual({ to: 'n2', epoch: 5n });
    expect(() => m.value(7)).toThrow(RangeError);
  });

  it('sends in any order give the same bag; removal takes one copy', () => {
    const a = bagAdd(bagAdd(bagAdd([], 3), 1), 3);
    const b = bagAdd(bagAdd(bagAdd([], 3), 3), 1);
    expect(a).toEqual([1, 3, 3]);
    expect(b).toEqual(a);
    expect(bagRemove(a, 3)).toEqual([1, 3]);
    expect(bagCount(a, 3)).toBe(2);
    expect(bagDistinct(a)).toEqual([1, 3]);
    expect(() => bagRemove(a, 2)).toThrow(/not in flight/);
  });
});
