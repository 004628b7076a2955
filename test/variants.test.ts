/**
 * The historical-bug catalogue at machine level (cluster/variants.ts, spec §5.1): every variant a
 * single machine can show is caught by the generated path tests — the named step property of its
 * machine's model fails on some generated path — while the faithful machine passes them all
 * (test/paths.test.ts). Variants without `caughtBy` show only in the composed cluster.
 */
import { describe, expect, it } from 'vitest';
import { machineVariants } from '../cluster/variants.js';
import { models } from '../models/index.js';
import { checkProperties, edgePaths, generate } from '../graph/paths.js';

/** The names of the step properties the variant's generated paths break (replays first, then every edge). */
function broken(modelName: string, machine: (typeof machineVariants)[number]['machines'][string]): string[] {
  const model = models.find((m) => m.name === modelName);
  if (!model) throw new Error(`no model ${modelName}`);
  const variant = { ...model, machine };
  const generated = generate(variant);
  const names = (rs: typeof generated.replays) =>
    new Set(rs.flatMap((r) => checkProperties(variant, r)).map((v) => model.properties.find((p) => v.includes(p.name))?.name ?? v));
  const fromPaths = names(generated.replays);
  return [...(fromPaths.size ? fromPaths : names(edgePaths(variant, generated)))];
}

describe('§5.1 historical bugs reintroduced into one machine are caught by its generated tests', () => {
  for (const v of machineVariants.filter((x) => x.caughtBy)) {
    for (const modelName of Object.keys(v.machines)) {
      it(`${v.id} (${v.invariant}): ${v.reintroduces}`, () => {
        expect(broken(modelName, v.machines[modelName]!)).toContain(v.caughtBy);
      });
    }
  }

  it('every variant names its bug, invariant and machines; the uncaught ones are left to the cluster checker', () => {
    expect(new Set(machineVariants.map((v) => v.id)).size).toBe(machineVariants.length);
    for (const v of machineVariants) {
      expect(v.id).toMatch(/^B\d+$/);
      expect(Object.keys(v.machines).every((m) => models.some((x) => x.name === m))).toBe(true);
    }
    expect(machineVariants.filter((v) => !v.caughtBy).map((v) => v.id)).toEqual(['B7', 'B17', 'B26', 'B16', 'B23', 'B22']);
  });
});
