/**
 * §2.4.2 coordinator bootstrap on the composed cluster, and §5.1 B10/B11 through its glue: the
 * variant's bootstrap rules reach the composed coordinator (cluster/variants.ts `glue.bootstrap`),
 * a panic of the bootstrap is a recorded world state (the coordinator down with its reason), not an
 * exception, and the catalogue's sharper invariants (cluster/catalogueInvariants.ts) name the
 * worlds that break them and keep quiet on the faithful glue.
 * Machines: the composed coordinator with the operator controller; the nodes only answer.
 */
import { describe, expect, it } from 'vitest';
import { findVariant, runCheck, startWorld, VariantStepper } from '../../cluster/check.js';
import { b11StaleOwnerStops, catalogueUserInvariants, operatorCatalogue } from '../../cluster/catalogue.js';
import { parseCheckConfig } from '../../cluster/configs.js';
import { bootstrapNeverPanics, bootstrapStopsUseReportedEpoch } from '../../cluster/catalogueInvariants.js';
import { tableEncoder, worldKey } from '../../cluster/model.js';
import type { Message } from '../../cluster/node.js';
import type { StoredChangefeed } from '../../cluster/store.js';
import { stepView, traceItf, traceText } from '../../cluster/trace.js';
import { actionLabel, apply, enabledActions, initialWorld, type Action, type ClusterConfig, type World } from '../../cluster/world.js';
import { bootstrapCoordinator, faithfulBootstrapGlue, MultipleOwnersError } from '../../machines/coordinator/bootstrap.js';

const user = { module: 'cluster/catalogueInvariants.ts', invariants: [...catalogueUserInvariants] };

const config: ClusterConfig = {
  coordinator: 'coord',
  nodes: ['n1', 'n2'],
  changefeeds: ['cf'],
  capacity: 12,
  budgets: { loss: 0, duplication: 0, crashes: 0 },
  composeCoordinator: true,
  keepCoordinatorInbox: false,
  time: false,
  nodeHeartbeats: false,
};

const stored = (epoch: bigint, progress: StoredChangefeed['progress'] = 'None'): StoredChangefeed => ({ epoch, state: 'normal', error: false, checkpointTs: 1n, progress });

/** A node's bootstrap answer reporting cf at `epoch` in `state` (what cluster/node.ts sends). */
const response = (from: string, epoch: bigint | null, state = 'Working'): Message => ({
  type: 'CoordinatorBootstrapResponse',
  from,
  to: 'coord',
  drainProtocolVersion: 1,
  target: '',
  epoch: 0n,
  nodeEpoch: 1n,
  liveness: 'Alive',
  statuses: epoch === null ? [] : [{ changefeedId: 'cf', state, maintainerEpoch: epoch, bootstrapDone: true, error: false }],
});

/**
 * The world right after the coordinator has both answers, stepped one action at a time; `steps`
 * holds each step (prev world and action) for the step invariants.
 */
function bootstrap(stepper: VariantStepper, store: StoredChangefeed, reports: readonly Message[]) {
  let w = initialWorld(stepper, config, { cf: store });
  const steps: Array<{ prev: World; action: Action; next: World }> = [];
  const take = (action: Action) => {
    const next = apply(stepper, w, action, config);
    steps.push({ prev: w, action, next });
    w = next;
  };
  for (const m of reports) take({ kind: 'send', message: m });
  for (const m of reports) take({ kind: 'deliver', message: m });
  return { world: w, last: steps.at(-1)! };
}

const faithful = () => new VariantStepper();
const variant = (id: string) => new VariantStepper(findVariant(id));

describe('§2.4.2 the bootstrap glue (BootstrapGlue): the faithful rules, and a variant\'s in their place', () => {
  const persisted = [{ id: 'cf', epoch: 3n, state: 'normal' as const, error: null, checkpointTs: 1n, progress: 'None' as const }];
  const responses = [
    { node: 'n1', statuses: [{ changefeedId: 'cf', maintainerEpoch: 3n, checkpointTs: 1n }] },
    { node: 'n2', statuses: [{ changefeedId: 'cf', maintainerEpoch: 2n, checkpointTs: 1n }] },
  ];

  it('without glue, and with the faithful glue, the stale owner is stopped with its reported epoch (step 6)', () => {
    for (const glue of [undefined, faithfulBootstrapGlue]) {
      const r = bootstrapCoordinator({ selfNode: 'coord', persisted, responses, ...(glue ? { glue } : {}) });
      expect(r.changefeeds.db.get('cf')).toMatchObject({ nodeId: 'n1', bucket: 'Replicating' });
      expect(r.operatorsToPush).toEqual([expect.objectContaining({ node: 'n2', epoch: 2n, entry: 'StopRemoteMaintainerWithMaintainerEpoch' })]);
    }
  });

  it('a glue staleStopEpoch replaces the stop epoch; a glue select replaces the selection, and its panic is the typed error', () => {
    const b11 = findVariant('B11').glue!.bootstrap!;
    const r = bootstrapCoordinator({ selfNode: 'coord', persisted, responses, glue: b11 });
    expect(r.operatorsToPush).toEqual([expect.objectContaining({ node: 'n2', epoch: 3n })]);
    const b10 = findVariant('B10').glue!.bootstrap!;
    expect(() => bootstrapCoordinator({ selfNode: 'coord', persisted, responses, glue: b10 })).toThrow(MultipleOwnersError);
    // One report: the pre-fix rule bound a matching one and stopped a stale one with its own epoch.
    expect(bootstrapCoordinator({ selfNode: 'coord', persisted, responses: [responses[1]!], glue: b10 }).operatorsToPush).toEqual([
      expect.objectContaining({ node: 'n2', epoch: 2n }),
    ]);
  });

  it('the faithful glue takes part only Working reports; B10\'s takes every one (Stopped ones too)', () => {
    expect(['Working', 'Stopped'].filter(faithfulBootstrapGlue.takesPart)).toEqual(['Working']);
    expect(['Working', 'Stopped'].filter(findVariant('B10').glue!.bootstrap!.takesPart!)).toEqual(['Working', 'Stopped']);
  });
});

describe('§2.4.2 step 3 on the composed coordinator: a panic is a recorded world state', () => {
  it('two exact owners (excluded by I5, made up here): the faithful coordinator goes down with the reason, nothing sent; "coordinator bootstrap never panics" names it', () => {
    const { world, last } = bootstrap(faithful(), stored(3n), [response('n1', 3n), response('n2', 3n)]);
    expect(world.coordinator).toBeNull();
    expect(world.lastCoordinatorVersion).toBe(1n);
    expect(world.coordinatorPanic).toBe('changefeed cf: maintainer runs on multiple nodes (n1, n2)');
    expect(bootstrapNeverPanics.check(world, last)).toBe('the coordinator panicked: changefeed cf: maintainer runs on multiple nodes (n1, n2)');
    // Nothing the dead coordinator would have sent is in flight: only the bootstrap requests.
    expect(world.inFlight.map((m) => m.type)).toEqual(['CoordinatorBootstrap', 'CoordinatorBootstrap']);
  });

  it('the panic shows in the trace and the encodings, and a takeover clears it', () => {
    const stepper = faithful();
    const { world } = bootstrap(stepper, stored(3n), [response('n1', 3n), response('n2', 3n)]);
    const view = stepView(5, 'deliver', world, config);
    expect(view.coordinator).toMatchObject({ up: false, panic: 'changefeed cf: maintainer runs on multiple nodes (n1, n2)' });
    expect(traceText([view])).toContain('coordinator: down (last version 1), panicked: changefeed cf: maintainer runs on multiple nodes (n1, n2)');
    const itf = traceItf([view]) as unknown as { states: Array<{ coordinator: { panic: string } }> };
    expect(itf.states[0]!.coordinator.panic).toBe('changefeed cf: maintainer runs on multiple nodes (n1, n2)');
    const plainCrash: World = { ...world, coordinatorPanic: undefined };
    delete (plainCrash as { coordinatorPanic?: string }).coordinatorPanic;
    expect(worldKey(world)).not.toBe(worldKey(plainCrash));
    const encode = tableEncoder(stepper, config);
    expect([...encode(world)]).not.toEqual([...encode(plainCrash)]);
    const next = apply(stepper, world, { kind: 'coordinator-takeover' }, config);
    expect(next.coordinator?.version).toBe(2n);
    expect(next.coordinatorPanic).toBeUndefined();
    expect(bootstrapNeverPanics.check(next)).toBe(true);
  });

  it('a handover (exact owner and a stale one): the faithful coordinator bootstraps; B10 panics on the same answers', () => {
    const answers = [response('n1', 2n), response('n2', 3n)];
    const good = bootstrap(faithful(), stored(3n), answers).world;
    expect(good.coordinator?.controller?.db.get('cf')).toMatchObject({ nodeId: 'n2', bucket: 'Replicating' });
    expect(bootstrapNeverPanics.check(good)).toBe(true);
    const bad = bootstrap(variant('B10'), stored(3n), answers).world;
    expect(bad.coordinator).toBeNull();
    expect(bootstrapNeverPanics.check(bad)).toBe('the coordinator panicked: changefeed cf: maintainer runs on multiple nodes (n1, n2)');
  });

  it('a Stopped report beside the owner: left out by the faithful glue, a second owner for B10 (its pre-fix code saw every status)', () => {
    const answers = [response('n1', 2n, 'Stopped'), response('n2', 3n)];
    const good = bootstrap(faithful(), stored(3n), answers).world;
    expect(good.coordinator?.controller?.operators.size).toBe(0);
    expect(bootstrap(variant('B10'), stored(3n), answers).world.coordinatorPanic).toBe('changefeed cf: maintainer runs on multiple nodes (n1, n2)');
  });
});

describe('§2.4.2 step 6: "I9 every bootstrap stop carries the epoch its owner reported"', () => {
  it('the faithful bootstrap stops the stale owner with its own epoch: the invariant holds in the finishing step', () => {
    const { world, last } = bootstrap(faithful(), stored(3n), [response('n1', 2n), response('n2', null)]);
    expect(world.coordinator?.controller?.operators.get('cf')).toMatchObject({ kind: 'stop', context: { nodeId: 'n1', maintainerEpoch: 2n } });
    expect(bootstrapStopsUseReportedEpoch.check(world, last)).toBe(true);
  });

  it('B11 stops it with the persisted epoch: the stop operator is named', () => {
    const { world, last } = bootstrap(variant('B11'), stored(3n), [response('n1', 2n), response('n2', null)]);
    expect(bootstrapStopsUseReportedEpoch.check(world, last)).toBe("the bootstrap's stop operator of cf on n1 carries epoch 3, but n1 reported cf at epoch 2");
  });

  it('with the slot taken (Stopping progress and an owner) the stale owner gets a direct RemoveMaintainer: faithful with its epoch, B11 named', () => {
    const answers = [response('n1', 2n), response('n2', 3n)];
    const good = bootstrap(faithful(), stored(3n, 'Stopping'), answers);
    const direct = good.world.inFlight.filter((m) => m.type === 'RemoveMaintainerRequest');
    expect(direct).toEqual([expect.objectContaining({ to: 'n1', maintainerEpoch: 2n, cascade: true })]);
    expect(bootstrapStopsUseReportedEpoch.check(good.world, good.last)).toBe(true);
    const bad = bootstrap(variant('B11'), stored(3n, 'Stopping'), answers);
    expect(bootstrapStopsUseReportedEpoch.check(bad.world, bad.last)).toBe("the bootstrap's RemoveMaintainer of cf on n1 carries epoch 3, but n1 reported cf at epoch 2");
  });

  it('judges only the step that finishes a bootstrap: before it, and after it, nothing is read', () => {
    const stepper = variant('B11');
    let w = initialWorld(stepper, config, { cf: stored(3n) });
    const m = response('n1', 2n);
    const sent = apply(stepper, w, { kind: 'send', message: m }, config);
    expect(bootstrapStopsUseReportedEpoch.check(sent, { prev: w, action: { kind: 'send', message: m } })).toBe(true);
    w = apply(stepper, sent, { kind: 'deliver', message: m }, config);
    expect(w.coordinator?.controller).toBeNull();
    expect(bootstrapStopsUseReportedEpoch.check(w, { prev: sent, action: { kind: 'deliver', message: m } })).toBe(true);
  });
});

describe('§5.1 B11 as liveness (AG EF): the stale owner\'s stop never completes', () => {
  it('from the end of B11\'s counterexample no world reaches "the stale owner stops"; the faithful model reaches it from the same steps', async () => {
    const c = operatorCatalogue.find((x) => x.variant === 'B11')!;
    const config = parseCheckConfig(c.config);
    const found = await runCheck({ config, variant: 'B11', user, mode: 'exact', prefix: c.prefix });
    const v = found.violations.find((x) => x.invariant === c.invariant)!;
    const steps = JSON.parse(JSON.stringify(v.scenario)).steps as unknown[];
    // No depth bound and no further DrainNode calls: the variant's whole space from there fits a test.
    const small = parseCheckConfig({ ...c.config, coordinator: { ...(c.config.coordinator as object), drainTargets: [] }, bounds: {} });
    const stuck = await runCheck({ config: small, variant: 'B11', user, mode: 'exact', prefix: steps, eventually: b11StaleOwnerStops });
    expect(stuck.stopReason).toBe('violation');
    const liveness = stuck.violations.find((x) => x.kind === 'eventually');
    expect(liveness?.invariant).toBe(b11StaleOwnerStops.name);
    // The faithful model from the same steps (its bootstrap stops n1 with epoch 2) reaches the goal:
    // a witness path, taking at each step the first enabled action of the stop's round trip.
    const stepper = faithful();
    let w = startWorld(stepper, small, steps);
    expect(b11StaleOwnerStops.goal(w)).toBe(false);
    const cluster = { ...small.cluster, keepCoordinatorInbox: false };
    const path: string[] = [];
    // Messages first, then the runtime, then the node's and the coordinator's ticks by turns.
    const rank = (a: Action) =>
      a.kind === 'deliver' ? 0 : a.kind === 'runtime' ? 1 : a.kind === 'tick' && a.node === 'n1' ? 2 + (path.length % 2) : a.kind === 'coordinator-tick' ? 3 - (path.length % 2) : 9;
    while (!b11StaleOwnerStops.goal(w) && path.length < 60) {
      const next = enabledActions(w, cluster, stepper).filter((a) => rank(a) < 9).sort((a, b) => rank(a) - rank(b))[0];
      expect(next, `an action after ${path.join(' / ')}`).toBeDefined();
      path.push(actionLabel(next!));
      w = apply(stepper, w, next!, cluster);
    }
    expect(b11StaleOwnerStops.goal(w), path.join(' / ')).toBe(true);
    console.log(`B11 AG EF: ${stuck.states} states, ${Math.round(stuck.millis)} ms; the faithful stop completes in ${path.length} steps`);
  }, 240_000);
});
