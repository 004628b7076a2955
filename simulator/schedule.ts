/**
 * The simulator's seeded randomness and its scheduler. No `Math.random`: a run is a function of
 * its seed (and, with a store other than memory, of what the store answers), so a seed reproduces
 * a run and a violation's episode can be run again.
 */
import type { Action } from '../cluster/world.js';

/** mulberry32: a small, fast 32-bit generator, good enough to pick steps (not for cryptography). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed from a run's seed and an episode number (splitmix-style mixing), so each episode has its own stream. */
export function episodeSeed(seed: number, episode: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(episode + 1, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * How often each kind of step is taken when it is enabled, relative to the others: deliveries and
 * periodic work are common, faults and API calls rare (and only within the configuration's budgets,
 * since the world enables them only then). A kind is chosen by weight among the enabled kinds, then
 * one of its steps uniformly, so a kind with many instances (node ticks) does not crowd the rest out.
 */
export const STEP_WEIGHTS: Readonly<Record<string, number>> = {
  deliver: 40,
  'coordinator-tick': 15,
  store: 15,
  runtime: 10,
  'coordinator-takeover': 10,
  tick: 6,
  'node-heartbeat': 6,
  'coordinator-membership': 6,
  restart: 5,
  time: 4,
  membership: 2,
  lose: 1,
  duplicate: 1,
  crash: 0.5,
  api: 0.5,
  'state-change': 0.3,
  'coordinator-crash': 0.3,
  send: 0,
};
/** A kind the table does not name yet (a step added to the world later) is taken this often. */
const UNKNOWN_KIND_WEIGHT = 1;
/** Of the store calls that end, this share fails (applied or not) while the store-fault budget lasts. */
export const STORE_FAULT_RATE = 0.1;

/** The category a step is weighed in: a store call's outcome is decided apart (see {@link STORE_FAULT_RATE}). */
const kindOf = (a: Action) => a.kind;

/**
 * Picks the next step among the enabled ones, or null when none is. A store call is picked among
 * the `ok` outcomes; with probability {@link STORE_FAULT_RATE}, when the world offers a failed
 * outcome for it, one of those is taken instead.
 */
export function pickAction(enabled: readonly Action[], random: () => number): Action | null {
  const byKind = new Map<string, Action[]>();
  const faults: Action[] = [];
  for (const a of enabled) {
    if (a.kind === 'store' && a.outcome !== 'ok') {
      faults.push(a);
      continue;
    }
    const k = kindOf(a);
    const list = byKind.get(k);
    if (list) list.push(a);
    else byKind.set(k, [a]);
  }
  let total = 0;
  for (const k of byKind.keys()) total += STEP_WEIGHTS[k] ?? UNKNOWN_KIND_WEIGHT;
  if (total <= 0) return null;
  let r = random() * total;
  let chosen: Action[] | undefined;
  for (const [k, list] of byKind) {
    r -= STEP_WEIGHTS[k] ?? UNKNOWN_KIND_WEIGHT;
    if (r < 0) {
      chosen = list;
      break;
    }
  }
  chosen ??= [...byKind.values()].pop()!;
  const a = chosen[Math.floor(random() * chosen.length)]!;
  if (a.kind === 'store' && faults.length > 0 && random() < STORE_FAULT_RATE) {
    const same = faults.filter((f) => f.kind === 'store' && f.call === a.call);
    if (same.length > 0) return same[Math.floor(random() * same.length)]!;
  }
  return a;
}
