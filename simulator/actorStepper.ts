/**
 * A {@link Stepper} that runs every machine the cluster world steps as a live XState actor
 * (`createActor(...).start()`, `actor.send(...)`), instead of XState's pure `transition()`: the
 * simulator (issue 14) exercises the runtime a host would use, with the world's glue unchanged.
 *
 * A simulation is linear (one world at a time), so each actor carries one component (a node's
 * registry, a coordinator's liveness view, …) forward: the snapshot an actor returned maps back to
 * that actor, and the next event for that snapshot is sent to it. A snapshot no live actor is at
 * (one the world kept while its actor moved on, or one built elsewhere) gets a new actor restored
 * from it (`createActor(machine, { snapshot })`), so the contract of `Stepper` holds for any input.
 *
 * Emitted events are the effects (`actor.on('*', …)`), in emission order. An action that throws
 * leaves the actor in status `error`; the error is rethrown here, as `transition()` would throw it.
 */
import { createActor, type AnyActorRef, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';
import type { Stepped, Stepper } from '../cluster/stepper.js';
import type { Variant } from '../cluster/variants.js';
import { COMPOSED_MACHINES } from '../cluster/check.js';
import { findModel } from '../models/index.js';

type Effect = Stepped['effects'][number];

interface Live {
  actor: AnyActorRef;
  /** Where `actor.on('*')` writes the current step's emitted events. */
  sink: { effects: Effect[] };
}

export class ActorStepper implements Stepper {
  private readonly live = new WeakMap<AnyMachineSnapshot, Live>();
  private readonly replacements = new Map<AnyStateMachine, AnyStateMachine>();
  /** Events sent to actors (a start counts as none). */
  eventsSent = 0;
  /** Actors created: started fresh or restored from a snapshot no live actor was at. */
  actorsStarted = 0;
  actorsRestored = 0;

  /** With a variant, its machines run wherever the world steps the faithful ones (as cluster/check.ts VariantStepper does). */
  constructor(readonly variant?: Variant) {
    for (const [name, machine] of Object.entries(variant?.machines ?? {})) {
      const faithful = COMPOSED_MACHINES[name] ?? findModel(name)?.machine;
      if (faithful) this.replacements.set(faithful, machine);
    }
  }

  private spawn(machine: AnyStateMachine, options: { input?: unknown; snapshot?: AnyMachineSnapshot }): Live {
    const actor = createActor(this.replacements.get(machine) ?? machine, options as never) as AnyActorRef;
    const sink: Live['sink'] = { effects: [] };
    actor.on('*', (e: Effect) => sink.effects.push(e));
    // An error is read from the snapshot below; an observer keeps XState from reporting it again asynchronously.
    actor.subscribe({ error: () => {} });
    actor.start();
    return { actor, sink };
  }

  private result(l: Live): Stepped {
    const snapshot = l.actor.getSnapshot() as AnyMachineSnapshot;
    if (snapshot.status === 'error') throw snapshot.error;
    const effects = l.sink.effects;
    l.sink.effects = [];
    this.live.set(snapshot, l);
    return { snapshot, effects };
  }

  start(machine: AnyStateMachine, input: unknown): Stepped {
    this.actorsStarted++;
    return this.result(this.spawn(machine, { input }));
  }

  step(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, event: EventObject): Stepped {
    let l = this.live.get(snapshot);
    if (!l || l.actor.getSnapshot() !== snapshot) {
      this.actorsRestored++;
      l = this.spawn(machine, { snapshot });
      l.sink.effects = []; // a restored actor re-runs no entry actions, but be sure nothing leaks into this step
    }
    this.eventsSent++;
    l.actor.send(event);
    return this.result(l);
  }
}
