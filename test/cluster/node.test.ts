/**
 * The node composite (cluster/node.ts) with real message passing between two nodes; the test plays
 * the coordinator. Machines: nodeLiveness, nodeDrainTarget, maintainerRegistry, dispatcherManager.
 * Specs: §2.6, §2.7.1–§2.7.3 end to end (add → bootstrap → running; cascade remove → closes → stopped).
 */
import { describe, expect, it } from 'vitest';
import { completeRuntime, livenessOf, receive, startNode, tick, type Message, type NodeState, UnroutableMessageError } from '../../cluster/node.js';
import { pureStepper as S } from '../../cluster/stepper.js';

/** Two nodes and a FIFO network; messages to `coord` are collected for the test. */
function cluster() {
  const nodes: Record<string, NodeState> = {
    n1: startNode(S, 'n1', 11n, ['cf'], ['n1', 'n2']),
    n2: startNode(S, 'n2', 22n, ['cf'], ['n1', 'n2']),
  };
  const toCoord: Message[] = [];
  const flush = (msgs: Message[]) => {
    const queue = [...msgs];
    while (queue.length) {
      const m = queue.shift()!;
      if (m.to === 'coord') {
        toCoord.push(m);
        continue;
      }
      const r = receive(S, nodes[m.to]!, m);
      nodes[m.to] = r.node;
      queue.push(...r.out);
    }
  };
  const fromCoord = (m: Omit<Message, 'from'>) => flush([{ ...m, from: 'coord' } as Message]);
  return { nodes, toCoord, flush, fromCoord };
}

describe('cluster node: a maintainer is added, bootstraps against both dispatcher managers, and is removed', () => {
  it('coordinator bootstrap → add → Running with both managers owned at the epoch → status Working, bootstrapDone', () => {
    const c = cluster();
    for (const to of ['n1', 'n2']) c.fromCoord({ type: 'CoordinatorBootstrap', to, version: 1n });
    expect(c.toCoord.filter((m) => m.type === 'CoordinatorBootstrapResponse').map((m) => [m.from, m.nodeEpoch, m.statuses])).toEqual([
      ['n1', 11n, []],
      ['n2', 22n, []],
    ]);
    c.fromCoord({ type: 'AddMaintainerRequest', to: 'n1', changefeedId: 'cf', maintainerEpoch: 5n, checkpointTs: 100n, isNew: true });
    expect(c.nodes.n1!.registries.cf!.value).toEqual({ Maintainer: 'Running' });
    for (const n of ['n1', 'n2']) expect(c.nodes[n]!.managers.cf!.context).toMatchObject({ owner: 'n1', ownerEpoch: 5n });
    expect(c.nodes.n1!.managers.cf!.context.triggerId).toBe('cf/ddl-1');
    const r = tick(S, c.nodes.n1!, 'cf', 'HEARTBEAT');
    expect(r.out).toEqual([expect.objectContaining({ type: 'MaintainerStatus', from: 'n1', to: 'coord', state: 'Working', maintainerEpoch: 5n, bootstrapDone: true })]);
  });

  it('a cascade remove closes both managers through the runtime, then the maintainer is Stopped and the managers tombstoned', () => {
    const c = cluster();
    for (const to of ['n1', 'n2']) c.fromCoord({ type: 'CoordinatorBootstrap', to, version: 1n });
    c.fromCoord({ type: 'AddMaintainerRequest', to: 'n1', changefeedId: 'cf', maintainerEpoch: 5n, checkpointTs: 100n, isNew: true });
    c.fromCoord({ type: 'RemoveMaintainerRequest', to: 'n1', changefeedId: 'cf', maintainerEpoch: 5n, cascade: true, removed: true });
    expect(c.nodes.n1!.registries.cf!.value).toEqual({ Maintainer: 'Removing' });
    // Both managers started closing; the runtime owes each a close.
    for (const n of ['n1', 'n2']) {
      expect(c.nodes[n]!.runtime).toEqual([{ kind: 'close', changefeedId: 'cf' }]);
      const r = completeRuntime(S, c.nodes[n]!, { kind: 'close', changefeedId: 'cf' });
      c.nodes[n] = r.node;
      c.flush(r.out);
    }
    // The maintainer's resend asks again; now each close succeeds and the maintainer stops.
    const r = tick(S, c.nodes.n1!, 'cf', 'RESEND');
    c.nodes.n1 = r.node;
    c.flush(r.out);
    expect(c.nodes.n1!.registries.cf!.value).toEqual({ Maintainer: 'Stopped' });
    for (const n of ['n1', 'n2']) {
      expect(c.nodes[n]!.managers.cf!.value).toBe('Absent');
      expect(c.nodes[n]!.managers.cf!.context.tombstone).toBe(5n);
    }
  });

  it('a non-cascade remove removes the DDL-trigger dispatcher; its Stopped status lets the next remove stop the maintainer', () => {
    const c = cluster();
    for (const to of ['n1', 'n2']) c.fromCoord({ type: 'CoordinatorBootstrap', to, version: 1n });
    c.fromCoord({ type: 'AddMaintainerRequest', to: 'n1', changefeedId: 'cf', maintainerEpoch: 5n, checkpointTs: 100n, isNew: true });
    const remove = { type: 'RemoveMaintainerRequest', to: 'n1', changefeedId: 'cf', maintainerEpoch: 5n, cascade: false, removed: false } as const;
    c.fromCoord(remove);
    expect(c.nodes.n1!.runtime).toEqual([{ kind: 'remove', changefeedId: 'cf', dispatcher: 'cf/ddl-1', owner: 'n1' }]);
    const r = completeRuntime(S, c.nodes.n1!, c.nodes.n1!.runtime[0]!);
    c.nodes.n1 = r.node;
    c.flush(r.out);
    expect(c.nodes.n1!.registries.cf!.value).toEqual({ Maintainer: 'Removing' });
    c.fromCoord(remove);
    expect(c.nodes.n1!.registries.cf!.value).toEqual({ Maintainer: 'Stopped' });
  });

  it('SetNodeLiveness at the node epoch moves the register and makes every slot refuse adds when Stopping (I16)', () => {
    const c = cluster();
    c.fromCoord({ type: 'CoordinatorBootstrap', to: 'n2', version: 1n });
    c.fromCoord({ type: 'SetNodeLivenessRequest', to: 'n2', target: 'Draining', nodeEpoch: 22n });
    c.fromCoord({ type: 'SetNodeLivenessRequest', to: 'n2', target: 'Stopping', nodeEpoch: 22n });
    expect(livenessOf(c.nodes.n2!)).toBe('Stopping');
    expect(c.nodes.n2!.registries.cf!.context.nodeStopping).toBe(true);
    c.fromCoord({ type: 'AddMaintainerRequest', to: 'n2', changefeedId: 'cf', maintainerEpoch: 5n, checkpointTs: 100n, isNew: true });
    expect(c.nodes.n2!.registries.cf!.value).toBe('Empty');
  });

  it('a message no machine takes, or for an unknown changefeed, is a typed error', () => {
    const n = startNode(S, 'n1', 1n, ['cf'], ['n1']);
    expect(() => receive(S, n, { type: 'Bogus', from: 'coord', to: 'n1' })).toThrow(UnroutableMessageError);
    expect(() => receive(S, n, { type: 'RemoveMaintainerRequest', from: 'coord', to: 'n1', changefeedId: 'zz', maintainerEpoch: 1n, cascade: true, removed: true })).toThrow(/no changefeed zz/);
  });
});
