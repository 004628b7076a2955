/**
 * §5.1 the historical-bug catalogue on the composed cluster, coordinator and operator side
 * (cluster/catalogue.ts): for each variant, the checker finds a violation of the invariant the
 * catalogue names on the variant's configuration, the shortest counterexample's scenario replays to
 * the same violation with the variant (and to none without it), and the faithful model on the same
 * configuration and bounds keeps every invariant.
 */
import { describe, expect, it } from 'vitest';
import { findVariant, traceToScenario, VariantStepper } from '../../cluster/check.js';
import { comparable, runOperatorCase } from '../../cluster/catalogueRun.js';
import { committedRow } from './catalogueResults.js';
import { moveAdmitted } from '../../cluster/cataloguePrefixes.js';
import { I23 } from '../../cluster/operatorInvariants.js';
import type { Message } from '../../cluster/node.js';
import type { World } from '../../cluster/world.js';
import * as oc from '../../machines/coordinator/operatorController.js';
import { catalogueUserInvariants, notExpressible, operatorCatalogue } from '../../cluster/catalogue.js';
import { parseCheckConfig } from '../../cluster/configs.js';
import { replay } from '../../cluster/scenario.js';
import { builtInInvariants } from '../../cluster/specs.js';
import { catalogueVariants } from '../../cluster/variants.js';

const invariants = [...builtInInvariants, ...catalogueUserInvariants];

describe('§5.1 historical bugs on the composed coordinator are caught by the checker', () => {
  for (const c of operatorCatalogue) {
    it(`${c.variant} breaks "${c.invariant}"; its counterexample replays; the faithful model is clean`, async () => {
      const config = parseCheckConfig(c.config);
      const outcome = await runOperatorCase(c);
      if (outcome.level !== 'cluster') throw new Error('an operator case runs on the cluster');
      const { bad: r, good: faithful, violation: v } = outcome;
      expect(r.stopReason).not.toBe('error');
      expect(v, `violations found: ${r.violations.map((x) => x.invariant).join(', ') || 'none'}`).toBeDefined();
      const scenario = JSON.parse(JSON.stringify(v!.scenario));
      const again = replay(new VariantStepper(findVariant(c.variant)), scenario, invariants);
      expect(again.failures).toEqual([]);
      expect(again.rows).toHaveLength(scenario.steps.length);
      expect(scenario.steps.length).toBe(config.script.length + (c.prefix?.length ?? 0) + v!.length);
      expect(again.rows.at(-1)!.violations).toContainEqual({ name: v!.invariant, message: v!.message });
      // The same steps without the variant keep the invariant, or cannot even be taken.
      let faithfulViolations: Array<{ name: string }> = [];
      try {
        faithfulViolations = replay(new VariantStepper(), JSON.parse(JSON.stringify(v!.scenario)), invariants).rows.flatMap((row) => row.violations);
      } catch {
        faithfulViolations = [];
      }
      expect(faithfulViolations.map((x) => x.name)).not.toContain(c.invariant);

      expect(faithful.violations.map((x) => `${x.invariant}: ${x.message}`)).toEqual([]);
      expect(faithful.stopReason).not.toBe('violation');
      // The faithful run saw at least the depth of the counterexample: the bound did not hide it.
      expect(faithful.depth).toBeGreaterThanOrEqual(v!.length);
      // The README's row (cluster/catalogueResults.json) is what this run measured.
      expect(committedRow(c.variant)).toEqual(comparable(outcome.row));
    });
  }

  it('every case names a catalogue variant once, and what cannot be expressed says why', () => {
    const ids = operatorCatalogue.map((c) => c.variant);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(catalogueVariants.some((v) => v.id === id)).toBe(true);
    for (const n of notExpressible) {
      expect(ids).not.toContain(n.variant);
      expect(n.reason.length).toBeGreaterThan(40);
    }
  });
});

describe('§5.1 B5: the stop path\'s glue reaches the composed coordinator\'s controller', () => {
  /** The world after the catalogue's moveAdmitted prefix, under a stepper, and a StopChangefeed on it (§2.3.2) as one step. */
  function stopDuringMove(stepper: VariantStepper) {
    const c = operatorCatalogue.find((x) => x.variant === 'B4')!;
    const config = parseCheckConfig(c.config);
    const scenario = traceToScenario(config, { steps: [] } as never, '(prefix)', { prefix: moveAdmitted });
    const prev = replay(stepper, { ...scenario, expect: [] }, []).rows.at(-1)!.world;
    const ctl = prev.coordinator!.controller!;
    expect(ctl.operators.get('cf')).toMatchObject({ kind: 'move', value: 'RemoveOrigin', context: { origin: 'n1', originEpoch: 2n, maintainerEpoch: 3n } });
    // The stop operator's Schedule is its first message (the next poll sends it).
    const stopped = oc.poll(oc.stopChangefeed(ctl, 'cf', false).state, ctl.clockMs + oc.OPERATOR_RESEND_INTERVAL_MS);
    const sent = stopped.effects.filter((e) => e.type === 'RemoveMaintainerRequest').map((e) => ({ ...e, from: 'coord' }) as Message);
    const next: World = { ...prev, coordinator: { ...prev.coordinator!, controller: stopped.state }, inFlight: [...prev.inFlight, ...sent] };
    return { sent, verdict: I23.check(next, { prev, action: { kind: 'coordinator-tick' } }) };
  }

  it('faithful: the stop goes to the origin with originEpoch; with B5 it carries the bumped epoch and I23 is violated', () => {
    const faithful = stopDuringMove(new VariantStepper());
    expect(faithful.sent).toMatchObject([{ to: 'n1', maintainerEpoch: 2n }]);
    expect(faithful.verdict).toBe(true);
    const b5 = stopDuringMove(new VariantStepper(findVariant('B5')));
    expect(b5.sent).toMatchObject([{ to: 'n1', maintainerEpoch: 3n }]);
    expect(b5.verdict).toMatch(/a stop of cf issued during a move in RemoveOrigin goes to n1 at epoch 3 \(origin n1, originEpoch 2\)/);
  });
});
