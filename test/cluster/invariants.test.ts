/**
 * The node-side invariants of spec §4 (cluster/invariants.ts): each is reported by name on a world
 * built to violate it, and holds on the same scenario played faithfully.
 * Machines: maintainerRegistry, dispatcherManager, nodeLiveness (through cluster/node.ts).
 */
import { describe, expect, it } from 'vitest';
import { nodeInvariants, violations } from '../../cluster/invariants.js';
import { receive, startNode, type Message, type NodeState } from '../../cluster/node.js';
import { pureStepper as S } from '../../cluster/stepper.js';
import type { World } from '../../cluster/world.js';

const node = (id: string, epoch = 7n) => startNode(S, id, epoch, ['cf'], ['n1', 'n2']);
const deliver = (n: NodeState, m: Omit<Message, 'from'> & { from?: string }) => receive(S, n, { from: 'coord', ...m } as Message).node;
const bootstrapped = (n: NodeState) => deliver(n, { type: 'CoordinatorBootstrap', to: n.id, version: 1n });
const world = (nodes: Record<string, NodeState | null>): World => ({ nodes, epochs: {}, inFlight: [], toCoordinator: [], store: {}, budgets: { loss: 0, duplication: 0, crashes: 0 } });
const names = (w: World, step?: { prev: World; action: { kind: string } }) => violations(nodeInvariants, w, step as never).map((v) => v.name);

describe('§4 node-side invariants', () => {
  it('I5: two nodes running a maintainer for one changefeed at one epoch', () => {
    const add = { type: 'AddMaintainerRequest', changefeedId: 'cf', maintainerEpoch: 5n, checkpointTs: 1n, isNew: true } as const;
    const n1 = deliver(bootstrapped(node('n1')), { ...add, to: 'n1' });
    const n2 = deliver(bootstrapped(node('n2')), { ...add, to: 'n2' });
    expect(violations(nodeInvariants, world({ n1, n2 }))).toEqual([{ name: 'I5 unique strict owner per epoch', message: 'cf at epoch 5 is owned by n1 and n2' }]);
    // Different epochs, or one of them down, is fine.
    expect(names(world({ n1, n2: null }))).toEqual([]);
  });

  it('I10: a manager whose owner epoch goes back', () => {
    const boot = (e: bigint) => ({ type: 'MaintainerBootstrapRequest', from: 'n1', to: 'n2', changefeedId: 'cf', maintainerEpoch: e, tableTriggerId: null }) as const;
    const at5 = deliver(node('n2'), boot(5n));
    const at3 = deliver(node('n2'), boot(3n));
    const prev = world({ n2: at5 });
    expect(names(world({ n2: at3 }), { prev, action: { kind: 'tampered' } })).toContain('I10 dispatcher-manager owner monotonic');
    // The faithful manager refuses the older bootstrap: nothing changes, nothing is reported.
    const faithful = deliver(at5, boot(3n));
    expect(names(world({ n2: faithful }), { prev, action: { kind: 'deliver' } })).toEqual([]);
  });

  it('I11: a manager created over its tombstone by a bootstrap at or below it', () => {
    const tomb = startNode(S, 'n2', 7n, ['cf'], ['n2']);
    const closed = deliver(tomb, { type: 'MaintainerCloseRequest', from: 'n1', to: 'n2', changefeedId: 'cf', maintainerEpoch: 5n, removed: true });
    expect(closed.managers.cf!.context.tombstone).toBe(5n);
    const created = deliver(node('n2'), { type: 'MaintainerBootstrapRequest', from: 'n1', to: 'n2', changefeedId: 'cf', maintainerEpoch: 4n, tableTriggerId: null });
    expect(names(world({ n2: created }), { prev: world({ n2: closed }), action: { kind: 'tampered' } })).toContain('I11 tombstone');
  });

  it('I12 and I15: a liveness that jumps, or changes without a request at the node epoch', () => {
    const alive = bootstrapped(node('n1'));
    const draining = deliver(alive, { type: 'SetNodeLivenessRequest', to: 'n1', target: 'Draining', nodeEpoch: 7n });
    const stopping = deliver(draining, { type: 'SetNodeLivenessRequest', to: 'n1', target: 'Stopping', nodeEpoch: 7n });
    const probe = { kind: 'deliver', message: { type: 'SetNodeLivenessRequest', from: 'coord', to: 'n1', target: 'Stopping', nodeEpoch: 0n } };
    expect(names(world({ n1: stopping }), { prev: world({ n1: alive }), action: probe })).toEqual([
      'I12 local liveness monotonic',
      'I15 liveness applied only at the node epoch',
    ]);
    const right = { kind: 'deliver', message: { type: 'SetNodeLivenessRequest', from: 'coord', to: 'n1', target: 'Draining', nodeEpoch: 7n } };
    expect(names(world({ n1: draining }), { prev: world({ n1: alive }), action: right })).toEqual([]);
    // A restart (new node epoch) is a new process: not a liveness step.
    expect(names(world({ n1: bootstrapped(node('n1', 8n)) }), { prev: world({ n1: stopping }), action: { kind: 'restart' } })).toEqual([]);
  });

  it('I16: a maintainer created on a Stopping node', () => {
    let n = bootstrapped(node('n1'));
    for (const target of ['Draining', 'Stopping'] as const) n = deliver(n, { type: 'SetNodeLivenessRequest', to: 'n1', target, nodeEpoch: 7n });
    const add = { type: 'AddMaintainerRequest', to: 'n1', changefeedId: 'cf', maintainerEpoch: 5n, checkpointTs: 1n, isNew: true } as const;
    // Faithful: refused.
    expect(names(world({ n1: deliver(n, add) }), { prev: world({ n1: n }), action: { kind: 'deliver' } })).toEqual([]);
    // A node whose Stopping gates are bypassed (register and slot of an Alive node): the add goes through.
    const fresh = bootstrapped(node('n1'));
    const bypassed = { ...n, liveness: fresh.liveness, registries: fresh.registries };
    const created = { ...deliver(bypassed, add), liveness: n.liveness };
    expect(names(world({ n1: created }), { prev: world({ n1: n }), action: { kind: 'deliver' } })).toEqual(['I16 a Stopping node refuses new owners']);
  });
});
