/**
 * Test models of the receiver-side machines (§2.5.4, §2.7, §2.8).
 *
 * Epochs are fixed values (0, 4, 5, 6 and 2^64−1 for maintainers; 0–3 for dispatcher managers and
 * drain targets) so that from any current value there is an older, the same and a newer one.
 * Nodes: the coordinator `coord` (and `coord2`, which takes over after a failover), this node `n1`, a
 * peer `n2`, a node `n3` that joins later, and a stranger.
 * The registry's search key drops the maintainer generation: the only guard that reads it compares
 * it with the event, and the domain offers the current generation and the one before.
 */
import { dmAllow, MAX_UINT64, match, strictAllow, type Uint64 } from '../machines/epoch.js';
import { ddlSpanId, maintainerRegistryMachine, type MaintainerRegistryContext } from '../machines/maintainerRegistry.js';
import { dispatcherManagerMachine, type DispatcherManagerContext } from '../machines/dispatcherManager.js';
import { dispatcherQueueMachine, type DispatcherQueueContext } from '../machines/dispatcherQueue.js';
import { quiesceMachine, type QuiesceContext } from '../machines/quiesce.js';
import { nodeDrainTargetMachine, type NodeDrainTargetContext } from '../machines/nodeDrainTarget.js';
import { stableStringify } from '../graph/serialize.js';
import type { MachineModel, Step } from '../graph/model.js';
import { effectsOf } from './domain.js';

const ev = (s: Step) => s.event as Record<string, unknown>;
const same = (a: unknown, b: unknown) => stableStringify(a) === stableStringify(b);

// ---------------------------------------------------------------------------------------------

const regCtx = (s: Step['prev']) => s.context as MaintainerRegistryContext;

export const maintainerRegistryModel: MachineModel = {
  name: 'maintainerRegistry',
  machine: maintainerRegistryMachine,
  spec: '§2.7.1–§2.7.2',
  summary:
    "One changefeed's slot in a node's maintainer manager. Adds are admitted only from the coordinator, never while " +
    'the node is Stopping, and never over a live maintainer: only a fully stopped one is replaced, by a strictly newer ' +
    'epoch (I5, B14). Removes need the current epoch or the wildcard (I9); a remove before bootstrap is ignored (B26); ' +
    'an accepted remove quiesces the maintainer and closes it, cascade-closing dispatcher managers on every alive node. ' +
    'Cleanup never deletes a replacement (B15).',
  // The node starts unbootstrapped: a version-0 coordinator bootstrap adopts without bootstrapping,
  // version 1 bootstraps, and `coord2` (version 2) takes over as after a failover.
  inputs: [{ label: 'unbootstrapped node', input: { changefeedId: 'cf', node: 'n1', coordinatorId: '', aliveNodes: ['n1', 'n2'] } }],
  // Root-level events (coordinator adoption, liveness) are offered only in Empty, where they take
  // their transition and set what later guards read; senders are the adopted coordinator and a
  // stranger, so a failover to `coord2` is explored without doubling every request.
  events: (snapshot) => {
    const c = snapshot.context as MaintainerRegistryContext;
    const empty = snapshot.value === 'Empty';
    const coord = c.coordinatorId === '' ? 'coord' : c.coordinatorId;
    return [
      ...(empty
        ? [
            ...[0n, 1n].map((version) => ({ type: 'COORDINATOR_BOOTSTRAP', from: 'coord', version })),
            { type: 'COORDINATOR_BOOTSTRAP', from: 'coord2', version: 2n },
            { type: 'LIVENESS', liveness: 'Stopping' },
          ]
        : []),
      ...[0n, 5n, MAX_UINT64].map((e) => ({ type: 'ADD_MAINTAINER', from: coord, maintainerEpoch: e, configEpoch: 3n, checkpointTs: 100n, configValid: true })),
      { type: 'ADD_MAINTAINER', from: coord, maintainerEpoch: 6n, configEpoch: 6n, checkpointTs: 0n, configValid: true },
      { type: 'ADD_MAINTAINER', from: coord, maintainerEpoch: 6n, configEpoch: 6n, checkpointTs: 100n, configValid: false },
      { type: 'ADD_MAINTAINER', from: 'stranger', maintainerEpoch: 6n, configEpoch: 6n, checkpointTs: 100n, configValid: true },
      ...[0n, 4n, 5n].flatMap((e) =>
        [
          [false, false],
          [false, true],
          [true, false],
          [true, true],
        ].map(([cascade, removed]) => ({ type: 'REMOVE_MAINTAINER', from: coord, maintainerEpoch: e, cascade, removed })),
      ),
      { type: 'REMOVE_MAINTAINER', from: 'stranger', maintainerEpoch: 5n, cascade: true, removed: true },
      ...['n1', 'n2'].flatMap((from) => [0n, 4n, 5n].map((e) => ({ type: 'BOOTSTRAP_RESPONSE', from, maintainerEpoch: e, error: false }))),
      { type: 'BOOTSTRAP_RESPONSE', from: 'n3', maintainerEpoch: c.epoch, error: false },
      { type: 'BOOTSTRAP_RESPONSE', from: 'n2', maintainerEpoch: 5n, error: true },
      ...[4n, 5n].map((e) => ({ type: 'POST_BOOTSTRAP_RESPONSE', from: 'n1', maintainerEpoch: e, error: false })),
      { type: 'POST_BOOTSTRAP_RESPONSE', from: 'n1', maintainerEpoch: 5n, error: true },
      ...['n1', 'n2'].flatMap((from) =>
        [4n, 5n].flatMap((e) => [true, false].map((success) => ({ type: 'CLOSE_RESPONSE', from, maintainerEpoch: e, success }))),
      ),
      { type: 'RESEND' },
      { type: 'HEARTBEAT' },
      { type: 'BLOCK_STATUS', dispatcher: 't1' },
      ...(['Stopped', 'Working'] as const).map((state) => ({ type: 'DISPATCHER_STATUS', dispatcher: ddlSpanId(c), state, hasOperator: true })),
      { type: 'DISPATCHER_STATUS', dispatcher: 't1', state: 'Stopped', hasOperator: false },
      { type: 'DISPATCHER_STATUS', dispatcher: 't1', state: 'Working', hasOperator: true },
      // Membership takes four shapes: {n1,n2} grows to {n1,n2,n3}, or shrinks to {n1}, then to {} when
      // this node leaves its own view (its session expired), so that a cascade close needs nobody.
      ...(c.aliveNodes.length === 2 ? [{ type: 'NODE_ADDED', node: 'n3' }, { type: 'NODE_REMOVED', node: 'n2' }] : []),
      ...(same(c.aliveNodes, ['n1']) ? [{ type: 'NODE_REMOVED', node: 'n1' }] : []),
      { type: 'CLEANUP', generation: c.generation },
      { type: 'CLEANUP', generation: c.generation - 1 },
    ];
  },
  // The search key keeps what guards read. Dropped: the generation (see above), what only shapes an
  // effect's payload (running error, pending post-bootstrap, removal flag, remove-only), and the
  // coordinator's name and version beyond "bootstrapped or not" (requests come from whoever is
  // adopted, and adoption is offered only in Empty).
  abstract: (s) => {
    const c = regCtx(s);
    return {
      value: s.value,
      context: {
        ...c,
        generation: 0,
        runningError: false,
        postBootstrapPending: false,
        changefeedRemoved: false,
        removeOnly: false,
        coordinatorId: c.coordinatorId === '' ? '' : 'coord',
        coordinatorVersion: c.coordinatorVersion === 0n ? 0n : 1n,
      },
    };
  },
  properties: [
    {
      name: 'a maintainer is constructed only into an empty slot or over a fully stopped one with a strictly newer epoch (I5, B14)',
      holds: (s) =>
        effectsOf(s.effects, 'maintainer.created').every((m) => {
          const before = regCtx(s.prev);
          if (s.prev.value === 'Empty') return true;
          const stopped = same(s.prev.value, { Maintainer: 'Stopped' });
          const e = m.maintainerEpoch as Uint64;
          return stopped && e !== 0n && (before.epoch === 0n || e > before.epoch);
        }),
    },
    {
      name: 'a remove with an epoch strictAllow refuses changes nothing (I9)',
      holds: (s) =>
        !(ev(s).type === 'REMOVE_MAINTAINER' && s.prev.value !== 'Empty' && !strictAllow(ev(s).maintainerEpoch as Uint64, regCtx(s.prev).epoch)) ||
        (same(s.prev.value, s.next.value) && s.prev.context === s.next.context && s.effects.length === 0),
    },
    {
      name: 'a Stopping node constructs no maintainer for an add (I16), nor does an add from other than a coordinator with version > 0 (§2.6.3)',
      holds: (s) =>
        !(
          ev(s).type === 'ADD_MAINTAINER' &&
          (regCtx(s.prev).nodeStopping || ev(s).from !== regCtx(s.prev).coordinatorId || regCtx(s.prev).coordinatorVersion === 0n)
        ) || effectsOf(s.effects, 'maintainer.created').length === 0,
    },
    {
      name: 'an error in a bootstrap or post-bootstrap response is no answer: the bootstrap does not progress, the error is recorded (§2.7.2)',
      holds: (s) =>
        !((ev(s).type === 'BOOTSTRAP_RESPONSE' || ev(s).type === 'POST_BOOTSTRAP_RESPONSE') && ev(s).error === true) ||
        (same(s.prev.value, s.next.value) &&
          same(regCtx(s.prev).bootstrapResponded, regCtx(s.next).bootstrapResponded) &&
          regCtx(s.prev).postBootstrapPending === regCtx(s.next).postBootstrapPending &&
          // A stopped maintainer handles no event; a live one with a matching epoch records the error.
          (match(ev(s).maintainerEpoch as Uint64, regCtx(s.prev).epoch) && s.prev.value !== 'Empty' && !same(s.prev.value, { Maintainer: 'Stopped' })
            ? regCtx(s.next).runningError
            : true)),
    },
    {
      name: 'a status reports the running errors recorded since the last one, once',
      holds: (s) =>
        effectsOf(s.effects, 'MaintainerStatus')
          .filter(() => ev(s).type === 'HEARTBEAT')
          .every((m) => m.error === regCtx(s.prev).runningError && !regCtx(s.next).runningError),
    },
    {
      name: 'the adopted coordinator never goes back to an older bootstrap version (§2.6.3)',
      holds: (s) => regCtx(s.next).coordinatorVersion >= regCtx(s.prev).coordinatorVersion,
    },
    {
      name: 'the Stopped reply for a missing maintainer echoes the request epoch (B18)',
      holds: (s) =>
        !(s.prev.value === 'Empty' && ev(s).type === 'REMOVE_MAINTAINER') ||
        effectsOf(s.effects, 'MaintainerStatus').every((m) => m.maintainerEpoch === ev(s).maintainerEpoch),
    },
    {
      name: 'close responses change nothing unless removing (B16), and count only with a matching epoch',
      holds: (s) => {
        if (ev(s).type !== 'CLOSE_RESPONSE') return true;
        const removing = same(s.prev.value, { Maintainer: 'Removing' });
        const counts = removing && ev(s).success === true && match(ev(s).maintainerEpoch as Uint64, regCtx(s.prev).epoch);
        return counts || (same(s.prev.value, s.next.value) && s.prev.context === s.next.context);
      },
    },
    {
      name: 'cleanup deletes only the maintainer it saw (B15)',
      holds: (s) => !(ev(s).type === 'CLEANUP' && s.next.value === 'Empty' && s.prev.value !== 'Empty') || ev(s).generation === regCtx(s.prev).generation,
    },
    {
      name: 'every close request carries the maintainer epoch and goes to an alive node not yet closed',
      holds: (s) =>
        effectsOf(s.effects, 'MaintainerCloseRequest').every(
          (m) => m.maintainerEpoch === regCtx(s.next).epoch && regCtx(s.next).aliveNodes.includes(m.to as string) && !regCtx(s.next).closedNodes.includes(m.to as string),
        ),
    },
  ],
};

// ---------------------------------------------------------------------------------------------

const DM_EPOCHS: Uint64[] = [0n, 1n, 2n];
const dmCtx = (s: Step['prev']) => s.context as DispatcherManagerContext;

export const dispatcherManagerModel: MachineModel = {
  name: 'dispatcherManager',
  machine: dispatcherManagerMachine,
  spec: '§2.7.3',
  summary:
    "A changefeed's dispatcher manager on one node, as its orchestrator sees it. Its owner epoch never decreases and " +
    'never returns to 0 (I10); requests are admitted only from the exact owner (`dmAllow`); a tombstone left by a close ' +
    'refuses older or epoch-0 bootstraps (I11); a superseded close is acked without closing; a bootstrap restores only ' +
    "the new owner's operators and stale removes still in the snapshot (B12).",
  inputs: [
    { label: 'fresh', input: { changefeedId: 'cf', node: 'n2' } },
    { label: 'tombstoned', input: { changefeedId: 'cf', node: 'n2', tombstone: 1n } },
  ],
  // Senders: the first owner m1 (epochs 0 and 1) and a new owner m2 (epoch 2; epoch 1 is a same-epoch
  // different sender, 3 a later one). Requests name two dispatchers so that one's operator can be
  // checked to survive a request for the other.
  events: () => [
    ...[0n, 1n].flatMap((e) => [null, 'a', 'b'].map((triggerId) => ({ type: 'BOOTSTRAP', from: 'm1', maintainerEpoch: e, triggerId }))),
    ...[1n, 2n].flatMap((e) => [null, 'b'].map((triggerId) => ({ type: 'BOOTSTRAP', from: 'm2', maintainerEpoch: e, triggerId }))),
    { type: 'BOOTSTRAP', from: 'm2', maintainerEpoch: 3n, triggerId: 'a' },
    ...[null, 'a', 'b'].map((triggerId) => ({ type: 'POST_BOOTSTRAP', from: 'm1', maintainerEpoch: 1n, triggerId, writePathClosed: false })),
    { type: 'POST_BOOTSTRAP', from: 'm1', maintainerEpoch: 1n, triggerId: 'a', writePathClosed: true },
    { type: 'POST_BOOTSTRAP', from: 'm2', maintainerEpoch: 2n, triggerId: 'b', writePathClosed: false },
    { type: 'REQUEST', from: 'm1', maintainerEpoch: 0n, dispatcher: 'd1', kind: 'remove' },
    ...(['d1', 'd2'] as const).flatMap((dispatcher) => [
      { type: 'REQUEST', from: 'm1', maintainerEpoch: 1n, dispatcher, kind: dispatcher === 'd1' ? 'remove' : 'create' },
      { type: 'REQUEST', from: 'm2', maintainerEpoch: 2n, dispatcher, kind: 'create' },
    ]),
    { type: 'REQUEST', from: 'm2', maintainerEpoch: 2n, dispatcher: 'd1', kind: 'remove' },
    ...['d1', 'd2'].flatMap((dispatcher) => [
      { type: 'DISPATCHER_CREATED', dispatcher },
      { type: 'DISPATCHER_REMOVED', dispatcher },
      { type: 'REMOVE_CLEANED', dispatcher },
    ]),
    { type: 'CLOSE_FINISHED' },
    ...[
      ['m1', 0n],
      ['m1', 1n],
      ['m2', 2n],
    ].flatMap(([from, e]) => [false, true].map((removed) => ({ type: 'CLOSE', from, maintainerEpoch: e, removed }))),
  ],
  properties: [
    {
      name: 'the owner epoch never decreases and never returns to 0 while the manager lives (I10)',
      holds: (s) =>
        !(s.prev.value !== 'Absent' && s.next.value !== 'Absent') ||
        (dmCtx(s.next).ownerEpoch >= dmCtx(s.prev).ownerEpoch && !(dmCtx(s.prev).ownerEpoch !== 0n && dmCtx(s.next).ownerEpoch === 0n)),
    },
    {
      name: 'a tombstone refuses every bootstrap with epoch 0 or at or below it (I11)',
      holds: (s) => {
        const t = dmCtx(s.prev).tombstone;
        const e = ev(s).maintainerEpoch as Uint64;
        return !(s.prev.value === 'Absent' && ev(s).type === 'BOOTSTRAP' && t !== null && (e === 0n || e <= t)) || s.next.value === 'Absent';
      },
    },
    {
      name: 'a request or close that dmAllow refuses never changes the operators and never closes (I10)',
      holds: (s) => {
        if (s.prev.value === 'Absent' || (ev(s).type !== 'REQUEST' && ev(s).type !== 'CLOSE')) return true;
        const c = dmCtx(s.prev);
        if (dmAllow(ev(s).from as string, ev(s).maintainerEpoch as Uint64, c.owner, c.ownerEpoch)) return true;
        return same(s.next.value, s.prev.value) && same(dmCtx(s.next).operators, c.operators) && dmCtx(s.next).tombstone === c.tombstone;
      },
    },
    {
      name: "a bootstrap response restores only the new owner's operators and stale removes in the snapshot (B12)",
      holds: (s) =>
        effectsOf(s.effects, 'MaintainerBootstrapResponse').every((r) =>
          (r.operators as Array<{ dispatcher: string; kind: string; owner: string; ownerEpoch: Uint64 }>).every(
            (op) =>
              dmAllow(op.owner, op.ownerEpoch, dmCtx(s.next).owner, dmCtx(s.next).ownerEpoch) ||
              (op.kind === 'remove' && dmCtx(s.next).spans.includes(op.dispatcher)),
          ),
        ),
    },
    {
      name: 'an error reply carries the request epoch, so the maintainer that asked sees it (§2.7.3)',
      holds: (s) =>
        [...effectsOf(s.effects, 'MaintainerBootstrapResponse'), ...effectsOf(s.effects, 'MaintainerPostBootstrapResponse')]
          .filter((r) => r.error !== null)
          .every((r) => r.maintainerEpoch === ev(s).maintainerEpoch),
    },
    {
      name: 'a request changes only the operator of the dispatcher it names (§2.7.3)',
      holds: (s) => {
        if (ev(s).type !== 'REQUEST' || s.next.value === 'Absent') return true;
        const others = (c: DispatcherManagerContext) => c.operators.filter((op) => op.dispatcher !== ev(s).dispatcher);
        return same(others(dmCtx(s.prev)), others(dmCtx(s.next)));
      },
    },
    {
      name: 'every close gets an answer echoing its epoch',
      holds: (s) =>
        ev(s).type !== 'CLOSE' ||
        (effectsOf(s.effects, 'MaintainerCloseResponse').length === 1 &&
          effectsOf(s.effects, 'MaintainerCloseResponse')[0]!.maintainerEpoch === ev(s).maintainerEpoch),
    },
  ],
};

// ---------------------------------------------------------------------------------------------

export const dispatcherQueueModel: MachineModel = {
  name: 'dispatcherQueue',
  machine: dispatcherQueueMachine,
  spec: '§2.7.3 (TryEnqueue)',
  summary:
    "The orchestrator's pending slot for one (changefeed, message type): at most one message waits; a newcomer " +
    'replaces it only with a higher epoch, or as a removing close over a non-removing one at an epoch at least as high.',
  inputs: [{ label: 'slot', input: undefined }],
  events: () => [
    ...[1n, 2n].map((e) => ({ type: 'ENQUEUE', message: { type: 'bootstrap', from: 'm', maintainerEpoch: e } })),
    ...[1n, 2n].flatMap((e) => [false, true].map((removed) => ({ type: 'ENQUEUE', message: { type: 'close', from: 'm', maintainerEpoch: e, removed } }))),
    { type: 'POP' },
  ],
  properties: [
    {
      name: 'a queued message is replaced only by a higher epoch, or a removing close at an epoch at least as high',
      holds: (s) => {
        const a = (s.prev.context as DispatcherQueueContext).queued;
        const b = (s.next.context as DispatcherQueueContext).queued;
        if (!a || !b || ev(s).type === 'POP' || same(a, b)) return true;
        return b.maintainerEpoch > a.maintainerEpoch || (b.removed === true && a.removed !== true && b.maintainerEpoch >= a.maintainerEpoch);
      },
    },
    {
      name: 'every enqueue either queues its message or drops exactly one message',
      holds: (s) =>
        ev(s).type !== 'ENQUEUE' ||
        same((s.next.context as DispatcherQueueContext).queued, ev(s).message) ||
        effectsOf(s.effects, 'queue.dropped').length === 1,
    },
  ],
};

// ---------------------------------------------------------------------------------------------

const qCtx = (s: Step['prev']) => s.context as QuiesceContext;

export const quiesceModel: MachineModel = {
  name: 'quiesce',
  machine: quiesceMachine,
  spec: '§2.8',
  summary:
    "The maintainer's dispatcher-operator controller during the remove handoff. Once quiescing, only the allowed " +
    'operators (the DDL-trigger close) are admitted, checked and scheduled; the others leave the run queue but stay in ' +
    'the operator map, so they keep holding back the checkpoint (I21, B25); node removal does nothing.',
  inputs: [{ label: 'controller', input: undefined }],
  events: () => [
    ...['ddl', 't1'].flatMap((id) => [
      { type: 'ADD_OPERATOR', id, checkpointTs: id === 'ddl' ? 50n : 10n },
      { type: 'STATUS', id },
      { type: 'POLL', id },
      { type: 'OPERATOR_FINISHED', id },
    ]),
    { type: 'NODE_REMOVED', node: 'n2' },
    { type: 'QUIESCE_EXCEPT', allowed: ['ddl', ''] },
  ],
  properties: [
    {
      name: 'while quiescing, no operator outside the allowed set is started, checked or scheduled (I21)',
      holds: (s) =>
        s.prev.value !== 'Quiescing' ||
        s.effects.every(
          (e) => !['operator.started', 'operator.checked', 'operator.scheduled'].includes(e.type) || qCtx(s.prev).allowed.includes(e.id as string),
        ),
    },
    {
      name: 'while quiescing, a frozen operator stays in the operator map (B25)',
      holds: (s) =>
        s.prev.value !== 'Quiescing' ||
        Object.keys(qCtx(s.prev).operators)
          .filter((id) => !qCtx(s.prev).allowed.includes(id))
          .every((id) => id in qCtx(s.next).operators),
    },
    {
      name: 'while quiescing, node removal has no effect',
      holds: (s) => !(s.prev.value === 'Quiescing' && ev(s).type === 'NODE_REMOVED') || (s.effects.length === 0 && s.prev.context === s.next.context),
    },
    { name: 'quiesce is terminal', holds: (s) => s.prev.value !== 'Quiescing' || s.next.value === 'Quiescing' },
  ],
};

// ---------------------------------------------------------------------------------------------

const dtCtx = (s: Step['prev']) => s.context as NodeDrainTargetContext;

export const nodeDrainTargetModel: MachineModel = {
  name: 'nodeDrainTarget',
  machine: nodeDrainTargetMachine,
  spec: '§2.5.4, §2.6.3',
  summary:
    "A node's copy of the cluster-wide dispatcher drain target. A lower epoch is rejected, at the same epoch only the " +
    'clear (non-empty → empty) is accepted, a higher epoch wins; every request from the coordinator is acknowledged by ' +
    'a heartbeat reporting what the node now holds, and a coordinator bootstrap is answered with it.',
  inputs: [
    { label: 'node', input: { coordinatorId: 'coord', coordinatorVersion: 1n } },
    { label: 'version-0 coordinator', input: { coordinatorId: 'coord', coordinatorVersion: 0n } },
  ],
  events: () => [
    ...['coord', 'coord2'].flatMap((from) =>
      ['', 'n2', 'n3'].flatMap((target) => [0n, 1n, 2n].map((epoch) => ({ type: 'SET_DISPATCHER_DRAIN_TARGET', from, target, epoch }))),
    ),
    ...['coord', 'coord2'].flatMap((from) => [0n, 1n, 2n].map((version) => ({ type: 'COORDINATOR_BOOTSTRAP', from, version }))),
  ],
  properties: [
    {
      name: 'the drain epoch never decreases, and at the same epoch the target changes only by the clear',
      holds: (s) => {
        const a = dtCtx(s.prev);
        const b = dtCtx(s.next);
        return b.epoch > a.epoch || (b.epoch === a.epoch && (b.target === a.target || (a.target !== '' && b.target === '')));
      },
    },
    {
      name: 'every request from the coordinator is acknowledged with the current target, others get nothing',
      holds: (s) => {
        if (ev(s).type !== 'SET_DISPATCHER_DRAIN_TARGET') return true;
        const acks = effectsOf(s.effects, 'NodeDrainHeartbeat');
        // No node heartbeat (the ack) before a coordinator with version > 0 bootstrapped the node (§2.6.3).
        if (ev(s).from !== dtCtx(s.prev).coordinatorId || dtCtx(s.prev).coordinatorVersion === 0n) return acks.length === 0;
        return acks.length === 1 && acks[0]!.target === dtCtx(s.next).target && acks[0]!.epoch === dtCtx(s.next).epoch;
      },
    },
  ],
};
