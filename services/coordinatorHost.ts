/**
 * A host for the operator controller (machines/coordinator/operatorController.ts): what a real
 * coordinator embeds to run the operators of spec §2.1–§2.3 on the §2.0 queue, with admission
 * (§2.4, services/admission.ts) against a real {@link EpochStore}.
 *
 * The host owns the effects, never the decisions:
 * - outgoing messages (AddMaintainer, RemoveMaintainer) go to the `send` callback the host is given;
 * - `store.*` intents (a stop's PostFinish, §2.3) are written to the epoch store; the source only
 *   logs their errors, so they go to `onStoreError` and change nothing else;
 * - `db.*` intents are already applied to the controller's own ChangefeedDB and are only reported
 *   (to `onEffect`).
 * There are no timers inside: the embedding process owns the clock and calls {@link poll} every
 * 500 ms (or at any virtual time, in a simulation). The controller value is immutable; the host
 * keeps the current one in an {@link OperatorControllerCell}, which stands in for `oc.mu`: JavaScript
 * runs one call at a time, and the only suspension point is the admission bump, which the source also
 * runs outside the lock (§2.4, §5.1 B3), so a stop or a status can arrive while it is in flight.
 *
 * Statuses are typed here; a host parses raw wire messages at the boundary first
 * (`parseEventWith(operatorEventSchemas, raw)` in machines/boundary.ts).
 *
 * ```ts
 * const host = new CoordinatorHost({ selfNode: 'coord', aliveNodes: ['coord', 'n1', 'n2'], store, send: transport.send });
 * await host.loadChangefeed('cf-1');                 // Absent, with its persisted epoch
 * await host.addOperator('add', 'cf-1', 'n1');       // bump, then push (§2.4)
 * setInterval(() => host.poll(Date.now()), 500);     // the §2.0 Execute loop
 * transport.onStatus((cf, from, s) => host.onStatus(cf, from, s));
 * membership.onRemoved((n) => host.onNodeRemoved(n));
 * ```
 * examples/host-coordinator.ts runs the whole lifecycle (add, move, remove) against a real store.
 */
import {
  OperatorControllerCell,
  createOperatorController,
  operatorController as oc,
  type ChangefeedMemInfo,
  type MaintainerStatusReport,
  type OperatorControllerState,
  type OperatorSpec,
} from '../machines/coordinator/index.js';
import { classifyMaintainerStatus, nextCheckpoint, type StatusVerdict } from '../machines/coordinator/heartbeat.js';
import type { ChangefeedId, Effect, Intent, NodeId, OutgoingMessage } from '../machines/protocol.js';
import type { Uint64 } from '../machines/epoch.js';
import type { EpochStore } from '../adapters/types.js';
import { admitOperator, type AdmissionResult } from './admission.js';
import type { EpochClock } from './epochClock.js';

/** One `MaintainerStatus` of a heartbeat (§1.1), typed (parse raw input at the boundary first). */
export interface HeartbeatStatus extends MaintainerStatusReport {
  readonly changefeedId: ChangefeedId;
  readonly checkpointTs: Uint64;
  /** The status carries errors (step 5 clamps a regressing checkpoint instead of ignoring it). */
  readonly hasErrors?: boolean;
}

/** §2.4.4 step 2: `RemoveMaintainer(from, cascade=true, removed=true, epoch=s.epoch)`. */
function removeUnknown(to: NodeId, changefeedId: ChangefeedId, maintainerEpoch: Uint64): OutgoingMessage {
  return { type: 'RemoveMaintainerRequest', to, changefeedId, cascade: true, removed: true, maintainerEpoch };
}

export interface CoordinatorHostOptions {
  /** The coordinator's own node (the stop fallback, §2.3.2 step 5). */
  selfNode: NodeId;
  /** Alive membership at start. */
  aliveNodes: Iterable<NodeId>;
  store: EpochStore;
  /** Carries one outgoing message to its node (`message.to`); the source only logs a failure. */
  send: (message: OutgoingMessage) => void;
  /** Epoch candidates for admission bumps (§3.5). Default: the process clock. */
  clock?: EpochClock;
  /** PD and a backend are wired, so Add and Move bump (§2.4 `needsBump`). Default true. */
  needsBump?: boolean;
  /** Operators scheduled per poll round (§2.0 `batchSize`). */
  batchSize?: number;
  /** The admission bump deadline (default 10 s, §2.4). */
  bumpTimeoutMs?: number;
  /** Told of every effect, in order, after it has been carried out (for logs and tests). */
  onEffect?: (effect: Effect) => void;
  /** Told when a store intent fails; the source logs and carries on (§2.3 PostFinish). */
  onStoreError?: (error: unknown, intent: Intent) => void;
}

export class CoordinatorHost {
  /** The controller value and its pending effects. Read `state`; change it only through the host. */
  readonly cell: OperatorControllerCell;
  private readonly writes = new Set<Promise<void>>();

  constructor(private readonly options: CoordinatorHostOptions) {
    this.cell = new OperatorControllerCell(
      createOperatorController({ selfNode: options.selfNode, aliveNodes: options.aliveNodes, batchSize: options.batchSize }),
    );
  }

  /** The current controller value (immutable). */
  get state(): OperatorControllerState {
    return this.cell.state;
  }

  /** Registers a changefeed as Absent with its in-memory info (after create, or at bootstrap). */
  addChangefeed(changefeedId: ChangefeedId, info: ChangefeedMemInfo): void {
    this.cell.addChangefeed(changefeedId, info);
    this.flush();
  }

  /** Reads a persisted changefeed from the store and registers it as Absent. */
  async loadChangefeed(changefeedId: ChangefeedId): Promise<ChangefeedMemInfo> {
    const record = await this.options.store.get(changefeedId);
    const info = { epoch: record.info.value.epoch, checkpointTs: record.status?.value.checkpointTs ?? 0n };
    this.addChangefeed(changefeedId, info);
    return info;
  }

  /**
   * `AddOperator(op)` (§2.4): builds the operator now — a move captures its origin and
   * `originEpoch` before the bump (§5.1 B4) — and runs admission: precheck, the `epochBumping`
   * reservation, the bump in the store, recheck, `SetInfo`, push. Resolves to the admission result.
   * A scheduler proposal maps directly: `addOperator(p.kind, p.changefeed, p.dest, p.origin)`.
   */
  async addOperator(kind: 'add' | 'move', changefeedId: ChangefeedId, dest: NodeId, origin?: NodeId): Promise<AdmissionResult> {
    const spec: OperatorSpec =
      kind === 'add' ? oc.newAddOperator(this.state, changefeedId, dest) : oc.newMoveOperator(this.state, changefeedId, dest, origin);
    try {
      return await admitOperator({
        controller: this.cell.admissionView(spec),
        store: this.options.store,
        changefeedId,
        kind,
        ...(this.options.clock ? { clock: this.options.clock } : {}),
        ...(this.options.needsBump === undefined ? {} : { needsBump: this.options.needsBump }),
        ...(this.options.bumpTimeoutMs === undefined ? {} : { bumpTimeoutMs: this.options.bumpTimeoutMs }),
      });
    } finally {
      this.flush();
    }
  }

  /**
   * §2.3.1 `StopChangefeed(cf, removed)`, or `StopChangefeedWithMaintainerEpoch` when
   * `maintainerEpoch` is given (the Warning path's pre-bump epoch). Never waits for a bump (§2.4).
   */
  stopChangefeed(changefeedId: ChangefeedId, removed: boolean, maintainerEpoch?: Uint64): void {
    this.cell.apply((s) =>
      maintainerEpoch === undefined
        ? oc.stopChangefeed(s, changefeedId, removed)
        : oc.stopChangefeedWithMaintainerEpoch(s, changefeedId, removed, maintainerEpoch),
    );
    this.flush();
  }

  /** §2.3.1 `StopRemoteMaintainerWithMaintainerEpoch` (bootstrap's stale owners). */
  stopRemoteMaintainer(changefeedId: ChangefeedId, node: NodeId, removed: boolean, maintainerEpoch: Uint64): void {
    this.cell.apply((s) => oc.stopRemoteMaintainerWithMaintainerEpoch(s, changefeedId, node, removed, maintainerEpoch));
    this.flush();
  }

  /** `cf.SetInfo` after a bump made outside admission (§2.4.3 Warning, Resume). */
  setEpoch(changefeedId: ChangefeedId, epoch: Uint64): void {
    this.cell.apply((s) => oc.setInfo(s, changefeedId, epoch));
  }

  /** One `Execute` round at `nowMs` (§2.0); the host's timer calls it every 500 ms. */
  poll(nowMs: number): void {
    this.cell.apply((s) => oc.poll(s, nowMs));
    this.flush();
  }

  /** A maintainer status from an admitted heartbeat, routed to the operator first (§2.0, §2.4.4 step 1). */
  onStatus(changefeedId: ChangefeedId, from: NodeId, status: MaintainerStatusReport): void {
    this.cell.apply((s) => oc.updateOperatorStatus(s, changefeedId, from, status));
    this.flush();
  }

  /**
   * An admitted `MaintainerHeartbeat` from `from` (§2.4.4): for each status in order, (1) the
   * operator sees it first, stale or not; then the coordinator's filter (`classifyMaintainerStatus`,
   * heartbeat.ts): (2) an unknown changefeed reporting Working without an operator gets a cascade
   * remove with the status's own epoch (resent on every heartbeat); (3) a status not from the bound
   * node, and (4) one with a mismatching epoch, are dropped; (5) the checkpoint advances
   * monotonically (`nextCheckpoint`). Returns each status's verdict. Whether the heartbeat is
   * admitted at all (coordinator initialized, node bootstrapped: `heartbeatAdmitted`) and the state
   * changes of step 5 (Warning, Failed, Finished) are the caller's.
   */
  onHeartbeat(from: NodeId, statuses: readonly HeartbeatStatus[]): StatusVerdict[] {
    const verdicts: StatusVerdict[] = [];
    for (const s of statuses) {
      this.cell.apply((st) => oc.updateOperatorStatus(st, s.changefeedId, from, s));
      const entry = this.state.db.get(s.changefeedId);
      const info = this.state.infos.get(s.changefeedId);
      const verdict = classifyMaintainerStatus({
        from,
        state: s.state,
        maintainerEpoch: s.maintainerEpoch,
        changefeed: entry && info ? { nodeId: entry.nodeId, epoch: info.epoch } : undefined,
        hasOperator: oc.hasOperator(this.state, s.changefeedId),
      });
      if (verdict.kind === 'removeUnknown') {
        this.cell.apply((st) => ({ state: st, effects: [removeUnknown(verdict.to, s.changefeedId, verdict.maintainerEpoch)] }));
      } else if (verdict.kind === 'apply' && info) {
        const next = nextCheckpoint(info.checkpointTs, s.checkpointTs, s.hasErrors ?? false);
        if (next.applied) this.cell.apply((st) => oc.setCheckpoint(st, s.changefeedId, next.checkpointTs));
      }
      verdicts.push(verdict);
      this.flush();
    }
    return verdicts;
  }

  /** Node `node` left membership (§2.0 `OnNodeRemoved`). */
  onNodeRemoved(node: NodeId): void {
    this.cell.apply((s) => oc.onNodeRemoved(s, node));
    this.flush();
  }

  /** Node `node` joined membership. */
  onNodeAdded(node: NodeId): void {
    this.cell.apply((s) => oc.addNode(s, node));
  }

  /** Resolves when every store write started so far has finished (successfully or not). */
  async idle(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes]);
  }

  private flush(): void {
    for (const effect of this.cell.drain()) {
      switch (effect.type) {
        case 'AddMaintainerRequest':
        case 'RemoveMaintainerRequest':
        case 'SetNodeLivenessRequest':
        case 'SetNodeLivenessResponse':
        case 'NodeHeartbeat':
          this.options.send(effect);
          break;
        case 'store.deleteChangefeed':
          this.write(effect, () => this.options.store.delete(effect.changefeedId));
          break;
        case 'store.setChangefeedProgress':
          this.write(effect, () => this.options.store.setProgress(effect.changefeedId, effect.progress));
          break;
        case 'db.bindChangefeedToNode':
        case 'db.markMaintainerScheduling':
        case 'db.markMaintainerReplicating':
        case 'db.markMaintainerAbsent':
          break; // already applied to the controller's DB
      }
      this.options.onEffect?.(effect);
    }
  }

  private write(intent: Intent, run: () => Promise<void>): void {
    const p: Promise<void> = run()
      .catch((e: unknown) => this.options.onStoreError?.(e, intent))
      .finally(() => this.writes.delete(p));
    this.writes.add(p);
  }
}
