/**
 * The historical-bug catalogue on the composed cluster (spec §5.1, issue 13 item 5), coordinator and
 * operator side: for each variant of cluster/variants.ts the smallest configuration found on which
 * `opcharts check --variant ID` reaches a violation of the invariant the spec names (or a sharper one
 * of cluster/catalogueInvariants.ts), while the faithful model on the same configuration and bounds
 * has none. test/cluster/catalogueOperator.test.ts runs every row; the README table is generated
 * from the numbers the test reports.
 *
 * Configurations are check configuration files (cluster/configs.ts). Bounds are part of them: the
 * depth bound is at least the counterexample's length, so the faithful run explores every state the
 * variant's counterexample could have used.
 */
import { catalogueInvariants } from './catalogueInvariants.js';
import type { ClusterInvariant } from './invariants.js';
import type { World } from './world.js';
import type { MaintainerRegistryContext } from '../machines/maintainerRegistry.js';
import { drainReady, moveAdmitted, originStopped, targetAdded } from './cataloguePrefixes.js';

export interface CatalogueCase {
  /** The variant's ID (cluster/variants.ts). */
  variant: string;
  /** The invariant its shortest counterexample violates (a name of specs.ts or catalogueInvariants.ts). */
  invariant: string;
  /** Why this configuration is the smallest that shows the bug. */
  why: string;
  /** The check configuration (the file format of cluster/configs.ts). */
  config: Record<string, unknown>;
  /**
   * Scenario steps taken before the search (cluster/cataloguePrefixes.ts): the bug's window. The
   * faithful run starts from the same world; counterexample lengths count from its end.
   */
  prefix?: readonly unknown[];
}

/** The catalogue's own invariants, which a check of a catalogue case adds to the built-in ones. */
export const catalogueUserInvariants: readonly ClusterInvariant[] = catalogueInvariants;

/** One node, one changefeed, the composed coordinator without time or heartbeats. */
const oneNode = {
  nodes: ['n1'],
  changefeeds: ['cf'],
  capacity: 3,
  budgets: { loss: 0, duplication: 0, crashes: 1 },
  ticks: ['HEARTBEAT'],
  coordinator: { compose: true, time: false, nodeHeartbeats: false },
};

/** Two nodes, one changefeed, DrainNode(n1) callable: the drain scheduler's move n1 → n2 (§2.5.3). */
const drainMove = (crashes: number) => ({
  nodes: ['n1', 'n2'],
  changefeeds: ['cf'],
  capacity: 4,
  budgets: { loss: 0, duplication: 0, crashes },
  ticks: ['HEARTBEAT'],
  coordinator: { compose: true, time: false, drainTargets: ['n1'] },
});

export const operatorCatalogue: CatalogueCase[] = [
  {
    variant: 'B8',
    invariant: 'I22 nothing Replicating on a removed node',
    why: 'the add must succeed (the maintainer bootstraps and reports Working) and its node must crash and leave before the next poll runs PostFinish: one node and one crash suffice',
    config: { name: 'catalogue-B8', description: 'one node: an add that succeeds, then its node crashes and leaves before PostFinish', ...oneNode, bounds: { maxDepth: 13 } },
  },
  {
    variant: 'B4',
    invariant: 'I23 move remove uses the owned epoch',
    why: 'any move shows it on its first Schedule: the smallest move is the drain scheduler moving cf off a draining n1 to n2; the search starts when the drain is ready and finds the tick, the bump and the tick that sends the remove',
    config: { name: 'catalogue-B4', description: 'two nodes, cf Replicating on n1, n1 draining: the drain move n1 → n2', ...drainMove(0), bounds: { maxDepth: 5 } },
    prefix: drainReady,
  },
  {
    variant: 'B7',
    invariant: 'I22 no AddMaintainer to a removed node',
    why: 'the origin must leave (the move falls through to OriginStopped with originRemoved) and then the destination: two crashes after the move is pushed, and one tick',
    config: { name: 'catalogue-B7', description: 'two nodes, the drain move n1 → n2 pushed; both nodes may crash and leave', ...drainMove(2), bounds: { maxDepth: 5 } },
    prefix: moveAdmitted,
  },
  {
    variant: 'B6',
    invariant: 'I5 an add epoch is offered to one node only',
    why: 'the origin must have stopped and the add to the destination been sent before the destination leaves: from OriginStopped, one crash of n2, its leave and two ticks (the add to n2 still in flight when the fallback re-sends it to n1)',
    config: { name: 'catalogue-B6', description: 'two nodes, the drain move n1 → n2 with the origin stopped; n2 may crash and leave', ...drainMove(1), bounds: { maxDepth: 5 } },
    prefix: originStopped,
  },
  {
    variant: 'B5',
    invariant: 'I23 move remove uses the owned epoch',
    why: 'a stop must be issued while the move is unbound: from OriginStopped, one PauseChangefeed (its write, then the stop it plans) is enough',
    config: {
      name: 'catalogue-B5',
      description: 'two nodes, the drain move n1 → n2 with the origin stopped; one PauseChangefeed call',
      ...drainMove(0),
      coordinator: { ...drainMove(0).coordinator, api: { calls: ['pause'], budget: 1 } },
      bounds: { maxDepth: 4 },
    },
    prefix: originStopped,
  },
  {
    variant: 'B27',
    invariant: '§3.2 an epoch-only bump conflicts only with an info write',
    why: "the admission's bump must be in flight while the checkpoint writer persists a newer checkpoint: one node, one checkpoint advance; after bootstrap the basic scheduler's add issues the bump, the checkpoint advances and is written, and the bump's txn then fails on the status revision",
    config: {
      name: 'catalogue-B27',
      description: "one node, cf Absent: the add's epoch bump with the checkpoint writer persisting one advance",
      ...oneNode,
      coordinator: { ...oneNode.coordinator, checkpoints: { advances: 1 } },
      bounds: { maxDepth: 7 },
    },
  },
  {
    variant: 'B29',
    invariant: 'I1 persisted checkpoint never decreases',
    why: "the bump must carry the caller's checkpoint from before the writer persisted a newer one: the same window as B27 (the add's bump issued, one checkpoint advance written), and the bump's txn then lowers the persisted checkpoint",
    config: {
      name: 'catalogue-B29',
      description: "one node, cf Absent: the add's epoch bump with the checkpoint writer persisting one advance",
      ...oneNode,
      coordinator: { ...oneNode.coordinator, checkpoints: { advances: 1 } },
      bounds: { maxDepth: 7 },
    },
  },
  {
    variant: 'B2',
    invariant: 'I7 one operator per changefeed',
    why: 'two AddOperator calls for one changefeed need two proposals while the first bump is in flight: the basic scheduler proposes the Absent cf again at its next tick (the Go test\'s two adds); one node, no faults: bootstrap, two ticks, and the first bump landing pushes its add while the second bump still runs',
    config: { name: 'catalogue-B2', description: 'one node, cf Absent: two basic-scheduler ticks admit the add twice', ...oneNode, budgets: { loss: 0, duplication: 0, crashes: 0 }, bounds: { maxDepth: 5 } },
  },
  {
    variant: 'B10',
    invariant: 'coordinator bootstrap never panics',
    why: 'a new coordinator must bootstrap while two nodes hold cf: from the handover n1 (epoch 2, stopped, not cleaned up: no CLEANUP tick) → n2 (epoch 3), one coordinator crash, the takeover and the four bootstrap deliveries; the bag holds the five handover messages in flight, the two bootstrap requests and an answer (capacity 8); node heartbeats are left out (the bootstrap answers carry liveness)',
    config: {
      name: 'catalogue-B10',
      description: 'two nodes, the drain move n1 → n2 with the add delivered to n2; one coordinator failover',
      ...drainMove(0),
      capacity: 8,
      coordinator: { ...drainMove(0).coordinator, failovers: 1, nodeHeartbeats: false },
      bounds: { maxDepth: 6 },
    },
    prefix: targetAdded,
  },
  {
    variant: 'B11',
    invariant: 'I9 every bootstrap stop carries the epoch its owner reported',
    why: 'a new coordinator must bootstrap while the old owner still runs at an epoch below the persisted one: from the move admitted (epoch 3 persisted, n1 still at 2), one coordinator crash, the takeover and the four bootstrap deliveries (capacity 6: three messages in flight, two requests, an answer); its liveness half, the stop never completing, is the AG EF goal b11StaleOwnerStops',
    config: {
      name: 'catalogue-B11',
      description: 'two nodes, the drain move n1 → n2 admitted (its bump persisted); one coordinator failover',
      ...drainMove(0),
      capacity: 6,
      coordinator: { ...drainMove(0).coordinator, failovers: 1, nodeHeartbeats: false },
      bounds: { maxDepth: 6 },
    },
    prefix: moveAdmitted,
  },
];

/**
 * B11's liveness half as an AG EF goal (runCheck's `eventually`): the stale owner the B11 case's
 * bootstrap finds — n1's maintainer of cf at epoch 2, below the persisted 3 — stops (its slot
 * empty, Stopped, or holding another epoch). Under B11 the strict maintainer drops every stop sent
 * with epoch 3 (§2.7.2 `strictAllow`) and no world reaches the goal; the faithful stop reaches it.
 * The exhaustive AG EF search completes on the variant (its space ends with the stop stuck) but
 * not on the faithful model in a test's bounds (the changefeed is re-added and moved on), so the
 * test checks that the faithful model reaches the goal from the same world (EF).
 */
export const b11StaleOwnerStops = {
  name: 'the stale bootstrap owner (cf on n1, epoch 2) stops',
  goal(w: World): boolean {
    const slot = w.nodes.n1?.registries.cf;
    if (!slot) return true;
    const maintainer = (slot.value as { Maintainer?: string }).Maintainer;
    return maintainer === undefined || maintainer === 'Stopped' || (slot.context as MaintainerRegistryContext).epoch !== 2n;
  },
};

/**
 * Variants of the coordinator and operator side that the composed cluster cannot show, and why.
 * Empty since B2, B10, B11, B27 and B29 gained their glue hooks; kept so that a variant added
 * without a catalogue row must say why here (test/cluster/catalogueOperator.test.ts).
 */
export const notExpressible: Array<{ variant: string; reason: string }> = [];
