/**
 * Test models of the receiver-side machines (§2.5.4, §2.7, §2.8).
 *
 * Epochs are fixed values (0, 4, 5, 6 and 2^64−1 for maintainers; 0–3 for dispatcher managers and
 * drain targets) so that from any current value there is an older, the same and a newer one.
 * Nodes: the coordinator `coord`, this node `n1`, a peer `n2`, and a stranger.
 * The registry's search key drops the maintainer generation: the only guard that reads it compares
 * it with the event, and the domain offers the current generation and the one before.
 */
import { dmAllow, MAX_UINT64, match, strictAllow, type Uint64 } from '../machines/epoch.js';
import { maintainerRegistryMachine, type MaintainerRegistryContext } from '../machines/maintainerRegistry.js';
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

const MT_EPOCHS: Uint64[] = [0n, 4n, 5n, 6n, MAX_UINT64];
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
  inputs: [{ label: 'node', input: { changefeedId: 'cf', node: 'n1', coordinatorId: 'coord', aliveNodes: ['n1', 'n2'] } }],
  events: (snapshot) => {
    const c = snapshot.context as MaintainerRegistryContext;
    return [
      ...[0n, 5n, 6n, MAX_UINT64].map((e) => ({ type: 'ADD_MAINTAINER', from: 'coord', maintainerEpoch: e, configEpoch: 3n, checkpointTs: 100n, configValid: true })),
      { type: 'ADD_MAINTAINER', from: 'coord', maintainerEpoch: 6n, configEpoch: 6n, checkpointTs: 0n, configValid: true },
      { type: 'ADD_MAINTAINER', from: 'coord', maintainerEpoch: 6n, configEpoch: 6n, checkpointTs: 100n, configValid: false },
      { type: 'ADD_MAINTAINER', from: 'stranger', maintainerEpoch: 6n, configEpoch: 6n, checkpointTs: 100n, configValid: true },
      ...[0n, 4n, 5n, 6n].flatMap((e) =>
        [
          [false, false],
          [true, false],
          [true, true],
        ].map(([cascade, removed]) => ({ type: 'REMOVE_MAINTAINER', from: 'coord', maintainerEpoch: e, cascade, removed })),
      ),
      { type: 'REMOVE_MAINTAINER', from: 'stranger', maintainerEpoch: 5n, cascade: true, removed: true },
      ...[0n, 5n, 6n].map((e) => ({ type: 'BOOTSTRAP_RESPONSE', from: 'n1', maintainerEpoch: e })),
      ...[4n, 5n].map((e) => ({ type: 'POST_BOOTSTRAP_RESPONSE', from: 'n1', maintainerEpoch: e })),
      ...['n1', 'n2'].flatMap((from) =>
        [4n, 5n].flatMap((e) => [true, false].map((success) => ({ type: 'CLOSE_RESPONSE', from, maintainerEpoch: e, success }))),
      ),
      { type: 'DDL_SPAN_STOPPED' },
      { type: 'RESEND' },
      { type: 'BLOCK_STATUS', dispatcher: 't1' },
      { type: 'DISPATCHER_STATUS', dispatcher: 't1', state: 'Stopped', hasOperator: false },
      { type: 'DISPATCHER_STATUS', dispatcher: 't1', state: 'Working', hasOperator: true },
      { type: 'NODE_REMOVED', node: 'n2' },
      { type: 'LIVENESS', liveness: 'Stopping' },
      { type: 'CLEANUP', generation: c.generation },
      { type: 'CLEANUP', generation: c.generation - 1 },
    ];
  },
  abstract: (s) => ({ value: s.value, context: { ...regCtx(s), generation: 0 } }),
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
      name: 'a Stopping node constructs no maintainer for an add (I16), and a stranger constructs none',
      holds: (s) =>
        !(ev(s).type === 'ADD_MAINTAINER' && (regCtx(s.prev).nodeStopping || ev(s).from !== 'coord')) ||
        effectsOf(s.effects, 'maintainer.created').length === 0,
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
    { label: 'fresh', input: { changefeedId: 'cf', node: 'n2', spans: ['d1'] } },
    { label: 'tombstoned', input: { changefeedId: 'cf', node: 'n2', spans: ['d1'], tombstone: 1n } },
  ],
  events: () => [
    ...['m1', 'm2'].flatMap((from) =>
      [0n, 1n, 2n, 3n].flatMap((e) => [null, 'a', 'b'].map((triggerId) => ({ type: 'BOOTSTRAP', from, maintainerEpoch: e, triggerId }))),
    ),
    ...['m1', 'm2'].flatMap((from) =>
      DM_EPOCHS.flatMap((e) => [
        { type: 'REQUEST', from, maintainerEpoch: e, dispatcher: 'd1', kind: 'remove' },
        { type: 'REQUEST', from, maintainerEpoch: e, dispatcher: 'd2', kind: 'create' },
      ]),
    ),
    ...['m1', 'm2'].flatMap((from) =>
      DM_EPOCHS.flatMap((e) =>
        [false, true].flatMap((removed) => [false, true].map((drained) => ({ type: 'CLOSE', from, maintainerEpoch: e, removed, drained }))),
      ),
    ),
  ],
  properties: [
    {
      name: 'the owner epoch never decreases and never returns to 0 while the manager lives (I10)',
      holds: (s) =>
        !(s.prev.value === 'Active' && s.next.value === 'Active') ||
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
        if (s.prev.value !== 'Active' || (ev(s).type !== 'REQUEST' && ev(s).type !== 'CLOSE')) return true;
        const c = dmCtx(s.prev);
        if (dmAllow(ev(s).from as string, ev(s).maintainerEpoch as Uint64, c.owner, c.ownerEpoch)) return true;
        return s.next.value === 'Active' && same(dmCtx(s.next).operators, c.operators) && dmCtx(s.next).tombstone === c.tombstone;
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
  inputs: [{ label: 'node', input: { coordinatorId: 'coord', coordinatorVersion: 1n } }],
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
        if (ev(s).from !== dtCtx(s.prev).coordinatorId) return acks.length === 0;
        return acks.length === 1 && acks[0]!.target === dtCtx(s.next).target && acks[0]!.epoch === dtCtx(s.next).epoch;
      },
    },
  ],
};
