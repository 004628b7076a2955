/**
 * The drain session's step properties (models/drainSession.ts, §2.5.5) catch a seeded bug; its
 * generated path tests at 100% coverage run with every other model in test/paths.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { emit } from 'xstate';
import type { MachineModel } from '../../graph/model.js';
import { drainNodeRow, type DrainSessionContext, type DrainNodeCallEvent } from '../../machines/coordinator/drainSession.js';
import { drainSessionModel as model } from '../../models/drainSession.js';
import { checkProperties, edgePaths, generate } from '../../graph/paths.js';

describe('drainSession step properties catch seeded bugs', () => {
  function violations(m: MachineModel): string[] {
    const g = generate(m);
    return [...g.replays, ...edgePaths(m, g)].flatMap((r) => checkProperties(m, r));
  }

  it('a DrainNode that always answers 0 violates I17', () => {
    const machine = model.machine.provide({
      actions: {
        answerDrainNode: emit(({ context, event }: { context: DrainSessionContext; event: DrainNodeCallEvent }) => ({
          type: 'drain.result' as const,
          target: event.target,
          remaining: 0,
          row: drainNodeRow(context, event),
          error: null,
        })),
      },
    } as never);
    const found = violations({ ...model, machine });
    expect(found.some((v) => v.includes('I17'))).toBe(true);
  });
});
