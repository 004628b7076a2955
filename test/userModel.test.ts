/**
 * "Test your own machine" (README): a machine and model defined outside machines/, through the
 * public entry point `opcharts/graph` only, get generated paths at 100% state and transition
 * coverage with every property holding — and a seeded bug (a loosened guard) is caught.
 */
import { describe, expect, it } from 'vitest';
import { checkMachine, checkProperties, edgePaths, generate, type MachineModel } from 'opcharts/graph';
import { leaseMachine, model } from '../examples/user-model/lease.js';

const broken = (m: MachineModel) => {
  const g = generate(m);
  return [...g.replays, ...edgePaths(m, g)].flatMap((r) => checkProperties(m, r));
};

describe('a user model through opcharts/graph', () => {
  it('generates paths that reach every state and take every transition, and keep every property', () => {
    const g = generate(model);
    expect(g.coverage.missingStates).toEqual([]);
    expect(g.coverage.missingTransitions).toEqual([]);
    expect(g.coverage.transitionsTaken).toBe(g.coverage.transitionsDefined);
    expect(g.paths.length).toBeGreaterThan(3);
    expect(broken(model)).toEqual([]);
  });

  it('a seeded bug — a takeover accepted at any epoch — is caught by the properties', () => {
    const seeded = { ...model, machine: leaseMachine.provide({ guards: { isNewerEpoch: ({ event }) => event.type === 'TAKEOVER' } }) };
    expect(broken(seeded).some((v) => v.includes('the epoch never decreases'))).toBe(true);
  });

  it('the checker on the machine alone: the faithful lease explored in full keeps every property; the seeded bug has a 2-event counterexample', () => {
    const faithful = checkMachine(model);
    expect(faithful).toMatchObject({ stopReason: 'complete', violations: [] });
    // Held and Expired at epochs 1, 2, 3: every reachable snapshot, each a distinct state.
    expect(faithful.states).toBe(6);
    const seeded = { ...model, machine: leaseMachine.provide({ guards: { isNewerEpoch: ({ event }) => event.type === 'TAKEOVER' } }) };
    const r = checkMachine(seeded);
    expect(r.stopReason).toBe('violation');
    const v = r.violations[0]!;
    expect(v.property).toBe('the epoch never decreases');
    // Shortest: one takeover up, one down (no single step from epoch 1 goes below it).
    expect(v.events.map((e) => e.type)).toEqual(['TAKEOVER', 'TAKEOVER']);
    expect(BigInt(v.events[1]!.epoch as bigint)).toBeLessThan(BigInt(v.events[0]!.epoch as bigint));
    expect(checkProperties(seeded, v.replay).some((x) => x.startsWith('step 2 ') && x.includes('the epoch never decreases'))).toBe(true);
  });

  it('a seeded bug — a renewal granted at any epoch — is caught too', () => {
    const seeded = { ...model, machine: leaseMachine.provide({ guards: { isCurrentEpoch: ({ event }) => event.type === 'RENEW' } }) };
    expect(broken(seeded).some((v) => v.includes('a renewal is granted only at the current epoch'))).toBe(true);
  });
});

describe('a variant of one of ours through opcharts/graph', () => {
  it("findModel gives opcharts' own model; a move whose remove carries the bumped epoch (§5.1 B4) breaks its I23 property", async () => {
    const { findModel } = await import('opcharts/graph');
    const { moveMaintainerMachine } = await import('opcharts');
    const { emit } = await import('xstate');
    const base = findModel('moveMaintainer')!;
    const machine = moveMaintainerMachine.provide({
      actions: {
        sendRemoveToOrigin: emit(({ context }) => ({
          type: 'RemoveMaintainerRequest' as const,
          to: context.origin,
          changefeedId: context.changefeedId,
          cascade: false,
          removed: false,
          maintainerEpoch: context.maintainerEpoch,
        })),
      },
    });
    expect(broken({ ...base, machine }).some((v) => v.includes('(I23)'))).toBe(true);
  });
});
