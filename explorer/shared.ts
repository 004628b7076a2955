/**
 * The state shared by the threads of a parallel search, in SharedArrayBuffers: a lock-free 64-bit
 * hash-compaction table (two Int32 halves; the high half is claimed with compare-and-swap, the low
 * half published after it, and readers wait for it) and the provenance arrays that rebuild traces.
 * Capacity is fixed up front: a full table ends the search with `maxStates`.
 */
import { hashInto, hashOut } from './visited.js';

export interface SharedBuffers {
  hi: SharedArrayBuffer;
  lo: SharedArrayBuffer;
  /** [0] = states allocated. */
  counter: SharedArrayBuffer;
  parent: SharedArrayBuffer;
  action: SharedArrayBuffer;
  /** Capacity in states (the table has at least 4/3 as many slots). */
  capacity: number;
}

export function allocateShared(capacity: number): SharedBuffers {
  let slots = 1024;
  while (slots * 0.75 < capacity) slots *= 2;
  return {
    hi: new SharedArrayBuffer(slots * 4),
    lo: new SharedArrayBuffer(slots * 4),
    counter: new SharedArrayBuffer(4),
    parent: new SharedArrayBuffer(capacity * 4),
    action: new SharedArrayBuffer(capacity * 2),
    capacity,
  };
}

/** Result of {@link SharedTable.add}: a new index, SEEN, or FULL. */
export const SEEN = -1;
export const FULL = -2;

export class SharedTable {
  readonly hi: Int32Array;
  readonly lo: Int32Array;
  readonly counter: Int32Array;
  readonly parent: Uint32Array;
  readonly action: Uint16Array;
  private readonly mask: number;
  readonly capacity: number;

  constructor(b: SharedBuffers) {
    this.hi = new Int32Array(b.hi);
    this.lo = new Int32Array(b.lo);
    this.counter = new Int32Array(b.counter);
    this.parent = new Uint32Array(b.parent);
    this.action = new Uint16Array(b.action);
    this.mask = this.hi.length - 1;
    this.capacity = b.capacity;
  }

  get size(): number {
    return Math.min(Atomics.load(this.counter, 0), this.capacity);
  }

  /** How state `i` was reached (the explorer's ProvenanceView, for rebuilding traces). */
  parentOf(i: number): number {
    return this.parent[i]!;
  }

  actionOf(i: number): number {
    return this.action[i]!;
  }

  /** Adds an encoding; on a new state records how it was reached. */
  add(words: Int32Array, parent: number, action: number): number {
    hashInto(words);
    const h1 = hashOut[0]!;
    // Both halves non-zero: 0 marks an empty slot and an unpublished low half.
    const a = h1 | 0 || 1;
    const b = hashOut[1]! | 0 || 1;
    let slot = h1 & this.mask;
    for (let probes = 0; probes <= this.mask; probes++) {
      const prev = Atomics.compareExchange(this.hi, slot, 0, a);
      if (prev === 0) {
        const index = Atomics.add(this.counter, 0, 1);
        if (index >= this.capacity) {
          Atomics.store(this.lo, slot, b);
          return FULL;
        }
        this.parent[index] = parent;
        this.action[index] = action;
        Atomics.store(this.lo, slot, b);
        return index;
      }
      if (prev === a) {
        let l = Atomics.load(this.lo, slot);
        while (l === 0) l = Atomics.load(this.lo, slot); // the claimer publishes it next
        if (l === b) return SEEN;
      }
      slot = (slot + 1) & this.mask;
    }
    return FULL;
  }

  bytes(): number {
    return this.hi.byteLength + this.lo.byteLength + this.parent.byteLength + this.action.byteLength;
  }
}

/** Frontier states packed for transfer between threads: [index, length, ...words] per state. */
export class PackedFrontier {
  private buf = new Int32Array(4096);
  length = 0;
  count = 0;
  push(index: number, words: Int32Array) {
    const need = this.length + 2 + words.length;
    if (need > this.buf.length) {
      let n = this.buf.length * 2;
      while (n < need) n *= 2;
      const grown = new Int32Array(n);
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf[this.length] = index;
    this.buf[this.length + 1] = words.length;
    this.buf.set(words, this.length + 2);
    this.length = need;
    this.count++;
  }
  take(): Int32Array {
    const out = this.buf.slice(0, this.length);
    this.length = 0;
    this.count = 0;
    return out;
  }
}

/** Calls `f(index, words)` for each packed state. */
export function forEachPacked(packed: Int32Array, f: (index: number, words: Int32Array) => void): void {
  let at = 0;
  while (at < packed.length) {
    const len = packed[at + 1]!;
    f(packed[at]! >>> 0, packed.subarray(at + 2, at + 2 + len));
    at += 2 + len;
  }
}

/** Splits packed frontiers into `n` contiguous parts of about equal state counts (ranges are copied, not rebuilt). */
export function splitPacked(parts: Int32Array[], n: number): Int32Array[] {
  // Cut points: (part, offset) after every ~total/n states.
  let total = 0;
  for (const p of parts) for (let at = 0; at < p.length; at += 2 + p[at + 1]!) total++;
  const per = Math.ceil(total / n);
  const out: Int32Array[] = [];
  let chunks: Int32Array[] = [];
  let count = 0;
  const flush = () => {
    const len = chunks.reduce((m, c) => m + c.length, 0);
    const buf = new Int32Array(len);
    let at = 0;
    for (const c of chunks) (buf.set(c, at), (at += c.length));
    out.push(buf);
    chunks = [];
    count = 0;
  };
  for (const p of parts) {
    let begin = 0;
    let at = 0;
    while (at < p.length) {
      at += 2 + p[at + 1]!;
      if (++count === per) {
        chunks.push(p.subarray(begin, at));
        begin = at;
        flush();
      }
    }
    if (begin < p.length) chunks.push(p.subarray(begin));
  }
  if (out.length < n) flush();
  while (out.length < n) out.push(new Int32Array(0));
  return out;
}
