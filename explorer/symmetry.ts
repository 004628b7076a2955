/**
 * Symmetry reduction: when some components are interchangeable (nodes of the same kind, changefeeds
 * with the same configuration), states that differ only by a permutation of them are one state.
 * The model says how to apply a permutation to a state; the canonical encoding is then the least
 * (lexicographic) encoding over all permutations of the group. Traces stay concrete: only the
 * visited set sees the canonical form.
 *
 * Sound only for properties that cannot tell the permuted components apart (one state per class
 * is checked): "no two nodes own the same epoch" is symmetric, "node 2 never owns" is not.
 */
import type { Model } from './types.js';

/** All permutations of 0..n-1 (n! of them; meant for small groups such as 3 nodes). */
export function allPermutations(n: number): number[][] {
  if (n <= 1) return [Array.from({ length: n }, (_, i) => i)];
  const out: number[][] = [];
  for (const p of allPermutations(n - 1)) for (let i = 0; i <= p.length; i++) out.push([...p.slice(0, i), n - 1, ...p.slice(i)]);
  return out;
}

function less(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return a.length < b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

/**
 * `model` with a canonical encoding under `permutations`: `permute(state, p)` must rename component
 * i to p[i] everywhere in the state (its slots and every reference to it).
 */
export function withSymmetry<S, A, M extends Model<S, A>>(model: M, permutations: number[][], permute: (state: S, p: number[]) => S): M {
  let best = new Int32Array(0);
  return {
    ...model,
    encode(state: S): Int32Array {
      let first = true;
      for (const p of permutations) {
        const enc = model.encode(permute(state, p));
        if (first || less(enc, best)) {
          best = enc.slice();
          first = false;
        }
      }
      return best;
    },
  };
}
