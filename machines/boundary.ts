/**
 * The boundary for untrusted input: raw message objects (parsed JSON from a transport, a CLI, a
 * test file) become typed events, and raw actor inputs become typed inputs, or a typed error
 * ({@link InvalidEventError}, {@link InvalidInputError}) naming the bad field.
 *
 * Machines trust their events' and inputs' types; nothing that has not passed through here should
 * reach an actor from outside the process. A rejected event is never sent and a rejected input
 * never starts an actor, so a rejection changes nothing.
 *
 * Each event type and each machine input is described once by a small schema: field name → field
 * kind. uint64 fields accept a bigint, a canonical decimal string of at most 20 digits, or a
 * safe-integer JSON number (see `toUint64`), and always come out as `bigint`.
 *
 * Reading is defensive, because the raw value may be anything a host was handed: only **own data
 * properties** are read (an inherited `Object.prototype.maintainerEpoch` does not supply a missing
 * field, and a getter is never called), every exception raised while reading (a Proxy trap, a
 * revoked Proxy) becomes the typed error, lists are bounded, and values quoted in messages are
 * truncated (`describe`). Unknown fields are dropped, so a typed value carries exactly the fields
 * its schema names.
 *
 * Why no schema library (issue 9, item 14). zod and valibot were considered. Neither removes the
 * code that matters here: both read fields with `key in input` / `input[key]` (inherited
 * properties and getters included), so the own-data-property snapshot, the exception wrapping and
 * the list bound would stay; uint64 would be a custom schema in either; and the schemas below are
 * already one line per event — `{ from: 'node', maintainerEpoch: 'uint64' }` is no longer than
 * `v.object({ from: node, maintainerEpoch: uint64 })`. Type inference, the other reason to adopt
 * one, is the twenty lines of `ValueOf`/`Shape`/`EventOf` below: `parseEventWith` infers the
 * event type from the schema. A dependency would not pay for itself.
 */
import { createActor, type Actor, type ActorOptions, type AnyStateMachine, type EventFromLogic, type InputFrom } from 'xstate';
import { InvalidEventError, InvalidInputError, OpchartsError, describe } from './errors.js';
import { toUint64 } from './epoch.js';
import { MAINTAINER_STATES } from './protocol.js';

// ---------------------------------------------------------------------------------------------
// Schema language
// ---------------------------------------------------------------------------------------------

export type ScalarKind =
  | 'string' // any string, may be empty
  | 'string?' // a string or null
  | 'node' // a non-empty ID (node, changefeed, dispatcher, operator)
  | 'boolean'
  | 'uint64' // an exact uint64, as bigint
  | 'millis' // a virtual-clock time in ms: a non-negative safe integer
  | 'count'; // a non-negative safe integer (a generation, a count)

export type FieldKind =
  | ScalarKind
  | readonly string[] // one of these literals
  | { readonly optional: FieldKind } // may be missing (or undefined)
  | { readonly nullable: FieldKind } // or null
  | { readonly list: FieldKind; readonly unique?: boolean } // an array of at most MAX_LIST_LENGTH
  | { readonly object: EventSchema } // a nested record
  | { readonly map: FieldKind } // a record keyed by non-empty IDs (e.g. per node)
  | { readonly tagged: string; readonly variants: EventSchemas }; // a record whose `tagged` field picks its schema

export type EventSchema = { readonly [field: string]: FieldKind };
export type EventSchemas = { readonly [type: string]: EventSchema };

/** A field that may be absent. */
export const optional = <const K extends FieldKind>(kind: K) => ({ optional: kind }) as const;
/** A field that may be null. */
export const nullable = <const K extends FieldKind>(kind: K) => ({ nullable: kind }) as const;
/** An array; `unique` refuses a repeated element (a set of nodes). */
export const listOf = <const K extends FieldKind>(kind: K, opts: { unique?: true } = {}) =>
  ({ list: kind, ...(opts.unique ? { unique: true as const } : {}) }) as { readonly list: K; readonly unique?: true };
/** A nested record. */
export const objectOf = <const S extends EventSchema>(schema: S) => ({ object: schema }) as const;

/** A record keyed by non-empty IDs, every value of one kind (a value per node). */
export const mapOf = <const K extends FieldKind>(kind: K) => ({ map: kind }) as const;

/**
 * A discriminated union of records: the field `tag` holds one of the variant names, and the rest of
 * the record follows that variant's schema (a scheduler gate is `{kind: 'target', …}` or `{kind: 'clear', …}`).
 */
export const taggedUnion = <const T extends string, const V extends EventSchemas>(tag: T, variants: V) =>
  ({ tagged: tag, variants }) as const;

/** The longest list accepted (a cluster's alive nodes, an allowed-operator set): bounds a hostile `length`. */
export const MAX_LIST_LENGTH = 10_000;

/** The TypeScript value a field kind parses to. */
export type ValueOf<K> = K extends 'string' | 'node'
  ? string
  : K extends 'string?'
    ? string | null
    : K extends 'boolean'
      ? boolean
      : K extends 'uint64'
        ? bigint
        : K extends 'millis' | 'count'
          ? number
          : K extends readonly (infer L)[]
            ? L
            : K extends { readonly optional: infer I }
              ? ValueOf<I>
              : K extends { readonly nullable: infer I }
                ? ValueOf<I> | null
                : K extends { readonly list: infer I }
                  ? ValueOf<I>[]
                  : K extends { readonly object: infer S }
                    ? Shape<S>
                    : K extends { readonly map: infer I }
                      ? Record<string, ValueOf<I>>
                      : K extends { readonly tagged: infer T extends string; readonly variants: infer V }
                        ? { [P in keyof V & string]: Simplify<{ [Q in T]: P } & Shape<V[P]>> }[keyof V & string]
                        : never;

type OptionalKeys<S> = { [P in keyof S]: S[P] extends { readonly optional: unknown } ? P : never }[keyof S];
type Simplify<T> = { [P in keyof T]: T[P] } & {};
/** The record a schema parses to; `optional` fields are optional properties. */
export type Shape<S> = Simplify<
  { -readonly [P in Exclude<keyof S, OptionalKeys<S>>]: ValueOf<S[P]> } & { -readonly [P in OptionalKeys<S>]?: ValueOf<S[P]> }
>;
/** The event union a set of schemas parses to, discriminated by `type`; loosely typed for a schema not known statically. */
export type EventOf<S extends EventSchemas> = string extends keyof S
  ? { type: string; [field: string]: unknown }
  : { [T in keyof S & string]: Simplify<{ type: T } & Shape<S[T]>> }[keyof S & string];

export type ParseResult<E> = { ok: true; event: E } | { ok: false; error: InvalidEventError };

// ---------------------------------------------------------------------------------------------
// The reader
// ---------------------------------------------------------------------------------------------

/** Internal: a bad field at `path`; turned into the public error type by the entry points. */
class FieldError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

const hasOwn = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

/** The reason carried by whatever a Proxy trap or a host object threw, without trusting it. */
function thrownReason(e: unknown): string {
  try {
    if (e instanceof FieldError) return e.reason;
    if (e instanceof Error) return describe(e.message).replace(/^"|"$/g, '');
  } catch {
    // fall through
  }
  return 'threw a non-error value';
}

/** An own data property's value, or undefined when absent; never calls a getter. */
function readOwn(obj: object, name: string, path: string): unknown {
  let d: PropertyDescriptor | undefined;
  try {
    d = Reflect.getOwnPropertyDescriptor(obj, name);
  } catch (e) {
    throw new FieldError(path, `could not be read (${thrownReason(e)})`);
  }
  if (d === undefined) return undefined;
  if (!('value' in d)) throw new FieldError(path, 'is an accessor, not a data property');
  return d.value;
}

/** A plain record to read fields from: an object, not an array or a function. */
function asRecord(raw: unknown, path: string): object {
  if (typeof raw !== 'object' || raw === null) throw new FieldError(path, `expected an object (got ${describe(raw)})`);
  let isArray: boolean;
  try {
    isArray = Array.isArray(raw);
  } catch (e) {
    throw new FieldError(path, `could not be read (${thrownReason(e)})`);
  }
  if (isArray) throw new FieldError(path, 'expected an object, not an array');
  return raw;
}

function parseList(kind: { readonly list: FieldKind; readonly unique?: boolean }, v: unknown, path: string): unknown[] {
  let isArray: boolean;
  try {
    isArray = Array.isArray(v);
  } catch (e) {
    throw new FieldError(path, `could not be read (${thrownReason(e)})`);
  }
  if (!isArray) throw new FieldError(path, `expected an array (got ${describe(v)})`);
  const arr = v as object;
  const length = readOwn(arr, 'length', `${path}.length`);
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) throw new FieldError(path, 'has no valid length');
  if (length > MAX_LIST_LENGTH) throw new FieldError(path, `more than ${MAX_LIST_LENGTH} elements (${length})`);
  const out: unknown[] = [];
  const seen = new Set<unknown>();
  for (let i = 0; i < length; i++) {
    const item = parseValue(kind.list, readOwn(arr, String(i), `${path}[${i}]`), `${path}[${i}]`);
    if (kind.unique && seen.has(item)) throw new FieldError(`${path}[${i}]`, `repeats ${describe(item)}`);
    seen.add(item);
    out.push(item);
  }
  return out;
}

function parseMap(kind: FieldKind, obj: object, path: string): Record<string, unknown> {
  let keys: string[];
  try {
    keys = Object.keys(obj);
  } catch (e) {
    throw new FieldError(path, `could not be read (${thrownReason(e)})`);
  }
  if (keys.length > MAX_LIST_LENGTH) throw new FieldError(path, `more than ${MAX_LIST_LENGTH} entries (${keys.length})`);
  const entries: Array<[string, unknown]> = [];
  for (const k of keys) {
    if (k === '') throw new FieldError(path, 'has an empty key');
    entries.push([k, parseValue(kind, readOwn(obj, k, `${path}.${k}`), `${path}.${k}`)]);
  }
  // fromEntries defines own data properties, so a key such as "__proto__" is just a key.
  return Object.fromEntries(entries);
}

function parseValue(kind: FieldKind, v: unknown, path: string): unknown {
  if (typeof kind === 'object' && !Array.isArray(kind)) {
    const compound = kind as Exclude<FieldKind, ScalarKind | readonly string[]>;
    if ('optional' in compound) return v === undefined ? undefined : parseValue(compound.optional, v, path);
    if (v === undefined) throw new FieldError(path, 'missing');
    if ('nullable' in compound) return v === null ? null : parseValue(compound.nullable, v, path);
    if ('list' in compound) return parseList(compound, v, path);
    if ('map' in compound) return parseMap(compound.map, asRecord(v, path), path);
    if ('tagged' in compound) return parseTagged(compound, asRecord(v, path), path);
    return parseShape(compound.object, asRecord(v, path), `${path}.`);
  }
  if (v === undefined) throw new FieldError(path, 'missing');
  if (Array.isArray(kind)) {
    if (typeof v !== 'string' || !kind.includes(v)) throw new FieldError(path, `expected one of ${kind.join(', ')} (got ${describe(v)})`);
    return v;
  }
  switch (kind as ScalarKind) {
    case 'string?':
      if (v !== null && typeof v !== 'string') throw new FieldError(path, `expected a string or null (got ${describe(v)})`);
      return v;
    case 'string':
      if (typeof v !== 'string') throw new FieldError(path, `expected a string (got ${describe(v)})`);
      return v;
    case 'node':
      if (typeof v !== 'string' || v.length === 0) throw new FieldError(path, `expected a non-empty ID (got ${describe(v)})`);
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') throw new FieldError(path, `expected a boolean (got ${describe(v)})`);
      return v;
    case 'millis':
    case 'count':
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
        const what = kind === 'millis' ? 'number of milliseconds' : 'number';
        throw new FieldError(path, `expected a non-negative integer ${what} (got ${describe(v)})`);
      }
      return v;
    case 'uint64':
      try {
        return toUint64(v, path);
      } catch (e) {
        throw new FieldError(path, e instanceof OpchartsError ? e.message.replace(`${path}: `, '') : thrownReason(e));
      }
  }
  throw new FieldError(path, 'unknown field kind');
}

function parseTagged(kind: { readonly tagged: string; readonly variants: EventSchemas }, obj: object, path: string): Record<string, unknown> {
  const tagPath = `${path}.${kind.tagged}`;
  const tag = readOwn(obj, kind.tagged, tagPath);
  if (typeof tag !== 'string' || !hasOwn(kind.variants, tag)) {
    throw new FieldError(tagPath, `expected one of ${Object.keys(kind.variants).join(', ')} (got ${describe(tag)})`);
  }
  return { [kind.tagged]: tag, ...parseShape(kind.variants[tag]!, obj, `${path}.`) };
}

/** `prefix` is '' at the top level, `name.` inside a nested record. */
function parseShape(schema: EventSchema, obj: object, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(schema)) {
    const path = `${prefix}${name}`;
    const value = parseValue(schema[name]!, readOwn(obj, name, path), path);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Every exception, ours or the raw value's, as a FieldError. */
function guarded<T>(fallbackPath: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof FieldError) throw e;
    throw new FieldError(fallbackPath, `could not be read (${thrownReason(e)})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/**
 * Parses `raw` against `schemas`, keyed by the event's `type`. Never throws: every failure, an
 * exception raised by the raw value included, is an {@link InvalidEventError}. The event type is
 * inferred from the schemas.
 */
export function parseEventWith<S extends EventSchemas>(schemas: S, raw: unknown): NoInfer<ParseResult<EventOf<S>>> {
  try {
    const event = guarded('(event)', () => {
      const obj = asRecord(raw, '(event)');
      const type = readOwn(obj, 'type', 'type');
      if (typeof type !== 'string') throw new FieldError('type', 'missing or not a string');
      if (!hasOwn(schemas, type)) throw new FieldError('type', `unknown event type ${describe(type)}`);
      return { type, ...parseShape(schemas[type]!, obj, '') };
    });
    return { ok: true, event: event as never };
  } catch (e) {
    const err = e as FieldError;
    return { ok: false, error: new InvalidEventError(err.path, err.reason) };
  }
}

/** Like {@link parseEventWith} but throws the typed error. */
export function parseEventOrThrow<S extends EventSchemas>(schemas: S, raw: unknown): NoInfer<EventOf<S>> {
  const r = parseEventWith(schemas, raw);
  if (!r.ok) throw r.error;
  return r.event;
}

const LIVENESS = ['Alive', 'Draining', 'Stopping'] as const;

/** Events of the coordinator-side operators (§2.0): add, move and stop. */
export const operatorEventSchemas = {
  STATUS: { from: 'node', state: MAINTAINER_STATES, bootstrapDone: 'boolean', maintainerEpoch: 'uint64' },
  NODE_REMOVED: { node: 'node' },
  TASK_REMOVED: {},
  SCHEDULE: {},
  POST_FINISH: {},
} as const satisfies EventSchemas;

const OBSERVE = { now: 'millis', nodeEpoch: 'uint64', liveness: LIVENESS } as const;

/** Events of the per-node drain workflow (§2.5.1). */
export const drainNodeEventSchemas = {
  REQUEST_DRAIN: { now: 'millis' },
  ADVANCE: { now: 'millis', readyToStop: 'boolean' },
  OBSERVE,
  NODE_REMOVED: { node: 'node' },
} as const satisfies EventSchemas;

/** Events of the coordinator's liveness view (§2.6.4). */
export const livenessViewEventSchemas = {
  OBSERVE,
  TICK: { now: 'millis' },
  NODE_REMOVED: { node: 'node' },
} as const satisfies EventSchemas;

/** Events of the node-side liveness register (§2.6). */
export const nodeLivenessEventSchemas = {
  SET_NODE_LIVENESS: { from: 'node', target: LIVENESS, nodeEpoch: 'uint64' },
  STORE: { liveness: LIVENESS },
  COORDINATOR_BOOTSTRAP: { from: 'node', version: 'uint64' },
  ADD_MAINTAINER: { from: 'node', changefeedId: 'node', maintainerEpoch: 'uint64' },
} as const satisfies EventSchemas;

/** Events of operator admission (§2.4): the controller's view under its lock, and the bump's result. */
export const admissionEventSchemas = {
  PRECHECK: { hasOperator: 'boolean', bumping: 'boolean', changefeedExists: 'boolean' },
  BUMPED: { epoch: 'uint64' },
  BUMP_FAILED: { code: 'node', maybeApplied: optional('boolean') },
  RECHECK: { hasOperator: 'boolean', changefeedExists: 'boolean', sameChangefeed: 'boolean' },
} as const satisfies EventSchemas;

/** Events of the maintainer registry on a node (§2.7.1–§2.7.2). */
export const maintainerRegistryEventSchemas = {
  ADD_MAINTAINER: { from: 'node', maintainerEpoch: 'uint64', configEpoch: 'uint64', checkpointTs: 'uint64', configValid: 'boolean' },
  REMOVE_MAINTAINER: { from: 'node', maintainerEpoch: 'uint64', cascade: 'boolean', removed: 'boolean' },
  BOOTSTRAP_RESPONSE: { from: 'node', maintainerEpoch: 'uint64', error: 'boolean' },
  POST_BOOTSTRAP_RESPONSE: { from: 'node', maintainerEpoch: 'uint64', error: 'boolean' },
  CLOSE_RESPONSE: { from: 'node', maintainerEpoch: 'uint64', success: 'boolean' },
  COORDINATOR_BOOTSTRAP: { from: 'node', version: 'uint64' },
  DISPATCHER_STATUS: { dispatcher: 'node', state: MAINTAINER_STATES, hasOperator: 'boolean' },
  BLOCK_STATUS: { dispatcher: 'node' },
  RESEND: {},
  HEARTBEAT: {},
  NODE_ADDED: { node: 'node' },
  NODE_REMOVED: { node: 'node' },
  LIVENESS: { liveness: LIVENESS },
  CLEANUP: { generation: 'count' },
} as const satisfies EventSchemas;

/** Events of a dispatcher manager and its orchestrator (§2.7.3). `triggerId` may be null. */
export const dispatcherManagerEventSchemas = {
  BOOTSTRAP: { from: 'node', maintainerEpoch: 'uint64', triggerId: 'string?' },
  POST_BOOTSTRAP: { from: 'node', maintainerEpoch: 'uint64', triggerId: 'string?', writePathClosed: 'boolean' },
  REQUEST: { from: 'node', maintainerEpoch: 'uint64', dispatcher: 'node', kind: ['create', 'remove'] },
  CLOSE: { from: 'node', maintainerEpoch: 'uint64', removed: 'boolean' },
  DISPATCHER_CREATED: { dispatcher: 'node' },
  DISPATCHER_REMOVED: { dispatcher: 'node' },
  REMOVE_CLEANED: { dispatcher: 'node' },
  CLOSE_FINISHED: {},
} as const satisfies EventSchemas;

/** Events of the orchestrator's pending slot (§2.7.3 TryEnqueue). `removed` is a close's flag. */
export const dispatcherQueueEventSchemas = {
  ENQUEUE: {
    message: objectOf({ type: ['bootstrap', 'postBootstrap', 'close'], from: 'node', maintainerEpoch: 'uint64', removed: optional('boolean') }),
  },
  POP: {},
} as const satisfies EventSchemas;

/** Events of the maintainer's dispatcher-operator controller (§2.8). `allowed` may hold '' (ignored). */
export const quiesceEventSchemas = {
  ADD_OPERATOR: { id: 'node', checkpointTs: 'uint64' },
  STATUS: { id: 'node' },
  POLL: { id: 'node' },
  OPERATOR_FINISHED: { id: 'node' },
  NODE_REMOVED: { node: 'node' },
  QUIESCE_EXCEPT: { allowed: listOf('string') },
} as const satisfies EventSchemas;

/** Events of a node's dispatcher drain target (§2.5.4, §2.6.3). `target` '' is the clear. */
export const nodeDrainTargetEventSchemas = {
  SET_DISPATCHER_DRAIN_TARGET: { from: 'node', target: 'string', epoch: 'uint64' },
  COORDINATOR_BOOTSTRAP: { from: 'node', version: 'uint64' },
} as const satisfies EventSchemas;

// ---------------------------------------------------------------------------------------------
// Actor inputs
// ---------------------------------------------------------------------------------------------

const VIEW_STATES = ['Alive', 'Draining', 'Stopping', 'Unknown'] as const;
const DRAIN_TARGET = objectOf({ target: 'string', epoch: 'uint64' });
const TARGET_OBSERVATION = objectOf({
  view: VIEW_STATES,
  drainingObserved: 'boolean',
  stoppingObserved: 'boolean',
  maintainersOnTarget: 'count',
  operatorsInvolvingTarget: 'count',
  changefeeds: listOf(
    objectOf({
      id: 'node',
      replicating: 'boolean',
      shouldRun: 'boolean',
      drainProgress: nullable(objectOf({ target: 'string', epoch: 'uint64', dispatcherCount: 'count', inflightMoves: 'count' })),
    }),
  ),
});
const NODE_SET = listOf('node', { unique: true });

/**
 * Events of the coordinator's drain session (§2.5.5). The host builds them from what it holds under
 * its lock (membership, views, counts) and from network reports; a malformed one is refused here.
 */
export const drainSessionEventSchemas = {
  DRAIN_NODE: {
    now: 'millis',
    target: 'node',
    cluster: objectOf({ aliveNodes: NODE_SET, initialized: 'boolean', drainProtocol: mapOf(nullable('count')) }),
    observation: TARGET_OBSERVATION,
    tso: nullable(objectOf({ physicalMs: 'uint64', logical: 'uint64' })),
    wallClockNs: 'uint64',
  },
  NODE_HEARTBEAT: {
    now: 'millis',
    from: 'node',
    nodeEpoch: 'uint64',
    view: objectOf({ observed: 'boolean', nodeEpoch: 'uint64' }),
    drainTarget: DRAIN_TARGET,
    participant: 'boolean',
    clearParticipants: NODE_SET,
  },
  BOOTSTRAP_RESPONSE: { now: 'millis', from: 'node', drainProtocolVersion: 'count', drainTarget: DRAIN_TARGET, participant: 'boolean', clearParticipants: NODE_SET },
  NODE_REMOVED: { now: 'millis', node: 'node', observation: TARGET_OBSERVATION, aliveNodes: NODE_SET },
  NODE_ADDED: { node: 'node' },
  TICK: { now: 'millis', initialized: 'boolean', aliveNodes: NODE_SET, observation: TARGET_OBSERVATION },
} as const satisfies EventSchemas;

/** TiCDC's FeedState values (adapters/types.ts FEED_STATES; listed here so the boundary imports no adapter). */
export const FEED_STATE_VALUES = ['normal', 'pending', 'warning', 'stopped', 'failed', 'finished', 'removed'] as const;

/** Events of a changefeed state change (§2.4.3): the coordinator's view, and the write's result. */
export const stateChangeEventSchemas = {
  CHECK: { changefeedExists: 'boolean', unchanged: 'boolean', epoch: 'uint64', checkpointTs: 'uint64' },
  BUMPED: { epoch: 'uint64' },
  BUMP_FAILED: { code: 'node' },
  UPDATED: {},
  UPDATE_FAILED: { code: 'node' },
} as const satisfies EventSchemas;

/** Every machine's input schema, keyed by machine ID. A machine without input takes `{}`. */
export const inputSchemas = {
  addMaintainer: { changefeedId: 'node', dest: 'node', maintainerEpoch: 'uint64', checkpointTs: 'uint64', isNew: 'boolean' },
  moveMaintainer: { changefeedId: 'node', origin: 'node', dest: 'node', originEpoch: 'uint64', maintainerEpoch: 'uint64', checkpointTs: 'uint64' },
  stopChangefeed: { changefeedId: 'node', nodeId: 'node', coordinatorNode: 'node', maintainerEpoch: 'uint64', removed: 'boolean' },
  drainNode: { node: 'node', resendIntervalMs: optional('millis') },
  nodeLiveness: { nodeId: 'node', nodeEpoch: 'uint64', coordinator: optional(objectOf({ id: 'node', version: 'uint64' })) },
  livenessView: { node: 'node', ttlMs: optional('millis') },
  admission: { changefeedId: 'node', kind: ['add', 'move', 'stop'], needsBump: 'boolean' },
  // coordinatorId '' = no coordinator adopted yet.
  maintainerRegistry: { changefeedId: 'node', node: 'node', coordinatorId: 'string', coordinatorVersion: optional('uint64'), aliveNodes: listOf('node', { unique: true }) },
  dispatcherManager: { changefeedId: 'node', node: 'node', tombstone: optional(nullable('uint64')) },
  dispatcherQueue: {},
  quiesce: {},
  nodeDrainTarget: { coordinatorId: 'string', coordinatorVersion: 'uint64' },
  drainSession: { resendIntervalMs: optional('millis') },
  stateChange: { changefeedId: 'node', state: FEED_STATE_VALUES },
} as const satisfies { readonly [machineId: string]: EventSchema };

export type MachineId = keyof typeof inputSchemas;
export type InputOf<Id extends MachineId> = Shape<(typeof inputSchemas)[Id]>;

/** Every machine's event schemas, keyed by machine ID. */
export const eventSchemas = {
  addMaintainer: operatorEventSchemas,
  moveMaintainer: operatorEventSchemas,
  stopChangefeed: operatorEventSchemas,
  drainNode: drainNodeEventSchemas,
  nodeLiveness: nodeLivenessEventSchemas,
  livenessView: livenessViewEventSchemas,
  admission: admissionEventSchemas,
  maintainerRegistry: maintainerRegistryEventSchemas,
  dispatcherManager: dispatcherManagerEventSchemas,
  dispatcherQueue: dispatcherQueueEventSchemas,
  quiesce: quiesceEventSchemas,
  nodeDrainTarget: nodeDrainTargetEventSchemas,
  drainSession: drainSessionEventSchemas,
  stateChange: stateChangeEventSchemas,
} as const satisfies { readonly [K in MachineId]: EventSchemas };

/** True when the boundary has schemas for the machine with this ID. */
export function hasSchemas(machineId: string): machineId is MachineId {
  return hasOwn(inputSchemas, machineId) && hasOwn(eventSchemas, machineId);
}

function idOf(machine: AnyStateMachine): MachineId {
  if (!hasSchemas(machine.id)) throw new OpchartsError('NO_SCHEMA', `no boundary schema for machine ${describe(machine.id)}`);
  return machine.id;
}

/**
 * The machines' context factories call this: a valid input becomes the typed input (uint64 fields
 * as bigint, unknown fields dropped), anything else throws {@link InvalidInputError}, so a
 * context is never built from invalid input.
 *
 * XState v5 catches what a context factory throws and puts the actor in status `error`, and when
 * that actor is started with no error observer it rethrows the error asynchronously (an uncaught
 * exception that ends a Node process, whatever try/catch surrounds `start()`). So hosts with
 * untrusted input call {@link parseInput} or {@link createValidatedActor} first, which throw the
 * same typed error synchronously, before any actor exists.
 */
export function validInput<Id extends MachineId>(machineId: Id, raw: unknown): InputOf<Id> {
  const schema: EventSchema = inputSchemas[machineId];
  try {
    return guarded('(input)', () => {
      // A machine without input fields takes no input: `undefined` is its empty input.
      if (raw === undefined && Object.keys(schema).length === 0) return {};
      return parseShape(schema, asRecord(raw, '(input)'), '');
    }) as InputOf<Id>;
  } catch (e) {
    const err = e as FieldError;
    throw new InvalidInputError(machineId, err.path, err.reason);
  }
}

/** Parses a raw input for `machine`; throws {@link InvalidInputError}. */
export function parseInput<M extends AnyStateMachine>(machine: M, raw: unknown): InputFrom<M> {
  return validInput(idOf(machine), raw) as InputFrom<M>;
}

/** Parses a raw event for `machine` with its schemas; never throws. */
export function parseEvent<M extends AnyStateMachine>(machine: M, raw: unknown): ParseResult<EventFromLogic<M>> {
  return parseEventWith(eventSchemas[idOf(machine)], raw) as ParseResult<EventFromLogic<M>>;
}

/**
 * `createActor` for untrusted input: the input is parsed first (an {@link InvalidInputError} is
 * thrown before any actor exists), and every event sent to the returned actor from outside goes
 * through the machine's event schemas — an invalid one makes `send` throw an
 * {@link InvalidEventError} and changes nothing (no transition, no effect, the actor keeps running).
 */
export function createValidatedActor<M extends AnyStateMachine>(
  machine: M,
  input: unknown,
  options: Omit<ActorOptions<M>, 'input'> = {},
): Actor<M> {
  const schemas = eventSchemas[idOf(machine)];
  const actor = createActor(machine, { ...options, input: parseInput(machine, input) } as ActorOptions<M>);
  const send = actor.send.bind(actor);
  Object.defineProperty(actor, 'send', {
    value: (raw: unknown) => send(parseEventOrThrow(schemas, raw) as EventFromLogic<M>),
  });
  return actor;
}

/**
 * Wraps a machine's context factory so that it builds the context from the validated input only
 * (see {@link validInput}): `context: fromValidInput('drainNode', (input) => ({ ... }))`.
 */
export function fromValidInput<Id extends MachineId, C>(machineId: Id, build: (input: InputOf<Id>) => C) {
  return ({ input }: { input: unknown }): C => build(validInput(machineId, input));
}
