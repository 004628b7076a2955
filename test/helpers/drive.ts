/**
 * Test driver: a real actor plus the list of effects it emitted, so conformance tests can assert
 * on both the state and the messages/intents, like the P language's test drivers.
 */
import { createActor, type AnyStateMachine, type InputFrom, type EventFromLogic, type EmittedFrom } from 'xstate';

export interface Driven<M extends AnyStateMachine> {
  actor: ReturnType<typeof createActor<M>>;
  effects: EmittedFrom<M>[];
  send(...events: EventFromLogic<M>[]): void;
  /** Effects emitted since the last call to `take()` (or since start), then forgets them. */
  take(): EmittedFrom<M>[];
  state(): unknown;
}

export function drive<M extends AnyStateMachine>(machine: M, input: InputFrom<M>): Driven<M> {
  const actor = createActor(machine, { input } as never);
  const effects: EmittedFrom<M>[] = [];
  let taken = 0;
  actor.on('*', (e: EmittedFrom<M>) => effects.push(e));
  actor.start();
  return {
    actor: actor as never,
    effects,
    send: (...events) => events.forEach((ev) => actor.send(ev as never)),
    take: () => {
      const out = effects.slice(taken);
      taken = effects.length;
      return out;
    },
    state: () => (actor.getSnapshot() as { value: unknown }).value,
  };
}
