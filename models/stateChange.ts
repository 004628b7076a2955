/**
 * Test model of a changefeed state change (§2.4.3, §3.4, §6.9 item 1). Domain: every coordinator
 * view at CHECK (changefeed present or not, state changed or not) with the in-memory epoch 233 of
 * §6.9 item 1, a bump to 234 and a failed one, an update and a failed one; inputs Warning, Failed,
 * Finished and Normal (each guard on the input state has both outcomes). No abstraction: the
 * context is finite.
 */
import { stateChangeMachine, type StateChangeContext } from '../machines/coordinator/stateChange.js';
import type { MachineModel } from '../graph/model.js';
import { effectsOf } from './domain.js';

const bools = [false, true];
const ctx = (s: { context: unknown }) => s.context as StateChangeContext;
const WRITE_RESULTS = new Set(['BUMPED', 'UPDATED']);

export const stateChangeModel: MachineModel = {
  name: 'stateChange',
  machine: stateChangeMachine,
  source: 'machines/coordinator/stateChange.ts',
  spec: '§2.4.3',
  summary:
    'A changefeed state change on the coordinator. Warning bumps the persisted epoch (State=Warning, the error, no ' +
    'status), then stops the running maintainer with the epoch from before the bump and puts the changefeed back in ' +
    'the scheduling queue; failed and finished are written by an unconditional put of the in-memory info (its epoch ' +
    'included, no CAS) with progress Stopping, then stopped. Nothing happens in memory until the write succeeded.',
  inputs: [
    { label: 'warning', input: { changefeedId: 'cf', state: 'warning' } },
    { label: 'failed', input: { changefeedId: 'cf', state: 'failed' } },
    { label: 'finished', input: { changefeedId: 'cf', state: 'finished' } },
    { label: 'normal', input: { changefeedId: 'cf', state: 'normal' } },
  ],
  events: () => [
    ...bools.flatMap((changefeedExists) => bools.map((unchanged) => ({ type: 'CHECK', changefeedExists, unchanged, epoch: 233n, checkpointTs: 500n }))),
    { type: 'BUMPED', epoch: 234n },
    { type: 'BUMP_FAILED', code: 'CAS_EXHAUSTED' },
    { type: 'UPDATED' },
    { type: 'UPDATE_FAILED', code: 'STORE_UNAVAILABLE' },
  ],
  properties: [
    {
      name: 'the Warning restart sets the bumped info, then stops with the epoch from before the bump, then reschedules (§6.9 item 1)',
      holds: (s) => {
        const stops = effectsOf(s.effects, 'controller.stopChangefeedWithMaintainerEpoch');
        if (!stops.length) return true;
        if (s.event.type !== 'BUMPED') return false;
        const types = s.effects.map((e) => e.type);
        const setInfo = effectsOf(s.effects, 'controller.setInfo');
        return (
          stops.length === 1 &&
          stops[0]!.maintainerEpoch === ctx(s.prev).epoch &&
          setInfo.length === 1 &&
          setInfo[0]!.epoch === s.event.epoch &&
          types.indexOf('controller.setInfo') < types.indexOf('controller.stopChangefeedWithMaintainerEpoch') &&
          types.indexOf('controller.stopChangefeedWithMaintainerEpoch') < types.indexOf('db.moveToSchedulingQueue')
        );
      },
    },
    {
      name: 'nothing changes in memory (info, stop, queue) before the store write succeeded',
      holds: (s) => WRITE_RESULTS.has(s.event.type) || s.effects.every((e) => e.type.startsWith('store.')),
    },
    {
      name: 'only Warning bumps, and that bump never writes the status; only the other states use the unconditional update',
      holds: (s) =>
        effectsOf(s.effects, 'store.bumpEpoch').every((e) => ctx(s.prev).state === 'warning' && e.updateStatus === false && e.state === 'warning') &&
        effectsOf(s.effects, 'store.update').every(() => ctx(s.prev).state !== 'warning'),
    },
    {
      name: 'the unconditional update puts the in-memory epoch read at CHECK, with progress Stopping exactly for failed and finished (§3.4)',
      holds: (s) =>
        effectsOf(s.effects, 'store.update').every(
          (e) =>
            s.event.type === 'CHECK' &&
            e.epoch === s.event.epoch &&
            e.progress === (ctx(s.prev).state === 'failed' || ctx(s.prev).state === 'finished' ? 'Stopping' : 'None'),
        ),
    },
    {
      name: 'a failed write or a skipped change emits nothing',
      holds: (s) => !(s.next.value === 'Failed' || s.next.value === 'Skipped') || s.prev.value === s.next.value || s.effects.length === 0,
    },
    {
      name: 'failed and finished are stopped with a plain StopChangefeed after the update, never with a pinned epoch',
      holds: (s) =>
        effectsOf(s.effects, 'controller.stopChangefeed').every(
          () => s.event.type === 'UPDATED' && (ctx(s.prev).state === 'failed' || ctx(s.prev).state === 'finished'),
        ),
    },
  ],
};
