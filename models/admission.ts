/**
 * Test model of operator admission (§2.4). Domain: every combination of the controller view at
 * precheck and at recheck, a successful and a failed bump; inputs with and without a bump
 * (`needsBump`). No abstraction: the context is finite.
 */
import { admissionMachine, type AdmissionContext } from '../machines/admission.js';
import type { MachineModel } from '../graph/model.js';
import { effectsOf } from './domain.js';

const bools = [false, true];
const ctx = (s: { context: unknown }) => s.context as AdmissionContext;

export const admissionModel: MachineModel = {
  name: 'admission',
  machine: admissionMachine,
  spec: '§2.4',
  summary:
    'Admission of an Add or Move operator with an asynchronous epoch bump. The changefeed slot is reserved while ' +
    'the bump runs outside the controller lock; after it, the slot and the changefeed identity are checked again. ' +
    'Only then is the in-memory info replaced and the operator pushed, so its first message carries the new epoch ' +
    '(I4); a stop that took the slot meanwhile wins, leaving the persisted epoch bumped and the memory untouched.',
  inputs: [
    { label: 'bump', input: { changefeedId: 'cf', kind: 'move', needsBump: true } },
    { label: 'no-pd', input: { changefeedId: 'cf', kind: 'add', needsBump: false } },
  ],
  events: () => [
    ...bools.flatMap((hasOperator) =>
      bools.flatMap((bumping) => bools.map((changefeedExists) => ({ type: 'PRECHECK', hasOperator, bumping, changefeedExists }))),
    ),
    { type: 'BUMPED', epoch: 6n },
    { type: 'BUMP_FAILED', code: 'STORE_UNAVAILABLE' },
    ...bools.flatMap((hasOperator) =>
      bools.flatMap((changefeedExists) => bools.map((sameChangefeed) => ({ type: 'RECHECK', hasOperator, changefeedExists, sameChangefeed }))),
    ),
  ],
  properties: [
    {
      name: 'an operator is pushed only on acceptance, and after a bump only once the in-memory info holds the bumped epoch (I4)',
      holds: (s) => {
        const pushes = effectsOf(s.effects, 'controller.pushOperator');
        if (!pushes.length) return true;
        if (s.next.value !== 'Accepted') return false;
        if (!ctx(s.prev).needsBump) return true;
        const types = s.effects.map((e) => e.type);
        return types.indexOf('controller.setInfo') >= 0 && types.indexOf('controller.setInfo') < types.indexOf('controller.pushOperator');
      },
    },
    {
      name: 'no Add or Move is admitted while its changefeed has an operator or a bump in flight (I7, B2)',
      holds: (s) =>
        !(s.prev.value === 'Precheck' && s.event.type === 'PRECHECK' && (s.event.hasOperator || s.event.bumping)) ||
        s.next.value === 'Rejected',
    },
    {
      name: 'the reservation is taken when a bump starts and held until the bump fails or the recheck decides (§2.4, B2)',
      holds: (s) => {
        const held = (v: unknown) => v === 'Bumping' || v === 'Recheck';
        return (
          effectsOf(s.effects, 'controller.reserveBumping').length === (!held(s.prev.value) && held(s.next.value) ? 1 : 0) &&
          effectsOf(s.effects, 'controller.releaseBumping').length === (held(s.prev.value) && !held(s.next.value) ? 1 : 0)
        );
      },
    },
    {
      name: 'a rejection after the bump never replaces the in-memory info (I2)',
      holds: (s) => s.next.value !== 'Rejected' || effectsOf(s.effects, 'controller.setInfo').length === 0,
    },
  ],
};
