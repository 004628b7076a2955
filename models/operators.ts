/**
 * Test models of the coordinator-side operators (spec §2.1–§2.3): add, move and stop.
 *
 * Domain: statuses from every node role, Working/Stopped, with and without BootstrapDone, at the
 * epochs around the operator's own (0, older, current, newer, 2^64−1); NODE_REMOVED for every
 * role; TASK_REMOVED, SCHEDULE and POST_FINISH. No abstraction: the contexts are finite.
 */
import { match, type Uint64 } from '../machines/epoch.js';
import { addMaintainerMachine } from '../machines/addMaintainer.js';
import { moveMaintainerMachine } from '../machines/moveMaintainer.js';
import { stopChangefeedMachine } from '../machines/stopChangefeed.js';
import type { MachineModel, Step } from '../graph/model.js';
import { COORD, DEST, NODES, ORIGIN, effectsOf, epochsAround, nodeRemovedEvents, statusEvents } from './domain.js';

const CONTROL = [{ type: 'SCHEDULE' }, { type: 'TASK_REMOVED' }, { type: 'POST_FINISH' }] as const;

function operatorDomain(epochs: Uint64[]) {
  const events = [...statusEvents(NODES, epochs), ...nodeRemovedEvents(NODES), ...CONTROL];
  return () => events.map((e) => ({ ...e }));
}

type Ctx = Record<string, unknown>;
const ctx = (s: Step['prev']) => s.context as Ctx;
const ev = (s: Step) => s.event as Record<string, unknown>;
const isSuccessStatus = (s: Step, from: unknown, epoch: Uint64) =>
  ev(s).type === 'STATUS' &&
  ev(s).from === from &&
  match(ev(s).maintainerEpoch as Uint64, epoch) &&
  ev(s).state === 'Working' &&
  ev(s).bootstrapDone === true;

const ADD_EPOCH = 5n;

export const addMaintainerModel: MachineModel = {
  name: 'addMaintainer',
  machine: addMaintainerMachine,
  spec: '§2.1',
  summary:
    'The coordinator adds a maintainer for an Absent changefeed on a destination node. It binds the changefeed to the ' +
    'destination, resends AddMaintainer every poll, and succeeds only on a Working + BootstrapDone status from the ' +
    'destination with a matching epoch. Removal of the destination overrides success (I22); PostFinish marks the ' +
    'changefeed Replicating, Absent, or leaves it to the stop, by outcome.',
  inputs: [{ label: 'add', input: { changefeedId: 'cf', dest: DEST, maintainerEpoch: ADD_EPOCH, checkpointTs: 100n, isNew: true } }],
  events: operatorDomain(epochsAround(ADD_EPOCH)),
  properties: [
    {
      name: 'AddMaintainerRequest is sent only while Sending, to dest, with the operator epoch',
      holds: (s) =>
        effectsOf(s.effects, 'AddMaintainerRequest').every(
          (m) => s.prev.value === 'Sending' && m.to === ctx(s.prev).dest && m.maintainerEpoch === ctx(s.prev).maintainerEpoch,
        ),
    },
    {
      name: 'the add never succeeds on a status from another node, a mismatched non-zero epoch, or without BootstrapDone',
      holds: (s) =>
        !(s.prev.value !== 'Succeeded' && s.next.value === 'Succeeded') || isSuccessStatus(s, DEST, ADD_EPOCH),
    },
    {
      name: 'removal of dest before PostFinish always cancels with NodeRemoved (I22)',
      holds: (s) =>
        !(ev(s).type === 'NODE_REMOVED' && ev(s).node === DEST && s.prev.status === 'active') ||
        s.next.value === 'CanceledNodeRemoved',
    },
    {
      name: 'PostFinish marks Replicating only after success, Absent only after node removal',
      holds: (s) =>
        effectsOf(s.effects, 'db.markMaintainerReplicating').every(() => s.prev.value === 'Succeeded') &&
        effectsOf(s.effects, 'db.markMaintainerAbsent').every(() => s.prev.value === 'CanceledNodeRemoved'),
    },
  ],
};

const ORIGIN_EPOCH = 5n;
const MOVE_EPOCH = 6n;

export const moveMaintainerModel: MachineModel = {
  name: 'moveMaintainer',
  machine: moveMaintainerMachine,
  spec: '§2.2',
  summary:
    'An origin-first handoff of a changefeed from one node to another (balance and drain moves). The move keeps ' +
    'sending a non-cascade remove with the epoch the origin owns until the origin is seen stopped or gone, binds the ' +
    'target on the next poll and only then sends AddMaintainer with the freshly bumped epoch (I6, I23). If the ' +
    'destination dies it falls back to the origin while that is still safe, and otherwise finishes Absent so the ' +
    'scheduler retries with a new epoch (B6, B7, I22).',
  inputs: [
    {
      label: 'move',
      input: { changefeedId: 'cf', origin: ORIGIN, dest: DEST, originEpoch: ORIGIN_EPOCH, maintainerEpoch: MOVE_EPOCH, checkpointTs: 100n },
    },
  ],
  events: operatorDomain([0n, ORIGIN_EPOCH - 1n, ORIGIN_EPOCH, MOVE_EPOCH, MOVE_EPOCH + 1n, 2n ** 64n - 1n]),
  properties: [
    {
      name: 'AddMaintainerRequest is sent only into AddTarget, after the origin stopped or left (I6), with the new epoch',
      holds: (s) =>
        effectsOf(s.effects, 'AddMaintainerRequest').every(
          (m) =>
            (s.prev.value === 'OriginStopped' || s.prev.value === 'AddTarget') &&
            s.next.value === 'AddTarget' &&
            m.to === ctx(s.next).target &&
            m.maintainerEpoch === MOVE_EPOCH,
        ),
    },
    {
      name: 'every RemoveMaintainerRequest goes to the origin with originEpoch, non-cascade (I23)',
      holds: (s) =>
        effectsOf(s.effects, 'RemoveMaintainerRequest').every(
          (m) => m.to === ORIGIN && m.maintainerEpoch === ORIGIN_EPOCH && m.cascade === false && m.removed === false,
        ),
    },
    {
      name: 'the origin counts as stopped only on a non-Working status from it with a matching epoch, or its removal',
      holds: (s) =>
        !(s.prev.value === 'RemoveOrigin' && s.next.value === 'OriginStopped') ||
        (ev(s).type === 'NODE_REMOVED' && ev(s).node === ORIGIN) ||
        (ev(s).type === 'STATUS' &&
          ev(s).from === ORIGIN &&
          ev(s).state !== 'Working' &&
          match(ev(s).maintainerEpoch as Uint64, ORIGIN_EPOCH)),
    },
    {
      name: 'the move never succeeds on a status from another node, a mismatched non-zero epoch, or without BootstrapDone',
      holds: (s) =>
        !(s.prev.value !== 'DoneSuccess' && s.next.value === 'DoneSuccess') ||
        isSuccessStatus(s, ctx(s.prev).target, MOVE_EPOCH),
    },
    {
      name: 'target removed after the add started ends Absent, never rebinds (B6, I22)',
      holds: (s) =>
        !(
          (s.prev.value === 'AddTarget' || s.prev.value === 'DoneSuccess') &&
          ev(s).type === 'NODE_REMOVED' &&
          ev(s).node === ctx(s.prev).target
        ) ||
        (s.next.value === 'DoneNoPostFinish' && effectsOf(s.effects, 'db.markMaintainerAbsent').length === 1),
    },
    {
      name: 'the target is bound only from origin, and only when leaving OriginStopped',
      holds: (s) =>
        effectsOf(s.effects, 'db.bindChangefeedToNode').every((b) => s.prev.value === 'OriginStopped' && b.from === ORIGIN),
    },
  ],
};

const STOP_EPOCH = 5n;

export const stopChangefeedModel: MachineModel = {
  name: 'stopChangefeed',
  machine: stopChangefeedMachine,
  spec: '§2.3',
  summary:
    'Stops (pause) or removes a changefeed: keeps sending a cascade RemoveMaintainer with a fixed epoch until the ' +
    'node reports the maintainer no longer Working. If the node dies the stop is redirected to the coordinator\'s own ' +
    'node, which cascade-closes the dispatchers everywhere. PostFinish deletes the changefeed or resets its progress.',
  inputs: [
    { label: 'remove', input: { changefeedId: 'cf', nodeId: DEST, coordinatorNode: COORD, maintainerEpoch: STOP_EPOCH, removed: true } },
    { label: 'pause', input: { changefeedId: 'cf', nodeId: DEST, coordinatorNode: COORD, maintainerEpoch: STOP_EPOCH, removed: false } },
  ],
  events: operatorDomain(epochsAround(STOP_EPOCH)),
  properties: [
    {
      name: 'a stop is never finished by a Working status, nor by a status from another node or epoch',
      holds: (s) =>
        !(s.prev.value === 'Sending' && s.next.value === 'Finished' && ev(s).type === 'STATUS') ||
        (ev(s).state !== 'Working' &&
          ev(s).from === ctx(s.prev).nodeId &&
          match(ev(s).maintainerEpoch as Uint64, STOP_EPOCH)),
    },
    {
      name: 'every remove is cascade, carries the fixed epoch and the removed flag, and goes to the current node',
      holds: (s) =>
        effectsOf(s.effects, 'RemoveMaintainerRequest').every(
          (m) =>
            m.cascade === true &&
            m.maintainerEpoch === STOP_EPOCH &&
            m.removed === ctx(s.prev).removed &&
            m.to === ctx(s.prev).nodeId,
        ),
    },
    {
      name: 'the stop only ever targets its node or the coordinator',
      holds: (s) => ctx(s.next).nodeId === DEST || ctx(s.next).nodeId === COORD,
    },
    {
      name: 'PostFinish deletes the changefeed exactly when it is removed, and otherwise resets progress to None',
      holds: (s) =>
        effectsOf(s.effects, 'store.deleteChangefeed').every(() => ctx(s.prev).removed === true) &&
        effectsOf(s.effects, 'store.setChangefeedProgress').every((e) => ctx(s.prev).removed === false && e.progress === 'None'),
    },
  ],
};
