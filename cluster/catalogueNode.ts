/**
 * The historical-bug catalogue on the composed cluster, node and drain half (issue 13 item 5,
 * spec §5.1): for each variant of cluster/variants.ts that lives on the node side (maintainer
 * registry, dispatcher manager) or the coordinator's drain side (liveness views, drain workflow,
 * drain session), a small configuration on which `opcharts check --variant ID` finds a
 * violation of the invariant the spec names — or of a sharper one (cluster/catalogueNodeInvariants.ts)
 * where the spec's invariant cannot see the harm in this model — and on which the faithful model
 * is clean. Small means every node, script message and fault budget of it takes part in the
 * counterexample (found by hand-shrinking, not proved minimal). Liveness bugs are caught by the AG EF check (`eventually`): a reachable world from which
 * the goal can no longer be reached.
 *
 * Each configuration is written in the file format of cluster/configs.ts, so `opcharts check
 * --config FILE --variant ID` runs the same check; `bounds.maxDepth` is the shortest
 * counterexample's length where the whole space is too large to explore in a test's seconds (the
 * search is breadth-first, so every trace within the bound is found, and the faithful model is
 * judged to the same depth).
 */
import { parseCheckConfig, type CheckConfig } from './configs.js';
import type { ClusterInvariant } from './invariants.js';
import type { World } from './world.js';
import { gateAckedThenRestarted } from './cataloguePrefixes.js';
import { I11NoPauseTombstone, I18SessionEndsOnlyByRemoval, I20DestinationSawTarget, I9CloseResponseOnlyWhileRemoving } from './catalogueNodeInvariants.js';

/** One row of the catalogue: a variant, its configuration and what must catch it. */
export interface CatalogueEntry {
  /** The bug's ID in spec §5.1 (a variant of cluster/variants.ts). */
  variant: string;
  /** The configuration, as a file would write it (cluster/configs.ts). */
  file: Record<string, unknown>;
  /** The name of the invariant (or AG EF goal) the variant breaks on this configuration. */
  expected: string;
  kind: 'invariant' | 'eventually';
  /** Invariants beyond the built-in ones the check needs (cluster/catalogueNodeInvariants.ts). */
  user?: ClusterInvariant[];
  /** The AG EF goal, for a liveness bug. */
  eventually?: { name: string; goal(world: World): boolean };
  /** Other invariants the same check must find broken (a sharper one beside the spec's). */
  also?: string[];
  /**
   * Scenario steps taken before the search (the bug's window, cluster/cataloguePrefixes.ts); the
   * faithful run starts from the same world, and the counterexample's length counts from its end.
   */
  prefix?: readonly unknown[];
  /** What the configuration holds and how the bug shows on it, in one or two lines. */
  why: string;
}

const bootstrap = (to: string) => ({ send: { type: 'CoordinatorBootstrap', to, version: '1' } });
const add = (to: string, epoch: string) => ({
  send: { type: 'AddMaintainerRequest', to, changefeedId: 'cf', maintainerEpoch: epoch, checkpointTs: '1', isNew: epoch !== '0' },
});
const remove = (to: string, epoch: string, cascade = false, removed = false) => ({
  send: { type: 'RemoveMaintainerRequest', to, changefeedId: 'cf', maintainerEpoch: epoch, cascade, removed },
});
const noFaults = { loss: 0, duplication: 0, crashes: 0 };

/** The composed coordinator draining its only node (§2.5): the drain workflow, session and views. */
const drainOneNode = (name: string, extra: { crashes?: number; nodeHeartbeats?: boolean; maxDepth?: number }) => ({
  name,
  nodes: ['n1'],
  changefeeds: ['cf'],
  capacity: 3,
  budgets: { ...noFaults, crashes: extra.crashes ?? 0 },
  ticks: [],
  coordinator: { compose: true, drainTargets: ['n1'], time: false, ...(extra.nodeHeartbeats === false ? { nodeHeartbeats: false } : {}) },
  ...(extra.maxDepth ? { bounds: { maxDepth: extra.maxDepth } } : {}),
});

export const nodeCatalogue: CatalogueEntry[] = [
  {
    variant: 'B14',
    file: {
      name: 'B14-one-node-resends',
      nodes: ['n1'],
      changefeeds: ['cf'],
      capacity: 5,
      budgets: noFaults,
      ticks: [],
      coordinator: { script: [bootstrap('n1'), add('n1', '5'), add('n1', '5'), remove('n1', '5'), remove('n1', '5')] },
    },
    expected: 'I9 stale request never mutates a maintainer',
    kind: 'invariant',
    why: 'one node: an add at 5 resent after the maintainer at 5 stopped replaces it (canReplace needs a strictly newer epoch)',
  },
  {
    variant: 'B19',
    file: drainOneNode('B19-drain-one-node', { maxDepth: 6 }),
    expected: 'I13 view monotonic per node epoch',
    kind: 'invariant',
    why: 'one node drained with periodic heartbeats: an Alive heartbeat sent before DRAINING applied is delivered after the Draining one',
  },
  {
    variant: 'B20',
    file: drainOneNode('B20-drain-one-node-restart', { crashes: 1, nodeHeartbeats: false, maxDepth: 15 }),
    expected: 'I14 STOPPING only after DRAINING at the same epoch',
    kind: 'invariant',
    why: 'one node drained, one crash: DRAINING observed, the node restarts with a new epoch, and STOPPING goes out with the old one',
  },
  {
    variant: 'B16',
    file: {
      name: 'B16-compat-maintainer-superseded',
      nodes: ['n1'],
      changefeeds: ['cf'],
      capacity: 5,
      budgets: noFaults,
      ticks: ['RESEND'],
      coordinator: { script: [bootstrap('n1'), remove('n1', '0', true, true), add('n1', '5')] },
    },
    expected: I9CloseResponseOnlyWhileRemoving.name,
    kind: 'invariant',
    user: [I9CloseResponseOnlyWhileRemoving],
    why: 'one node: an epoch-0 (compatibility) cascade remove builds a remove-only maintainer that resends its close, stops, and is replaced at 5; the second close response (epoch 0 matches 5) reaches the new one',
  },
  {
    variant: 'B23',
    file: drainOneNode('B23-drain-one-node-complete', { nodeHeartbeats: false, maxDepth: 9 }),
    expected: 'I17 DrainNode never reports 0 prematurely',
    kind: 'invariant',
    user: [I18SessionEndsOnlyByRemoval],
    also: [I18SessionEndsOnlyByRemoval.name],
    why: 'one node drained to completion (DRAINING, STOPPING observed, nothing left): the next DrainNode poll closes the session while the node is still a member',
  },
  {
    variant: 'B17',
    file: {
      name: 'B17-compat-pause-resume',
      nodes: ['n1', 'n2'],
      changefeeds: ['cf'],
      capacity: 8,
      budgets: noFaults,
      ticks: [],
      coordinator: { script: [bootstrap('n1'), bootstrap('n2'), remove('n1', '0', true, false), add('n2', '0')] },
    },
    expected: 'the maintainer of cf on n2 bootstraps (or there is none)',
    kind: 'eventually',
    eventually: { name: 'the maintainer of cf on n2 bootstraps (or there is none)', goal: (w) => bootstrappedOrNone(w, 'n2') },
    user: [I11NoPauseTombstone],
    also: [I11NoPauseTombstone.name],
    why: 'two nodes: an epoch-0 cascade pause (removed = false) on n1 closes the managers on both nodes while an epoch-0 maintainer resumes on n2; a manager tombstoned by the pause refuses the resumed bootstrap forever',
  },
  {
    variant: 'B26',
    file: {
      name: 'B26-remove-before-bootstrap',
      nodes: ['n1'],
      changefeeds: ['cf'],
      capacity: 4,
      budgets: noFaults,
      ticks: [],
      coordinator: { script: [bootstrap('n1'), add('n1', '5'), remove('n1', '5')] },
    },
    expected: 'the maintainer of cf on n1 bootstraps (or there is none)',
    kind: 'eventually',
    eventually: { name: 'the maintainer of cf on n1 bootstraps (or there is none)', goal: (w) => bootstrappedOrNone(w, 'n1') },
    why: 'one node: a move-style (non-cascade) remove overtakes the bootstrap; removing, the maintainer ignores the bootstrap responses and, uninitialized, its DDL span status, so it neither bootstraps nor stops',
  },
  {
    variant: 'B22',
    file: {
      name: 'B22-drain-two-nodes-restart',
      nodes: ['n1', 'n2'],
      changefeeds: ['cf'],
      capacity: 8,
      budgets: { ...noFaults, crashes: 1 },
      ticks: [],
      coordinator: { compose: true, drainTargets: ['n1'], time: false },
      bounds: { maxDepth: 7 },
    },
    prefix: gateAckedThenRestarted,
    expected: I20DestinationSawTarget.name,
    kind: 'invariant',
    user: [I20DestinationSawTarget],
    why: 'n1 drained with n2 acked as a destination, then n2 restarted (the prefix); the search finds the leave, the re-join, the bootstrap and the heartbeat that let the surviving ack send cf to a process that never saw the target (the whole 16-step trace is too deep to search from the start in a test)',
  },
];

/** The maintainer state of cf on a node (undefined: the slot is empty, or the node is down). */
const maintainerOf = (w: World, n: string) => (w.nodes[n]?.registries.cf?.value as { Maintainer?: string } | undefined)?.Maintainer;
/** The maintainer of cf on `node` has bootstrapped, or there is none live (the slot is empty or stopped). */
const bootstrappedOrNone = (w: World, node: string) => {
  const reg = w.nodes[node]?.registries.cf;
  const state = maintainerOf(w, node);
  return !!reg && ((reg.context as { initialized: boolean }).initialized || state === undefined || state === 'Stopped');
};

/** The parsed configuration of an entry. */
export const catalogueConfig = (e: CatalogueEntry): CheckConfig => parseCheckConfig(e.file);

/** The variants of this half that the cluster model cannot show, and why (see the report). */
export const notExpressibleOnCluster: Array<{ variant: string; reason: string }> = [
  {
    variant: 'B12',
    reason:
      'the cluster model has no table dispatchers: the dispatcher manager stores an operator only for a create (never sent) or for a remove of a dispatcher in its map (never added: the glue does not route dm.createDispatcher), so no stale create exists to restore; caught at machine level by the generated path tests',
  },
  {
    variant: 'B15',
    reason:
      "the CLEANUP tick reads the slot's generation and deletes in one step (cluster/node.ts `tick`), so the race between the Range and the delete cannot happen; needs the tick split into a Range step that records the generation it saw and a later delete step; caught at machine level",
  },
  {
    variant: 'B18',
    reason:
      'the epoch-0 ack goes to the coordinator: without a composed coordinator the world drops it, and with one a remove reaches a missing maintainer only after a move or stop completed (beyond a test-sized search); caught at machine level',
  },
  {
    variant: 'B25',
    reason:
      "quiesce is the maintainer's dispatcher-operator controller (machines/quiesce.ts, §2.8); the cluster model has no table dispatchers or maintainer-side operators, so nothing in the world steps it; caught at machine level",
  },
];
