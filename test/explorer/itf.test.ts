/**
 * The ITF writer and validator (Apalache ADR-015): uint64 values exact, sets and maps in a
 * canonical order, and every rule of the format enforced on documents.
 */
import { describe, expect, it } from 'vitest';
import { ItfTuple, itfTrace, toItfValue, validateItf } from '../../explorer/itf.js';

describe('toItfValue', () => {
  it('integers are #bigint strings, exact beyond 2^53 (uint64 max)', () => {
    expect(toItfValue(18446744073709551615n)).toEqual({ '#bigint': '18446744073709551615' });
    expect(toItfValue(-3)).toEqual({ '#bigint': '-3' });
  });

  it('sets and maps are sorted, so equal values encode equally; tuples, lists and records keep their shape', () => {
    expect(toItfValue(new Set(['b', 'a']))).toEqual(toItfValue(new Set(['a', 'b'])));
    expect(toItfValue(new Map([['n2', 1n], ['n1', 2n]]))).toEqual({ '#map': [['n1', { '#bigint': '2' }], ['n2', { '#bigint': '1' }]] });
    expect(toItfValue({ owner: 'n1', at: new ItfTuple(['x', true]), log: [1] })).toEqual({
      owner: 'n1',
      at: { '#tup': ['x', true] },
      log: [{ '#bigint': '1' }],
    });
  });

  it('values without an ITF form are a TypeError naming their path', () => {
    expect(() => toItfValue({ a: [1, 0.5] })).toThrow('$.a[1]: ITF has no fractions');
    expect(() => toItfValue({ a: null })).toThrow('$.a: null has no ITF form');
    expect(() => toItfValue({ '#bigint': 'x' })).toThrow(/may not start with #/);
  });
});

describe('itfTrace and validateItf', () => {
  it('a written trace is valid, indexes its states and declares the format', () => {
    const doc = itfTrace(['epoch', 'owners'], [
      { epoch: 1n, owners: new Map([['cf', 'n1']]) },
      { epoch: 2n, owners: new Map([['cf', 'n2']]) },
    ]);
    expect(validateItf(doc)).toEqual([]);
    expect(validateItf(JSON.parse(JSON.stringify(doc)))).toEqual([]);
    expect(doc.states.map((s) => s['#meta'])).toEqual([{ index: 0 }, { index: 1 }]);
    expect(doc['#meta']).toMatchObject({ format: 'ITF' });
  });

  it('a state missing a variable cannot be written', () => {
    expect(() => itfTrace(['a', 'b'], [{ a: 1 }])).toThrow('state 0: variable b is missing');
  });

  it.each([
    ['not an object', [], 'the trace is not a JSON object'],
    ['vars not strings', { vars: [1], states: [] }, 'vars must be an array of strings'],
    ['a missing variable', { vars: ['a'], states: [{}] }, 'states[0]: variable a is missing'],
    ['an undeclared variable', { vars: [], states: [{ b: true }] }, 'states[0]: b is not a declared variable'],
    ['an unsafe JSON number', { vars: ['a'], states: [{ a: 2 ** 60 }] }, 'states[0].a: a JSON number must be an integer within ±(2^53−1); use #bigint'],
    ['a bad #bigint', { vars: ['a'], states: [{ a: { '#bigint': '1e3' } }] }, 'states[0].a: #bigint must be a decimal string'],
    ['a tag with extra keys', { vars: ['a'], states: [{ a: { '#set': [], x: 1 } }] }, 'states[0].a: a tagged value has exactly one key (#set, x)'],
    ['a bad map entry', { vars: ['a'], states: [{ a: { '#map': [[1]] } }] }, 'states[0].a#map[0]: not a [key, value] pair'],
    ['an unknown tag', { vars: ['a'], states: [{ a: { '#float': '1.5' } }] }, 'states[0].a: unknown tag #float'],
    ['null', { vars: ['a'], states: [{ a: null }] }, 'states[0].a: null is not an ITF value'],
    ['a bad loop', { vars: [], states: [], loop: -1 }, 'loop must be a state index'],
  ])('rejects %s', (_name, doc, error) => {
    expect(validateItf(doc)).toContain(error);
  });
});
