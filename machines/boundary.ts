/**
 * The boundary for untrusted input: raw message objects (parsed JSON from a transport, a CLI, a
 * test file) become typed events, or a typed {@link InvalidEventError} naming the bad field.
 *
 * Machines trust their events' types; nothing that has not passed through here should reach an
 * actor from outside the process. A rejected input is never sent, so it changes nothing.
 *
 * Each event type is described once by a small schema: field name → field kind. uint64 fields
 * accept a bigint, a canonical decimal string, or a safe-integer JSON number (see `toUint64`).
 */
import { InvalidEventError, OpchartsError } from './errors.js';
import { toUint64 } from './epoch.js';
import { MAINTAINER_STATES } from './protocol.js';

export type FieldKind =
  | 'string' // any string, may be empty
  | 'string?' // a string or null
  | 'node' // a non-empty node ID
  | 'boolean'
  | 'uint64'
  | 'millis' // a virtual-clock time in ms: a finite, non-negative safe integer
  | readonly string[]; // one of these literals

export type EventSchema = Readonly<Record<string, FieldKind>>;
export type EventSchemas = Readonly<Record<string, EventSchema>>;

export type ParseResult<E> = { ok: true; event: E } | { ok: false; error: InvalidEventError };

function field(raw: Record<string, unknown>, name: string, kind: FieldKind): unknown {
  if (!(name in raw) || raw[name] === undefined) throw new InvalidEventError(name, 'missing');
  const v = raw[name];
  if (kind === 'string?') {
    if (v !== null && typeof v !== 'string') throw new InvalidEventError(name, 'expected a string or null');
    return v;
  }
  if (Array.isArray(kind)) {
    if (typeof v !== 'string' || !kind.includes(v)) {
      throw new InvalidEventError(name, `expected one of ${kind.join(', ')}`);
    }
    return v;
  }
  switch (kind) {
    case 'string':
      if (typeof v !== 'string') throw new InvalidEventError(name, 'expected a string');
      return v;
    case 'node':
      if (typeof v !== 'string' || v.length === 0) throw new InvalidEventError(name, 'expected a non-empty node ID');
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') throw new InvalidEventError(name, 'expected a boolean');
      return v;
    case 'millis':
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
        throw new InvalidEventError(name, 'expected a non-negative integer number of milliseconds');
      }
      return v;
    case 'uint64':
      try {
        return toUint64(v, name);
      } catch (e) {
        throw new InvalidEventError(name, e instanceof OpchartsError ? e.message.replace(`${name}: `, '') : String(e));
      }
  }
  throw new InvalidEventError(name, 'unknown field kind');
}

/**
 * Parses `raw` against `schemas`, keyed by the event's `type`. Unknown fields are dropped so that a
 * typed event carries exactly the fields its schema names.
 */
export function parseEventWith<E extends { type: string }>(schemas: EventSchemas, raw: unknown): ParseResult<E> {
  try {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new InvalidEventError('(event)', 'expected an object');
    }
    const obj = raw as Record<string, unknown>;
    const type = obj.type;
    if (typeof type !== 'string') throw new InvalidEventError('type', 'missing or not a string');
    const schema = Object.prototype.hasOwnProperty.call(schemas, type) ? schemas[type] : undefined;
    if (!schema) throw new InvalidEventError('type', `unknown event type ${JSON.stringify(type)}`);
    const event: Record<string, unknown> = { type };
    for (const [name, kind] of Object.entries(schema)) event[name] = field(obj, name, kind);
    return { ok: true, event: event as E };
  } catch (e) {
    if (e instanceof InvalidEventError) return { ok: false, error: e };
    throw e;
  }
}

/** Like {@link parseEventWith} but throws the typed error. */
export function parseEventOrThrow<E extends { type: string }>(schemas: EventSchemas, raw: unknown): E {
  const r = parseEventWith<E>(schemas, raw);
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
