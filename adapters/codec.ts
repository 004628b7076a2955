/**
 * Records at rest, laid out like TiCDC's etcd keys (§3.1), in TiCDC's own encoding so that each
 * side reads the other's records (issue 9 item 9): JSON objects whose uint64 fields (`epoch`,
 * `checkpoint-ts`) are exact decimal number literals, as Go's encoding/json writes them, written
 * from the bigint's digits and read back from them, never through a float. (Records written by
 * earlier opcharts versions, with the digits in a JSON string, are still read.)
 *
 * A write over a stored record (bump, resume, pause, progress) patches only the fields it changes
 * and keeps every other byte: TiCDC's own fields (sink-uri, start-ts, the replica config, ...)
 * survive an opcharts bump exactly, including numbers beyond 2^53.
 *
 * Decoding validates everything; a value that does not parse is a CorruptRecordError, never a
 * default.
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

/** An exact JSON number literal for a checked uint64 (no float on the way). */
const uint64Literal = (v: bigint) => formatUint64(v);

export function encodeInfo(id: string, info: ChangefeedInfo): string {
  if (typeof info !== 'object' || info === null) throw new InvalidRecordError(id, 'info', 'expected {epoch, state, error, config}');
  checkUint64(id, 'epoch', info.epoch);
  checkState(id, info.state);
  checkRunningError(id, info.error);
  configJson(id, info.config);
  return (
    `{"changefeed-id":${JSON.stringify(id)},"epoch":${uint64Literal(info.epoch)},"state":${JSON.stringify(info.state)},` +
    `"error":${JSON.stringify(info.error)},"config":${JSON.stringify(info.config ?? null)}}`
  );
}

export function encodeStatus(status: ChangefeedStatus, id = ''): string {
  checkStatus(id, status);
  return `{"checkpoint-ts":${uint64Literal(status.checkpointTs)},"progress":${PROGRESS_CODE[status.progress]}}`;
}

/**
 * The info written over `stored` (a text that decoded): only epoch, state and error are replaced;
 * every other member keeps its exact bytes (TiCDC's fields, the config).
 */
export function patchInfo(id: string, stored: string, info: ChangefeedInfo): string {
  checkUint64(id, 'epoch', info.epoch);
  checkState(id, info.state);
  checkRunningError(id, info.error);
  const was = decodeInfo(id, '', stored);
  const changes: Record<string, string> = { epoch: uint64Literal(info.epoch) };
  if (info.state !== was.state) changes.state = JSON.stringify(info.state);
  if (JSON.stringify(info.error) !== JSON.stringify(was.error)) changes.error = JSON.stringify(info.error);
  return patchTopLevel(stored, changes) ?? encodeInfo(id, info);
}

/** The status written over `stored`: checkpoint-ts and progress replaced, the rest kept. */
export function patchStatus(id: string, stored: string, status: ChangefeedStatus): string {
  checkStatus(id, status);
  return (
    patchTopLevel(stored, { 'checkpoint-ts': uint64Literal(status.checkpointTs), progress: String(PROGRESS_CODE[status.progress]) }) ??
    encodeStatus(status, id)
  );
}

interface Member {
  key: string;
  /** Span of the value's text. */
  start: number;
  end: number;
}

const isWs = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

function endOfString(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
  return j + 1;
}

function endOfValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return endOfString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') j = endOfString(text, j) - 1;
      else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return text.length;
  }
  let j = i;
  while (j < text.length && text[j] !== ',' && text[j] !== '}' && !isWs(text[j])) j++;
  return j;
}

/** The top-level members of a JSON object text, or undefined if it is not one. */
function topLevelMembers(text: string): Member[] | undefined {
  const members: Member[] = [];
  let i = 0;
  const ws = () => {
    while (isWs(text[i])) i++;
  };
  ws();
  if (text[i] !== '{') return undefined;
  i++;
  ws();
  if (text[i] === '}') return members;
  for (;;) {
    ws();
    if (text[i] !== '"') return undefined;
    const keyEnd = endOfString(text, i);
    let key: string;
    try {
      key = JSON.parse(text.slice(i, keyEnd)) as string;
    } catch {
      return undefined;
    }
    i = keyEnd;
    ws();
    if (text[i] !== ':') return undefined;
    i++;
    ws();
    const start = i;
    i = endOfValue(text, i);
    members.push({ key, start, end: i });
    ws();
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '}') return members;
    return undefined;
  }
}

/**
 * `text` with the values of the given top-level members replaced by the given JSON texts (members
 * it lacks are appended); every other byte is kept. Undefined if `text` is not a JSON object.
 */
export function patchTopLevel(text: string, changes: Readonly<Record<string, string>>): string | undefined {
  const members = topLevelMembers(text);
  if (!members) return undefined;
  let out = text;
  const missing = new Set(Object.keys(changes));
  // Right to left, so earlier spans stay valid; the last occurrence of a duplicate key is the
  // one JSON.parse keeps, and the one replaced.
  const last = new Map(members.map((m) => [m.key, m]));
  for (const m of [...last.values()].sort((a, b) => b.start - a.start)) {
    if (!Object.prototype.hasOwnProperty.call(changes, m.key)) continue;
    out = out.slice(0, m.start) + changes[m.key] + out.slice(m.end);
    missing.delete(m.key);
  }
  if (missing.size > 0) {
    const close = out.lastIndexOf('}');
    const add = [...missing].map((k) => `${JSON.stringify(k)}:${changes[k]}`).join(',');
    out = out.slice(0, close) + (members.length > 0 ? ',' : '') + add + out.slice(close);
  }
  return out;
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
