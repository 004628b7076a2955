/**
 * §2.4 admission on the composed coordinator and its glue hook (cluster/coordinator.ts
 * `AdmissionGlue`): the faithful glue keeps one `AddOperator` call per changefeed, whose
 * reservation fails every second precheck; §5.1 B2's variant (cluster/variants.ts) removes the
 * reservation from the admission machine and lets the glue run a second call beside the first, each
 * bump answered to its own call. I7 (cluster/operatorInvariants.ts) names the add pushed while the
 * other bump is still in flight.
 */
import { describe, expect, it } from 'vitest';
import { findVariant, VariantStepper } from '../../cluster/check.js';
import { operatorCatalogue } from '../../cluster/catalogue.js';
import { parseCheckConfig } from '../../cluster/configs.js';
import { oneAdmissionPerChangefeed } from '../../cluster/coordinator.js';
import { I7 } from '../../cluster/operatorInvariants.js';
import { twoAdmissionsPerChangefeed } from '../../cluster/variants.js';
import { apply, enabledActions, initialWorld, type Action, type ClusterConfig, type World } from '../../cluster/world.js';
import { addOnlyForUnplacedChangefeed } from '../../cluster/catalogueInvariants.js';
import { explore } from '../../explorer/explore.js';
import { clusterModel } from '../../cluster/model.js';

const config = parseCheckConfig(operatorCatalogue.find((c) => c.variant === 'B2')!.config).cluster;
const tick: Action = { kind: 'coordinator-tick' };

/** Bootstrap (every delivery in order until the controller runs), then `ticks` coordinator ticks. */
function bootedThenTicks(stepper: VariantStepper, ticks: number, cluster: ClusterConfig = config): World {
  const config = cluster;
  let w = initialWorld(stepper, config);
  while (!w.coordinator?.controller) {
    const deliver = enabledActions(w, config, stepper).find((a) => a.kind === 'deliver');
    expect(deliver, 'the bootstrap needs a delivery').toBeDefined();
    w = apply(stepper, w, deliver!, config);
  }
  for (let i = 0; i < ticks; i++) w = apply(stepper, w, tick, config);
  return w;
}

const admissionCalls = (w: World) => (w.storeCalls ?? []).filter((c) => c.purpose === 'admission');

describe('§2.4 admission glue: which AddOperator calls run', () => {
  it('the faithful slot is the changefeed while none runs, and none while one does', () => {
    expect(oneAdmissionPerChangefeed({}, 'cf')).toBe('cf');
    expect(oneAdmissionPerChangefeed({ cf: {} as never }, 'cf')).toBeNull();
    expect(oneAdmissionPerChangefeed({ cf: {} as never }, 'other')).toBe('other');
  });

  it('§5.1 B2: the variant runs a second call beside the first, and no third', () => {
    expect(twoAdmissionsPerChangefeed({}, 'cf')).toBe('cf');
    expect(twoAdmissionsPerChangefeed({ cf: {} as never }, 'cf')).toBe('cf#2');
    expect(twoAdmissionsPerChangefeed({ cf: {} as never, 'cf#2': {} as never }, 'cf')).toBeNull();
  });

  it('faithful: a second tick while the bump runs starts no admission (the reservation holds the changefeed)', () => {
    const w = bootedThenTicks(new VariantStepper(), 2);
    expect(Object.keys(w.coordinator!.admissions)).toEqual(['cf']);
    expect(w.coordinator!.controller!.epochBumping).toEqual(new Set(['cf']));
    expect(admissionCalls(w)).toHaveLength(1);
    expect(admissionCalls(w)[0]).not.toHaveProperty('admission');
  });

  it('§5.1 B2: two ticks start two bumps of cf, unreserved; each answer reaches its own call', () => {
    const stepper = new VariantStepper(findVariant('B2'));
    const w = bootedThenTicks(stepper, 2);
    expect(Object.keys(w.coordinator!.admissions).sort()).toEqual(['cf', 'cf#2']);
    expect(w.coordinator!.controller!.epochBumping.size).toBe(0);
    const calls = admissionCalls(w);
    expect(calls.map((c) => c.admission ?? c.changefeedId).sort()).toEqual(['cf', 'cf#2']);
    // The second call's bump lands first: it is the one that persists epoch 2 and pushes its add.
    const second = calls.find((c) => c.admission === 'cf#2')!;
    const answered: Action = { kind: 'store', call: second, outcome: 'ok' };
    const after = apply(stepper, w, answered, config);
    expect(Object.keys(after.coordinator!.admissions)).toEqual(['cf']);
    expect(after.store.cf!.epoch).toBe(2n);
    expect(after.coordinator!.controller!.infos.get('cf')!.epoch).toBe(2n);
    expect(after.coordinator!.controller!.operators.get('cf')?.kind).toBe('add');
    expect(I7.check(after, { prev: w, action: answered })).toBe('cf has an add operator while its epoch bump is in flight (unreserved)');
    // The other bump still persists a newer epoch; its recheck finds the slot taken and sets nothing.
    const first = admissionCalls(after)[0]!;
    const last = apply(stepper, after, { kind: 'store', call: first, outcome: 'ok' }, config);
    expect(last.store.cf!.epoch).toBe(3n);
    expect(last.coordinator!.admissions).toEqual({});
    expect(last.coordinator!.controller!.infos.get('cf')!.epoch).toBe(2n);
  });
});

describe('§5.1 B2 what went wrong: a second owner with another epoch', () => {
  // Two nodes: the basic scheduler's add of cf has been admitted once and its bump is in flight.
  const twoNodes: ClusterConfig = { ...config, nodes: ['n1', 'n2'], capacity: 4 };
  const search = (stepper: VariantStepper) =>
    explore(clusterModel(stepper, twoNodes, bootedThenTicks(stepper, 1, twoNodes)), { invariants: [addOnlyForUnplacedChangefeed], checkDeadlocks: false, maxDepth: 12 });

  it('with the variant, the second bump answers after the first add finished: its recheck passes and a new add is pushed over the placed changefeed', () => {
    const r = search(new VariantStepper(findVariant('B2')));
    expect(r.violations.map((v) => v.name)).toEqual(['I5 an add is pushed only for an unplaced changefeed']);
    const v = r.violations[0]!;
    expect(v.message).toMatch(/^an add of cf to n[12] at epoch 3 was pushed while cf is placed on n[12]$/);
    const last = v.trace.steps.at(-1)!;
    // The step is the answer to the later of the two bumps; the add of the earlier one (epoch 2)
    // has finished meanwhile: cf is Replicating, and only the later call is still kept.
    expect(last.action).toMatchObject({ kind: 'store', call: { purpose: 'admission' }, outcome: 'ok' });
    const before = v.trace.steps.at(-2)!.state as World;
    expect(Object.keys(before.coordinator!.admissions)).toHaveLength(1);
    expect(before.coordinator!.controller!.db.get('cf')).toMatchObject({ bucket: 'Replicating' });
    expect(before.coordinator!.controller!.infos.get('cf')!.epoch).toBe(2n);
  });

  it('the faithful model from the same world keeps it at every step within the same bound', () => {
    const r = search(new VariantStepper());
    expect(r.violations).toEqual([]);
    expect(r.depth).toBe(12);
  });
});
