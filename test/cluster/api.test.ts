/**
 * The changefeed API and state changes (§2.4.3), PD unavailability (§3.5) and the balance
 * scheduler (§2.4.1) as steps of the cluster world, through the composed coordinator: each call's
 * write is a store call that ends in its own step, and what it does then is changefeedApi.ts's.
 * Machines: the composed coordinator (operator controller, admission, stop operators), the node
 * side. Specs: every built-in invariant (cluster/specs.ts).
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../explorer/explore.js';
import { clusterModel } from '../../cluster/model.js';
import { TableStepper } from '../../cluster/stepper.js';
import { apply, enabledActions, initialWorld, actionLabel, type Action, type ClusterConfig, type World } from '../../cluster/world.js';
import { builtInInvariants } from '../../cluster/specs.js';
import { FALLBACK_EPOCH } from '../../cluster/coordinator.js';

const base: ClusterConfig = {
  coordinator: 'coord',
  nodes: ['n1'],
  changefeeds: ['cf'],
  capacity: 4,
  budgets: { loss: 0, duplication: 0, crashes: 0 },
  composeCoordinator: true,
  ticks: ['HEARTBEAT'],
  time: false,
  nodeHeartbeats: false,
};

/** Plays labelled steps: each step takes the first enabled action whose label starts with the text. */
function play(config: ClusterConfig, labels: string[], stepper = new TableStepper()): World {
  let w = initialWorld(stepper, { ...config, keepCoordinatorInbox: false });
  for (const l of labels) {
    const a = enabledActions(w, config, stepper).find((x) => actionLabel(x).startsWith(l));
    if (!a) throw new Error(`no enabled step "${l}"; enabled: ${enabledActions(w, config, stepper).map(actionLabel).join(' | ')}`);
    w = apply(stepper, w, a, config);
  }
  return w;
}

const boot = ['deliver CoordinatorBootstrap coord→n1', 'deliver CoordinatorBootstrapResponse n1→coord'];

/** The first world (shortest run) from `from` where `stop` holds, and the steps to it. */
function reach(config: ClusterConfig, stop: (w: World) => boolean, from?: World): World {
  const stepper = new TableStepper();
  const start = from ?? initialWorld(stepper, { ...config, keepCoordinatorInbox: false });
  const r = explore(clusterModel(stepper, config, start), { invariants: [{ name: 'reached', check: (w: World) => (stop(w) ? 'reached' : true) }], checkDeadlocks: false });
  expect(r.violations).toHaveLength(1);
  return r.violations[0]!.trace.steps.at(-1)!.state as World;
}
/**
 * Replicating with nothing in flight and no operator, reached without API calls or faults (their
 * interleavings would only make the search longer), then given the budgets of `config`.
 */
function running(config: ClusterConfig): World {
  const w = reach(base, replicating);
  return { ...w, apiCalls: config.api?.budget ?? 0, storeFaults: config.storeFaults ?? 0, failovers: config.failovers ?? 0 };
}
/** Replicating on n1 with nothing in flight and no operator. */
const replicating = (w: World) =>
  w.coordinator?.controller?.db.get('cf')?.bucket === 'Replicating' && w.inFlight.length === 0 && w.coordinator.controller.operators.size === 0;
/** Takes the enabled step whose label starts with each text, in order. */
function then(w: World, config: ClusterConfig, labels: string[]): World {
  const stepper = new TableStepper();
  for (const l of labels) {
    const a = enabledActions(w, config, stepper).find((x) => actionLabel(x).startsWith(l));
    if (!a) throw new Error(`no enabled step "${l}"; enabled: ${enabledActions(w, config, stepper).map(actionLabel).join(' | ')}`);
    w = apply(stepper, w, a, config);
  }
  return w;
}

describe('§2.4.3 the changefeed API as world steps', () => {
  const config: ClusterConfig = { ...base, api: { calls: ['pause', 'resume', 'remove', 'create'], stateChanges: ['warning', 'failed', 'finished'], budget: 4 } };

  it('pause persists stopped/Stopping, then a stop operator removes the maintainer; resume bumps and schedules it again', () => {
    let w = play(config, [...boot, 'API pause(cf)']);
    expect(w.storeCalls!.map((c) => c.op.op)).toEqual(['pause']);
    expect(w.apiCalls).toBe(3);
    w = play(config, [...boot, 'API pause(cf)', 'store pause cf (api): ok']);
    expect(w.store.cf).toMatchObject({ state: 'stopped', progress: 'Stopping', epoch: 1n });
    expect(w.coordinator!.feeds.cf!.state).toBe('stopped');
    expect(w.coordinator!.controller!.operators.get('cf')?.kind).toBe('stop');
    const resumed = play(config, [...boot, 'API pause(cf)', 'store pause cf (api): ok', 'API resume(cf)', 'store resume cf (api): ok']);
    // §3.3: one write sets a new epoch, state normal, no error, progress None.
    expect(resumed.store.cf).toMatchObject({ state: 'normal', progress: 'None', epoch: 2n, error: false });
    expect(resumed.coordinator!.controller!.infos.get('cf')!.epoch).toBe(2n);
    expect(resumed.coordinator!.feeds.cf!.state).toBe('normal');
  });

  it('a refused call changes nothing but the budget: resume of a running changefeed, create of an existing one', () => {
    const w = play(config, boot);
    for (const call of ['resume', 'create'] as const) {
      const a: Action = { kind: 'api', call, changefeedId: 'cf' };
      const after = apply(new TableStepper(), w, a, config);
      expect(after.storeCalls).toEqual([]);
      expect(after.coordinator).toBe(w.coordinator);
      expect(after.apiCalls).toBe(w.apiCalls! - 1);
    }
  });

  it('remove deletes the record once the stop finishes; a re-created changefeed gets an epoch above every one it had', () => {
    const removed = then(running(config), config, ['API remove(cf)', 'store setProgress cf (api): ok']);
    expect(removed.store.cf!.progress).toBe('Removing');
    expect(removed.coordinator!.controller!.db.has('cf')).toBe(false);
    expect(removed.coordinator!.controller!.operators.get('cf')?.kind).toBe('stop');
    // The stop finishes on the Stopped status and PostFinish deletes the record (§2.3).
    const r = explore(clusterModel(new TableStepper(), config, removed), {
      invariants: [{ name: 'recreated', check: (w: World) => (w.store.cf && w.retiredEpochs?.cf !== undefined ? 'recreated' : true) }, ...builtInInvariants],
      checkDeadlocks: false,
      maxStates: 20_000,
    });
    expect(r.violations.map((v) => v.name)).toEqual(['recreated']);
    const w = r.violations[0]!.trace.steps.at(-1)!.state as World;
    expect(w.retiredEpochs!.cf).toBe(2n);
    expect(w.store.cf!.epoch).toBe(3n);
    expect(w.coordinator!.feeds.cf!.incarnation).toBe(1);
  });

  it('a warning bumps the epoch and stops the maintainer with the epoch from before the bump (§6.9 item 1)', () => {
    const w = then(running(config), config, ['cf reports state warning', 'store bump cf (api): ok']);
    expect(w.store.cf).toMatchObject({ state: 'warning', error: true, epoch: 3n });
    const stop = w.coordinator!.controller!.operators.get('cf')!;
    expect(stop.kind).toBe('stop');
    expect((stop.context as { maintainerEpoch: bigint }).maintainerEpoch).toBe(2n);
  });

  it('a failed write of a state change ends the coordinator’s run loop: it is down until a failover', () => {
    const faulty = { ...config, storeFaults: 1, failovers: 1 };
    const w = then(running(faulty), faulty, ['cf reports state failed', 'store update cf (api): failed']);
    expect(w.coordinator).toBeNull();
    expect(enabledActions(w, faulty).map(actionLabel)).toContain('a new coordinator takes over');
  });

  it('every built-in invariant holds with API calls and state changes interleaved with scheduling', () => {
    // Bounded (the space with every call is large): the first 5,000 states breadth-first.
    const stepper = new TableStepper();
    const r = explore(clusterModel(stepper, config, initialWorld(stepper, config)), { invariants: [...builtInInvariants], checkDeadlocks: false, maxStates: 5_000 });
    expect(r.violations.map((v) => `${v.name}: ${v.message}`)).toEqual([]);
    expect(r.states).toBe(5_000);
  });
});

describe('§3.5 PD unavailable: the epoch falls back to UnixNano', () => {
  const config: ClusterConfig = { ...base, pdOutages: 1 };

  it('a bump while PD is down persists the UnixNano fallback; after it every bump is current + 1', () => {
    const w = play(config, [...boot, 'PD becomes unavailable', 'coordinator tick', 'store bump cf (admission): ok']);
    expect(w.store.cf!.epoch).toBe(FALLBACK_EPOCH);
    expect(w.coordinator!.controller!.infos.get('cf')!.epoch).toBe(FALLBACK_EPOCH);
    const back = play({ ...config, api: { calls: ['pause', 'resume'], budget: 2 } }, [
      ...boot,
      'PD becomes unavailable',
      'coordinator tick',
      'store bump cf (admission): ok',
      'PD answers again',
      'API pause(cf)',
      'store pause cf (api): ok',
      'API resume(cf)',
      'store resume cf (api): ok',
    ]);
    expect(back.store.cf!.epoch).toBe(FALLBACK_EPOCH + 1n);
  });

  it('PD is a bounded fault: one outage, then only recovery', () => {
    const w = play(config, [...boot, 'PD becomes unavailable', 'PD answers again']);
    expect(enabledActions(w, config).map(actionLabel).filter((l) => l.startsWith('PD'))).toEqual([]);
  });
});

describe('§2.4.1 the balance scheduler as a world step', () => {
  const config: ClusterConfig = { ...base, nodes: ['n1', 'n2'], changefeeds: ['a', 'b'], capacity: 6, balance: true };
  // Bootstrapped on both nodes (views Alive), then the DB as the basic scheduler may leave it.
  const booted = then(initialWorld(new TableStepper(), { ...config, keepCoordinatorInbox: false }), config, [
    'deliver CoordinatorBootstrap coord→n1',
    'deliver CoordinatorBootstrap coord→n2',
    'deliver CoordinatorBootstrapResponse n1→coord',
    'deliver CoordinatorBootstrapResponse n2→coord',
  ]);
  const placed = (a: string, b: string): World => {
    const c = booted.coordinator!;
    const ctl = c.controller!;
    const entry = (nodeId: string) => ({ ...ctl.db.get('a')!, nodeId, bucket: 'Replicating' as const });
    return { ...booted, coordinator: { ...c, controller: { ...ctl, db: new Map([['a', entry(a)], ['b', entry(b)]]) } } };
  };

  it('moves one of two changefeeds off the node that holds both, through admission with its own bump', () => {
    const both = placed('n1', 'n1');
    const ticks = enabledActions(both, config).filter((a) => a.kind === 'balance-tick');
    // Either changefeed may be the victim: two outcomes, each a move to n2 under admission.
    expect(ticks.map(actionLabel)).toEqual(['balance tick (outcome 0)', 'balance tick (outcome 1)']);
    const victims = ticks.map((t) => {
      const w = apply(new TableStepper(), both, t, config);
      const [cf, adm] = Object.entries(w.coordinator!.admissions)[0]!;
      expect(adm.spec).toMatchObject({ kind: 'move', dest: 'n2' });
      expect(w.storeCalls!.map((c) => `${c.op.op} ${c.changefeedId} ${c.purpose}`)).toEqual([`bump ${cf} admission`]);
      return cf;
    });
    expect(victims.sort()).toEqual(['a', 'b']);
  });

  it('does nothing when the nodes are balanced, and is not offered without the configuration', () => {
    const spread = placed('n1', 'n2');
    const ticks = enabledActions(spread, config).filter((a) => a.kind === 'balance-tick');
    expect(ticks).toHaveLength(1);
    expect(apply(new TableStepper(), spread, ticks[0]!, config).coordinator!.admissions).toEqual({});
    expect(enabledActions(placed('n1', 'n1'), { ...config, balance: false }).some((a) => a.kind === 'balance-tick')).toBe(false);
  });
});
