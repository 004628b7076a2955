/**
 * Conformance tests for the scheduler gates and destination eligibility, spec §6.5 items 5–10
 * (`coordinator/drain/controller_test.go`), §2.5.1 (gates), §2.5.2 (`IsSchedulableDest`), §5.1 B22,
 * and drain epoch generation (§2.5.4, I19, §5.1 B24). Machines: none (pure functions of
 * machines/coordinator/gates.ts and drainEpoch.ts); the session's use of them is in drainNode.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  DrainEpochError,
  isSchedulableDest,
  isSchedulingFrozen,
  nextDrainEpoch,
  recordHeartbeat,
  removeClearPending,
  startTargetGate,
  switchToClearGate,
  type DestView,
  type SchedulerGate,
} from '../../machines/coordinator/drain.js';
import { MAX_UINT64 } from '../../machines/epoch.js';

const alive = (nodeEpoch = 1n): DestView => ({ state: 'Alive', observed: true, nodeEpoch });
const ok = (gate: SchedulerGate, node: string, view = alive()) => isSchedulableDest(false, gate, node, view);

describe('§6.5.5 SchedulerGateRequiresTargetAck', () => {
  it('only a node that reported (target, 99) is schedulable; the target never; a clear without pending frees everyone', () => {
    let gate: SchedulerGate = startTargetGate('target', 99n);
    gate = recordHeartbeat(gate, 'acked', 1n, { observed: true, nodeEpoch: 1n }, { target: 'target', epoch: 99n });
    expect(ok(gate, 'acked')).toBe(true);
    expect(ok(gate, 'pending')).toBe(false);
    expect(ok(gate, 'target')).toBe(false);
    // A report of a different epoch or target is no ack; nor is the target's own heartbeat.
    expect(ok(recordHeartbeat(gate, 'pending', 1n, alive(), { target: 'target', epoch: 98n }), 'pending')).toBe(false);
    expect(ok(recordHeartbeat(gate, 'pending', 1n, alive(), { target: 'other', epoch: 99n }), 'pending')).toBe(false);
    expect(recordHeartbeat(gate, 'target', 1n, alive(), { target: 'target', epoch: 99n })).toBe(gate);
    gate = switchToClearGate(gate, 'target', 99n, []);
    expect(gate?.kind).toBe('clear');
    expect(ok(gate, 'pending')).toBe(true);
  });

  it('a never-observed node is schedulable without gates but not under a target gate (§2.5.2)', () => {
    const unobserved: DestView = { state: 'Alive', observed: false, nodeEpoch: 0n };
    expect(ok(null, 'fresh', unobserved)).toBe(true);
    expect(ok(startTargetGate('t', 1n), 'fresh', unobserved)).toBe(false);
  });

  it('a node viewed Draining, Stopping or Unknown is never a destination', () => {
    for (const state of ['Draining', 'Stopping', 'Unknown'] as const) {
      expect(ok(null, 'n', { ...alive(), state })).toBe(false);
    }
  });
});

describe('§6.5.6 SchedulerGateRequiresReackAfterNodeRestart (§5.1 B22)', () => {
  it('an ack is keyed by node epoch: a restart needs a new ack, and a stale epoch-1 ack does not count', () => {
    const target = { target: 'origin', epoch: 7n };
    let gate: SchedulerGate = startTargetGate('origin', 7n);
    gate = recordHeartbeat(gate, 'dest', 1n, { observed: true, nodeEpoch: 1n }, target);
    expect(ok(gate, 'dest', alive(1n))).toBe(true);
    // Restart: a heartbeat at node epoch 2 that has not seen the target yet.
    gate = recordHeartbeat(gate, 'dest', 2n, { observed: true, nodeEpoch: 2n }, { target: '', epoch: 0n });
    expect(gate?.kind === 'target' && gate.ackedNodes.dest).toBeUndefined();
    expect(ok(gate, 'dest', alive(2n))).toBe(false);
    // A late epoch-1 heartbeat carrying the ack: the view is at epoch 2, so it is no ack.
    gate = recordHeartbeat(gate, 'dest', 1n, { observed: true, nodeEpoch: 2n }, target);
    expect(ok(gate, 'dest', alive(2n))).toBe(false);
    gate = recordHeartbeat(gate, 'dest', 2n, { observed: true, nodeEpoch: 2n }, target);
    expect(ok(gate, 'dest', alive(2n))).toBe(true);
  });

  it('even an ack left in place does not count once the view holds a newer node epoch', () => {
    const gate = recordHeartbeat(startTargetGate('o', 7n), 'dest', 1n, alive(1n), { target: 'o', epoch: 7n });
    expect(ok(gate, 'dest', alive(2n))).toBe(false);
  });
});

describe('§6.5.7 SchedulingFreezeBlocksDestinations', () => {
  it('frozen blocks every destination; unfrozen lets an Alive node through', () => {
    expect(isSchedulableDest(true, null, 'n', alive())).toBe(false);
    expect(isSchedulableDest(false, null, 'n', alive())).toBe(true);
  });

  it('frozen iff no active session and some node observed Draining or Stopping and not stale', () => {
    expect(isSchedulingFrozen(false, ['Alive', 'Draining'])).toBe(true);
    expect(isSchedulingFrozen(false, ['Stopping'])).toBe(true);
    expect(isSchedulingFrozen(true, ['Draining'])).toBe(false);
    expect(isSchedulingFrozen(false, ['Unknown', 'Alive'])).toBe(false);
  });
});

describe('§6.5.8 ClearGateBlocksPendingNodesUntilAck', () => {
  it('a pending node is blocked until it acks; the last ack drops the clear gate', () => {
    let gate: SchedulerGate = switchToClearGate(null, 'target', 5n, ['pending']);
    expect(ok(gate, 'ready')).toBe(true);
    expect(ok(gate, 'pending')).toBe(false);
    gate = removeClearPending(gate, 'pending');
    expect(gate).toBeNull();
    expect(ok(gate, 'pending')).toBe(true);
  });
});

describe('§6.5.9 NewActiveGateSupersedesOldClearGate', () => {
  it('a new target gate replaces the clear gate, and the dest still needs an ack of the new target', () => {
    let gate: SchedulerGate = switchToClearGate(null, 'old', 10n, ['dest']);
    expect(ok(gate, 'dest')).toBe(false);
    gate = startTargetGate('new', 11n);
    expect(ok(gate, 'dest')).toBe(false);
    gate = recordHeartbeat(gate, 'dest', 1n, alive(), { target: 'new', epoch: 11n });
    expect(ok(gate, 'dest')).toBe(true);
  });
});

describe('§6.5.10 StaleClearDoesNotOverrideNewActiveGate', () => {
  it('a clear of (old, 10) is ignored once (new, 11) is active', () => {
    let gate: SchedulerGate = startTargetGate('old', 10n);
    gate = startTargetGate('new', 11n); // a session for new replaced the one for old
    expect(gate.target).toBe('new');
    const after = switchToClearGate(gate, 'old', 10n, ['dest']);
    expect(after).toBe(gate);
    gate = recordHeartbeat(after, 'dest', 1n, alive(), { target: 'new', epoch: 11n });
    expect(ok(gate, 'dest')).toBe(true);
  });

  it('among clear gates a lower epoch never replaces a higher one; at equal epoch pending sets merge only for the same target', () => {
    const high = switchToClearGate(null, 't', 10n, ['a']);
    expect(switchToClearGate(high, 't', 9n, ['b'])).toBe(high);
    expect(switchToClearGate(high, 'u', 10n, ['b'])).toBe(high);
    expect(switchToClearGate(high, 't', 10n, ['b'])).toEqual({ kind: 'clear', target: 't', epoch: 10n, pendingNodes: ['a', 'b'] });
    expect(switchToClearGate(high, 'u', 11n, ['b'])).toEqual({ kind: 'clear', target: 'u', epoch: 11n, pendingNodes: ['b'] });
  });
});

describe('§2.5.4 drain epoch generation (I19, §5.1 B24)', () => {
  const base = { wallClockNs: 0n, maxObservedDrainEpoch: 0n, lastGeneratedDrainEpoch: 0n, clearEpoch: 0n };

  it('starts from physical_ms·1e6 + logical on the UnixNano scale, then +1', () => {
    expect(nextDrainEpoch({ ...base, tso: { physicalMs: 1_700_000_000_000n, logical: 5n } })).toBe(1_700_000_000_000_000_006n);
  });

  it('is raised to the wall clock, the highest observed, the last generated and the clear epoch, each then +1', () => {
    const tso = { physicalMs: 1n, logical: 0n };
    expect(nextDrainEpoch({ ...base, tso, wallClockNs: 5_000_000n })).toBe(5_000_001n);
    expect(nextDrainEpoch({ ...base, tso, maxObservedDrainEpoch: 6_000_000n })).toBe(6_000_001n);
    expect(nextDrainEpoch({ ...base, tso, lastGeneratedDrainEpoch: 7_000_000n })).toBe(7_000_001n);
    expect(nextDrainEpoch({ ...base, tso, clearEpoch: 8_000_000n })).toBe(8_000_001n);
  });

  it('overflow is a typed error: at 2^64−1 and when the TSO overflows nanoseconds; a negative TSO too', () => {
    const tso = { physicalMs: 1n, logical: 0n };
    expect(() => nextDrainEpoch({ ...base, tso, maxObservedDrainEpoch: MAX_UINT64 })).toThrow(DrainEpochError);
    expect(nextDrainEpoch({ ...base, tso, maxObservedDrainEpoch: MAX_UINT64 - 1n })).toBe(MAX_UINT64);
    try {
      nextDrainEpoch({ ...base, tso: { physicalMs: MAX_UINT64 / 1_000_000n + 1n, logical: 0n } });
      expect.unreachable();
    } catch (e) {
      expect((e as DrainEpochError).code).toBe('DRAIN_EPOCH_OVERFLOW');
    }
    expect(() => nextDrainEpoch({ ...base, tso: { physicalMs: -1n, logical: 0n } })).toThrow(/negative/);
  });
});
