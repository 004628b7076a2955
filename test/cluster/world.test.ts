/**
 * The cluster world (cluster/world.ts, cluster/model.ts): node-side steps with an unreliable
 * network, explored exhaustively by the generic explorer with the node-side invariants of §4.
 * The coordinator is played by the scenario (its messages are in flight at the start).
 * Machines: nodeLiveness, nodeDrainTarget, maintainerRegistry, dispatcherManager.
 * Specs: I5, I10, I11, I12, I15, I16; §2.9 (loss, duplication), node crash and restart (§1).
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../explorer/index.js';
import { nodeInvariants } from '../../cluster/invariants.js';
import { clusterModel, worldKey } from '../../cluster/model.js';
import { pureStepper as S, TableStepper } from '../../cluster/stepper.js';
import { apply, enabledActions, initialWorld, WorldError, type ClusterConfig, type World } from '../../cluster/world.js';
import type { Message } from '../../cluster/node.js';

const config: ClusterConfig = { coordinator: 'coord', nodes: ['n1', 'n2'], changefeeds: ['cf'], capacity: 4, budgets: { loss: 1, duplication: 1, crashes: 0 } };
const fromCoord = (m: Omit<Message, 'from'>) => ({ ...m, from: 'coord' }) as Message;

/** The coordinator has bootstrapped both nodes and sent an add to n1; those messages are in flight. */
function seeded(cfg: ClusterConfig): World {
  let w = initialWorld(S, cfg);
  for (const m of [
    fromCoord({ type: 'CoordinatorBootstrap', to: 'n1', version: 1n }),
    fromCoord({ type: 'CoordinatorBootstrap', to: 'n2', version: 1n }),
    fromCoord({ type: 'AddMaintainerRequest', to: 'n1', changefeedId: 'cf', maintainerEpoch: 5n, checkpointTs: 1n, isNew: true }),
  ])
    w = apply(S, w, { kind: 'send', message: m }, cfg);
  return w;
}

describe('cluster world steps', () => {
  it('the bag is canonical: the same sends in another order give the same world', () => {
    const a = fromCoord({ type: 'CoordinatorBootstrap', to: 'n1', version: 1n });
    const b = fromCoord({ type: 'CoordinatorBootstrap', to: 'n2', version: 1n });
    const w0 = initialWorld(S, config);
    const ab = apply(S, apply(S, w0, { kind: 'send', message: a }, config), { kind: 'send', message: b }, config);
    const ba = apply(S, apply(S, w0, { kind: 'send', message: b }, config), { kind: 'send', message: a }, config);
    expect(worldKey(ab)).toBe(worldKey(ba));
  });

  it('loss and duplication spend their budgets; a message not in flight cannot be delivered', () => {
    const w = seeded(config);
    const m = w.inFlight[0]!;
    const lost = apply(S, w, { kind: 'lose', message: m }, config);
    expect(lost.inFlight).toHaveLength(2);
    expect(enabledActions(lost, config).some((a) => a.kind === 'lose')).toBe(false);
    const dup = apply(S, w, { kind: 'duplicate', message: m }, config);
    expect(dup.inFlight).toHaveLength(4);
    expect(() => apply(S, lost, { kind: 'deliver', message: m }, config)).toThrow(WorldError);
  });

  it('a crash loses everything the node held; the restart comes back with the next node epoch', () => {
    const cfg = { ...config, budgets: { ...config.budgets, crashes: 1 } };
    let w = seeded(cfg);
    w = apply(S, w, { kind: 'crash', node: 'n2' }, cfg);
    expect(w.nodes.n2).toBeNull();
    w = apply(S, w, { kind: 'restart', node: 'n2' }, cfg);
    expect(w.nodes.n2!.nodeEpoch).toBe(2n);
    expect(w.nodes.n2!.liveness.value).toBe('Alive');
    expect(() => apply(S, w, { kind: 'crash', node: 'n1' }, cfg)).toThrow(/no crash budget/);
  });
});

describe('cluster world explored exhaustively (node side, scripted coordinator)', () => {
  it('an add under loss and duplication keeps every node-side invariant, and the state space is finite', () => {
    // Every interleaving of the deliveries, with one loss and one duplication. (With the maintainer's
    // resend the space is ~40k states: too slow for this stepper, see cluster/model.ts.)
    const cfg: ClusterConfig = { ...config, capacity: 6, ticks: [] };
    const r = explore(clusterModel(S, cfg, seeded(cfg)), { invariants: nodeInvariants, maxStates: 50_000 });
    expect(r.stopReason).toBe('complete');
    expect(r.violations).toEqual([]);
    expect(r.states).toBeGreaterThan(500);
  });

  it('the hash-consed stepper and integer encoding explore exactly the states of the pure stepper and text encoding', () => {
    const cfg: ClusterConfig = { ...config, capacity: 6, ticks: [] };
    const pure = explore(clusterModel(S, cfg, seeded(cfg)), { invariants: nodeInvariants });
    const T = new TableStepper();
    let w = initialWorld(T, cfg);
    for (const m of seeded(cfg).inFlight) w = apply(T, w, { kind: 'send', message: m }, cfg);
    const fast = explore(clusterModel(T, cfg, w), { invariants: nodeInvariants });
    expect(fast.states).toBe(pure.states);
    expect(fast.transitions).toBe(pure.transitions);
    expect(fast.violations).toEqual([]);
  });

  it('the maintainer reaches Running in six steps at the shortest (a reachability check through a monitor)', () => {
    const cfg: ClusterConfig = { ...config, capacity: 6, ticks: [] };
    const running = (w: World) => (w.nodes.n1?.registries.cf?.value as { Maintainer?: string }).Maintainer === 'Running';
    const r = explore(clusterModel(S, cfg, seeded(cfg)), { invariants: [{ name: 'never running', check: (w) => !running(w) }] });
    const steps = r.violations[0]!.trace.steps.map((s) => s.label);
    expect(steps).toHaveLength(6);
    expect(steps.slice(0, 2)).toEqual(['deliver CoordinatorBootstrap coord→n1', 'deliver AddMaintainerRequest coord→n1']);
    expect(steps.slice(2).sort()).toEqual([
      'deliver MaintainerBootstrapRequest n1→n1',
      'deliver MaintainerBootstrapRequest n1→n2',
      'deliver MaintainerBootstrapResponse n1→n1',
      'deliver MaintainerBootstrapResponse n2→n1',
    ]);
  });

});
