/**
 * The historical-bug catalogue on the composed cluster, node and drain half (cluster/catalogueNode.ts,
 * spec §5.1 and the invariants of §4 it names): each variant is caught by `runCheck` on its
 * configuration with the expected invariant (or, for a liveness bug, the AG EF goal), the shortest
 * counterexample's scenario replays to the same violation (to a world from which the goal is
 * unreachable, for a liveness bug), and the faithful model is clean on the same configuration.
 */
import { describe, expect, it } from 'vitest';
import { findVariant, VariantStepper } from '../../cluster/check.js';
import { comparable, runNodeCase } from '../../cluster/catalogueRun.js';
import { committedRow } from './catalogueResults.js';
import { catalogueConfig, nodeCatalogue, notExpressibleOnCluster, type CatalogueEntry } from '../../cluster/catalogueNode.js';
import { replay } from '../../cluster/scenario.js';
import { builtInInvariants } from '../../cluster/specs.js';
import { clusterModel } from '../../cluster/model.js';
import { explore } from '../../explorer/explore.js';

async function checkEntry(e: CatalogueEntry) {
  const config = catalogueConfig(e);
  const outcome = await runNodeCase(e);
  if (outcome.level !== 'cluster') throw new Error('a node case runs on the cluster');
  const { bad, violation: v, good } = outcome;
  expect(v, `${e.variant}: ${bad.violations.map((x) => `${x.kind} ${x.invariant}: ${x.message}`).join('; ') || 'no violation'}`).toBeDefined();
  for (const name of e.also ?? []) expect(bad.violations.map((x) => x.invariant)).toContain(name);
  // The scenario, as written to disk and read back, replays with the variant to the same violation.
  const scenario = JSON.parse(JSON.stringify(v!.scenario));
  const invariants = [...builtInInvariants, ...(e.user ?? [])];
  const again = replay(new VariantStepper(findVariant(e.variant)), scenario, invariants);
  if (e.kind === 'invariant') {
    expect(again.failures).toEqual([]);
    expect(again.rows.at(-1)!.violations).toContainEqual({ name: v!.invariant, message: v!.message });
  } else {
    // A liveness counterexample ends in a world from which the goal is unreachable: explored from there, no goal.
    const end = again.rows.at(-1)!.world;
    const stepper = new VariantStepper(findVariant(e.variant));
    const reach = explore(clusterModel(stepper, config.cluster, end), { checkDeadlocks: false, invariants: [{ name: 'goal unreachable', check: (w) => !e.eventually!.goal(w) }] });
    expect(reach.stopReason).toBe('complete');
    expect(reach.violations).toEqual([]);
  }
  // The faithful model on the same configuration (and bounds) is clean.
  expect(good.violations.map((x) => `${x.kind} ${x.invariant}: ${x.message}`)).toEqual([]);
  expect(['complete', 'maxDepth']).toContain(good.stopReason);
  // The README's row (cluster/catalogueResults.json) is what this run measured.
  expect(committedRow(e.variant)).toEqual(comparable(outcome.row));
}

describe('§5.1 historical bugs on the composed cluster: node and drain side', () => {
  for (const e of nodeCatalogue) {
    it(`${e.variant} (${e.expected}): ${findVariant(e.variant).reintroduces}`, async () => {
      await checkEntry(e);
    }, 240_000);
  }
});

describe('§5.1 the node and drain side of the catalogue', () => {
  it('every node/drain variant of the catalogue is checked here or listed as not expressible on the cluster', () => {
    const covered = [...nodeCatalogue.map((e) => e.variant), ...notExpressibleOnCluster.map((e) => e.variant)];
    expect(covered.sort()).toEqual(['B12', 'B14', 'B15', 'B16', 'B17', 'B18', 'B19', 'B20', 'B22', 'B23', 'B25', 'B26']);
  });
});
