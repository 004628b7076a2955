/**
 * The checker over the cluster world (cluster/check.ts, cluster/configs.ts): configurations are
 * validated field by field, the faithful model is clean, a historical-bug variant is caught by the
 * invariant the spec names, and its counterexample scenario replays to the same violation.
 * Specs: §4 I9 (stale requests never mutate a maintainer), §5.1 B14.
 */
import { builtInInvariants } from '../../cluster/specs.js';
import { describe, expect, it } from 'vitest';
import { CheckConfigError, parseCheckConfig, preset, PRESET_NAMES, presetFiles } from '../../cluster/configs.js';
import { findVariant, invariantsFromModule, InvariantModuleError, runCheck, VariantError, VariantStepper } from '../../cluster/check.js';
import { replay } from '../../cluster/scenario.js';
import { validateItf } from '../../explorer/itf.js';
import { oneNodeFile } from './fixtures/checkConfigs.js';
import { catalogueVariants } from '../../cluster/variants.js';
import { findModel } from '../../models/index.js';

describe('check configurations', () => {
  it('every preset parses, and a configuration names its cluster and the coordinator script', () => {
    for (const name of PRESET_NAMES) expect(preset(name).name).toBe(name);
    const c = parseCheckConfig(oneNodeFile);
    expect(c.cluster).toMatchObject({ coordinator: 'coord', nodes: ['n1'], capacity: 5, ticks: [] });
    expect(c.script.map((m) => [m.type, m.from, m.maintainerEpoch])).toEqual([
      ['CoordinatorBootstrap', 'coord', undefined],
      ['AddMaintainerRequest', 'coord', 5n],
      ['AddMaintainerRequest', 'coord', 5n],
      ['RemoveMaintainerRequest', 'coord', 5n],
      ['RemoveMaintainerRequest', 'coord', 5n],
    ]);
  });

  it.each([
    [{ ...presetFiles.small, capacity: -1 }, 'capacity'],
    [{ ...presetFiles.small, nodes: ['n1', 'n1'] }, 'nodes[1]'],
    [{ ...presetFiles.small, budget: {} }, 'budget'],
    [{ ...presetFiles.small, ticks: ['SLEEP'] }, 'ticks[0]'],
    [{ ...presetFiles.small, coordinator: { script: [{ send: { type: 'AddMaintainerRequest', to: 'n9', changefeedId: 'cf', maintainerEpoch: '5', checkpointTs: '1', isNew: true } }] } }, 'coordinator.script[0].send.to'],
    [{ ...presetFiles.small, coordinator: { script: [{ send: { type: 'AddMaintainerRequest', to: 'n1', changefeedId: 'cf', maintainerEpoch: '-5', checkpointTs: '1', isNew: true } }] } }, 'coordinator.script[0].send.maintainerEpoch'],
    [[], '(config)'],
  ])('a bad configuration is a CheckConfigError naming the field (%#)', (raw, field) => {
    const err = (() => {
      try {
        parseCheckConfig(raw);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CheckConfigError);
    expect(err).toMatchObject({ code: 'INVALID_CONFIG', field });
  });
});

describe('variants and user invariants', () => {
  it('a variant that changes a machine the cluster does not compose yet is refused, naming the usable ones', () => {
    // Every machine of the catalogue is composed now; a variant of one that is not (the quiesce
    // controller of §2.8) is refused, naming the variants the cluster takes.
    const quiesce = findModel('quiesce')!.machine;
    const catalogue = [...catalogueVariants, { id: 'B25', reintroduces: 'test', invariant: 'I21', machines: { quiesce } }];
    expect(() => findVariant('B25', catalogue)).toThrow(VariantError);
    expect(() => findVariant('B25', catalogue)).toThrow(/quiesce.*B4.*B14/);
    expect(findVariant('B4', catalogue).id).toBe('B4');
    expect(() => findVariant('B99')).toThrow(/unknown variant "B99"/);
  });

  it('a module of invariants: objects, arrays and predicates are taken; anything else is a typed error', () => {
    const ok = invariantsFromModule('m.ts', { a: { name: 'A', check: () => true }, list: [{ name: 'B', check: () => true }], c: () => true });
    expect(ok.map((i) => i.name)).toEqual(['A', 'B', 'c']);
    expect(() => invariantsFromModule('m.ts', { limit: 3 })).toThrow(InvariantModuleError);
    expect(() => invariantsFromModule('m.ts', { limit: 3 })).toThrow(/export "limit" is not an invariant/);
    expect(() => invariantsFromModule('m.ts', {})).toThrow(/exports no invariant/);
    expect(() => invariantsFromModule('m.ts', { a: { name: 'A', check: () => true }, b: { name: 'A', check: () => true } })).toThrow(/two invariants are named "A"/);
  });
});

describe('runCheck', () => {
  it('the faithful model keeps every node-side invariant on the one-node resend configuration', async () => {
    const r = await runCheck({ config: parseCheckConfig(oneNodeFile), mode: 'exact' });
    expect(r).toMatchObject({ stopReason: 'complete', mayMissStates: false, violations: [] });
    expect(r.invariantsChecked).toEqual(builtInInvariants.map((i) => i.name));
  });

  it('§5.1 B14 (a stopped maintainer replaced by an add that is not newer) breaks I9, and the scenario replays to the same violation', async () => {
    const r = await runCheck({ config: parseCheckConfig(oneNodeFile), variant: 'B14' });
    expect(r.stopReason).toBe('violation');
    expect(r.mayMissStates).toBe(true);
    expect(r.completeness).toMatch(/may have missed states/);
    const v = r.violations.find((x) => x.invariant.startsWith('I9'))!;
    expect(v.message).toMatch(/AddMaintainerRequest at epoch 5 changed the maintainer Stopped at epoch 5/);
    const again = replay(new VariantStepper(findVariant('B14')), JSON.parse(JSON.stringify(v.scenario)));
    expect(again.failures).toEqual([]);
    expect(again.rows.at(-1)!.violations).toContainEqual({ name: v.invariant, message: v.message });
    // Without the variant the same steps keep I9: the scenario needs its variant.
    const faithful = replay(new VariantStepper(), JSON.parse(JSON.stringify(v.scenario)));
    expect(faithful.failures).toEqual([`expect[0] after step ${again.rows.length}: ${v.invariant} was not violated`]);
    expect(validateItf(v.itf)).toEqual([]);
    expect(v.mermaid).toMatch(/^sequenceDiagram\n/);
    expect(v.mermaid).toContain('VIOLATED I9');
  });
});
