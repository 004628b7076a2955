/**
 * §5.1 the historical bugs the composed cluster has no room for (cluster/catalogueNode.ts
 * `notExpressibleOnCluster`: B12, B15, B18, B25), caught by the checker on the variant's machine
 * alone (graph/check.ts): the step property the variant names breaks on a shortest event path that
 * replays on an actor, and the faithful machine, explored in full, breaks none. Also: the whole
 * catalogue is in cluster/catalogueResults.json, so the README table lists every variant.
 */
import { describe, expect, it } from 'vitest';
import { catalogueRuns, comparable, machineCatalogue, runMachineCase } from '../../cluster/catalogueRun.js';
import { machineVariants } from '../../cluster/variants.js';
import { checkProperties } from '../../graph/paths.js';
import { findModel } from '../../models/index.js';
import { committedRow, committedVariants } from './catalogueResults.js';

describe('§5.1 historical bugs caught by the checker on one machine', () => {
  for (const id of machineCatalogue) {
    const variant = machineVariants.find((v) => v.id === id)!;
    it(`${id} (${variant.invariant}): ${variant.reintroduces}`, async () => {
      const outcome = await runMachineCase(id);
      if (outcome.level !== 'machine') throw new Error('a machine case runs on the machine');
      const { bad, violation, good } = outcome;
      expect(violation, `found: ${bad.violations.map((v) => v.property).join('; ') || 'nothing'}`).toBeDefined();
      expect(bad.stopReason).toBe('violation');
      // The counterexample, replayed on a fresh actor of the variant machine, breaks the same property at its last step.
      const broken = checkProperties({ ...findModel(Object.keys(variant.machines)[0]!)!, machine: Object.values(variant.machines)[0]! }, violation!.replay);
      expect(broken.at(-1)).toContain(`step ${violation!.events.length} `);
      expect(broken.at(-1)).toContain(variant.caughtBy);
      // The faithful machine: every snapshot reachable under the model's event domain, no property broken.
      expect(good.stopReason).toBe('complete');
      expect(good.violations).toEqual([]);
      expect(committedRow(id)).toEqual(comparable(outcome.row));
    }, 120_000);
  }

  it('every catalogue variant has a row in cluster/catalogueResults.json, and no other row', () => {
    expect(committedVariants()).toEqual(catalogueRuns().map((r) => r.variant));
  });
});
