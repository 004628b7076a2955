/**
 * Generated path tests of the drain session (§2.5.5, §2.5.4, §2.5.2) from models/drainSession.ts,
 * as test/paths.test.ts does for the models in models/index.ts: 100% state and transition coverage
 * on replays, and every step of every path and every explored edge satisfies the model's properties.
 */
import { describe, expect, it } from 'vitest';
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
