/**
 * fast-check arbitraries for the boundary fuzz suite, derived from the machines' schemas: each
 * generated raw value comes with the verdict an independent oracle (written here, not imported
 * from machines/boundary.ts) gives it, so the suite checks both directions — nothing invalid is
 * accepted and nothing valid is refused.
 *
 * Raw values include the hostile shapes of issue 9: fields inherited from a prototype (never
 * read), getters (refused, never called), Proxies whose traps throw, revoked Proxies, sparse and
 * oversized arrays, 2^64 and 2^70, numbers above 2^53, decimal strings longer than 20 digits,
 * non-canonical decimals, and IDs such as `constructor`, `toString` and `__proto__`.
 */
import fc from 'fast-check';
import { MAX_LIST_LENGTH, MAX_UINT64, type EventSchema, type EventSchemas, type FieldKind } from 'opcharts';

export type Verdict = { ok: true; value: unknown } | { ok: false };
export interface Built {
  raw: unknown;
  verdict: Verdict;
}

const INVALID: Verdict = { ok: false };
const ok = (value: unknown): Verdict => ({ ok: true, value });

/** IDs the machines' inputs and events share, so that generated events meet their guards. */
export const IDS = ['n1', 'n2', 'n3', 'coord', 'm', 'cf', 'ddl', 'cf/ddl-1', 'constructor', 'toString', '__proto__', 'hasOwnProperty'];
const EPOCHS = [0n, 1n, 2n, 3n, 5n, 41n, 42n, MAX_UINT64 - 1n, MAX_UINT64];

/** Values no scalar kind accepts as they are, or accepts only for some kinds: the oracle decides. */
const HOSTILE_SCALARS: unknown[] = [
  undefined,
  null,
  '',
  'x',
  '-1',
  '01',
  ' 1',
  '1 ',
  '1e3',
  '0x10',
  '1.5',
  '+1',
  '18446744073709551616',
  '018446744073709551615',
  '123456789012345678901',
  '9'.repeat(200),
  -1,
  -0,
  1.5,
  2 ** 53,
  2 ** 60,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -1n,
  2n ** 64n,
  2n ** 70n,
  true,
  {},
  [],
  ['n1'],
  { valueOf: () => 1 },
  Symbol('s'),
  () => 1,
];

const isRecordKind = (k: FieldKind): k is { readonly object: EventSchema } => typeof k === 'object' && !Array.isArray(k) && 'object' in k;
const isListKind = (k: FieldKind): k is { readonly list: FieldKind; readonly unique?: boolean } => typeof k === 'object' && !Array.isArray(k) && 'list' in k;
const isMapKind = (k: FieldKind): k is { readonly map: FieldKind } => typeof k === 'object' && !Array.isArray(k) && 'map' in k;
const isOptional = (k: FieldKind): k is { readonly optional: FieldKind } => typeof k === 'object' && !Array.isArray(k) && 'optional' in k;
const isNullable = (k: FieldKind): k is { readonly nullable: FieldKind } => typeof k === 'object' && !Array.isArray(k) && 'nullable' in k;

/** The oracle for scalar and literal kinds. */
export function scalarVerdict(kind: FieldKind, v: unknown): Verdict {
  if (Array.isArray(kind)) return typeof v === 'string' && kind.includes(v) ? ok(v) : INVALID;
  switch (kind) {
    case 'string':
      return typeof v === 'string' ? ok(v) : INVALID;
    case 'string?':
      return typeof v === 'string' || v === null ? ok(v) : INVALID;
    case 'node':
      return typeof v === 'string' && v !== '' ? ok(v) : INVALID;
    case 'boolean':
      return typeof v === 'boolean' ? ok(v) : INVALID;
    case 'millis':
    case 'count':
      return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? ok(v) : INVALID;
    case 'uint64': {
      let n: bigint | null = null;
      if (typeof v === 'bigint') n = v;
      else if (typeof v === 'string' && /^(0|[1-9][0-9]{0,19})$/.test(v)) n = BigInt(v);
      else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) n = BigInt(v);
      return n !== null && n >= 0n && n <= MAX_UINT64 ? ok(n) : INVALID;
    }
  }
  throw new Error(`no scalar oracle for ${JSON.stringify(kind)}`);
}

/** Valid raw forms of a scalar kind (a uint64 as bigint, decimal string or safe number). */
function validScalar(kind: FieldKind): fc.Arbitrary<unknown> {
  if (Array.isArray(kind)) return fc.constantFrom(...kind);
  switch (kind) {
    case 'string':
      return fc.oneof(fc.constantFrom('', ...IDS), fc.string({ maxLength: 6 }));
    case 'string?':
      return fc.oneof(fc.constant(null), fc.constantFrom('', ...IDS), fc.string({ maxLength: 6 }));
    case 'node':
      return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...IDS) }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 6 }) });
    case 'boolean':
      return fc.boolean();
    case 'millis':
    case 'count':
      return fc.oneof(fc.nat({ max: 5000 }), fc.constantFrom(0, 1, 999, 1000, 30_000, Number.MAX_SAFE_INTEGER));
    case 'uint64':
      return fc
        .tuple(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...EPOCHS) }, { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: MAX_UINT64 }) }), fc.nat({ max: 2 }))
        .map(([n, form]) => (form === 1 ? n.toString() : form === 2 && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n));
  }
  throw new Error(`no generator for ${JSON.stringify(kind)}`);
}

/** Marks a field left out of a record. */
export const ABSENT = Symbol('absent');

/** A raw value for `kind` and its verdict; `hostile` mixes in invalid and hostile values. */
export function valueArb(kind: FieldKind, hostile: boolean): fc.Arbitrary<Built | typeof ABSENT> {
  if (isOptional(kind)) {
    return fc.oneof(
      fc.constant(ABSENT),
      fc.constant<Built>({ raw: undefined, verdict: ok(undefined) }),
      // An optional field holding undefined is a missing field, whatever its kind.
      presentArb(kind.optional, hostile).map((b) => (b.raw === undefined ? { raw: undefined, verdict: ok(undefined) } : b)),
    );
  }
  const present = presentArb(kind, hostile);
  // A required field may be left out only by a hostile generator.
  return hostile ? fc.oneof({ weight: 12, arbitrary: present }, { weight: 1, arbitrary: fc.constant(ABSENT) }) : present;
}

function presentArb(kind: FieldKind, hostile: boolean): fc.Arbitrary<Built> {
  if (isNullable(kind)) {
    return fc.oneof(
      fc.constant<Built>({ raw: null, verdict: ok(null) }),
      presentArb(kind.nullable, hostile).map((b) => (b.raw === null ? { raw: null, verdict: ok(null) } : b)),
    );
  }
  if (isRecordKind(kind)) return recordArb(kind.object, { hostile });
  if (isListKind(kind)) return listArb(kind, hostile);
  if (isMapKind(kind)) return mapArb(kind, hostile);
  const valid = validScalar(kind).map((raw) => ({ raw, verdict: scalarVerdict(kind, raw) }));
  if (!hostile) return valid;
  return fc.oneof(
    { weight: 6, arbitrary: valid },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_SCALARS).map((raw) => ({ raw, verdict: scalarVerdict(kind, raw) })) },
    { weight: 1, arbitrary: fc.anything().map((raw) => ({ raw, verdict: scalarVerdict(kind, raw) })) },
  );
}

function listArb(kind: { readonly list: FieldKind; readonly unique?: boolean }, hostile: boolean): fc.Arbitrary<Built> {
  const items = fc.array(presentArb(kind.list, hostile), { maxLength: 4 });
  const arrays = items.map((built): Built => {
    const raw = built.map((b) => b.raw);
    if (!built.every((b) => b.verdict.ok)) return { raw, verdict: INVALID };
    const values = built.map((b) => (b.verdict as { value: unknown }).value);
    if (kind.unique && new Set(values).size !== values.length) return { raw, verdict: INVALID };
    return { raw, verdict: ok(values) };
  });
  if (!hostile) return arrays.filter((b) => b.verdict.ok);
  const sparse = fc.constant<Built>({ raw: [...IDS.slice(0, 1), , IDS[1]], verdict: INVALID }); // eslint-disable-line no-sparse-arrays
  const huge = fc.constant<Built>({ raw: new Array(MAX_LIST_LENGTH + 1).fill('n1'), verdict: INVALID });
  const lying = fc.constant<Built>({ raw: new Proxy(['n1'], { getOwnPropertyDescriptor: (t, k) => (k === 'length' ? { value: 2 ** 32 - 1, writable: true, configurable: false, enumerable: false } : Reflect.getOwnPropertyDescriptor(t, k)) }), verdict: INVALID });
  const notArrays = fc.constantFrom<unknown>('n1', { 0: 'n1', length: 1 }, null, 5).map((raw) => ({ raw, verdict: INVALID }));
  return fc.oneof({ weight: 8, arbitrary: arrays }, sparse, huge, lying, notArrays);
}

/** A record keyed by node IDs: valid when every key is non-empty and every value valid. */
function mapArb(kind: { readonly map: FieldKind }, hostile: boolean): fc.Arbitrary<Built> {
  const entries = fc.array(fc.tuple(hostile ? fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...IDS) }, fc.constant('')) : fc.constantFrom(...IDS), presentArb(kind.map, hostile)), {
    maxLength: 4,
  });
  const maps = entries.map((es): Built => {
    // Own data properties throughout, so an ID such as "__proto__" is a key like any other.
    const unique = [...new Map(es)];
    const raw = Object.fromEntries(unique.map(([k, b]) => [k, b.raw]));
    if (unique.some(([k, b]) => k === '' || !b.verdict.ok)) return { raw, verdict: INVALID };
    return { raw, verdict: ok(Object.fromEntries(unique.map(([k, b]) => [k, (b.verdict as { value: unknown }).value]))) };
  });
  if (!hostile) return maps.filter((b) => b.verdict.ok);
  const notMaps = fc.constantFrom<unknown>('n1', ['n1'], null, 5).map((raw) => ({ raw, verdict: INVALID }));
  return fc.oneof({ weight: 8, arbitrary: maps }, notMaps);
}

type Placement = 'own' | 'inherited' | 'getter';
type Container = 'plain' | 'nullProto' | 'throwingProxy' | 'revokedProxy' | 'array' | 'primitive' | 'undefined';

interface FieldPlan {
  name: string;
  built: Built | typeof ABSENT;
  placement: Placement;
}

/**
 * A record for `schema` (an event when `type` is given). The verdict follows the boundary's
 * rules: only own data properties count; a getter on a field the schema reads is refused; an
 * unreadable container is refused; unknown fields are ignored.
 */
export function recordArb(schema: EventSchema, opts: { hostile: boolean; type?: fc.Arbitrary<Built> }): fc.Arbitrary<Built> {
  const names = Object.keys(schema);
  const placement: fc.Arbitrary<Placement> = opts.hostile
    ? fc.oneof({ weight: 30, arbitrary: fc.constant<Placement>('own') }, fc.constant<Placement>('inherited'), fc.constant<Placement>('getter'))
    : fc.constant<Placement>('own');
  const container: fc.Arbitrary<Container> = opts.hostile
    ? fc.oneof(
        { weight: 40, arbitrary: fc.constant<Container>('plain') },
        { weight: 3, arbitrary: fc.constant<Container>('nullProto') },
        fc.constantFrom<Container>('throwingProxy', 'revokedProxy', 'array', 'primitive', 'undefined'),
      )
    : fc.constantFrom<Container>('plain', 'nullProto');
  const fields = fc.tuple(...names.map((name) => fc.record({ name: fc.constant(name), built: valueArb(schema[name]!, opts.hostile), placement })));
  const typeField = opts.type
    ? fc.record({ name: fc.constant('type'), built: opts.type as fc.Arbitrary<Built | typeof ABSENT>, placement })
    : fc.constant(null);
  const junk = opts.hostile ? fc.dictionary(fc.constantFrom('extra', 'now2', 'toJSON'), fc.anything(), { maxKeys: 2 }) : fc.constant({});
  return fc.tuple(typeField, fields, container, junk).map(([t, fs, c, extra]) => build(schema, t, fs, c, extra));
}

function build(schema: EventSchema, typePlan: FieldPlan | null, plans: FieldPlan[], container: Container, extra: Record<string, unknown>): Built {
  const all = typePlan ? [typePlan, ...plans] : plans;
  let verdictOk = true;
  const value: Record<string, unknown> = {};
  for (const p of all) {
    const seen = p.placement === 'own' ? p.built : ABSENT; // inherited is unread; a getter fails below
    if (p.placement === 'getter' && p.built !== ABSENT) {
      verdictOk = false;
      continue;
    }
    const kind: FieldKind | undefined = p.name === 'type' && typePlan === p ? undefined : schema[p.name];
    if (seen === ABSENT) {
      if (kind === undefined || !isOptional(kind)) verdictOk = false;
      continue;
    }
    if (!seen.verdict.ok) {
      verdictOk = false;
      continue;
    }
    if (seen.verdict.value !== undefined) value[p.name] = seen.verdict.value;
  }
  // Materialize.
  const proto: Record<string, unknown> = {};
  for (const p of all) if (p.placement === 'inherited' && p.built !== ABSENT) proto[p.name] = p.built.raw;
  const obj: Record<string, unknown> = container === 'nullProto' ? Object.create(null) : Object.keys(proto).length ? Object.create(proto) : {};
  for (const [k, v] of Object.entries(extra)) if (!all.some((p) => p.name === k)) Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
  for (const p of all) {
    if (p.built === ABSENT || p.placement === 'inherited') continue;
    const raw = p.built.raw;
    if (p.placement === 'own') Object.defineProperty(obj, p.name, { value: raw, enumerable: true, writable: true, configurable: true });
    else Object.defineProperty(obj, p.name, { get: () => raw, enumerable: true, configurable: true });
  }
  const noFieldsNeeded = !typePlan && Object.values(schema).every(isOptional);
  switch (container) {
    case 'throwingProxy':
      return {
        // Nothing to read (a machine without input), nothing thrown.
        verdict: all.length === 0 ? ok({}) : INVALID,
        raw: new Proxy(obj, {
          getOwnPropertyDescriptor: () => {
            throw new Error('trap');
          },
        }),
      };
    case 'revokedProxy': {
      const { proxy, revoke } = Proxy.revocable(obj, {});
      revoke();
      // fast-check cannot print a revoked Proxy: name it.
      return { raw: proxy, verdict: INVALID, [fc.toStringMethod]: () => '{ raw: <revoked Proxy>, verdict: invalid }' } as Built;
    }
    case 'array':
      return { raw: [obj], verdict: INVALID };
    case 'primitive':
      return { raw: 'STATUS', verdict: INVALID };
    case 'undefined':
      // A machine that takes no input accepts none.
      return { raw: undefined, verdict: noFieldsNeeded && Object.keys(schema).length === 0 ? ok({}) : INVALID };
  }
  if (!verdictOk) return { raw: obj, verdict: INVALID };
  return { raw: obj, verdict: ok(typePlan ? { type: (typePlan.built as Built).raw, ...value } : value) };
}

/** A raw event for one of `schemas` (or a junk type), with its verdict. */
export function eventArb(schemas: EventSchemas, hostile: boolean): fc.Arbitrary<Built> {
  const types = Object.keys(schemas);
  return fc.constantFrom(...types).chain((type) => {
    const typeArb: fc.Arbitrary<Built> = hostile
      ? fc.oneof(
          { weight: 20, arbitrary: fc.constant<Built>({ raw: type, verdict: ok(type) }) },
          fc.constantFrom<unknown>('toString', '__proto__', 'constructor', 'EXPLODE', type.toLowerCase(), 5, null).map((raw) => ({ raw, verdict: INVALID })),
        )
      : fc.constant({ raw: type, verdict: ok(type) });
    return recordArb(schemas[type]!, { hostile, type: typeArb });
  });
}
