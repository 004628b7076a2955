/**
 * The generator's own guarantees: coverage fails loudly when a domain loses the only event that
 * reaches a transition, and the step properties catch seeded bugs (mutants) in the machines.
 * Machines: addMaintainerMachine, moveMaintainerMachine, drainNodeMachine, nodeLivenessMachine.
 */
import { describe, expect, it } from 'vitest';
import { emit } from 'xstate';
import { match, type MoveMaintainerContext } from 'opcharts';
import type { MachineModel } from '../graph/model.js';
import { checkProperties, edgePaths, generate } from '../graph/paths.js';
import { addMaintainerModel, moveMaintainerModel } from '../models/operators.js';
import { drainNodeModel, nodeLivenessModel } from '../models/liveness.js';
import { listTransitions } from '../graph/transitions.js';

function withoutEvents(model: MachineModel, drop: (e: { type: string } & Record<string, unknown>) => boolean): MachineModel {
  return { ...model, events: (s) => model.events(s).filter((e) => !drop(e)) };
}

/** Violations on the generated paths and on every edge of the explored graph. */
function violations(model: MachineModel): string[] {
  const g = generate(model);
  return [...g.replays, ...edgePaths(model, g)].flatMap((r) => checkProperties(model, r).map((v) => `${r.path.name}: ${v}`));
}

describe('coverage is enforced', () => {
  it('removing TASK_REMOVED from the add domain names the transitions it alone reached', () => {
    const { coverage } = generate(withoutEvents(addMaintainerModel, (e) => e.type === 'TASK_REMOVED'));
    expect(coverage.transitionsTaken).toBeLessThan(coverage.transitionsDefined);
    expect(coverage.missingTransitions).toContain('Sending --TASK_REMOVED--> CanceledTaskRemoved');
    expect(coverage.missingStates).toContain('CanceledTaskRemoved');
  });

  it('removing the origin\'s statuses from the move domain leaves the status-driven OriginStopped edge uncovered', () => {
    const { coverage } = generate(withoutEvents(moveMaintainerModel, (e) => e.type === 'STATUS' && e.from === 'n1'));
    expect(coverage.missingTransitions).toContain('RemoveOrigin --STATUS [isOriginStoppedStatus]--> OriginStopped');
  });

  it('the transition table counts targetless and guarded branches', () => {
    const labels = listTransitions(moveMaintainerModel.machine).map((t) => t.label);
    expect(labels).toContain('RemoveOrigin --SCHEDULE / sendRemoveToOrigin--> (stays)');
    expect(labels).toContain('OriginStopped --NODE_REMOVED [isTargetRemoved] / fallBackToOrigin--> (stays)');
    expect(labels.filter((l) => l.startsWith('RemoveOrigin --NODE_REMOVED'))).toHaveLength(3);
  });
});

describe('step properties catch seeded bugs', () => {
  it('a move that sends its remove with the bumped epoch (§5.1 B4) violates I23', () => {
    const machine = moveMaintainerModel.machine.provide({
      actions: {
        sendRemoveToOrigin: emit(({ context }: { context: MoveMaintainerContext }) => ({
          type: 'RemoveMaintainerRequest' as const,
          to: context.origin,
          changefeedId: context.changefeedId,
          cascade: false,
          removed: false,
          maintainerEpoch: context.maintainerEpoch,
        })),
      },
    } as never);
    const found = violations({ ...moveMaintainerModel, machine });
    expect(found.some((v) => v.includes('with originEpoch, non-cascade (I23)'))).toBe(true);
  });

  it('a move that accepts any Stopped status as the origin stopping violates the origin rule', () => {
    const machine = moveMaintainerModel.machine.provide({
      guards: {
        isOriginStoppedStatus: ({ event }: { event: { type: string; state?: string } }) =>
          event.type === 'STATUS' && event.state !== 'Working',
      },
    } as never);
    const found = violations({ ...moveMaintainerModel, machine });
    expect(found.some((v) => v.includes('the origin counts as stopped only on'))).toBe(true);
  });

  it('an add that ignores BootstrapDone (the remove-only maintainer race) is caught', () => {
    const machine = addMaintainerModel.machine.provide({
      guards: {
        isSuccessStatus: ({ context, event }: { context: { dest: string; maintainerEpoch: bigint }; event: Record<string, unknown> }) =>
          event.type === 'STATUS' &&
          event.from === context.dest &&
          match(event.maintainerEpoch as bigint, context.maintainerEpoch) &&
          event.state === 'Working',
      },
    } as never);
    const found = violations({ ...addMaintainerModel, machine });
    expect(found.some((v) => v.includes('without BootstrapDone'))).toBe(true);
  });

  it('a drain whose STOPPING ignores the resend throttle is caught', () => {
    const machine = drainNodeModel.machine.provide({
      guards: {
        isStopDue: ({ event }: { event: { type: string; readyToStop?: boolean } }) =>
          event.type === 'ADVANCE' && event.readyToStop === true,
      },
    } as never);
    const found = violations({ ...drainNodeModel, machine });
    expect(found.some((v) => v.includes('throttled to one per second'))).toBe(true);
  });

  it('a liveness register that steps forward whatever the request asked for is caught', () => {
    const machine = nodeLivenessModel.machine.provide({ guards: { isNextStep: () => true } } as never);
    const found = violations({ ...nodeLivenessModel, machine });
    expect(found.some((v) => v.includes('only to the value a request or a local store asked for'))).toBe(true);
  });

  it('the unmutated machines satisfy every property', () => {
    for (const m of [addMaintainerModel, moveMaintainerModel, drainNodeModel, nodeLivenessModel]) {
      expect(violations(m)).toEqual([]);
    }
  });
});
