/**
 * Coordinator bootstrap, steps 1–3 of spec §2.4.2 (`selectBootstrapMaintainer`): split the alive
 * nodes' reports for one persisted changefeed with epoch E into the owner (at most one) and the
 * stale owners. Never bumps. Steps 4–8 (Absent/Stopped creation, progress, stopping stale owners,
 * unknown changefeeds) are not built yet.
 */
import { match, type Uint64 } from '../epoch.js';
import type { NodeId } from '../protocol.js';

export interface BootstrapReport {
  readonly node: NodeId;
  readonly maintainerEpoch: Uint64;
}

/** §2.4.2 step 3: the source panics ("maintainer runs on multiple node"); here a typed error. */
export class MultipleOwnersError extends Error {
  readonly code = 'MULTIPLE_OWNERS';
  constructor(readonly changefeedId: string, readonly nodes: readonly NodeId[]) {
    super(`changefeed ${changefeedId}: maintainer runs on multiple nodes (${nodes.join(', ')})`);
    this.name = 'MultipleOwnersError';
  }
}

export function selectBootstrapMaintainer(
  changefeedId: string,
  persistedEpoch: Uint64,
  reports: readonly BootstrapReport[],
): { owner: BootstrapReport | undefined; stale: BootstrapReport[] } {
  const exact = reports.filter((r) => r.maintainerEpoch === persistedEpoch);
  const compat = reports.filter((r) => r.maintainerEpoch !== persistedEpoch && match(r.maintainerEpoch, persistedEpoch));
  const stale = reports.filter((r) => !match(r.maintainerEpoch, persistedEpoch));
  // Step 2: with an exact owner, the compat reports are stale too.
  const matches = exact.length > 0 ? exact : compat;
  if (exact.length > 0) stale.push(...compat);
  if (matches.length > 1) throw new MultipleOwnersError(changefeedId, matches.map((m) => m.node));
  return { owner: matches[0], stale };
}
