import { describe, expect, it } from 'vitest';
import { MultipleOwnersError, selectBootstrapMaintainer } from '../../machines/coordinator/index.js';

describe('§2.4.2 steps 1-3: exact / compat / stale split', () => {
  it('an exact owner wins and compat reports become stale', () => {
    const r = selectBootstrapMaintainer('cf', 7n, [{ node: 'n1', maintainerEpoch: 7n }, { node: 'n2', maintainerEpoch: 0n }, { node: 'n3', maintainerEpoch: 6n }]);
    expect(r.owner).toEqual({ node: 'n1', maintainerEpoch: 7n });
    expect(r.stale.map((s) => s.node).sort()).toEqual(['n2', 'n3']);
  });
  it('without an exact report a single compat report owns', () => {
    const r = selectBootstrapMaintainer('cf', 7n, [{ node: 'n2', maintainerEpoch: 0n }, { node: 'n3', maintainerEpoch: 6n }]);
    expect(r.owner?.node).toBe('n2');
    expect(r.stale.map((s) => s.node)).toEqual(['n3']);
  });
  it('no match: no owner, all stale', () => {
    const r = selectBootstrapMaintainer('cf', 7n, [{ node: 'n3', maintainerEpoch: 8n }]);
    expect(r.owner).toBeUndefined();
    expect(r.stale).toHaveLength(1);
  });
  it('two exact or two compat owners are a typed error', () => {
    expect(() => selectBootstrapMaintainer('cf', 7n, [{ node: 'n1', maintainerEpoch: 7n }, { node: 'n2', maintainerEpoch: 7n }])).toThrow(MultipleOwnersError);
    expect(() => selectBootstrapMaintainer('cf', 7n, [{ node: 'n1', maintainerEpoch: 0n }, { node: 'n2', maintainerEpoch: 0n }])).toThrow(MultipleOwnersError);
  });
});
