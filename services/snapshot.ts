/**
 * Saving and restoring actors with exact uint64 (issue 10 §4): `serializeSnapshot(actor)` gives
 * JSON text, `restoreSnapshot(machine, text)` gives a snapshot to start an actor from
 * (`createActor(machine, { snapshot })`, or {@link restoreActor}).
 *
 * Why not XState's own persistence as it is: `JSON.stringify(actor.getPersistedSnapshot())` throws
 * on bigint, and a snapshot whose epochs came back as strings (or numbers) restores without a word
 * and then never matches a guard (`'42' === 42n` is false), so the actor is silently stuck.
 *
 * The text is a tagged, versioned envelope:
 *
 * ```json
 * { "format": "opcharts.snapshot", "version": 1, "machine": "moveMaintainer", "machineHash": "…",
 *   "status": "active", "value": "AddToDest", "context": { "originEpoch": "18446744073709551615", … } }
 * ```
 *
 * - every uint64 of the context is its canonical decimal string;
 * - `machineHash` is a hash of the machine's structure (states, transitions, guard and action
 *   names, see {@link machineHash}): a snapshot saved by a different version of the machine is
 *   refused rather than read into states and fields that may no longer mean the same;
 * - restoring **validates everything before anything is built**: the envelope's fields, the
 *   machine ID and hash, the state value (a real state configuration of that machine), the status
 *   (it must agree with the value: `done` exactly in a top-level final state), and the context
 *   against the machine's context schema (machines/contextSchemas.ts: every field, its kind, none
 *   missing, none extra; uint64 a canonical decimal string in 0..2^64−1). Any failure is an
 *   {@link InvalidSnapshotError} whose `field` is the path of the bad part (`context.session.epoch`).
 *
 * A restored actor continues exactly where the saved one was: the same state and context, and, as
 * with XState's own restore, no entry action runs again (no effect is emitted twice).
 * Limits: machines with spawned or invoked children, history states or an output are refused
 * (none of opcharts' machines has any); an actor in status `error` or `stopped` is not saved.
 */
import { createHash } from 'node:crypto';
import {
  createActor,
  type Actor,
  type ActorOptions,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type Snapshot,
  type StateValue,
} from 'xstate';
import { CodecFieldError, guardedCodec, shape } from '../machines/codec.js';
import { contextSchemas } from '../machines/contextSchemas.js';
import { InvalidSnapshotError, describe } from '../machines/errors.js';
import type { MachineId } from '../machines/boundary.js';

export const SNAPSHOT_FORMAT = 'opcharts.snapshot';
export const SNAPSHOT_FORMAT_VERSION = 1;
/** Longest snapshot text accepted (16 MiB): bounds what a corrupted file makes us parse. */
export const MAX_SNAPSHOT_LENGTH = 16 * 1024 * 1024;

/** The envelope as it is in the text; `context` has uint64 as decimal strings. */
export interface SnapshotEnvelope {
  format: typeof SNAPSHOT_FORMAT;
  version: typeof SNAPSHOT_FORMAT_VERSION;
  machine: string;
  machineHash: string;
  status: 'active' | 'done';
  value: StateValue;
  context: Record<string, unknown>;
}

const ENVELOPE_FIELDS = ['format', 'version', 'machine', 'machineHash', 'status', 'value', 'context'] as const;

const hasOwn = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

// A machine's definition does not change after creation; the hash is computed once per machine object.
const hashes = new WeakMap<AnyStateMachine, string>();

/**
 * A short hash of a machine's structure: its JSON definition (IDs, state nodes and types, every
 * transition's event, guard name, targets and action names, in order; an inline function only as
 * "a function here"). A machine made by `provide` has the same hash (same structure, other
 * implementations); a state or transition added, removed or renamed changes it.
 */
export function machineHash(machine: AnyStateMachine): string {
  let h = hashes.get(machine);
  if (h === undefined) {
    // A function counts by its place, not its source: the source text differs between the TypeScript
    // run by tsx and the compiled package, and a snapshot saved by one must restore in the other.
    const text = JSON.stringify(machine.definition, (key, v: unknown) => (typeof v === 'function' ? (key === 'toJSON' ? undefined : 'fn') : v));
    h = createHash('sha256').update(text).digest('hex').slice(0, 16);
    hashes.set(machine, h);
  }
  return h;
}

interface StateNodeLike {
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  states: Record<string, StateNodeLike>;
}

class Bad extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

function childOf(node: StateNodeLike, key: unknown, path: string): StateNodeLike {
  if (typeof key !== 'string' || !hasOwn(node.states, key)) {
    throw new Bad(path, `not a state of this machine (got ${describe(key)}; expected one of ${Object.keys(node.states).join(', ')})`);
  }
  const child = node.states[key]!;
  if (child.type === 'history') throw new Bad(path, `${describe(key)} is a history pseudo-state`);
  return child;
}

/**
 * Checks that `v` is the full state value of compound or parallel `node` (a leaf name, or
 * `{ child: value }`, or for a parallel node every region); returns whether it is final.
 */
function checkValue(node: StateNodeLike, v: unknown, path: string): boolean {
  if (node.type === 'parallel') {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Bad(path, `expected every region of a parallel state (got ${describe(v)})`);
    const regions = Object.keys(node.states);
    for (const k of Object.keys(v)) if (!regions.includes(k)) throw new Bad(`${path}.${k}`, 'not a region of this parallel state');
    let allFinal = true;
    for (const region of regions) {
      if (!hasOwn(v, region)) throw new Bad(`${path}.${region}`, 'missing region');
      allFinal = checkValue(node.states[region]!, (v as Record<string, unknown>)[region], `${path}.${region}`) && allFinal;
    }
    return allFinal;
  }
  if (node.type !== 'compound') throw new Bad(path, `a ${node.type} state has no child value`);
  if (typeof v === 'string') {
    const child = childOf(node, v, path);
    if (child.type === 'compound' || child.type === 'parallel') throw new Bad(path, `${describe(v)} is not a leaf state: its child state is missing`);
    return child.type === 'final';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Bad(path, `expected a state name or { state: child } (got ${describe(v)})`);
  const keys = Object.keys(v);
  if (keys.length !== 1) throw new Bad(path, `expected exactly one active child state (got ${keys.length})`);
  const child = childOf(node, keys[0], `${path}.${keys[0]}`);
  if (child.type !== 'compound' && child.type !== 'parallel') throw new Bad(`${path}.${keys[0]}`, `a ${child.type} state has no child value`);
  checkValue(child, (v as Record<string, unknown>)[keys[0]!], `${path}.${keys[0]}`);
  return false; // a final state only ends the machine at the top level
}

/** The status a valid state value implies: `done` exactly when the machine is in a top-level final configuration. */
function statusOf(machine: AnyStateMachine, value: unknown, path: string): 'active' | 'done' {
  return checkValue(machine.root as unknown as StateNodeLike, value, path) ? 'done' : 'active';
}

function machineIdOf(machine: AnyStateMachine, path: string): MachineId {
  const id = machine.id;
  if (!hasOwn(contextSchemas, id)) throw new Bad(path, `no context schema for machine ${describe(id)}`);
  return id as MachineId;
}

function isActor(x: unknown): x is Actor<AnyStateMachine> {
  return typeof x === 'object' && x !== null && typeof (x as { getSnapshot?: unknown }).getSnapshot === 'function';
}

/**
 * The JSON text of an actor's current snapshot (or of a snapshot taken with `getSnapshot()`), every
 * uint64 exact. Throws {@link InvalidSnapshotError} when the snapshot cannot be restored later: a
 * context that does not match its machine's schema (a string or number epoch, a missing field),
 * spawned children, or status `error`/`stopped`.
 */
export function serializeSnapshot(source: Actor<AnyStateMachine> | AnyMachineSnapshot): string {
  const snapshot = (isActor(source) ? source.getSnapshot() : source) as AnyMachineSnapshot;
  const machine = snapshot?.machine as AnyStateMachine | undefined;
  const name = typeof machine?.id === 'string' ? machine.id : '(unknown)';
  try {
    if (!machine || typeof machine.getPersistedSnapshot !== 'function') throw new Bad('machine', 'not a state machine snapshot');
    const id = machineIdOf(machine, 'machine');
    if (snapshot.status !== 'active' && snapshot.status !== 'done') throw new Bad('status', `only an active or done actor is saved (got ${describe(snapshot.status)})`);
    if (snapshot.output !== undefined) throw new Bad('output', 'machines with an output are not supported');
    if (Object.keys(snapshot.children ?? {}).length > 0) throw new Bad('children', 'actors with spawned or invoked children are not supported');
    const persisted = machine.getPersistedSnapshot(snapshot) as { historyValue?: object };
    if (persisted.historyValue && Object.keys(persisted.historyValue).length > 0) throw new Bad('historyValue', 'history states are not supported');
    const status = statusOf(machine, snapshot.value, 'value');
    const context = encodeContext(id, snapshot.context, 'encode');
    const envelope: SnapshotEnvelope = {
      format: SNAPSHOT_FORMAT,
      version: SNAPSHOT_FORMAT_VERSION,
      machine: id,
      machineHash: machineHash(machine),
      status,
      value: snapshot.value,
      context,
    };
    return JSON.stringify(envelope);
  } catch (e) {
    throw asSnapshotError(name, e);
  }
}

function encodeContext(id: MachineId, context: unknown, dir: 'encode' | 'decode'): Record<string, unknown> {
  return guardedCodec('context', () => shape(contextSchemas[id], context, 'context', dir));
}

function asSnapshotError(machine: string, e: unknown): InvalidSnapshotError {
  if (e instanceof InvalidSnapshotError) return e;
  if (e instanceof Bad || e instanceof CodecFieldError) return new InvalidSnapshotError(machine, e.path, e.reason);
  return new InvalidSnapshotError(machine, '(snapshot)', `could not be read (${e instanceof Error ? describe(e.message) : 'threw'})`);
}

/**
 * The snapshot saved in `text` (by {@link serializeSnapshot}), validated against `machine` and
 * ready for `createActor(machine, { snapshot })`. Throws {@link InvalidSnapshotError} naming the
 * bad part; nothing is built from an invalid snapshot.
 */
export function restoreSnapshot<M extends AnyStateMachine>(machine: M, text: unknown): Snapshot<unknown> {
  const name = typeof machine?.id === 'string' ? machine.id : '(unknown)';
  try {
    if (typeof text !== 'string') throw new Bad('(snapshot)', `expected JSON text (got ${describe(text)})`);
    if (text.length > MAX_SNAPSHOT_LENGTH) throw new Bad('(snapshot)', `longer than ${MAX_SNAPSHOT_LENGTH} characters (${text.length})`);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new Bad('(snapshot)', `not JSON (${e instanceof Error ? e.message : 'parse error'})`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Bad('(snapshot)', `expected an object (got ${describe(raw)})`);
    const env = raw as Record<string, unknown>;
    for (const k of Object.keys(env)) if (!(ENVELOPE_FIELDS as readonly string[]).includes(k)) throw new Bad(k, 'unknown field');
    for (const k of ENVELOPE_FIELDS) if (!hasOwn(env, k)) throw new Bad(k, 'missing');
    if (env.format !== SNAPSHOT_FORMAT) throw new Bad('format', `expected ${describe(SNAPSHOT_FORMAT)} (got ${describe(env.format)})`);
    if (env.version !== SNAPSHOT_FORMAT_VERSION) throw new Bad('version', `unsupported format version ${describe(env.version)} (this is ${SNAPSHOT_FORMAT_VERSION})`);
    const id = machineIdOf(machine, 'machine');
    if (env.machine !== id) throw new Bad('machine', `saved from machine ${describe(env.machine)}, not ${describe(id)}`);
    if (env.machineHash !== machineHash(machine)) {
      throw new Bad('machineHash', `saved from another version of ${id} (hash ${describe(env.machineHash)}, this one is ${describe(machineHash(machine))})`);
    }
    const status = statusOf(machine, env.value, 'value');
    if (env.status !== status) throw new Bad('status', `expected ${describe(status)} for this state value (got ${describe(env.status)})`);
    const context = encodeContext(id, env.context, 'decode');
    // The shape of XState's own persisted snapshot (`getPersistedSnapshot`), which `createActor` restores.
    return { status, value: env.value, context, children: {}, historyValue: {}, output: undefined, error: undefined } as Snapshot<unknown>;
  } catch (e) {
    throw asSnapshotError(name, e);
  }
}

/** `createActor(machine, { ...options, snapshot: restoreSnapshot(machine, text) })`: validated, not yet started. */
export function restoreActor<M extends AnyStateMachine>(machine: M, text: unknown, options: Omit<ActorOptions<M>, 'snapshot' | 'input'> = {}): Actor<M> {
  return createActor(machine, { ...options, snapshot: restoreSnapshot(machine, text) } as ActorOptions<M>);
}
