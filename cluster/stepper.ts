/**
 * How the cluster model steps one machine: a snapshot and an event in, the next snapshot and the
 * events the machine emitted out, with XState's own pure `transition()` — the same definitions the
 * generated tests and a host run, no second interpreter. The explorer will substitute a
 * hash-consing, caching stepper with the same contract.
 */
import type { AnyMachineSnapshot, AnyStateMachine, EventObject } from 'xstate';
import { emittedEvents, pureInitialTransition, pureTransition } from '../machines/pureStep.js';
import { MachineTable } from '../explorer/machineTable.js';
import { stableStringify } from '../graph/serialize.js';
import type { StoreGlue } from './store.js';
import type { BootstrapGlue } from '../machines/coordinator/bootstrap.js';

export interface Stepped {
  snapshot: AnyMachineSnapshot;
  /** Emitted events, in order. */
  effects: Array<{ type: string } & Record<string, any>>;
}

export interface Stepper {
  start(machine: AnyStateMachine, input: unknown): Stepped;
  step(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, event: EventObject): Stepped;
  /** A historical-bug variant's replacements of the store's rules (cluster/store.ts `StoreGlue`). */
  readonly storeGlue?: Partial<StoreGlue>;
  /** A historical-bug variant's coordinator bootstrap rules (cluster/variants.ts `glue.bootstrap`); absent: faithful. */
  readonly bootstrapGlue?: Partial<BootstrapGlue>;
}

export const pureStepper: Stepper = {
  start(machine, input) {
    const [snapshot, actions] = pureInitialTransition(machine, input);
    return { snapshot, effects: emittedEvents(actions) };
  },
  step(machine, snapshot, event) {
    const [next, actions] = pureTransition(machine, snapshot, event);
    return { snapshot: next, effects: emittedEvents(actions) };
  },
};

/**
 * A key of an event, equal for equal events and distinct for distinct ones, built without
 * `JSON.stringify`'s replacer for the flat fields events mostly have (the glue builds a new event
 * object per delivery, so this runs at every step). Nested values fall back to the stable text.
 */
export function flatEventKey(event: EventObject): string {
  const e = event as unknown as Record<string, unknown>;
  let key = '';
  for (const f of Object.keys(e).sort()) {
    const v = e[f];
    key += `${f}=${typeof v === 'string' ? JSON.stringify(v) : typeof v === 'bigint' ? `${v}n` : v !== null && typeof v === 'object' ? stableStringify(v) : String(v)};`;
  }
  return key;
}

/**
 * A stepper over {@link MachineTable}s: each distinct snapshot is interned once and each (snapshot,
 * event) computed once by XState, and the snapshots it returns are the tables' canonical objects,
 * so a world can be encoded by their ids ({@link TableStepper.idOf}). Same results as
 * {@link pureStepper}, many times faster in a search.
 */
export class TableStepper implements Stepper {
  private readonly tables = new Map<AnyStateMachine, MachineTable>();
  private readonly ids = new WeakMap<AnyMachineSnapshot, number>();
  /** A dense number per machine, for encodings. */
  readonly machineNumber = new Map<AnyStateMachine, number>();

  table(machine: AnyStateMachine): MachineTable {
    let t = this.tables.get(machine);
    if (!t) {
      t = new MachineTable(machine);
      this.tables.set(machine, t);
      this.machineNumber.set(machine, this.machineNumber.size);
    }
    return t;
  }

  private out(t: MachineTable, r: { next: number; effects: readonly ({ type: string } & Record<string, unknown>)[] }): Stepped {
    const snapshot = t.snapshot(r.next);
    this.ids.set(snapshot, r.next);
    return { snapshot, effects: r.effects as Stepped['effects'] };
  }

  start(machine: AnyStateMachine, input: unknown): Stepped {
    const t = this.table(machine);
    return this.out(t, t.initial(input));
  }

  step(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, event: EventObject): Stepped {
    const t = this.table(machine);
    const id = this.ids.get(snapshot) ?? t.intern(snapshot);
    return this.out(t, t.step(id, event, flatEventKey(event)));
  }

  /** The interned id of a snapshot this stepper returned (interning it if it came from elsewhere). */
  idOf(machine: AnyStateMachine, snapshot: AnyMachineSnapshot): number {
    const known = this.ids.get(snapshot);
    if (known !== undefined) return known;
    const id = this.table(machine).intern(snapshot);
    this.ids.set(snapshot, id);
    return id;
  }
}
