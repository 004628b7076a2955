/**
 * Building blocks for event domains: small, finite value sets that reach every guard outcome.
 * Nodes play fixed roles; epochs are taken around a current value (spec notation: 0 is the wildcard).
 */
import { MAX_UINT64, type Uint64 } from '../machines/epoch.js';
import { LIVENESS_ORDER, type Liveness } from '../machines/protocol.js';

/** Node roles: the move's origin, the destination, an unrelated node and the coordinator's own. */
export const ORIGIN = 'n1';
export const DEST = 'n2';
export const OTHER = 'n3';
export const COORD = 'coord';
export const NODES = [ORIGIN, DEST, OTHER, COORD] as const;

/** 0 (the wildcard), an older epoch, the current one, a newer one, and 2^64−1. */
export function epochsAround(current: Uint64): Uint64[] {
  const set = new Set<Uint64>([0n, current, current + 1n, MAX_UINT64]);
  if (current > 1n) set.add(current - 1n);
  return [...set].filter((e) => e <= MAX_UINT64).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export const LIVENESSES: readonly Liveness[] = ['Alive', 'Draining', 'Stopping'];

/** Every maintainer status shape: from each node, Working/Stopped, with and without BootstrapDone. */
export function statusEvents(nodes: readonly string[], epochs: readonly Uint64[]) {
  const out: Array<{ type: 'STATUS'; from: string; state: 'Working' | 'Stopped'; bootstrapDone: boolean; maintainerEpoch: Uint64 }> = [];
  for (const from of nodes)
    for (const state of ['Working', 'Stopped'] as const)
      for (const bootstrapDone of [false, true])
        for (const maintainerEpoch of epochs) out.push({ type: 'STATUS', from, state, bootstrapDone, maintainerEpoch });
  return out;
}

export const nodeRemovedEvents = (nodes: readonly string[]) => nodes.map((node) => ({ type: 'NODE_REMOVED' as const, node }));

export const livenessRank = (l: Liveness) => LIVENESS_ORDER[l];

/** Emitted effects of a given type from a step. */
export function effectsOf<T extends string>(effects: ReadonlyArray<{ type: string } & Record<string, unknown>>, type: T) {
  return effects.filter((e) => e.type === type);
}
