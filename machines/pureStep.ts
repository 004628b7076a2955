/**
 * XState's pure `transition()` and `initialTransition()` without their per-call cost. Each of those
 * builds a throwaway actor for its scope (`createInertActorScope`), and the actor's constructor runs
 * the machine's context factory without input: ours validate their input (machines/boundary.ts
 * `fromValidInput`), so every call also threw and swallowed an InvalidInputError. Here the inert
 * scope is built once per machine and reused, exactly as explorer/machineTable.ts does. The result
 * is the same: the machine's own `transition` / `getInitialSnapshot` on that scope, with the
 * actions it would execute collected in order.
 *
 * Sound for machines that, like these, only assign and emit: nothing is spawned or invoked into
 * the scope's system, so one call cannot leave anything behind for the next.
 */
import { createActor, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';

export interface ExecutableAction {
  type: string;
  params?: unknown;
}

/** The events a step's actions emit (`emit`, also inside `enqueueActions`), in order. */
export function emittedEvents<E = { type: string } & Record<string, unknown>>(actions: readonly ExecutableAction[]): E[] {
  const out: E[] = [];
  for (const a of actions) {
    const event = a.type === 'xstate.emit' ? (a.params as { event?: E } | undefined)?.event : undefined;
    if (event) out.push(event);
  }
  return out;
}

interface Scope {
  scope: Record<string, unknown>;
  actions: ExecutableAction[];
}

const scopes = new WeakMap<AnyStateMachine, Scope>();

function scopeOf(machine: AnyStateMachine): Scope {
  let s = scopes.get(machine);
  if (!s) {
    // A never-started actor supplies `self` and `system`; its own initial snapshot is not used.
    const self = createActor(machine as never, { input: undefined } as never) as unknown as { system: unknown };
    const entry: Scope = { scope: {}, actions: [] };
    entry.scope = {
      self,
      id: '',
      sessionId: '',
      logger: () => {},
      defer: () => {},
      stopChild: () => {},
      system: self.system,
      emit: () => {},
      actionExecutor: (action: ExecutableAction) => entry.actions.push(action),
    };
    scopes.set(machine, (s = entry));
  }
  return s;
}

/** As XState's `transition(machine, snapshot, event)`: the next snapshot and the actions to execute. */
export function pureTransition(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, event: EventObject): [AnyMachineSnapshot, ExecutableAction[]] {
  const s = scopeOf(machine);
  const actions: ExecutableAction[] = [];
  s.actions = actions;
  const next = machine.transition(snapshot as never, event as never, s.scope as never) as AnyMachineSnapshot;
  return [next, actions];
}

/** As XState's `initialTransition(machine, input)`: the initial snapshot and its entry actions. */
export function pureInitialTransition(machine: AnyStateMachine, input: unknown): [AnyMachineSnapshot, ExecutableAction[]] {
  const s = scopeOf(machine);
  const actions: ExecutableAction[] = [];
  s.actions = actions;
  const snapshot = machine.getInitialSnapshot(s.scope as never, input) as AnyMachineSnapshot;
  return [snapshot, actions];
}
