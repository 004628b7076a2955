/**
 * Exact JSON for values described by the boundary's schema kinds ({@link FieldKind}): the common
 * core of the snapshot codec (services/snapshot.ts) and the wire codec (wire.ts).
 *
 * Unlike the boundary's lenient event reader, which accepts a uint64 as a bigint, a decimal string
 * or a safe JSON number and drops unknown fields, this codec is **strict in both directions**, because
 * what it reads was written by its own encoder:
 * - encoding (live → JSON value) requires a uint64 to be a bigint in 0..2^64−1 and writes it as its
 *   canonical decimal string (never a JSON number: 2^53+1 would come back as …992);
 * - decoding (JSON value → live) requires a uint64 to be a canonical decimal string (a number, a
 *   leading zero, a sign, an exponent, or 2^64 is refused) and gives a bigint;
 * - in both, a record has exactly the fields its schema names: a missing field or an extra one is
 *   an error with the path of the field (`session.epoch`, `operators[2].owner`, `ackedNodes.n1`).
 *
 * Pure: no I/O. Only own properties are read; a throwing value becomes a {@link CodecFieldError}.
 */
import { MAX_LIST_LENGTH, type EventSchema, type EventSchemas, type FieldKind, type ScalarKind } from './boundary.js';
import { describe } from './errors.js';
import { MAX_UINT64, parseUint64 } from './epoch.js';
import { OpchartsError } from './errors.js';

/** A bad part of a value: `path` names it, `reason` says what is wrong. Callers wrap it in their public error type. */
export class CodecFieldError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

export type Direction = 'encode' | 'decode';

const hasOwn = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

function record(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null) throw new CodecFieldError(path, `expected an object (got ${describe(v)})`);
  if (Array.isArray(v)) throw new CodecFieldError(path, 'expected an object, not an array');
  return v as Record<string, unknown>;
}

const join = (prefix: string, name: string) => (prefix === '' ? name : `${prefix}.${name}`);

function uint64(v: unknown, path: string, dir: Direction): unknown {
  if (dir === 'encode') {
    if (typeof v !== 'bigint') throw new CodecFieldError(path, `expected a uint64 bigint (got ${describe(v)} of type ${typeof v})`);
    if (v < 0n) throw new CodecFieldError(path, `negative (got ${describe(v)})`);
    if (v > MAX_UINT64) throw new CodecFieldError(path, `exceeds 2^64-1 (got ${describe(v)})`);
    return v.toString(10);
  }
  if (typeof v !== 'string') throw new CodecFieldError(path, `expected a uint64 as a decimal string (got ${describe(v)})`);
  try {
    return parseUint64(v, path);
  } catch (e) {
    throw new CodecFieldError(path, e instanceof OpchartsError ? e.message.replace(`${path}: `, '') : 'not a uint64');
  }
}

function scalar(kind: ScalarKind, v: unknown, path: string, dir: Direction): unknown {
  switch (kind) {
    case 'string':
      if (typeof v !== 'string') throw new CodecFieldError(path, `expected a string (got ${describe(v)})`);
      return v;
    case 'string?':
      if (v !== null && typeof v !== 'string') throw new CodecFieldError(path, `expected a string or null (got ${describe(v)})`);
      return v;
    case 'node':
      if (typeof v !== 'string' || v.length === 0) throw new CodecFieldError(path, `expected a non-empty ID (got ${describe(v)})`);
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') throw new CodecFieldError(path, `expected a boolean (got ${describe(v)})`);
      return v;
    case 'millis':
    case 'count':
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
        throw new CodecFieldError(path, `expected a non-negative safe integer (got ${describe(v)})`);
      }
      return v;
    case 'uint64':
      return uint64(v, path, dir);
  }
  throw new CodecFieldError(path, 'unknown field kind');
}

function list(kind: { readonly list: FieldKind; readonly unique?: boolean }, v: unknown, path: string, dir: Direction): unknown[] {
  if (!Array.isArray(v)) throw new CodecFieldError(path, `expected an array (got ${describe(v)})`);
  if (v.length > MAX_LIST_LENGTH) throw new CodecFieldError(path, `more than ${MAX_LIST_LENGTH} elements (${v.length})`);
  const out: unknown[] = [];
  const seen = new Set<unknown>();
  for (let i = 0; i < v.length; i++) {
    const at = `${path}[${i}]`;
    if (!hasOwn(v, String(i))) throw new CodecFieldError(at, 'missing (a hole in the array)');
    const item = value(kind.list, v[i], at, dir);
    // Uniqueness is by value for scalars (IDs, and a uint64 both as text and as bigint).
    const key = typeof item === 'object' ? item : `${typeof item}:${String(item)}`;
    if (kind.unique && seen.has(key)) throw new CodecFieldError(at, `repeats ${describe(item)}`);
    seen.add(key);
    out.push(item);
  }
  return out;
}

function map(kind: FieldKind, v: unknown, path: string, dir: Direction): Record<string, unknown> {
  const obj = record(v, path);
  const keys = Object.keys(obj);
  if (keys.length > MAX_LIST_LENGTH) throw new CodecFieldError(path, `more than ${MAX_LIST_LENGTH} entries (${keys.length})`);
  const entries: Array<[string, unknown]> = [];
  for (const k of keys) {
    if (k === '') throw new CodecFieldError(path, 'has an empty key');
    entries.push([k, value(kind, obj[k], `${path}.${k}`, dir)]);
  }
  // fromEntries defines own data properties, so a key such as "__proto__" stays a key.
  return Object.fromEntries(entries);
}

/**
 * A record with exactly the schema's fields (`extra` names fields handled by the caller, such as a
 * union's tag or a message's `type`, which are neither required nor refused here).
 */
export function shape(schema: EventSchema, v: unknown, prefix: string, dir: Direction, extra: readonly string[] = []): Record<string, unknown> {
  const obj = record(v, prefix === '' ? '(value)' : prefix);
  for (const k of Object.keys(obj)) {
    if (hasOwn(schema, k) || extra.includes(k)) continue;
    // A live record may carry an optional field as `undefined`; anything else unknown is refused.
    throw new CodecFieldError(join(prefix, k), 'unknown field');
  }
  const entries: Array<[string, unknown]> = [];
  for (const name of Object.keys(schema)) {
    const path = join(prefix, name);
    const raw = hasOwn(obj, name) ? obj[name] : undefined;
    const out = value(schema[name]!, raw, path, dir);
    if (out !== undefined) entries.push([name, out]);
  }
  return Object.fromEntries(entries);
}

function tagged(kind: { readonly tagged: string; readonly variants: EventSchemas }, v: unknown, path: string, dir: Direction): Record<string, unknown> {
  const obj = record(v, path);
  const tagPath = `${path}.${kind.tagged}`;
  const tag = hasOwn(obj, kind.tagged) ? obj[kind.tagged] : undefined;
  if (typeof tag !== 'string' || !hasOwn(kind.variants, tag)) {
    throw new CodecFieldError(tagPath, `expected one of ${Object.keys(kind.variants).join(', ')} (got ${describe(tag)})`);
  }
  return { [kind.tagged]: tag, ...shape(kind.variants[tag]!, obj, path, dir, [kind.tagged]) };
}

/** One value of `kind` at `path`, converted in direction `dir`. */
export function value(kind: FieldKind, v: unknown, path: string, dir: Direction): unknown {
  if (typeof kind === 'object' && !Array.isArray(kind)) {
    const compound = kind as Exclude<FieldKind, ScalarKind | readonly string[]>;
    if ('optional' in compound) return v === undefined ? undefined : value(compound.optional, v, path, dir);
    if (v === undefined) throw new CodecFieldError(path, 'missing');
    if ('nullable' in compound) return v === null ? null : value(compound.nullable, v, path, dir);
    if ('list' in compound) return list(compound, v, path, dir);
    if ('map' in compound) return map(compound.map, v, path, dir);
    if ('tagged' in compound) return tagged(compound, v, path, dir);
    return shape(compound.object, v, path, dir);
  }
  if (v === undefined) throw new CodecFieldError(path, 'missing');
  if (Array.isArray(kind)) {
    if (typeof v !== 'string' || !kind.includes(v)) throw new CodecFieldError(path, `expected one of ${kind.join(', ')} (got ${describe(v)})`);
    return v;
  }
  return scalar(kind as ScalarKind, v, path, dir);
}

/** Runs `convert`, turning anything it throws other than a {@link CodecFieldError} into one at `fallbackPath`. */
export function guardedCodec<T>(fallbackPath: string, convert: () => T): T {
  try {
    return convert();
  } catch (e) {
    if (e instanceof CodecFieldError) throw e;
    throw new CodecFieldError(fallbackPath, `could not be read (${e instanceof Error ? describe(e.message) : 'threw'})`);
  }
}
