/**
 * The network of the cluster model: a bag (multiset) of in-flight messages. Any message may be
 * delivered next (reordering is free), and within the configuration's budgets one may be lost or
 * duplicated. The message center is best effort (spec §2.9), so every control loop retries.
 *
 * Messages are interned to small integers, and a bag is a sorted array of ids, so two worlds whose
 * bags hold the same messages in any order encode identically.
 */

/** Interns values by a canonical key: the same key always gets the same id (0, 1, 2, …). */
export class Interner<T> {
  private readonly ids = new Map<string, number>();
  private readonly values: T[] = [];
  constructor(private readonly keyOf: (value: T) => string) {}

  id(value: T): number {
    const key = this.keyOf(value);
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.values.length;
      this.ids.set(key, id);
      this.values.push(value);
    }
    return id;
  }

  value(id: number): T {
    const v = this.values[id];
    if (v === undefined) throw new RangeError(`no interned value ${id}`);
    return v;
  }

  get size(): number {
    return this.values.length;
  }
}

export type Bag = readonly number[];

/** The bag with one more copy of `id`. */
export function bagAdd(bag: Bag, id: number): number[] {
  let i = 0;
  while (i < bag.length && bag[i]! <= id) i++;
  return [...bag.slice(0, i), id, ...bag.slice(i)];
}

/** The bag with one copy of `id` fewer (it must be there). */
export function bagRemove(bag: Bag, id: number): number[] {
  const i = bag.indexOf(id);
  if (i < 0) throw new RangeError(`message ${id} is not in flight`);
  return [...bag.slice(0, i), ...bag.slice(i + 1)];
}

/** The distinct messages in flight: delivering either copy of a duplicate leads to the same world. */
export function bagDistinct(bag: Bag): number[] {
  const out: number[] = [];
  for (const id of bag) if (out[out.length - 1] !== id) out.push(id);
  return out;
}

/** How many copies of `id` are in flight. */
export function bagCount(bag: Bag, id: number): number {
  let n = 0;
  for (const x of bag) if (x === id) n++;
  return n;
}
