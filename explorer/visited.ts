/**
 * Visited sets over state encodings (vectors of 32-bit words), in typed arrays so that a search of
 * 100M+ states fits in memory and costs no allocation per state.
 *
 * - {@link ExactVisited} stores every encoding in a chunked word arena: no state can be missed.
 * - {@link CompactVisited} stores a 64-bit hash per state (hash compaction, as SPIN's -DHC): 8 bytes
 *   a slot, but two states with the same hash count as one, so a search may miss states. Every
 *   report of a compaction search says so.
 *
 * Both are open-addressing tables with linear probing, grown by doubling.
 */

const EMPTY = 0;

/** Where {@link hashInto} leaves its two hashes (no allocation on the search's hot path). */
export const hashOut = new Uint32Array(2);

/** Two independent 32-bit hashes of a word vector (murmur3-style mixing), as [h1, h2]. */
export function hashWords(words: Int32Array, length = words.length): [number, number] {
  hashInto(words, length);
  return [hashOut[0]!, hashOut[1]!];
}

/** {@link hashWords} into {@link hashOut}. */
export function hashInto(words: Int32Array, length = words.length): void {
  let h1 = 0x9747b28c ^ length;
  let h2 = 0x85ebca6b ^ Math.imul(length, 0xc2b2ae35);
  for (let i = 0; i < length; i++) {
    let k = words[i]!;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h1 ^= k;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    h2 = Math.imul(h2 ^ words[i]!, 0x27d4eb2f);
    h2 = (h2 << 17) | (h2 >>> 15);
    h2 = (h2 + 0x165667b1) | 0;
  }
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  h2 ^= h2 >>> 15;
  h2 = Math.imul(h2, 0x2c1b3c6d);
  h2 ^= h2 >>> 12;
  h2 = Math.imul(h2, 0x297a2d39);
  h2 ^= h2 >>> 15;
  hashOut[0] = h1;
  hashOut[1] = h2;
}

function capacityFor(expected: number, maxLoad: number): number {
  let cap = 1024;
  while (cap * maxLoad < expected) cap *= 2;
  return cap;
}

export interface Visited {
  /**
   * Adds an encoding: its new index (0, 1, 2, …) if it was not there, else `-(index + 1)` (exact),
   * or -1 whatever the index (hash compaction keeps no indices: use exact mode when it matters).
   */
  add(words: Int32Array): number;
  readonly size: number;
  /** Bytes held by the structure. */
  bytes(): number;
  readonly mayMissStates: boolean;
}

const CHUNK_WORDS = 1 << 22; // 16 MiB per arena chunk

/** Every encoding kept: exact, ~4 bytes per word + 12 per state + the table. */
export class ExactVisited implements Visited {
  readonly mayMissStates = false;
  private chunks: Int32Array[] = [new Int32Array(CHUNK_WORDS)];
  private used = 0; // words used in the last chunk
  /** Per state: its arena position (chunk * CHUNK_WORDS + offset), as a double (exact to 2^53). */
  private offsets = new Float64Array(1024);
  /** Per slot: state index + 1 (0 = empty), and the state's first hash for quick rejection. */
  private slots: Uint32Array;
  private slotHash: Uint32Array;
  private mask: number;
  size = 0;

  constructor(expectedStates = 0) {
    const cap = capacityFor(expectedStates, 0.5);
    this.slots = new Uint32Array(cap);
    this.slotHash = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  private equals(index: number, words: Int32Array): boolean {
    const pos = this.offsets[index]!;
    const chunk = this.chunks[Math.floor(pos / CHUNK_WORDS)]!;
    let at = pos % CHUNK_WORDS;
    if (chunk[at] !== words.length) return false;
    at++;
    for (let i = 0; i < words.length; i++) if (chunk[at + i] !== words[i]) return false;
    return true;
  }

  private store(words: Int32Array): number {
    if (words.length + 1 > CHUNK_WORDS) throw new RangeError(`a state of ${words.length} words exceeds the arena chunk`);
    if (this.used + words.length + 1 > CHUNK_WORDS) {
      this.chunks.push(new Int32Array(CHUNK_WORDS));
      this.used = 0;
    }
    const chunkIndex = this.chunks.length - 1;
    const chunk = this.chunks[chunkIndex]!;
    const at = this.used;
    chunk[at] = words.length;
    chunk.set(words, at + 1);
    this.used += words.length + 1;
    if (this.size === this.offsets.length) {
      const grown = new Float64Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.offsets[this.size] = chunkIndex * CHUNK_WORDS + at;
    return this.size++;
  }

  add(words: Int32Array): number {
    hashInto(words);
    const h = hashOut[0]!;
    let slot = h & this.mask;
    for (;;) {
      const entry = this.slots[slot]!;
      if (entry === EMPTY) break;
      if (this.slotHash[slot] === h && this.equals(entry - 1, words)) return -entry;
      slot = (slot + 1) & this.mask;
    }
    const index = this.store(words);
    this.slots[slot] = index + 1;
    this.slotHash[slot] = h;
    if (this.size * 2 > this.slots.length) this.grow();
    return index;
  }

  private grow(): void {
    const oldSlots = this.slots;
    const oldHash = this.slotHash;
    const cap = oldSlots.length * 2;
    this.slots = new Uint32Array(cap);
    this.slotHash = new Uint32Array(cap);
    this.mask = cap - 1;
    for (let i = 0; i < oldSlots.length; i++) {
      const entry = oldSlots[i]!;
      if (entry === EMPTY) continue;
      let slot = oldHash[i]! & this.mask;
      while (this.slots[slot] !== EMPTY) slot = (slot + 1) & this.mask;
      this.slots[slot] = entry;
      this.slotHash[slot] = oldHash[i]!;
    }
  }

  /** The stored encoding of state `index` (a copy). */
  get(index: number): Int32Array {
    const pos = this.offsets[index]!;
    const chunk = this.chunks[Math.floor(pos / CHUNK_WORDS)]!;
    const at = pos % CHUNK_WORDS;
    return chunk.slice(at + 1, at + 1 + chunk[at]!);
  }

  bytes(): number {
    return this.chunks.length * CHUNK_WORDS * 4 + this.offsets.byteLength + this.slots.byteLength + this.slotHash.byteLength;
  }
}

/**
 * 64-bit hash compaction: 8 bytes per slot, load ≤ 0.8. May miss states; says so. The slot count
 * need not be a power of two (a hash picks its slot by multiply-and-shift), so a table sized from
 * `expectedStates` holds them at 0.8 load rather than anywhere between 0.4 and 0.8.
 */
export class CompactVisited implements Visited {
  readonly mayMissStates = true;
  private hi: Uint32Array;
  private lo: Uint32Array;
  /** Slots per unit of a 32-bit hash: slot = floor(a × scale). */
  private scale: number;
  size = 0;

  constructor(expectedStates = 0) {
    const cap = Math.max(1024, Math.ceil(expectedStates / 0.8));
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.scale = cap / 4294967296;
  }

  add(words: Int32Array): number {
    hashInto(words);
    const a = hashOut[0]!;
    const b0 = hashOut[1]!;
    // (0, 0) marks an empty slot.
    const b = a === 0 && b0 === 0 ? 1 : b0;
    const cap = this.hi.length;
    let slot = Math.floor(a * this.scale);
    for (;;) {
      const h = this.hi[slot]!;
      const l = this.lo[slot]!;
      if (h === 0 && l === 0) break;
      if (h === a && l === b) return -1;
      if (++slot === cap) slot = 0;
    }
    this.hi[slot] = a;
    this.lo[slot] = b;
    const index = this.size++;
    if (this.size > cap * 0.8) this.grow();
    return index;
  }

  private grow(): void {
    const oldHi = this.hi;
    const oldLo = this.lo;
    const cap = oldHi.length * 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.scale = cap / 4294967296;
    for (let i = 0; i < oldHi.length; i++) {
      const a = oldHi[i]!;
      const b = oldLo[i]!;
      if (a === 0 && b === 0) continue;
      let slot = Math.floor(a * this.scale);
      while (this.hi[slot] !== 0 || this.lo[slot] !== 0) if (++slot === cap) slot = 0;
      this.hi[slot] = a;
      this.lo[slot] = b;
    }
  }

  bytes(): number {
    return this.hi.byteLength + this.lo.byteLength;
  }
}
