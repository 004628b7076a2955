/**
 * fast-check arbitraries of **valid** live values of a schema kind (machines/boundary.ts): uint64
 * as bigint across the whole range (0, 2^53±1, 2^64−1 included), IDs that are also
 * `Object.prototype` names, optional fields sometimes absent. Used by the round-trip properties of
 * the wire and snapshot codecs; what must be refused is built by hand in each test.
 */
import fc from 'fast-check';
import { MAX_UINT64, type EventSchema, type FieldKind } from 'opcharts';

const ID = fc.constantFrom('n1', 'n2', 'coord', 'cf/a', 'constructor', '__proto__', 'toString', 'ü');
const UINT64 = fc.oneof(
  fc.constantFrom(0n, 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, MAX_UINT64 - 1n, MAX_UINT64),
  fc.bigInt({ min: 0n, max: MAX_UINT64 }),
);

export function arbitraryOf(kind: FieldKind): fc.Arbitrary<unknown> {
  if (Array.isArray(kind)) return fc.constantFrom(...(kind as readonly string[]));
  if (typeof kind === 'string') {
    switch (kind) {
      case 'string':
        return fc.oneof(fc.constant(''), ID, fc.string({ maxLength: 8 }));
      case 'string?':
        return fc.option(fc.oneof(ID, fc.string({ maxLength: 8 })), { nil: null });
      case 'node':
        return ID;
      case 'boolean':
        return fc.boolean();
      case 'uint64':
        return UINT64;
      case 'millis':
      case 'count':
        return fc.oneof(fc.constantFrom(0, 1, Number.MAX_SAFE_INTEGER), fc.nat());
    }
  }
  const k = kind as Exclude<FieldKind, string | readonly string[]>;
  if ('optional' in k) return fc.option(arbitraryOf(k.optional), { nil: undefined });
  if ('nullable' in k) return fc.option(arbitraryOf(k.nullable), { nil: null });
  if ('list' in k) return k.unique ? fc.uniqueArray(arbitraryOf(k.list), { maxLength: 4 }) : fc.array(arbitraryOf(k.list), { maxLength: 4 });
  if ('map' in k) return fc.dictionary(ID, arbitraryOf(k.map), { maxKeys: 3 }).map((d) => Object.fromEntries(Object.entries(d)));
  if ('tagged' in k) {
    return fc.oneof(
      ...Object.entries(k.variants).map(([tag, schema]) => recordOf(schema).map((r) => ({ [k.tagged]: tag, ...(r as object) }))),
    );
  }
  return recordOf(k.object);
}

/** A record of a schema; an optional field that came out `undefined` is left out. */
export function recordOf(schema: EventSchema): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.fromEntries(Object.entries(schema).map(([name, kind]) => [name, arbitraryOf(kind)]));
  return fc.record(fields).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
}
