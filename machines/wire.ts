/**
 * The wire codec for the control-plane messages of spec §1.1: `encodeMessage(msg)` gives JSON text,
 * `decodeMessage(text)` gives the typed message back, or an {@link InvalidMessageError} naming the
 * bad field. Pure: no I/O, no transport; the host sends and receives the text.
 *
 * The format is one flat JSON object per message, `type` first, every uint64 (epochs, checkpoints,
 * versions) as its canonical decimal string, so a peer in any language reads it without precision
 * loss: `{"type":"SetNodeLivenessRequest","to":"n2","target":"Draining","nodeEpoch":"18446744073709551615"}`.
 *
 * Both directions are strict (machines/codec.ts): a message has exactly its type's fields; a uint64
 * is a bigint in 0..2^64−1 when encoded and a canonical decimal string when decoded (a JSON number,
 * "007", "-1", "1e3" or "18446744073709551616" is refused, as is an unknown `type`).
 *
 * The message types are those the machines emit (machines/protocol.ts, fencingProtocol.ts,
 * nodeDrainTarget.ts, coordinator/drainSession.ts) plus the `CoordinatorBootstrapRequest` that the
 * node-side machines receive as `COORDINATOR_BOOTSTRAP`. `to` is the receiving node; the machines
 * address a node-to-coordinator message to `''` while no coordinator has been adopted, so `to` may
 * be empty (the host has nowhere to send it and drops it). A compile-time check below keeps each
 * schema and the machine's own message type identical.
 *
 * The machines' own events (boundary.ts `eventSchemas`) have the same text form through
 * {@link encodeEvent} / {@link decodeEvent}, for a host that queues or forwards events.
 *
 * Simplification (as in the machines): a message carries the fields the model uses, not the whole
 * protobuf (no `keyspace`, `config` is not on the wire, `MaintainerHeartbeat` is one
 * `MaintainerStatus` per message, without `checkpointTs` and `drainProgress`).
 */
import { MAINTAINER_STATES, type OutgoingMessage } from './protocol.js';
import { eventSchemas, hasSchemas, listOf, nullable, objectOf, type EventOf, type EventSchemas, type MachineId } from './boundary.js';
import { CodecFieldError, guardedCodec, shape } from './codec.js';
import { InvalidEventError, InvalidMessageError, describe } from './errors.js';
import type {
  MaintainerBootstrapRequest,
  MaintainerBootstrapResponse,
  MaintainerCloseRequest,
  MaintainerCloseResponse,
  MaintainerPostBootstrapRequest,
  MaintainerPostBootstrapResponse,
  MaintainerStatusMessage,
} from './fencingProtocol.js';
import type { NodeDrainTargetEffect } from './nodeDrainTarget.js';
import type { DrainSessionEffect } from './coordinator/drainSession.js';

const LIVENESS = ['Alive', 'Draining', 'Stopping'] as const;

/** Every message of the catalogue (§1.1), keyed by its `type`: field → kind. */
export const messageSchemas = {
  // coordinator → node (maintainer manager)
  CoordinatorBootstrapRequest: { to: 'string', version: 'uint64' },
  AddMaintainerRequest: { to: 'string', changefeedId: 'node', maintainerEpoch: 'uint64', checkpointTs: 'uint64', isNew: 'boolean' },
  RemoveMaintainerRequest: { to: 'string', changefeedId: 'node', cascade: 'boolean', removed: 'boolean', maintainerEpoch: 'uint64' },
  SetNodeLivenessRequest: { to: 'string', target: LIVENESS, nodeEpoch: 'uint64' },
  // targetNodeId '' is the clear.
  SetDispatcherDrainTargetRequest: { to: 'string', targetNodeId: 'string', targetEpoch: 'uint64' },
  // node → coordinator
  CoordinatorBootstrapResponse: { to: 'string', drainProtocolVersion: 'count', target: 'string', epoch: 'uint64' },
  MaintainerStatus: {
    to: 'string',
    changefeedId: 'node',
    state: MAINTAINER_STATES,
    maintainerEpoch: 'uint64',
    bootstrapDone: 'boolean',
    error: 'boolean',
  },
  NodeHeartbeat: { to: 'string', liveness: LIVENESS, nodeEpoch: 'uint64', forced: 'boolean' },
  NodeDrainHeartbeat: { to: 'string', target: 'string', epoch: 'uint64' },
  SetNodeLivenessResponse: { to: 'string', applied: LIVENESS, nodeEpoch: 'uint64' },
  // maintainer → dispatcher orchestrator
  MaintainerBootstrapRequest: { to: 'string', changefeedId: 'node', maintainerEpoch: 'uint64', tableTriggerId: 'string?' },
  MaintainerPostBootstrapRequest: { to: 'string', changefeedId: 'node', maintainerEpoch: 'uint64', tableTriggerId: 'string' },
  MaintainerCloseRequest: { to: 'string', changefeedId: 'node', removed: 'boolean', maintainerEpoch: 'uint64' },
  // dispatcher orchestrator → maintainer
  MaintainerBootstrapResponse: {
    to: 'string',
    changefeedId: 'node',
    maintainerEpoch: 'uint64',
    spans: listOf('string'),
    operators: listOf(objectOf({ dispatcher: 'string', kind: ['create', 'remove'], owner: 'string', ownerEpoch: 'uint64' })),
    error: nullable('string'),
  },
  MaintainerPostBootstrapResponse: { to: 'string', changefeedId: 'node', maintainerEpoch: 'uint64', error: nullable('string') },
  MaintainerCloseResponse: { to: 'string', changefeedId: 'node', success: 'boolean', maintainerEpoch: 'uint64' },
} as const satisfies EventSchemas;

export type WireMessageType = keyof typeof messageSchemas;
/** Every message the codec carries, discriminated by `type`. */
export type WireMessage = EventOf<typeof messageSchemas>;
export type WireMessageOf<T extends WireMessageType> = Extract<WireMessage, { type: T }>;

export interface CoordinatorBootstrapRequest {
  type: 'CoordinatorBootstrapRequest';
  to: string;
  /** The coordinator's etcd owner revision. */
  version: bigint;
}

// Compile-time: each schema describes exactly the type the machines use (both directions assignable).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;
type DrainTargetHeartbeat = Extract<NodeDrainTargetEffect, { type: 'NodeDrainHeartbeat' }>;
type DrainTargetRequest = Extract<DrainSessionEffect, { type: 'SetDispatcherDrainTargetRequest' }>;
export type WireSchemaChecks = [
  Check<Same<WireMessageOf<'CoordinatorBootstrapRequest'>, CoordinatorBootstrapRequest>>,
  Check<Same<WireMessageOf<OutgoingMessage['type']>, OutgoingMessage>>,
  Check<Same<WireMessageOf<'MaintainerStatus'>, MaintainerStatusMessage>>,
  Check<Same<WireMessageOf<'MaintainerBootstrapRequest'>, MaintainerBootstrapRequest>>,
  Check<Same<WireMessageOf<'MaintainerPostBootstrapRequest'>, MaintainerPostBootstrapRequest>>,
  Check<Same<WireMessageOf<'MaintainerCloseRequest'>, MaintainerCloseRequest>>,
  Check<Same<WireMessageOf<'MaintainerBootstrapResponse'>, MaintainerBootstrapResponse>>,
  Check<Same<WireMessageOf<'MaintainerPostBootstrapResponse'>, MaintainerPostBootstrapResponse>>,
  Check<Same<WireMessageOf<'MaintainerCloseResponse'>, MaintainerCloseResponse>>,
  Check<Same<WireMessageOf<'NodeDrainHeartbeat'>, DrainTargetHeartbeat>>,
  Check<Same<WireMessageOf<'SetDispatcherDrainTargetRequest'>, DrainTargetRequest>>,
  // The node-side machine only speaks drain protocol 1; the wire also carries a legacy 0.
  Check<Extract<NodeDrainTargetEffect, { type: 'CoordinatorBootstrapResponse' }> extends WireMessageOf<'CoordinatorBootstrapResponse'> ? true : false>,
];

/** Longest message text accepted by {@link decodeMessage} (1 MiB): bounds what a hostile peer makes us parse. */
export const MAX_MESSAGE_LENGTH = 1 << 20;

const hasOwn = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

function typeOf(schemas: EventSchemas, obj: unknown, what: string): string {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new CodecFieldError(`(${what})`, `expected an object (got ${describe(obj)})`);
  const type = hasOwn(obj, 'type') ? (obj as { type: unknown }).type : undefined;
  if (typeof type !== 'string') throw new CodecFieldError('type', `missing or not a string (got ${describe(type)})`);
  if (!hasOwn(schemas, type)) throw new CodecFieldError('type', `unknown ${what} type ${describe(type)}`);
  return type;
}

/** A record of `schemas` keyed by its `type`, converted in direction `dir`; throws {@link CodecFieldError}. */
function convertWith(schemas: EventSchemas, raw: unknown, dir: 'encode' | 'decode', what: string): Record<string, unknown> {
  return guardedCodec(`(${what})`, () => {
    const type = typeOf(schemas, raw, what);
    return { type, ...shape(schemas[type]!, raw, '', dir, ['type']) };
  });
}

function convert(raw: unknown, dir: 'encode' | 'decode'): Record<string, unknown> {
  try {
    return convertWith(messageSchemas, raw, dir, 'message');
  } catch (e) {
    const err = e as CodecFieldError;
    throw new InvalidMessageError(err.path, err.reason);
  }
}

function parseText(text: unknown, what: string): unknown {
  if (typeof text !== 'string') throw new CodecFieldError(`(${what})`, `expected JSON text (got ${describe(text)})`);
  if (text.length > MAX_MESSAGE_LENGTH) throw new CodecFieldError(`(${what})`, `longer than ${MAX_MESSAGE_LENGTH} characters (${text.length})`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CodecFieldError(`(${what})`, `not JSON (${e instanceof Error ? e.message : 'parse error'})`);
  }
}

/**
 * The JSON text of a message; throws {@link InvalidMessageError} when it is not a valid message of
 * the catalogue (an unknown type, a missing or extra field, a uint64 that is not a bigint in range).
 */
export function encodeMessage(message: WireMessage): string {
  return JSON.stringify(convert(message, 'encode'));
}

export type DecodeResult = { ok: true; message: WireMessage } | { ok: false; error: InvalidMessageError };

/** The typed message of a JSON text; never throws (see {@link decodeMessage}). */
export function tryDecodeMessage(text: unknown): DecodeResult {
  try {
    return { ok: true, message: decodeMessage(text) };
  } catch (e) {
    if (e instanceof InvalidMessageError) return { ok: false, error: e };
    throw e;
  }
}

/**
 * The typed message of a JSON text written by {@link encodeMessage} (or any peer following the same
 * format); throws {@link InvalidMessageError} naming the bad field. uint64 fields come out as bigint.
 */
export function decodeMessage(text: unknown): WireMessage {
  let raw: unknown;
  try {
    raw = parseText(text, 'message');
  } catch (e) {
    const err = e as CodecFieldError;
    throw new InvalidMessageError(err.path, err.reason);
  }
  return convert(raw, 'decode') as WireMessage;
}

// ---------------------------------------------------------------------------------------------
// Machine events (machines/boundary.ts `eventSchemas`) in the same format, for a host that queues
// or forwards events as text. Decoding is strict; the boundary's `parseEvent` stays the lenient
// reader for events built by hand (uint64 as a safe number too, unknown fields dropped).
// ---------------------------------------------------------------------------------------------

/** An event of machine `Id`, as its boundary schemas type it. */
export type MachineEventOf<Id extends MachineId> = EventOf<(typeof eventSchemas)[Id]>;

function schemasOf(machineId: string): EventSchemas {
  if (!hasSchemas(machineId)) throw new InvalidEventError('(machine)', `no event schemas for machine ${describe(machineId)}`);
  return eventSchemas[machineId];
}

/** The JSON text of an event of machine `machineId` (uint64 as decimal strings); throws {@link InvalidEventError}. */
export function encodeEvent<Id extends MachineId>(machineId: Id, event: MachineEventOf<Id>): string {
  const schemas = schemasOf(machineId);
  try {
    return JSON.stringify(convertWith(schemas, event, 'encode', 'event'));
  } catch (e) {
    const err = e as CodecFieldError;
    throw new InvalidEventError(err.path, err.reason);
  }
}

/** The typed event of machine `machineId` in a text written by {@link encodeEvent}; throws {@link InvalidEventError}. */
export function decodeEvent<Id extends MachineId>(machineId: Id, text: unknown): MachineEventOf<Id> {
  const schemas = schemasOf(machineId);
  try {
    return convertWith(schemas, parseText(text, 'event'), 'decode', 'event') as MachineEventOf<Id>;
  } catch (e) {
    const err = e as CodecFieldError;
    throw new InvalidEventError(err.path, err.reason);
  }
}
