/**
 * Draining a node from a host (spec §2.5): the drain session with the `DrainNode(target)` API, the
 * per-node drain workflow and the coordinator's liveness views, as real XState actors, and one
 * simulated node (n1) that applies liveness commands the way its liveness register does (§2.6.2).
 * The host owns the clock (a virtual one, 500 ms per tick) and the transport, reads the event data
 * the machines ask for under its "lock" (here: between two events), and routes their effects:
 * `drain.requestDrain` and `drain.advance` go to the drain workflow, `SetNodeLivenessRequest` and
 * `SetDispatcherDrainTargetRequest` to the node.
 *
 *   npx tsx examples/host-drain.ts
 *
 * test/examples.test.ts runs it and checks its output: DrainNode answers 1 until n1 is Stopping
 * and observed so, then 0 (I17), and after n1 leaves membership 0 again from the tombstone.
 */
import { createActor } from 'xstate';
import { drainNodeMachine, drainSessionMachine, livenessViewMachine, viewStateAt, type Liveness } from 'opcharts';

const NODES = ['n1', 'n2'];
let now = 0;
const print = (line: string) => console.log(line);

// The simulated node n1: its liveness register and node epoch (§2.6.1–§2.6.2), and n2 stays Alive.
const node = { epoch: 7n, liveness: 'Alive' as Liveness, drainTarget: { target: '', epoch: 0n } };
const ORDER: Record<Liveness, number> = { Alive: 0, Draining: 1, Stopping: 2 };

const views = Object.fromEntries(NODES.map((n) => [n, createActor(livenessViewMachine, { input: { node: n } }).start()]));
const drains = Object.fromEntries(NODES.map((n) => [n, createActor(drainNodeMachine, { input: { node: n } }).start()]));
const session = createActor(drainSessionMachine, { input: {} });
let members = [...NODES];

/** An observation reaches the view and the drain workflow alike (§2.5.1, §2.6.4). */
function observe(n: string, nodeEpoch: bigint, liveness: Liveness) {
  views[n]!.send({ type: 'OBSERVE', now, nodeEpoch, liveness });
  drains[n]!.send({ type: 'OBSERVE', now, nodeEpoch, liveness });
}

// The node's side of a SetNodeLivenessRequest: applied only at its own epoch and one step up.
function deliverToNode(m: { type: string; to: string } & Record<string, unknown>) {
  if (m.to !== 'n1') return;
  if (m.type === 'SetNodeLivenessRequest') {
    const target = m.target as Liveness;
    const applies = m.nodeEpoch === node.epoch && ORDER[target] === ORDER[node.liveness] + 1;
    if (applies) node.liveness = target;
    print(`  → n1: SetNodeLiveness ${target} at node epoch ${m.nodeEpoch}: ${applies ? 'applied' : 'refused'}; n1 is ${node.liveness}`);
    observe('n1', node.epoch, node.liveness); // the response and the forced heartbeat
  } else if (m.type === 'SetDispatcherDrainTargetRequest') {
    node.drainTarget = { target: m.targetNodeId as string, epoch: m.targetEpoch as bigint };
  }
}

for (const n of NODES) drains[n]!.on('*', (e) => deliverToNode(e as never));
session.on('*', (e) => {
  switch (e.type) {
    case 'drain.requestDrain':
      return drains[e.node]!.send({ type: 'REQUEST_DRAIN', now });
    case 'drain.advance':
      return drains[e.node]!.send({ type: 'ADVANCE', now, readyToStop: e.readyToStop });
    case 'drain.result':
      return print(`DrainNode(${e.target}) = ${e.remaining}${e.error ? ` (${e.error})` : ''}  [row ${e.row}]`);
    case 'SetDispatcherDrainTargetRequest':
      return deliverToNode(e as never);
  }
});
session.start();

/** What the session reads about the target under the host's lock (no changefeeds in this example). */
function observation(target: string) {
  const d = drains[target]?.getSnapshot().value;
  return {
    view: views[target] ? viewStateAt(views[target]!.getSnapshot().context, now) : ('Unknown' as const),
    drainingObserved: d === 'DrainingObserved' || d === 'StoppingObserved',
    stoppingObserved: d === 'StoppingObserved',
    maintainersOnTarget: 0,
    operatorsInvolvingTarget: 0,
    changefeeds: [],
  };
}

const drainNode = (target: string) =>
  session.send({
    type: 'DRAIN_NODE',
    now,
    target,
    cluster: { aliveNodes: members, initialized: true, drainProtocol: Object.fromEntries(members.map((n) => [n, 1])) },
    observation: observation(target),
    tso: { physicalMs: BigInt(now), logical: 0n },
    wallClockNs: 1_700_000_000_000_000_000n,
  });

const tick = () => {
  now += 500;
  session.send({ type: 'TICK', now, initialized: true, aliveNodes: members, observation: observation('n1') });
};

// Both nodes report themselves (bootstrap and heartbeats).
observe('n1', node.epoch, 'Alive');
observe('n2', 3n, 'Alive');

drainNode('n1'); // a new session: DRAINING is sent at once
tick(); // remaining 0 and DRAINING observed: STOPPING goes out
drainNode('n1'); // STOPPING observed too: complete
print(`n1 drain target on the node: ${node.drainTarget.target} at epoch ${node.drainTarget.epoch > 0n ? 'set' : 'unset'}`);
drainNode('n2'); // one drain at a time (I18)

// n1 exits; its session expires and the coordinator removes it (RemoveNode reads `complete` first).
const before = observation('n1');
members = members.filter((n) => n !== 'n1');
session.send({ type: 'NODE_REMOVED', now, node: 'n1', observation: before, aliveNodes: members });
views.n1!.send({ type: 'NODE_REMOVED', node: 'n1' });
drains.n1!.send({ type: 'NODE_REMOVED', node: 'n1' });
drainNode('n1'); // the completed tombstone answers 0 (row 1)
print(`session: ${JSON.stringify(session.getSnapshot().value)}`);
for (const a of [session, ...Object.values(views), ...Object.values(drains)]) a.stop();
