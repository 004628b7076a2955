/**
 * `opcharts simulate` (issue 14 item 3): the cluster world on real XState actors against a real
 * epoch store. The actors step exactly as XState's pure transitions do; a seed reproduces a run
 * with the memory store; the faithful model runs on LMDB with no violation and every store call
 * compared; a historical-bug variant (§5.1 B19) is found and its scenario replays to the same
 * violation; bad input is a typed error before anything runs.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { emit, setup } from 'xstate';
import { findVariant, loadInvariantModule, VariantError, VariantStepper } from '../../cluster/check.js';
import { CheckConfigError } from '../../cluster/configs.js';
import { coordinatorView } from '../../cluster/coordinator.js';
import { replay } from '../../cluster/scenario.js';
import { builtInInvariants } from '../../cluster/specs.js';
import { pureStepper } from '../../cluster/stepper.js';
import { stepView } from '../../cluster/trace.js';
import { apply, enabledActions, initialWorld, type World } from '../../cluster/world.js';
import { StoreSpecError } from '../../adapters/errors.js';
import { validateItf } from '../../explorer/itf.js';
import { stableStringify } from '../../graph/serialize.js';
import { ActorStepper } from '../../simulator/actorStepper.js';
import { resolveSimulationConfig } from '../../simulator/configs.js';
import { RealStore } from '../../simulator/realStore.js';
import { mulberry32, pickAction } from '../../simulator/schedule.js';
import { parseSeedRange, runSimulation, SimulateInputError } from '../../simulator/simulate.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opcharts-simulate-test-'));
});

/** Everything a world holds, machine snapshots as value and context. */
function worldKey(w: World, config: ReturnType<typeof resolveSimulationConfig>['cluster']): string {
  return stableStringify({
    view: stepView(0, '', w, config),
    inFlight: w.inFlight,
    store: w.store,
    storeCalls: w.storeCalls ?? [],
    budgets: w.budgets,
    coordinator: w.coordinator ? coordinatorView(w.coordinator) : w.coordinator ?? 'none',
  });
}

describe('ActorStepper: live actors step as XState transitions do', () => {
  it('a 1,500-step random walk of the reference configuration gives the same worlds on actors and on pure transitions', () => {
    const config = { ...resolveSimulationConfig('reference').cluster, keepCoordinatorInbox: false };
    const actors = new ActorStepper();
    let onActors = initialWorld(actors, config);
    let pure = initialWorld(pureStepper, config);
    const random = mulberry32(7);
    let steps = 0;
    for (let i = 0; i < 1500; i++) {
      const a = pickAction(enabledActions(onActors, config, actors), random);
      if (!a) break;
      onActors = apply(actors, onActors, a, config);
      pure = apply(pureStepper, pure, a, config);
      expect(worldKey(onActors, config)).toBe(worldKey(pure, config));
      steps++;
    }
    expect(steps).toBe(1500);
    // Events really went through actors, and most steps reused a live actor rather than restoring one.
    expect(actors.eventsSent).toBeGreaterThan(1500);
    expect(actors.actorsRestored).toBeLessThan(actors.eventsSent / 4);
  });

  it('a guard that throws is rethrown from the step, as transition() throws it; emitted events are the effects, in order', () => {
    const machine = setup({
      types: { events: {} as { type: 'GO' } | { type: 'BREAK' } },
      actions: {
        twice: emit(() => ({ type: 'first' })),
        again: emit(() => ({ type: 'second' })),
      },
      guards: {
        boom: () => {
          throw new Error('boom');
        },
      },
    }).createMachine({ initial: 'a', states: { a: { on: { GO: { target: 'b', actions: ['twice', 'again'] } } }, b: { on: { BREAK: { guard: 'boom', target: 'a' } } } } });
    const actors = new ActorStepper();
    const start = actors.start(machine, undefined);
    const went = actors.step(machine, start.snapshot, { type: 'GO' });
    expect(went.snapshot.value).toBe('b');
    expect(went.effects.map((e) => e.type)).toEqual(['first', 'second']);
    expect(() => pureStepper.step(machine, went.snapshot, { type: 'BREAK' })).toThrow('boom');
    expect(() => actors.step(machine, went.snapshot, { type: 'BREAK' })).toThrow('boom');
    // Stepping an earlier snapshot again restores an actor at it: the stepper is a function of its input.
    const again = actors.step(machine, start.snapshot, { type: 'GO' });
    expect(again.snapshot.value).toBe('b');
    expect(again.effects.map((e) => e.type)).toEqual(['first', 'second']);
    expect(actors.actorsRestored).toBe(1);
  });
});

describe('opcharts simulate', () => {
  it('the same seed with the memory store gives the same run; another seed another run', async () => {
    const run = async (seed: number) => {
      const log: string[] = [];
      const r = await runSimulation({
        config: resolveSimulationConfig('reference'),
        store: 'memory',
        seeds: [seed, seed],
        steps: 1500,
        episodeLength: 150,
        out: false,
        onStep: (s) => void log.push(`${s.episode}.${s.step} ${s.label}`),
      });
      return { log, r };
    };
    const a = await run(11);
    const b = await run(11);
    const c = await run(12);
    expect(a.log).toHaveLength(1500);
    expect(b.log).toEqual(a.log);
    const counts = (x: typeof a.r) => ({ ...x, millis: 0, stepsPerSecond: 0, eventsPerSecond: 0, peakRssBytes: 0 });
    expect(counts(b.r)).toEqual(counts(a.r));
    expect(c.log).not.toEqual(a.log);
  });

  it('the faithful model runs 2,000 steps on LMDB (default, temporary) with no violation, every store call executed and compared', async () => {
    const r = await runSimulation({ config: resolveSimulationConfig('reference'), seeds: [3, 3], steps: 2000, out: join(dir, 'faithful') });
    expect(r.violations).toEqual([]);
    expect(r.stores).toEqual(['lmdb:(temporary)']);
    expect(r.steps).toBe(2000);
    expect(r.invariantChecks).toBe(2000 * builtInInvariants.length);
    expect(r.storeCalls).toBeGreaterThan(0);
    expect(r.actions.store).toBeGreaterThanOrEqual(r.storeCalls - r.faultsInjected.storeFailed);
    expect(r.takeoversFromStore).toBe(r.actions['coordinator-takeover'] ?? 0);
    expect(r.events).toBeGreaterThan(r.steps / 2);
    expect(r.operatorsCompleted.add).toBeGreaterThan(0);
    expect(Object.values(r.faultsInjected).reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
    expect(existsSync(join(dir, 'faithful'))).toBe(false); // nothing to write without a violation
  });

  it('variant B19 (§5.1: a stale liveness observation accepted) is found; its scenario replays to the same violation', async () => {
    const out = join(dir, 'b19');
    const r = await runSimulation({ config: resolveSimulationConfig('reference'), store: 'memory', seeds: [1, 1], steps: 5000, variant: 'B19', out });
    expect(r.violations).toHaveLength(1);
    const v = r.violations[0]!;
    expect(v.kind).toBe('invariant');
    expect(v.invariant).toMatch(/^I13 /);
    expect(r.steps).toBeLessThan(5000); // the run stopped at the violation
    expect(v.replay).toBe(`opcharts replay ${v.files!.scenario}`);
    const scenario = JSON.parse(readFileSync(v.files!.scenario, 'utf8'));
    expect(scenario.variant).toBe('B19');
    const replayed = replay(new VariantStepper(findVariant('B19')), scenario);
    expect(replayed.failures).toEqual([]);
    const last = replayed.rows[replayed.rows.length - 1]!;
    expect(last.violations).toContainEqual({ name: v.invariant, message: v.message });
    // The faithful machines do not break it on the same steps.
    expect(replayed.rows.length).toBe(scenario.steps.length);
    const itf = JSON.parse(readFileSync(v.files!.itf, 'utf8'));
    expect(validateItf(itf)).toEqual([]);
    expect(itf['#meta'].source).toBe('opcharts simulate');
    expect(readFileSync(v.files!.mermaid, 'utf8')).toMatch(/^sequenceDiagram/m);
  });

  it('a user invariant module (--invariant) is checked online, recorded in the scenario, and its violation replays', async () => {
    const module = join(dir, 'cf1-below-3.mjs');
    writeFileSync(module, "export const cf1Below3 = { name: 'cf1 epoch below 3', check: (w) => !w.store.cf1 || w.store.cf1.epoch < 3n || `cf1 persisted at ${w.store.cf1.epoch}` };\n");
    const invariants = await loadInvariantModule(module);
    const out = join(dir, 'user');
    const r = await runSimulation({ config: resolveSimulationConfig('reference'), store: 'memory', seeds: [1, 1], steps: 20_000, user: { module, invariants }, out });
    expect(r.invariants).toContain('cf1 epoch below 3');
    expect(r.invariantChecks).toBe(r.steps * (builtInInvariants.length + 1));
    expect(r.violations.map((v) => [v.invariant, v.message])).toEqual([['cf1 epoch below 3', 'cf1 persisted at 3']]);
    const scenario = JSON.parse(readFileSync(r.violations[0]!.files!.scenario, 'utf8'));
    expect(scenario.invariantModule).toBe(module);
    const replayed = replay(new VariantStepper(), scenario, [...builtInInvariants, ...invariants]);
    expect(replayed.failures).toEqual([]);
    expect(replayed.rows[replayed.rows.length - 1]!.violations.map((v) => v.name)).toEqual(['cf1 epoch below 3']);
  });

  it('bad input is a typed error and nothing runs', async () => {
    expect(() => RealStore.open('mysql://x')).toThrow(StoreSpecError);
    expect(() => RealStore.open('etcd://no port')).toThrow(StoreSpecError);
    expect(() => parseSeedRange('5..2')).toThrow(SimulateInputError);
    expect(() => parseSeedRange('a..b')).toThrow(SimulateInputError);
    expect(() => parseSeedRange('99999999999')).toThrow(SimulateInputError);
    expect(parseSeedRange('3..7')).toEqual([3, 7]);
    expect(() => resolveSimulationConfig('nope')).toThrow(CheckConfigError);
    await expect(runSimulation({ config: resolveSimulationConfig('small'), store: 'memory', seeds: [1, 1], steps: 10, variant: 'B99', out: false })).rejects.toThrow(VariantError);
    await expect(runSimulation({ config: resolveSimulationConfig('small'), store: 'memory', seeds: [1, 1], steps: 0, out: false })).rejects.toThrow(SimulateInputError);
  });
});
