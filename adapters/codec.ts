/**
 * Records at rest, laid out like TiCDC's etcd keys (§3.1): JSON values whose uint64 fields are
 * decimal strings. Decoding validates everything; a value that does not parse is a
 * CorruptRecordError, never a default.
 */
import { formatUint64, parseUint64 } from '../machines/epoch.js';
import type { Progress } from '../machines/protocol.js';
import { CorruptRecordError, InvalidChangefeedIdError, InvalidRecordError } from './errors.js';
import { assertUint64 } from '../machines/epoch.js';
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

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Checks before a write: a state the codec reads back (issue 9 item 6). */
export function checkState(id: string, state: unknown): FeedState {
  if (typeof state !== 'string' || !FEED_STATES.includes(state as FeedState)) {
    throw new InvalidRecordError(id, 'state', `expected one of ${FEED_STATES.join(', ')}`);
  }
  return state as FeedState;
}
export function checkRunningError(id: string, error: unknown): RunningError | null {
  if (error === null) return null;
  const e = error as Record<string, unknown>;
  if (typeof e !== 'object' || Array.isArray(e) || typeof e.code !== 'string' || typeof e.message !== 'string') {
    throw new InvalidRecordError(id, 'error', 'expected null or {code: string, message: string}');
  }
  return { code: e.code, message: e.message };
}
export function checkProgress(id: string, progress: unknown): Progress {
  if (typeof progress !== 'string' || !own(PROGRESS_CODE, progress)) {
    throw new InvalidRecordError(id, 'progress', 'expected None, Removing or Stopping');
  }
  return progress as Progress;
}
function checkUint64(id: string, field: string, v: unknown): bigint {
  try {
    assertUint64(v as bigint, field);
  } catch (e) {
    throw new InvalidRecordError(id, field, (e as Error).message);
  }
  return v as bigint;
}
export function checkStatus(id: string, status: unknown): ChangefeedStatus {
  if (typeof status !== 'object' || status === null) throw new InvalidRecordError(id, 'status', 'expected {checkpointTs, progress}');
  const s = status as Record<string, unknown>;
  return { checkpointTs: checkUint64(id, 'checkpointTs', s.checkpointTs), progress: checkProgress(id, s.progress) };
}
/** The config as JSON text, or InvalidRecordError (bigint, circular, not representable). */
function configJson(id: string, config: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(config ?? null);
  } catch (e) {
    throw new InvalidRecordError(id, 'config', `not JSON-serialisable (${(e as Error).message})`);
  }
  if (text === undefined) throw new InvalidRecordError(id, 'config', 'not JSON-serialisable');
  return JSON.parse(text);
}

export function encodeInfo(id: string, info: ChangefeedInfo): string {
  if (typeof info !== 'object' || info === null) throw new InvalidRecordError(id, 'info', 'expected {epoch, state, error, config}');
  checkUint64(id, 'epoch', info.epoch);
  checkState(id, info.state);
  checkRunningError(id, info.error);
  configJson(id, info.config);
  return JSON.stringify({
    'changefeed-id': id,
    epoch: formatUint64(info.epoch),
    state: info.state,
    error: info.error,
    config: info.config ?? null,
  });
}

export function encodeStatus(status: ChangefeedStatus, id = ''): string {
  checkStatus(id, status);
  return JSON.stringify({ 'checkpoint-ts': formatUint64(status.checkpointTs), progress: PROGRESS_CODE[status.progress] });
}

/**
 * TiCDC writes its uint64 fields (`epoch`, `checkpoint-ts`) as JSON numbers (Go's encoding/json),
 * which JSON.parse would round past 2^53. Before parsing, a top-level number literal of one of
 * `fields` is quoted, so its exact digits reach parseUint64 (which still refuses fractions,
 * exponents, signs and values over 2^64-1). Only the top level is touched: a nested "epoch"
 * inside the config stays as it is. Malformed text is left for JSON.parse to refuse.
 */
export function quoteTopLevelNumbers(text: string, fields: ReadonlySet<string>): string {
  let out = '';
  let depth = 0;
  let last = 0;
  let pendingKey: string | undefined; // a depth-1 key whose value comes next
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        try {
          pendingKey = JSON.parse(text.slice(i, j + 1)) as string;
        } catch {
          return text;
        }
        expectKey = false;
      }
      i = j;
      continue;
    }
    if (c === '{' || c === '[') {
      depth++;
      expectKey = c === '{' && depth === 1;
      pendingKey = undefined;
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
      pendingKey = undefined;
    } else if (c === ':' && depth === 1 && pendingKey !== undefined) {
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j]!)) j++;
      const m = /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(j, j + 400));
      if (m && fields.has(pendingKey)) {
        out += text.slice(last, j) + JSON.stringify(m[0]);
        last = j + m[0].length;
        i = last - 1;
      }
      pendingKey = undefined;
    }
  }
  return out + text.slice(last);
}

const UINT64_FIELDS = new Set(['epoch', 'checkpoint-ts']);

function parseJson(id: string, key: string, text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(quoteTopLevelNumbers(text, UINT64_FIELDS));
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
