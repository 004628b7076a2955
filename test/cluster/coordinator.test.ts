/**
 * The coordinator composed into the cluster world (cluster/coordinator.ts): liveness views, the
 * drain workflow, the drain session and the DrainNode API (spec §2.5.1, §2.5.4, §2.5.5, §2.6.4),
 * checked with the drain invariants I13, I14, I17, I18, I19 (cluster/drainInvariants.ts) and the
 * node-side ones (cluster/invariants.ts).
 */
import { describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { VariantStepper } from '../../cluster/check.js';
import { explore } from '../../explorer/explore.js';
import { clusterModel } from '../../cluster/model.js';
import { TableStepper, pureStepper } from '../../cluster/stepper.js';
import { apply, initialWorld, type ClusterConfig, type World } from '../../cluster/world.js';
import { livenessOf } from '../../cluster/node.js';
import { nodeInvariants } from '../../cluster/invariants.js';
import { drainInvariants, I14 } from '../../cluster/drainInvariants.js';
import { coordinatorReceive, passTime, sessionContext, viewOf, type CoordinatorState } from '../../cluster/coordinator.js';
import { drainNodeMachine } from '../../machines/drainNode.js';
import { machineVariants } from '../../cluster/variants.js';

const base: ClusterConfig = {
  coordinator: 'coord',
  nodes: ['n1', 'n2'],
  changefeeds: [],
  capacity: 4,
  budgets: { loss: 0, duplication: 0, crashes: 0 },
  composeCoordinator: true,
  drainTargets: ['n1'],
  ticks: ['HEARTBEAT'],
};

const stopping = (w: World, n: string) => {
  const node = w.nodes[n];
  return node ? livenessOf(node) === 'Stopping' : false;
};

describe('§2.5 the composed drain: DrainNode(n1) drives n1 to Stopping and nothing else', () => {
  const stepper = new TableStepper();
  const config = { ...base, time: false, nodeHeartbeats: false };
  const model = clusterModel(stepper, config, initialWorld(stepper, config));

  it('the shortest run to a Stopping n1 bootstraps, calls DrainNode, sends DRAINING, observes it, then sends STOPPING', () => {
    const goal = { name: 'n1 not Stopping', check: (w: World) => (stopping(w, 'n1') ? 'n1 is Stopping' : true) };
    const r = explore(model, { invariants: [goal], checkDeadlocks: false });
    expect(r.violations).toHaveLength(1);
    const labels = r.violations[0]!.trace.steps.map((s) => s.label);
    const drain = labels.indexOf('API DrainNode(n1)');
    expect(drain).toBeGreaterThan(labels.indexOf('deliver CoordinatorBootstrapResponse n1→coord'));
    expect(drain).toBeGreaterThan(labels.indexOf('deliver CoordinatorBootstrapResponse n2→coord'));
    const livenessSends = labels.filter((l) => l === 'deliver SetNodeLivenessRequest coord→n1');
    expect(livenessSends).toHaveLength(2); // DRAINING, then STOPPING
    expect(labels.slice(drain).some((l) => l === 'coordinator tick')).toBe(true); // STOPPING leaves on a tick
  });

  it('exhaustively: no invariant breaks and n2, never drained, never stops', () => {
    const n2 = { name: 'n2 never Stopping', check: (w: World) => (stopping(w, 'n2') ? 'n2 is Stopping' : true) };
    const r = explore(model, { invariants: [...nodeInvariants, ...drainInvariants, n2], checkDeadlocks: false });
    expect(r.stopReason).toBe('complete');
    expect(r.violations.map((v) => `${v.name}: ${v.message}`)).toEqual([]);
  });
});

describe('time passes in two steps whose ages sit past every threshold (cluster/coordinator.ts)', () => {
  const stepper = pureStepper;
  const observed = (): CoordinatorState => {
    const w = initialWorld(stepper, base);
    const r = coordinatorReceive(stepper, w.coordinator!, { type: 'NodeHeartbeat', from: 'n1', to: 'coord', liveness: 'Alive', nodeEpoch: 1n, forced: false }, { changefeeds: [], pdAvailable: true });
    return r.coordinator;
  };
  it('resend keeps an observation fresh; ttl makes it Unknown at the next tick', () => {
    const c = observed();
    expect(viewOf(c, 'n1')).toBe('Alive');
    expect(viewOf(passTime(c, 'resend'), 'n1')).toBe('Alive');
    expect(viewOf(passTime(c, 'ttl'), 'n1')).toBe('Unknown');
    expect(viewOf(passTime(c, 'ttl'), 'n2')).toBe('Alive'); // never observed: reported Alive (§2.5.1)
  });
  it('each step is idempotent and ttl covers resend, so ages take finitely many values', () => {
    const c = observed();
    const key = (x: CoordinatorState) => JSON.stringify(x.views.n1!.context, (_k, v) => (typeof v === 'bigint' ? `${v}` : v));
    expect(key(passTime(passTime(c, 'ttl'), 'ttl'))).toBe(key(passTime(c, 'ttl')));
    expect(key(passTime(passTime(c, 'resend'), 'ttl'))).toBe(key(passTime(c, 'ttl')));
    expect(key(passTime(passTime(c, 'ttl'), 'resend'))).toBe(key(passTime(c, 'ttl')));
  });
  it('with time, the composed space is still finite (the exploration completes)', () => {
    const t = new TableStepper();
    const config = { ...base, nodes: ['n1'], drainTargets: ['n1'], capacity: 3 };
    const r = explore(clusterModel(t, config, initialWorld(t, config)), { invariants: [...nodeInvariants, ...drainInvariants], checkDeadlocks: false, maxStates: 200_000 });
    expect(r.stopReason).toBe('complete');
    expect(r.violations).toEqual([]);
  });
});

describe('the drain invariants catch a broken drain workflow in the composed cluster', () => {
  /** A stepper with one drain-workflow replacement (the checker's own variant mechanism). */
  const withDrainNode = (machine: AnyStateMachine) =>
    new VariantStepper({ id: 'test', reintroduces: 'a test variant', invariant: 'I14', machines: { drainNode: machine } });

  it('a workflow that sends STOPPING whatever readyToStop says breaks I14 once the view expires', () => {
    const broken = drainNodeMachine.provide({
      guards: { isStopDue: ({ context, event }: { context: { observed: boolean }; event: { type: string } }) => event.type === 'ADVANCE' && context.observed } as never,
    });
    const stepper = withDrainNode(broken);
    const config = { ...base, nodes: ['n1'], capacity: 3 };
    const r = explore(clusterModel(stepper, config, initialWorld(stepper, config)), { invariants: [I14], checkDeadlocks: false, maxStates: 500_000 });
    expect(r.violations.map((v) => v.name)).toEqual([I14.name]);
    expect(r.violations[0]!.message).toMatch(/STOPPING sent to n1 while its view is unknown/);
  });

  it('§5.1 B20 (the workflow keeps DRAINING observed across a node restart): STOPPING at a stale node epoch breaks I14', () => {
    const b20 = machineVariants.find((v) => v.id === 'B20')!;
    const stepper = withDrainNode(b20.machines.drainNode!);
    const config = { ...base, nodes: ['n1'], capacity: 3, time: false, nodeHeartbeats: false, budgets: { loss: 0, duplication: 0, crashes: 1 } };
    const r = explore(clusterModel(stepper, config, initialWorld(stepper, config)), { invariants: [I14], checkDeadlocks: false, maxStates: 500_000 });
    expect(r.violations.map((v) => v.name)).toEqual([I14.name]);
    expect(r.violations[0]!.trace.steps.some((s) => s.label === 'restart n1')).toBe(true);
    // And the faithful workflow, in the same configuration and to the same depth, keeps I14.
    const faithful = new TableStepper();
    const depth = r.violations[0]!.trace.steps.length;
    const ok = explore(clusterModel(faithful, config, initialWorld(faithful, config)), { invariants: [I14], checkDeadlocks: false, maxDepth: depth });
    expect(ok.violations).toEqual([]);
    expect(ok.depth).toBe(depth);
  });
});

describe('a coordinator failover loses the drain session and bootstraps again', () => {
  it('after DrainNode, a crash and a takeover: a new version, no session, CoordinatorBootstrap to the members', () => {
    const stepper = pureStepper;
    const config = { ...base, capacity: 12, failovers: 1 };
    let w = initialWorld(stepper, config);
    const deliver = (type: string, to: string) => {
      const m = w.inFlight.find((x) => x.type === type && x.to === to)!;
      w = apply(stepper, w, { kind: 'deliver', message: m }, config);
    };
    for (const n of ['n1', 'n2']) {
      deliver('CoordinatorBootstrap', n);
      deliver('CoordinatorBootstrapResponse', 'coord');
    }
    w = apply(stepper, w, { kind: 'api', call: 'DrainNode', target: 'n1' }, config);
    expect(sessionContext(w.coordinator!).session?.target).toBe('n1');
    w = apply(stepper, w, { kind: 'coordinator-crash' }, config);
    expect(w.coordinator).toBeNull();
    w = apply(stepper, w, { kind: 'coordinator-takeover' }, config);
    expect(w.coordinator!.version).toBe(2n);
    expect(sessionContext(w.coordinator!).session).toBeNull();
    expect(w.inFlight.filter((m) => m.type === 'CoordinatorBootstrap' && m.version === 2n).map((m) => m.to).sort()).toEqual(['n1', 'n2']);
  });
});

describe('drain liveness: from every reachable state the drain can still complete (AG EF, spec §2.5)', () => {
  const config = { ...base, nodes: ['n1'], capacity: 3 };
  const goal = { name: 'n1 Stopping', goal: (w: World) => stopping(w, 'n1') };

  it('holds with time, message loss by a full network and heartbeats (no crash)', () => {
    const stepper = new TableStepper();
    const r = explore(clusterModel(stepper, config, initialWorld(stepper, config)), { eventually: goal, checkDeadlocks: false });
    expect(r.stopReason).toBe('complete');
    expect(r.violations).toEqual([]);
  });

  it('fails when the drain workflow never resends DRAINING: a lost command leaves a state from which n1 never stops', () => {
    const noResend = drainNodeMachine.provide({ guards: { isDrainResendDue: () => false } as never });
    const stepper = new VariantStepper({ id: 'test', reintroduces: 'no DRAINING resend', invariant: 'liveness', machines: { drainNode: noResend } });
    const r = explore(clusterModel(stepper, config, initialWorld(stepper, config)), { eventually: goal, checkDeadlocks: false });
    expect(r.violations.map((v) => v.kind)).toEqual(['eventually']);
  });
});
