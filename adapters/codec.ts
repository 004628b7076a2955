/**
 * Records at rest, laid out like TiCDC's etcd keys (§3.1): JSON values whose uint64 fields are
 * decimal strings. Decoding validates everything; a value that does not parse is a
 * CorruptRecordError, never a default.
 */
import { formatUint64, parseUint64 } from '../machines/epoch.js';
import type { Progress } from '../machines/protocol.js';
import { CorruptRecordError, InvalidChangefeedIdError } from './errors.js';
import { FEED_STATES, type ChangefeedInfo, type ChangefeedStatus, type FeedState, type RunningError } from './types.js';

export interface KeyLayout {
  /** Root of every key (default `/tidb/cdc`). */
  prefix: string;
  clusterId: string;
  keyspace: string;
}

export const DEFAULT_LAYOUT: KeyLayout = { prefix: '/tidb/cdc', clusterId: 'default', keyspace: 'default' };

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function checkChangefeedId(id: string): string {
  if (typeof id !== 'string' || !NAME.test(id)) throw new InvalidChangefeedIdError(String(id));
  return id;
}

export function infoKey(l: KeyLayout, id: string): string {
  return `${l.prefix}/${l.clusterId}/${l.keyspace}/changefeed/info/${id}`;
}
export function statusKey(l: KeyLayout, id: string): string {
  return `${l.prefix}/${l.clusterId}/${l.keyspace}/changefeed/status/${id}`;
}

const PROGRESS_CODE: Record<Progress, number> = { None: 1, Removing: 2, Stopping: 3 };
const PROGRESS_BY_CODE = new Map(Object.entries(PROGRESS_CODE).map(([k, v]) => [v, k as Progress]));

export function encodeInfo(id: string, info: ChangefeedInfo): string {
  return JSON.stringify({
    'changefeed-id': id,
    epoch: formatUint64(info.epoch),
    state: info.state,
    error: info.error,
    config: info.config ?? null,
  });
}

export function encodeStatus(status: ChangefeedStatus): string {
  return JSON.stringify({ 'checkpoint-ts': formatUint64(status.checkpointTs), progress: PROGRESS_CODE[status.progress] });
}

function parseJson(id: string, key: string, text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CorruptRecordError(id, key, `not JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CorruptRecordError(id, key, 'not a JSON object');
  return v as Record<string, unknown>;
}

function uint64Field(id: string, key: string, obj: Record<string, unknown>, field: string): bigint {
  try {
    return parseUint64(obj[field], field);
  } catch (e) {
    throw new CorruptRecordError(id, key, (e as Error).message);
  }
}

export function decodeInfo(id: string, key: string, text: string): ChangefeedInfo {
  const o = parseJson(id, key, text);
  const state = o.state;
  if (typeof state !== 'string' || !FEED_STATES.includes(state as FeedState)) {
    throw new CorruptRecordError(id, key, `state: expected one of ${FEED_STATES.join(', ')}`);
  }
  const err = o.error;
  if (err !== null && err !== undefined) {
    const e = err as Record<string, unknown>;
    if (typeof e !== 'object' || typeof e.code !== 'string' || typeof e.message !== 'string') {
      throw new CorruptRecordError(id, key, 'error: expected null or {code, message}');
    }
  }
  return {
    epoch: uint64Field(id, key, o, 'epoch'),
    state: state as FeedState,
    error: (err ?? null) as RunningError | null,
    config: o.config ?? null,
  };
}

export function decodeStatus(id: string, key: string, text: string): ChangefeedStatus {
  const o = parseJson(id, key, text);
  const progress = PROGRESS_BY_CODE.get(o.progress as number);
  if (!progress) throw new CorruptRecordError(id, key, 'progress: expected 1 (None), 2 (Removing) or 3 (Stopping)');
  return { checkpointTs: uint64Field(id, key, o, 'checkpoint-ts'), progress };
}
