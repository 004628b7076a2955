/**
 * The generic explorer on small models whose answers are known by counting: state and transition
 * counts, shortest counterexamples, deadlocks, AG EF, bounds, both visited sets, canonical
 * encodings. No TiCDC here: the explorer knows nothing of it.
 */
import { describe, expect, it } from 'vitest';
import { allPermutations, CompactVisited, ExactVisited, explore, hashWords, withSymmetry, type Model } from '../../explorer/index.js';

/** k counters, each 0..n; action i increments counter i. (n+1)^k states. */
function counters(k: number, n: number, opts: { terminal?: boolean; width?: number } = {}): Model<number[], number> {
  const width = opts.width ?? k;
  const buf = new Int32Array(width);
  return {
    name: `counters(${k}, ${n})`,
    initialStates: () => [new Array(k).fill(0)],
    actions: (s) => s.flatMap((v, i) => (v < n ? [i] : [])),
    apply: (s, i) => s.map((v, j) => (j === i ? v + 1 : v)),
    encode: (s) => {
      buf.fill(0);
      s.forEach((v, i) => (buf[i] = v));
      return buf;
    },
    label: (_s, i) => `inc ${i}`,
    isTerminal: opts.terminal === false ? undefined : (s) => s.every((v) => v === n),
  };
}

/** Two processes with a non-atomic test-then-set lock: both can be critical. */
type Mutex = { pc: [number, number]; flag: boolean };
const brokenMutex: Model<Mutex, number> = {
  name: 'broken mutex',
  initialStates: () => [{ pc: [0, 0], flag: false }],
  actions: (s) =>
    [0, 1].filter((p) => (s.pc[p] === 0 ? !s.flag : true)),
  apply: (s, p) => {
    const pc: [number, number] = [...s.pc];
    let flag = s.flag;
    if (pc[p] === 0) pc[p] = 1; // saw the flag down
    else if (pc[p] === 1) ((pc[p] = 2), (flag = true)); // sets it and enters
    else ((pc[p] = 0), (flag = false)); // leaves
    return { pc, flag };
  },
  encode: (s) => Int32Array.of(s.pc[0], s.pc[1], s.flag ? 1 : 0),
  label: (s, p) => `P${p} ${['check', 'enter', 'leave'][s.pc[p]!]}`,
};
const mutualExclusion = { name: 'mutual exclusion', doc: 'at most one process is critical', check: (s: Mutex) => !(s.pc[0] === 2 && s.pc[1] === 2) };

describe('explore: counts', () => {
  it('k counters 0..n: (n+1)^k states, k·n·(n+1)^(k-1) transitions, depth k·n, complete', () => {
    const r = explore(counters(3, 9));
    expect(r).toMatchObject({ states: 1000, transitions: 3 * 9 * 100, depth: 27, stopReason: 'complete', mayMissStates: false, violations: [] });
  });

  it('hash compaction finds the same states and says that it may miss some', () => {
    const exact = explore(counters(3, 20));
    const compact = explore(counters(3, 20), { mode: 'hash-compaction' });
    expect(compact.states).toBe(exact.states);
    expect(compact.transitions).toBe(exact.transitions);
    expect(compact).toMatchObject({ mode: 'hash-compaction', mayMissStates: true });
    expect(exact.mayMissStates).toBe(false);
  });

  it('a canonical encoding of a bag merges orders: multisets, not sequences', () => {
    // Up to 6 messages, each 1 or 2, sent in any order.
    const bag = (canonical: boolean): Model<number[], number> => ({
      name: 'bag',
      initialStates: () => [[]],
      actions: (s) => (s.length < 6 ? [1, 2] : []),
      apply: (s, m) => [...s, m],
      encode: (s) => Int32Array.from(canonical ? [...s].sort() : s),
      label: (_s, m) => `send ${m}`,
      isTerminal: (s) => s.length === 6,
    });
    expect(explore(bag(false)).states).toBe(2 ** 7 - 1);
    expect(explore(bag(true)).states).toBe((7 * 8) / 2);
  });

  it('variable-length encodings across arena chunks are stored and compared exactly', () => {
    // 500-word states (mostly zeros): 10,201 states × 501 words fill more than one 4M-word arena chunk.
    const r = explore(counters(2, 100, { width: 500 }));
    expect(r.states).toBe(101 * 101);
    expect(r.stopReason).toBe('complete');
  });
});

describe('explore: counterexamples', () => {
  it('reports the violated invariant with a shortest trace (4 steps), replayed from the initial state', () => {
    const r = explore(brokenMutex, { invariants: [mutualExclusion] });
    expect(r.stopReason).toBe('violation');
    expect(r.violations).toHaveLength(1);
    const [v] = r.violations;
    expect(v).toMatchObject({ kind: 'invariant', name: 'mutual exclusion', message: 'violated' });
    expect(v!.trace.steps.map((s) => s.label)).toEqual(['P0 check', 'P1 check', 'P0 enter', 'P1 enter']);
    expect(v!.trace.steps.at(-1)!.state.pc).toEqual([2, 2]);
  });

  it('an invariant message names the values that broke it; the step that produced the state is passed', () => {
    const seen: string[] = [];
    const r = explore(brokenMutex, {
      invariants: [
        {
          name: 'no double entry',
          check: (s, step) => {
            if (step) seen.push(brokenMutex.label(step.prev, step.action));
            return s.pc[0] === 2 && s.pc[1] === 2 ? `pc=${s.pc.join(',')} flag=${s.flag}` : true;
          },
        },
      ],
    });
    expect(r.violations[0]!.message).toBe('pc=2,2 flag=true');
    expect(seen).toContain('P1 enter');
  });

  it('collects the first violation of every invariant when asked not to stop', () => {
    const r = explore(counters(2, 3), {
      stopAtFirstViolation: false,
      invariants: [
        { name: 'a < 2', check: (s) => s[0]! < 2 },
        { name: 'b < 3', check: (s) => s[1]! < 3 },
      ],
    });
    expect(r.violations.map((v) => [v.name, v.trace.steps.length])).toEqual([
      ['a < 2', 2],
      ['b < 3', 3],
    ]);
    expect(r.states).toBe(16);
  });

  it('a state with no enabled action that is not terminal is a deadlock, with its shortest path', () => {
    const r = explore(counters(2, 2, { terminal: false }));
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]).toMatchObject({ kind: 'deadlock', name: 'deadlock' });
    expect(r.violations[0]!.trace.steps).toHaveLength(4);
    expect(explore(counters(2, 2)).violations).toEqual([]);
  });
});

describe('explore: step invariants see every transition', () => {
  it('a forbidden step into a state already reached another way is reported, with the path through the step', () => {
    // 0 → 1, 0 → 2, and 1 → 2: state 2 is visited (from 0) before the step 1 → 2 is taken.
    const m: Model<number, string> = {
      name: 'diamond',
      initialStates: () => [0],
      actions: (s) => (s === 0 ? ['to1', 'to2'] : s === 1 ? ['to2'] : []),
      apply: (_s, a) => (a === 'to1' ? 1 : 2),
      encode: (s) => Int32Array.of(s),
      label: (s, a) => `${s}:${a}`,
      isTerminal: () => true,
    };
    const noOneToTwo = { name: 'no 1→2', check: (_s: number, step?: { prev: number; action: string }) => (step?.prev === 1 && step.action === 'to2' ? 'stepped 1 → 2' : true) };
    const r = explore(m, { invariants: [noOneToTwo] });
    expect(r.violations.map((v) => v.trace.steps.map((s) => s.label))).toEqual([['0:to1', '1:to2']]);
  });
});

describe('explore: AG EF (the goal stays reachable from every reachable state)', () => {
  // A drain-like counter: 0 → 1 → 2 (goal), but from 1 a "trap" action goes to 9, from which only a self-loop.
  const trap = (withTrap: boolean): Model<number, string> => ({
    name: 'trap',
    initialStates: () => [0],
    actions: (s) => (s === 9 ? ['spin'] : s === 2 ? [] : withTrap && s === 1 ? ['step', 'trap'] : ['step']),
    apply: (s, a) => (a === 'trap' ? 9 : a === 'spin' ? 9 : s + 1),
    encode: (s) => Int32Array.of(s),
    label: (_s, a) => a,
    isTerminal: (s) => s === 2,
  });

  it('reports the shallowest state from which the goal is unreachable, with the path to it', () => {
    const r = explore(trap(true), { eventually: { name: 'done', goal: (s) => s === 2 } });
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]).toMatchObject({ kind: 'eventually', name: 'done' });
    expect(r.violations[0]!.trace.steps.map((s) => s.label)).toEqual(['step', 'trap']);
  });

  it('reports nothing when the goal stays reachable', () => {
    expect(explore(trap(false), { eventually: { name: 'done', goal: (s) => s === 2 } }).violations).toEqual([]);
  });

  it('follows edges back to the initial state (index 0): a reset loop keeps the goal reachable, a trap after it does not', () => {
    // 0 → 1 → 0 (a reset, an edge to state 0) and 1 → 2 (goal); with the trap, 1 → 9 → 9.
    const reset = (withTrap: boolean): Model<number, string> => ({
      name: 'reset',
      initialStates: () => [0],
      actions: (s) => (s === 0 ? ['step'] : s === 1 ? ['reset', 'finish', ...(withTrap ? ['trap'] : [])] : s === 9 ? ['spin'] : []),
      apply: (s, a) => (a === 'reset' ? 0 : a === 'finish' ? 2 : a === 'trap' || a === 'spin' ? 9 : s + 1),
      encode: (s) => Int32Array.of(s),
      label: (_s, a) => a,
      isTerminal: (s) => s === 2,
    });
    expect(explore(reset(false), { eventually: { name: 'done', goal: (s) => s === 2 } }).violations).toEqual([]);
    const r = explore(reset(true), { eventually: { name: 'done', goal: (s) => s === 2 } });
    expect(r.violations.map((v) => v.trace.steps.map((s) => s.label))).toEqual([['step', 'trap']]);
  });

  it('needs exact mode', () => {
    expect(() => explore(trap(true), { mode: 'hash-compaction', eventually: { name: 'done', goal: () => true } })).toThrow(/exact mode/);
  });
});

describe('explore: bounds', () => {
  it('maxStates stops at the bound and says so', () => {
    const r = explore(counters(3, 50), { maxStates: 500 });
    expect(r).toMatchObject({ states: 500, stopReason: 'maxStates' });
  });

  it('maxDepth expands nothing at the bound depth', () => {
    const r = explore(counters(2, 50), { maxDepth: 3 });
    expect(r).toMatchObject({ stopReason: 'maxDepth', depth: 3, states: 1 + 2 + 3 + 4 });
  });

  it('maxMillis stops on an injected clock, with progress reported', () => {
    let now = 0;
    const progress: number[] = [];
    const r = explore(counters(3, 50), { clock: () => (now += 100), maxMillis: 1000, progressEvery: 1000, onProgress: (p) => progress.push(p.states) });
    expect(r.stopReason).toBe('maxMillis');
    expect(progress.length).toBeGreaterThan(0);
    expect(r.states).toBeLessThan(51 ** 3);
  });
});

describe('visited sets', () => {
  it('exact: add returns a new index, then -(index + 1) for the same words; get returns them', () => {
    const v = new ExactVisited();
    expect(v.add(Int32Array.of(1, 2, 3))).toBe(0);
    expect(v.add(Int32Array.of(1, 2))).toBe(1);
    expect(v.add(Int32Array.of(1, 2, 3))).toBe(-1);
    expect(v.add(Int32Array.of(1, 2))).toBe(-2);
    expect(Array.from(v.get(0))).toEqual([1, 2, 3]);
    expect(v.size).toBe(2);
  });

  it('exact: 200k distinct vectors survive growth and all are found again', () => {
    const v = new ExactVisited();
    const wrong: number[] = [];
    for (let i = 0; i < 200_000; i++) if (v.add(Int32Array.of(i, i ^ 0x5555, -i)) !== i) wrong.push(i);
    for (let i = 0; i < 200_000; i += 997) if (v.add(Int32Array.of(i, i ^ 0x5555, -i)) !== -(i + 1)) wrong.push(i);
    expect(wrong).toEqual([]);
    expect(v.size).toBe(200_000);
  });

  it('compaction: 8 bytes per slot at load 0.8 when sized up front (any slot count, not a power of two)', () => {
    const v = new CompactVisited(100_000);
    for (let i = 0; i < 100_000; i++) v.add(Int32Array.of(i, 7));
    expect(v.size).toBe(100_000);
    expect(v.bytes()).toBe(Math.ceil(100_000 / 0.8) * 8);
    expect(v.add(Int32Array.of(5, 7))).toBe(-1);
    // Past the expected count it grows (doubling), and every vector is still found once.
    for (let i = 100_000; i < 130_000; i++) expect(v.add(Int32Array.of(i, 7))).toBe(i);
    for (let i = 0; i < 130_000; i += 101) expect(v.add(Int32Array.of(i, 7))).toBe(-1);
    expect(v.bytes() / v.size).toBeLessThanOrEqual(8 / 0.4);
  });

  it('traces through states with 300 actions: an action position above 255 is kept exactly', () => {
    // Two counters; 300 actions per state, of which only 0 (x+1) and 299 (y+1) change anything.
    const wide: Model<[number, number], number> = {
      name: 'wide',
      initialStates: () => [[0, 0]],
      actions: ([x, y]) => (x < 3 && y < 3 ? Array.from({ length: 300 }, (_, i) => i) : []),
      apply: ([x, y], a) => (a === 0 ? [x + 1, y] : a === 299 ? [x, y + 1] : [x, y]),
      encode: (s) => Int32Array.from(s),
      label: (_s, a) => String(a),
      isTerminal: () => true,
    };
    const r = explore(wide, { mode: 'hash-compaction', invariants: [{ name: 'y < 2', check: ([, y]) => y < 2 }] });
    expect(r.violations[0]!.trace.steps.map((s) => s.action)).toEqual([299, 299]);
    // 5 bytes a state until the 300th action's position arrives, 6 after: one chunk of 65,536 states here.
    expect(r.bytesPerState * r.states).toBeGreaterThan(65_536 * 6);
  });

  it('the two hashes differ for vectors that differ in order or length', () => {
    expect(hashWords(Int32Array.of(1, 2))).not.toEqual(hashWords(Int32Array.of(2, 1)));
    expect(hashWords(Int32Array.of(0))).not.toEqual(hashWords(Int32Array.of(0, 0)));
  });
});

describe('symmetry reduction', () => {
  it('allPermutations(n) lists the n! orders once each', () => {
    const p = allPermutations(4);
    expect(p).toHaveLength(24);
    expect(new Set(p.map((x) => x.join())).size).toBe(24);
  });

  it('interchangeable counters: multisets instead of vectors, with concrete traces', () => {
    const k = 3;
    const n = 6;
    const permute = (s: number[], p: number[]) => {
      const out = new Array<number>(s.length);
      s.forEach((v, i) => (out[p[i]!] = v));
      return out;
    };
    const reduced = withSymmetry(counters(k, n), allPermutations(k), permute);
    // Multisets of size k over n+1 values: C(n+k, k).
    expect(explore(reduced).states).toBe((9 * 8 * 7) / 6);
    expect(explore(counters(k, n)).states).toBe(7 ** 3);
    // A symmetric invariant (it cannot tell the counters apart) is checked on one state per class.
    const r = explore(reduced, { invariants: [{ name: 'no counter at 2', check: (s) => s.every((v) => v < 2) }] });
    const trace = r.violations[0]!.trace;
    expect(trace.steps.map((s) => s.label)).toEqual(['inc 0', 'inc 0']);
    expect(trace.steps.at(-1)!.state).toEqual([2, 0, 0]);
  });
});
