/**
 * What a machine needs to be explored, tested, diagrammed and listed: a test model in the sense of
 * `xstate/graph` — the machine, an input, a small finite event domain that reaches every guard
 * outcome, an optional state abstraction for the search, and the step properties every generated
 * path must satisfy at every step. One per machine, in `models/`.
 */
import type { AnyMachineSnapshot, AnyStateMachine, EventObject } from 'xstate';

/** One step of a replayed path: the snapshot before, the event, the snapshot after, what was emitted. */
export interface Step {
  prev: AnyMachineSnapshot;
  event: EventObject & Record<string, unknown>;
  next: AnyMachineSnapshot;
  effects: ReadonlyArray<{ type: string } & Record<string, unknown>>;
  /** Transition IDs taken (see graph/transitions.ts). */
  taken: readonly string[];
}

/** A safety property over one step; `holds` returns true, or false/a message when violated. */
export interface StepProperty {
  name: string;
  holds(step: Step): boolean | string;
}

export interface MachineModel {
  /** Short name used on the command line and for file names, e.g. `moveMaintainer`. */
  name: string;
  machine: AnyStateMachine;
  /** The machine's source file, relative to the package root (default `machines/<name>.ts`). */
  source?: string;
  /** Spec sections the lifecycle follows. */
  spec: string;
  /** One paragraph: what the lifecycle is for (diagrams/README.md). */
  summary: string;
  /**
   * The inputs paths start from, each a labelled variant (e.g. a stop that removes and one that
   * pauses): a guard that reads an input-only value needs one variant per outcome.
   */
  inputs: Array<{ label: string; input: unknown }>;
  /** The event domain in a given snapshot: small and finite, reaching every guard outcome. */
  events(snapshot: AnyMachineSnapshot): Array<EventObject & Record<string, unknown>>;
  /**
   * The search key's view of a snapshot (default: value and context). Must keep every value a guard
   * reads, or states become unreachable; documented per model where used.
   */
  abstract?(snapshot: AnyMachineSnapshot): unknown;
  /**
   * For a time-abstracted model: the model clock of a snapshot (e.g. its latest stamp). Event
   * times in the domain are offsets from it, so when a search path is replayed from a different
   * but equivalent snapshot, its event times are shifted by the difference of the two clocks.
   */
  clock?(snapshot: AnyMachineSnapshot): number;
  /** With `clock`: the context with every stored time moved by `deltaMs` (used to keep the search's clock fixed). */
  shiftTime?(context: any, deltaMs: number): unknown;
  properties: StepProperty[];
  /** The node an emitted effect talks to, for sequence diagrams (default: its `to` field). */
  peerOf?(effect: { type: string } & Record<string, unknown>): string | undefined;
}
