/**
 * A user's own machine and test model, written against the public entry point only
 * (`opcharts/graph`): a lease that a holder renews with an epoch, fenced like opcharts' receivers —
 * a renewal counts only with the current epoch, a takeover only with a strictly newer one.
 *
 * `npx opcharts paths --model ./examples/user-model/lease.ts` lists its generated paths;
 * test/userModel.test.ts checks 100% coverage and that a loosened guard is caught.
 */
import { assign, emit, setup } from 'xstate';
import type { MachineModel } from 'opcharts/graph';

type LeaseEvent = { type: 'RENEW'; epoch: bigint } | { type: 'TAKEOVER'; epoch: bigint } | { type: 'EXPIRE' };

export const leaseMachine = setup({
  types: {
    context: {} as { epoch: bigint },
    events: {} as LeaseEvent,
    emitted: {} as { type: 'lease.granted'; epoch: bigint },
  },
  guards: {
    isCurrentEpoch: ({ context, event }) => event.type === 'RENEW' && event.epoch === context.epoch,
    isNewerEpoch: ({ context, event }) => event.type === 'TAKEOVER' && event.epoch > context.epoch,
  },
  actions: {
    takeEpoch: assign({ epoch: ({ context, event }) => (event.type === 'TAKEOVER' ? event.epoch : context.epoch) }),
    grant: emit(({ context }) => ({ type: 'lease.granted' as const, epoch: context.epoch })),
  },
}).createMachine({
  id: 'lease',
  context: { epoch: 1n },
  initial: 'Held',
  states: {
    Held: {
      on: {
        RENEW: { guard: 'isCurrentEpoch', actions: 'grant' },
        TAKEOVER: { guard: 'isNewerEpoch', actions: ['takeEpoch', 'grant'] },
        EXPIRE: { target: 'Expired' },
      },
    },
    Expired: {
      on: { TAKEOVER: { guard: 'isNewerEpoch', target: 'Held', actions: ['takeEpoch', 'grant'] } },
    },
  },
});

const ctx = (s: { context: unknown }) => s.context as { epoch: bigint };

export const model: MachineModel = {
  name: 'lease',
  machine: leaseMachine,
  source: 'examples/user-model/lease.ts',
  spec: 'user',
  summary: 'A fenced lease: renewals need the current epoch, takeovers a strictly newer one.',
  inputs: [{ label: 'lease', input: undefined }],
  events: () => [
    ...[0n, 1n, 2n, 3n].map((epoch) => ({ type: 'RENEW', epoch })),
    ...[1n, 2n, 3n].map((epoch) => ({ type: 'TAKEOVER', epoch })),
    { type: 'EXPIRE' },
  ],
  properties: [
    {
      name: 'the epoch never decreases',
      holds: (s) => ctx(s.next).epoch >= ctx(s.prev).epoch,
    },
    {
      name: 'a grant carries the epoch held after the step, and a renewal is granted only at the current epoch',
      holds: (s) =>
        s.effects.every((e) => e.epoch === ctx(s.next).epoch) &&
        (s.event.type !== 'RENEW' || s.effects.length === 0 || s.event.epoch === ctx(s.prev).epoch),
    },
  ],
};

export default model;
