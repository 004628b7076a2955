/**
 * Generated path tests of the drain session (§2.5.5, §2.5.4, §2.5.2) from models/drainSession.ts,
 * as test/paths.test.ts does for the models in models/index.ts: 100% state and transition coverage
 * on replays, and every step of every path and every explored edge satisfies the model's properties.
 */
import { describe, expect, it } from 'vitest';
import { emit } from 'xstate';
import type { MachineModel } from '../../graph/model.js';
import { drainNodeRow, type DrainSessionContext, type DrainNodeCallEvent } from '../../machines/coordinator/drainSession.js';
import { drainSessionModel as model } from '../../models/drainSession.js';
import { checkProperties, edgePaths, generate } from '../../graph/paths.js';

describe('drainSession generated paths (§2.5.5)', () => {
  const generated = generate(model);

  it('reaches every state and takes every transition of the definition', () => {
    const { coverage } = generated;
    expect(coverage.missingStates).toEqual([]);
    expect(coverage.missingTransitions).toEqual([]);
    expect(coverage.transitionsTaken).toBe(coverage.transitionsDefined);
  });

  it('every generated path and every explored edge satisfies the step properties', () => {
    const edges = edgePaths(model, generated);
    expect(edges.length).toBeGreaterThan(generated.paths.length);
    const violations = [...generated.replays, ...edges].flatMap((r) => checkProperties(model, r).map((v) => `${r.path.name}: ${v}`));
    expect(violations.slice(0, 5)).toEqual([]);
  });
});

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
