/**
 * The Informal Trace Format (ITF, Apalache ADR-015, also written and read by Quint): a trace as
 * JSON, with integers as `{"#bigint": "…"}` so that uint64 values survive any JSON reader, sets as
 * `{"#set": […]}`, maps as `{"#map": [[k, v], …]}`, tuples as `{"#tup": […]}`, records as objects
 * and lists as arrays. Existing ITF viewers open what {@link itfTrace} writes, and
 * {@link validateItf} checks a document against the format's rules.
 */

export type ItfValue =
  | boolean
  | string
  | number
  | ItfValue[]
  | { '#bigint': string }
  | { '#tup': ItfValue[] }
  | { '#set': ItfValue[] }
  | { '#map': [ItfValue, ItfValue][] }
  | { '#unserializable': string }
  | { [field: string]: ItfValue };

export interface ItfState {
  '#meta'?: Record<string, unknown>;
  [variable: string]: ItfValue | Record<string, unknown> | undefined;
}

export interface ItfTraceDoc {
  '#meta'?: Record<string, unknown>;
  params?: string[];
  vars: string[];
  states: ItfState[];
  loop?: number;
}

/** A tuple marker: arrays are ITF lists, so a value meant as a tuple is wrapped. */
export class ItfTuple {
  constructor(readonly items: unknown[]) {}
}

const compare = (a: ItfValue, b: ItfValue) => {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * Converts a JavaScript value to ITF: bigint and integer numbers → `#bigint`; Set → `#set` and Map
 * → `#map` (entries sorted, so equal values encode equally); {@link ItfTuple} → `#tup`; arrays →
 * lists; plain objects → records. Anything else (a fraction, null, undefined, a function) is a
 * TypeError naming its path.
 */
export function toItfValue(v: unknown, path = '$'): ItfValue {
  if (typeof v === 'bigint') return { '#bigint': v.toString() };
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new TypeError(`${path}: ITF has no fractions (${v})`);
    return { '#bigint': BigInt(v).toString() };
  }
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof ItfTuple) return { '#tup': v.items.map((x, i) => toItfValue(x, `${path}[${i}]`)) };
  if (Array.isArray(v)) return v.map((x, i) => toItfValue(x, `${path}[${i}]`));
  if (v instanceof Set) return { '#set': [...v].map((x, i) => toItfValue(x, `${path}{${i}}`)).sort(compare) };
  if (v instanceof Map) {
    const entries = [...v].map(([k, x]) => [toItfValue(k, `${path}.key`), toItfValue(x, `${path}[${String(k)}]`)] as [ItfValue, ItfValue]);
    return { '#map': entries.sort((a, b) => compare(a[0], b[0])) };
  }
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, ItfValue> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k.startsWith('#')) throw new TypeError(`${path}.${k}: a record field may not start with #`);
      out[k] = toItfValue(x, `${path}.${k}`);
    }
    return out;
  }
  throw new TypeError(`${path}: ${v === null ? 'null' : typeof v} has no ITF form`);
}

/** A trace document: `states[i]` maps each of `vars` to a JavaScript value. */
export function itfTrace(vars: string[], states: Array<Record<string, unknown>>, meta: Record<string, unknown> = {}): ItfTraceDoc {
  return {
    '#meta': { format: 'ITF', 'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html', ...meta },
    vars,
    states: states.map((s, index) => {
      const out: ItfState = { '#meta': { index } };
      for (const name of vars) {
        if (!(name in s)) throw new TypeError(`state ${index}: variable ${name} is missing`);
        out[name] = toItfValue(s[name], `states[${index}].${name}`);
      }
      return out;
    }),
  };
}

function checkValue(v: unknown, path: string, errors: string[]): void {
  if (typeof v === 'boolean' || typeof v === 'string') return;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) errors.push(`${path}: a JSON number must be an integer within ±(2^53−1); use #bigint`);
    return;
  }
  if (Array.isArray(v)) return v.forEach((x, i) => checkValue(x, `${path}[${i}]`, errors));
  if (v === null || typeof v !== 'object') return void errors.push(`${path}: ${v === null ? 'null' : typeof v} is not an ITF value`);
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  const tagged = keys.filter((k) => k.startsWith('#'));
  if (tagged.length === 0) return keys.forEach((k) => checkValue(o[k], `${path}.${k}`, errors));
  if (keys.length !== 1) return void errors.push(`${path}: a tagged value has exactly one key (${keys.join(', ')})`);
  const tag = tagged[0]!;
  const x = o[tag];
  switch (tag) {
    case '#bigint':
      if (typeof x !== 'string' || !/^-?(0|[1-9][0-9]*)$/.test(x)) errors.push(`${path}: #bigint must be a decimal string`);
      return;
    case '#tup':
    case '#set':
      if (!Array.isArray(x)) return void errors.push(`${path}: ${tag} must be an array`);
      return x.forEach((y, i) => checkValue(y, `${path}${tag}[${i}]`, errors));
    case '#map':
      if (!Array.isArray(x)) return void errors.push(`${path}: #map must be an array of pairs`);
      return x.forEach((pair, i) => {
        if (!Array.isArray(pair) || pair.length !== 2) return void errors.push(`${path}#map[${i}]: not a [key, value] pair`);
        checkValue(pair[0], `${path}#map[${i}][0]`, errors);
        checkValue(pair[1], `${path}#map[${i}][1]`, errors);
      });
    case '#unserializable':
      if (typeof x !== 'string') errors.push(`${path}: #unserializable must be a string`);
      return;
    default:
      errors.push(`${path}: unknown tag ${tag}`);
  }
}

/** Every way `doc` breaks the ITF rules (empty when it is a valid trace). */
export function validateItf(doc: unknown): string[] {
  const errors: string[] = [];
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return ['the trace is not a JSON object'];
  const d = doc as Record<string, unknown>;
  if ('#meta' in d && (d['#meta'] === null || typeof d['#meta'] !== 'object')) errors.push('#meta must be an object');
  if ('params' in d && (!Array.isArray(d.params) || !d.params.every((p) => typeof p === 'string'))) errors.push('params must be an array of strings');
  if (!Array.isArray(d.vars) || !d.vars.every((v) => typeof v === 'string')) errors.push('vars must be an array of strings');
  if (!Array.isArray(d.states)) errors.push('states must be an array');
  if ('loop' in d && (!Number.isSafeInteger(d.loop) || (d.loop as number) < 0)) errors.push('loop must be a state index');
  for (const k of Object.keys(d)) if (!['#meta', 'params', 'vars', 'states', 'loop'].includes(k)) errors.push(`unknown top-level field ${k}`);
  if (errors.length) return errors;
  const vars = d.vars as string[];
  const expected = new Set([...vars, ...((d.params as string[] | undefined) ?? [])]);
  (d.states as unknown[]).forEach((s, i) => {
    if (s === null || typeof s !== 'object' || Array.isArray(s)) return void errors.push(`states[${i}]: not an object`);
    const st = s as Record<string, unknown>;
    const meta = st['#meta'];
    if (meta !== undefined && (meta === null || typeof meta !== 'object')) errors.push(`states[${i}].#meta must be an object`);
    for (const name of expected) if (!(name in st)) errors.push(`states[${i}]: variable ${name} is missing`);
    for (const [k, v] of Object.entries(st)) {
      if (k === '#meta') continue;
      if (!expected.has(k)) errors.push(`states[${i}]: ${k} is not a declared variable`);
      checkValue(v, `states[${i}].${k}`, errors);
    }
  });
  return errors;
}
