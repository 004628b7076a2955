/**
 * The operator side of the coordinator composed into the cluster world: bootstrap from the store
 * (§2.4.2), the schedulers with every tie as a choice (§2.4.1), admission with the epoch bump as a
 * store call that ends in its own step (§2.4), the operator controller (§2.0) and the maintainer
 * statuses (§2.4.4). Checked with I1, I2, I4, I23 (cluster/operatorInvariants.ts) and the node-side
 * and drain invariants.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../explorer/explore.js';
import { clusterModel } from '../../cluster/model.js';
import { TableStepper } from '../../cluster/stepper.js';
import { initialWorld, type ClusterConfig, type World } from '../../cluster/world.js';
import { nodeInvariants } from '../../cluster/invariants.js';
import { drainInvariants } from '../../cluster/drainInvariants.js';
import { I1, I2, I20, operatorInvariants } from '../../cluster/operatorInvariants.js';
import { passTime } from '../../cluster/coordinator.js';
import type { MaintainerRegistryContext } from '../../machines/maintainerRegistry.js';

const base: ClusterConfig = {
  coordinator: 'coord',
  nodes: ['n1', 'n2'],
  changefeeds: ['cf'],
  capacity: 4,
  budgets: { loss: 0, duplication: 0, crashes: 0 },
  composeCoordinator: true,
  ticks: ['HEARTBEAT'],
  time: false,
  nodeHeartbeats: false,
};

const replicatingOn = (w: World) => {
  const e = w.coordinator?.controller?.db.get('cf');
  return e?.bucket === 'Replicating' ? e.nodeId : undefined;
};

describe('§2.4 a changefeed in the store is bootstrapped, scheduled, bumped and added', () => {
  const stepper = new TableStepper();
  const model = clusterModel(stepper, base, initialWorld(stepper, base));

  it('the shortest run to Replicating: bootstrap, a tick that admits an add, the bump landing, the add, the status', () => {
    const r = explore(model, { invariants: [{ name: 'not replicating', check: (w: World) => (replicatingOn(w) ? 'replicating' : true) }], checkDeadlocks: false });
    const trace = r.violations[0]!.trace;
    const labels = trace.steps.map((s) => s.label);
    const bump = labels.indexOf('store bump cf (admission): ok');
    const add = labels.findIndex((l) => l.startsWith('deliver AddMaintainerRequest coord→'));
    expect(bump).toBeGreaterThan(labels.findIndex((l) => l.startsWith('coordinator tick')));
    expect(add).toBeGreaterThan(bump); // the bump lands before the add leaves (I4)
    const last = trace.steps.at(-1)!.state as World;
    const node = replicatingOn(last)!;
    expect(last.store.cf!.epoch).toBe(2n); // bumped once, from 1
    expect((last.nodes[node]!.registries.cf!.context as MaintainerRegistryContext).epoch).toBe(2n);
  });

  it('the scheduler’s tie is a choice: the changefeed can end up on either node', () => {
    const on = new Set<string>();
    const r = explore(model, {
      invariants: [{ name: 'both seen', check: (w: World) => (replicatingOn(w) && on.add(replicatingOn(w)!), on.size === 2 ? 'both' : true) }],
      checkDeadlocks: false,
    });
    expect(r.violations).toHaveLength(1);
    expect([...on].sort()).toEqual(['n1', 'n2']);
  });
});

describe('exhaustive checks of the composed coordinator', () => {
  it('with a store fault (a bump that fails, applied or not): I1, I2, I4, I23 and the node and drain invariants hold', () => {
    const stepper = new TableStepper();
    const config = { ...base, storeFaults: 1 };
    // The faults are really taken: some step lands a bump and reports it failed.
    let appliedButFailed = false;
    const seen = { name: 'seen', check: (_w: World, s?: { action: { kind: string; outcome?: string } }) => ((appliedButFailed ||= s?.action.kind === 'store' && s.action.outcome === 'appliedButFailed'), true as const) };
    const r = explore(clusterModel(stepper, config, initialWorld(stepper, config)), {
      invariants: [...nodeInvariants, ...drainInvariants, ...operatorInvariants, seen as never],
      checkDeadlocks: false,
    });
    expect(r.stopReason).toBe('complete');
    expect(r.violations.map((v) => `${v.name}: ${v.message}`)).toEqual([]);
    expect(appliedButFailed).toBe(true);
  });

  it('I1 and I2 name the values when a bump persists a smaller epoch, or memory runs ahead of the store', () => {
    const stepper = new TableStepper();
    // Hand-made steps: a bump that wrote 0 over 1, and an in-memory epoch 5 over a stored 1.
    const w = initialWorld(stepper, base);
    const call = { coordinatorVersion: 1n, changefeedId: 'cf', purpose: 'admission' as const, op: { op: 'bump' as const, candidate: 0n } };
    const after: World = { ...w, store: { cf: { ...w.store.cf!, epoch: 0n } } };
    expect(I1.check(after, { prev: w, action: { kind: 'store', call, outcome: 'ok' } })).toMatch(/persisted epoch 0 over 1/);
    const ahead = explore(clusterModel(stepper, base, w), {
      invariants: [{ name: 'bootstrapped', check: (x: World) => (x.coordinator?.controller ? 'done' : true) }],
      checkDeadlocks: false,
    }).violations[0]!.trace.steps.at(-1)!.state as World;
    const ctl = ahead.coordinator!.controller!;
    const forged: World = { ...ahead, coordinator: { ...ahead.coordinator!, controller: { ...ctl, infos: new Map([['cf', { epoch: 5n, checkpointTs: 1n }]]) } } };
    expect(I2.check(ahead)).toBe(true);
    expect(I2.check(forged)).toMatch(/in memory at epoch 5, persisted at 1/);
  });
});

describe('I20 safe destinations (§2.5.2)', () => {
  it('holds on every step of the composed coordinator, and names the node when an add goes to a node viewed Unknown', () => {
    const stepper = new TableStepper();
    const config = { ...base, time: true };
    // Every step, with views that may expire while a bump is in flight (time passes): I20 holds.
    const all = explore(clusterModel(stepper, config, initialWorld(stepper, config)), { invariants: [I20], checkDeadlocks: false });
    expect(all.stopReason).toBe('complete');
    expect(all.violations).toEqual([]);
    // Run to the first admission (the destination is chosen at that tick).
    const r = explore(clusterModel(stepper, config, initialWorld(stepper, config)), {
      invariants: [{ name: 'an admission', check: (w: World) => (Object.keys(w.coordinator?.admissions ?? {}).length > 0 ? 'admitted' : true) }],
      checkDeadlocks: false,
    });
    expect(r.violations.map((v) => v.name)).toEqual(['an admission']);
    // The same step judged on a coordinator whose view of the destination had expired: unsafe.
    const steps = r.violations[0]!.trace.steps;
    const last = steps.at(-1)!;
    const prev = steps.length > 1 ? steps.at(-2)!.state : r.violations[0]!.trace.initial;
    const dest = { dest: (last.state.coordinator!.admissions.cf!.spec as { dest: string }).dest };
    const expired = { ...prev, coordinator: passTime(prev.coordinator!, 'ttl') };
    expect(I20.check(last.state, { prev, action: last.action })).toBe(true);
    expect(I20.check(last.state, { prev: expired, action: last.action })).toMatch(new RegExp(`to ${dest.dest}, which was not a safe destination \\(view Unknown`));
  });
});
