/**
 * Coordinator bootstrap (spec §2.4.2, TiCDC `coordinator/controller.go:finishBootstrap`,
 * `selectBootstrapMaintainer`, `stopStaleBootstrapMaintainers`).
 *
 * `selectBootstrapMaintainer` is steps 1–3 for one changefeed; `bootstrapCoordinator` is steps 1–7
 * for all of them: the initial changefeed DB and infos, the stop operators to push and the direct
 * commands to send. Never bumps an epoch.
 *
 * Simplifications (README "Model limits"): changefeed order is by id and report order is the order
 * of the responses given (TiCDC: Go map order); keyspaces, `VerifyAndComplete` and keyspace
 * registration are not modelled; step 8 is the host's.
 */
import type { FeedState, RunningError } from '../../adapters/types.js';
import { assertUint64, match, type Uint64 } from '../epoch.js';
import { OpchartsError } from '../errors.js';
import type { ChangefeedId, NodeId, Progress, RemoveMaintainerRequest } from '../protocol.js';
import type { ChangefeedEntry } from './changefeedDb.js';
import {
  planStopChangefeed,
  removeMaintainerCommand,
  shouldRunChangefeed,
  type ChangefeedMeta,
  type CoordinatorChangefeeds,
  type StopOperatorProposal,
} from './changefeeds.js';

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

/** §2.4.2 steps 1–3 for one changefeed with persisted epoch `persistedEpoch`. */
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

/**
 * The bootstrap's rules (§2.4.2) that a host may replace by name: a checker's historical-bug variant puts an
 * old rule back here (cluster/variants.ts `glue.bootstrap`), the way `OperatorControllerGlue`
 * does for the operator controller. Absent entries keep the faithful function.
 */
export interface BootstrapGlue {
  /**
   * Whether a reported maintainer status takes part in the bootstrap (§2.4.2 input). Faithful for
   * the model: a Working one (a Stopped maintainer owns nothing; see cluster/coordinator.ts). TiCDC
   * passes every status, Stopped ones included (`buildBootstrapResponse`); the fixed selection
   * treats a Stopped report at an older epoch as stale, which the model leaves out (README "Model
   * limits"); the pre-fix code counted it as a second owner (§5.1 B10).
   */
  takesPart(state: string): boolean;
  /** §2.4.2 steps 1–3; faithful: {@link selectBootstrapMaintainer} (§5.1 B10). */
  select(changefeedId: string, persistedEpoch: Uint64, reports: readonly BootstrapReport[]): { owner: BootstrapReport | undefined; stale: BootstrapReport[] };
  /** §2.4.2 step 6: the epoch a stale owner is stopped with; faithful: its own reported epoch (§5.1 B11). */
  staleStopEpoch(stale: BootstrapReport, persistedEpoch: Uint64): Uint64;
}

/** The faithful bootstrap glue. */
export const faithfulBootstrapGlue: BootstrapGlue = {
  takesPart: (state) => state === 'Working',
  select: selectBootstrapMaintainer,
  staleStopEpoch: (stale) => stale.maintainerEpoch,
};

// ---------------------------------------------------------------------------------------------
// Steps 4–8: the whole bootstrap.
// ---------------------------------------------------------------------------------------------

/** One persisted changefeed as `GetAllChangefeeds` returns it (§3.1: info and status). */
export interface PersistedChangefeed {
  readonly id: ChangefeedId;
  readonly epoch: Uint64;
  readonly state: FeedState;
  readonly error: RunningError | null;
  readonly checkpointTs: Uint64;
  readonly progress: Progress;
}

/** One `MaintainerStatus` of a `CoordinatorBootstrapResponse` (§1.1). */
export interface BootstrapStatus {
  readonly changefeedId: ChangefeedId;
  readonly maintainerEpoch: Uint64;
  readonly checkpointTs: Uint64;
}

/** One alive node's `CoordinatorBootstrapResponse.statuses`. */
export interface NodeBootstrapResponse {
  readonly node: NodeId;
  readonly statuses: readonly BootstrapStatus[];
}

/** Bad bootstrap input (a changefeed persisted twice, a node answering twice): nothing is computed. */
export class InvalidBootstrapInputError extends OpchartsError {
  constructor(readonly field: string, reason: string) {
    super('INVALID_BOOTSTRAP_INPUT', `coordinator bootstrap: ${field}: ${reason}`);
  }
}

export interface BootstrapResult {
  /** The initial changefeed DB and in-memory infos. */
  readonly changefeeds: CoordinatorChangefeeds;
  /** Stop operators for the (empty) operator controller, in push order. */
  readonly operatorsToPush: readonly StopOperatorProposal[];
  /** Best-effort direct commands (steps 6 and 7), in send order. */
  readonly messages: readonly RemoveMaintainerRequest[];
}

/**
 * `finishBootstrap` (§2.4.2 steps 1–7) as a pure function over the persisted records and every
 * alive node's bootstrap statuses. It never bumps an epoch and writes nothing to the store: an
 * Absent changefeed is bumped later, when the basic scheduler adds it (§2.4). Step 8 (start the
 * schedulers and the controller, then `initialized = true`) is the host's, after it pushes
 * `operatorsToPush` and sends `messages`.
 *
 * Throws {@link MultipleOwnersError} (step 3, TiCDC panics), {@link InvalidBootstrapInputError}
 * or `EpochRangeError` on bad input; nothing is returned then.
 *
 * Simplifications: changefeeds are processed in id order and a changefeed's reports in the order
 * of `responses` (TiCDC iterates Go maps: the order is arbitrary). The order decides which stale
 * owner gets the stop operator and which get direct commands (step 6); a checker that wants every
 * choice permutes `responses`. `VerifyAndComplete` and keyspace registration are not modelled.
 */
export function bootstrapCoordinator(input: {
  selfNode: NodeId;
  persisted: readonly PersistedChangefeed[];
  responses: readonly NodeBootstrapResponse[];
  /** Rules to use in place of the faithful ones (a historical-bug variant); absent: faithful. */
  glue?: Partial<BootstrapGlue>;
}): BootstrapResult {
  const { selfNode, persisted, responses } = input;
  const select = input.glue?.select ?? faithfulBootstrapGlue.select;
  const staleStopEpoch = input.glue?.staleStopEpoch ?? faithfulBootstrapGlue.staleStopEpoch;
  const persistedIds = new Set<ChangefeedId>();
  persisted.forEach((p, i) => {
    if (persistedIds.has(p.id)) throw new InvalidBootstrapInputError(`persisted[${i}].id`, `changefeed ${p.id} appears twice`);
    persistedIds.add(p.id);
    assertUint64(p.epoch, `persisted[${i}].epoch`);
    assertUint64(p.checkpointTs, `persisted[${i}].checkpointTs`);
  });
  const reportsByChangefeed = new Map<ChangefeedId, (BootstrapReport & { checkpointTs: Uint64 })[]>();
  const respondedNodes = new Set<NodeId>();
  responses.forEach((r, i) => {
    if (respondedNodes.has(r.node)) throw new InvalidBootstrapInputError(`responses[${i}].node`, `node ${r.node} answered twice`);
    respondedNodes.add(r.node);
    r.statuses.forEach((s, j) => {
      assertUint64(s.maintainerEpoch, `responses[${i}].statuses[${j}].maintainerEpoch`);
      assertUint64(s.checkpointTs, `responses[${i}].statuses[${j}].checkpointTs`);
      const list = reportsByChangefeed.get(s.changefeedId) ?? [];
      list.push({ node: r.node, maintainerEpoch: s.maintainerEpoch, checkpointTs: s.checkpointTs });
      reportsByChangefeed.set(s.changefeedId, list);
    });
  });

  const db = new Map<ChangefeedId, ChangefeedEntry>();
  const meta = new Map<ChangefeedId, ChangefeedMeta>();
  let state: CoordinatorChangefeeds = { db, meta };
  const operatorsToPush: StopOperatorProposal[] = [];
  const messages: RemoveMaintainerRequest[] = [];

  for (const p of [...persisted].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    // Steps 1–3.
    const reports = reportsByChangefeed.get(p.id) ?? [];
    const { owner, stale } = select(p.id, p.epoch, reports);
    // Step 4: Absent or Stopped without an owner; Replicating on the owner, with its checkpoint.
    const ownerReport = owner ? reports.find((r) => r.node === owner.node && r.maintainerEpoch === owner.maintainerEpoch) : undefined;
    const entry: ChangefeedEntry = ownerReport
      ? { nodeId: ownerReport.node, bucket: 'Replicating', stopped: false, isNew: false }
      : shouldRunChangefeed(p.state)
        ? { nodeId: '', bucket: 'Absent', stopped: false, isNew: false }
        : { nodeId: '', bucket: undefined, stopped: true, isNew: false };
    state = {
      db: new Map(state.db).set(p.id, entry),
      meta: new Map(state.meta).set(p.id, {
        epoch: p.epoch,
        state: p.state,
        error: p.error,
        checkpointTs: ownerReport ? ownerReport.checkpointTs : p.checkpointTs,
      }),
    };
    // Step 5.
    let slotTaken = false;
    let staleRemoved = false;
    if (p.progress === 'Stopping' || p.progress === 'Removing') {
      const remove = p.progress === 'Removing';
      staleRemoved = remove;
      if (!owner && stale.length > 0) {
        // No stop operator for the changefeed itself: the stale owners' stops do the work.
        state = planStopChangefeed(state, { changefeed: p.id, removed: remove, selfNode }).state;
      } else {
        const planned = planStopChangefeed(state, { changefeed: p.id, removed: remove, selfNode });
        state = planned.state;
        operatorsToPush.push(planned.operator);
        slotTaken = true;
      }
    }
    // Step 6: each stale owner is stopped with its own epoch.
    for (const s of stale) {
      const epoch = staleStopEpoch(s, p.epoch);
      if (slotTaken) {
        messages.push(removeMaintainerCommand(s.node, p.id, staleRemoved, epoch));
      } else {
        operatorsToPush.push({
          kind: 'stop',
          changefeed: p.id,
          node: s.node,
          epoch,
          removed: staleRemoved,
          entry: 'StopRemoteMaintainerWithMaintainerEpoch',
        });
        slotTaken = true;
      }
    }
  }

  // Step 7: reports for changefeeds that are not persisted are removed (removed=true) with their own epoch.
  for (const r of responses) {
    for (const s of r.statuses) {
      if (!persistedIds.has(s.changefeedId)) messages.push(removeMaintainerCommand(r.node, s.changefeedId, true, s.maintainerEpoch));
    }
  }
  return { changefeeds: state, operatorsToPush, messages };
}
