/**
 * How the cluster model steps one machine: a snapshot and an event in, the next snapshot and the
 * events the machine emitted out, with XState's own pure `transition()` — the same definitions the
 * generated tests and a host run, no second interpreter. The explorer will substitute a
 * hash-consing, caching stepper with the same contract.
 */
import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';

export interface Stepped {
  snapshot: AnyMachineSnapshot;
  /** Emitted events, in order. */
  effects: Array<{ type: string } & Record<string, any>>;
}

export interface Stepper {
  start(machine: AnyStateMachine, input: unknown): Stepped;
  step(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, event: EventObject): Stepped;
}

type ActionLike = { type: string; params?: { event?: { type: string } & Record<string, unknown> } };

const emitted = (actions: readonly ActionLike[]) =>
  actions.flatMap((a) => (a.type === 'xstate.emit' && a.params?.event ? [a.params.event as { type: string } & Record<string, any>] : []));

export const pureStepper: Stepper = {
  start(machine, input) {
    const [snapshot, actions] = initialTransition(machine, input as never);
    return { snapshot, effects: emitted(actions as unknown as ActionLike[]) };
  },
  step(machine, snapshot, event) {
    const [next, actions] = transition(machine, snapshot as never, event as never);
    return { snapshot: next, effects: emitted(actions as unknown as ActionLike[]) };
  },
};
