import { describe, expect, it } from 'vitest';
import { classifyMaintainerStatus, heartbeatAdmitted, nextCheckpoint } from '../../machines/coordinator/index.js';

const base = { from: 'n1', state: 'Working' as const, maintainerEpoch: 5n, hasOperator: false };

describe('§2.4.4 heartbeat status filtering', () => {
  it('preamble: dropped unless the coordinator and the sending node are initialized', () => {
    expect(heartbeatAdmitted(true, true)).toBe(true);
    expect(heartbeatAdmitted(false, true)).toBe(false);
    expect(heartbeatAdmitted(true, false)).toBe(false);
  });
  it('step 2: an unknown Working changefeed without operator is cascade-removed with the status epoch', () => {
    expect(classifyMaintainerStatus({ ...base, changefeed: undefined })).toEqual({ kind: 'removeUnknown', to: 'n1', maintainerEpoch: 5n });
    expect(classifyMaintainerStatus({ ...base, changefeed: undefined, hasOperator: true })).toEqual({ kind: 'ignore', step: 2 });
    expect(classifyMaintainerStatus({ ...base, state: 'Stopped', changefeed: undefined })).toEqual({ kind: 'ignore', step: 2 });
  });
  it('step 3: unbound or bound elsewhere is ignored', () => {
    expect(classifyMaintainerStatus({ ...base, changefeed: { nodeId: '', epoch: 5n } })).toEqual({ kind: 'ignore', step: 3 });
    expect(classifyMaintainerStatus({ ...base, changefeed: { nodeId: 'n2', epoch: 5n } })).toEqual({ kind: 'ignore', step: 3 });
  });
  it('step 4 and 5: a mismatched epoch is stale, a matching one applies', () => {
    expect(classifyMaintainerStatus({ ...base, changefeed: { nodeId: 'n1', epoch: 6n } })).toEqual({ kind: 'stale' });
    expect(classifyMaintainerStatus({ ...base, changefeed: { nodeId: 'n1', epoch: 5n } })).toEqual({ kind: 'apply' });
  });
});

describe('§2.4.4 step 5: checkpoint monotonicity', () => {
  it('advances, ignores a regression without errors, clamps one with errors', () => {
    expect(nextCheckpoint(100n, 120n, false)).toEqual({ checkpointTs: 120n, applied: true });
    expect(nextCheckpoint(100n, 90n, false)).toEqual({ checkpointTs: 100n, applied: false });
    expect(nextCheckpoint(100n, 90n, true)).toEqual({ checkpointTs: 100n, applied: true });
  });
});
