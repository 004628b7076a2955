/**
 * Heartbeat hosts for bench/runtime (c): a coordinator handling one `MaintainerStatus` per
 * changefeed per round for N changefeeds (spec §2.4.4), with operators (§2.1–§2.3) on some of
 * them, then one `Execute` round (§2.0 poll).
 *
 * Three hosts run the same scripted heartbeats ({@link heartbeatScenario}):
 * - {@link MutableHost} with **XState actors** as operators (`createActor` … `.send`);
 * - {@link MutableHost} with the **hand-written operators** (bench/runtime/handwritten.ts): the
 *   baseline. Both share every line of host code (a mutable changefeed table, the operator map,
 *   the §2.4.4 filter `classifyMaintainerStatus` / `nextCheckpoint` from heartbeat.ts), so their
 *   ratio is the cost of the operator runtime inside a host;
 * - the project's {@link CoordinatorHost} (services/coordinatorHost.ts): the immutable operator
 *   controller, each operator step an XState pure `transition`.
 * Each host's end state is reduced to a digest (changefeed table, operator states, messages and
 * store writes by type); bench/runtime/run.ts requires equal digests where all rounds completed.
 *
 * The MutableHost follows the controller's rules for the paths the scenario takes: the operators'
 * `db.*` intents update the changefeed table (§2.0 table), the stop path runs `StopByChangefeedID`
 * then pushes the stop with the bound node and in-memory epoch (§2.3.2), poll sends PostFinish to
 * finished operators and removes them, and SCHEDULE to the others (every operator is due: rounds are
 * 500 ms apart). It is not a replacement for the controller (no admission, no replace-or-keep, no
 * node removal): only what the benchmark drives.
 */
import { createActor, type AnyActor } from 'xstate';
import { classifyMaintainerStatus, nextCheckpoint } from '../../machines/coordinator/heartbeat.js';
import { CoordinatorHost, type HeartbeatStatus } from '../../services/coordinatorHost.js';
import { operatorController as oc, type Bucket, type ChangefeedEntry } from '../../machines/coordinator/index.js';
import { assertUint64, type Uint64 } from '../../machines/epoch.js';
import type { EpochStore } from '../../adapters/types.js';
import type { ChangefeedId, Effect, NodeId, OperatorEvent } from '../../machines/protocol.js';
import { machineOf, newHandOperator, type OperatorInput } from './workload.js';

// ---- the scripted workload --------------------------------------------------------------------

export const SELF: NodeId = 'n0';
export const WORKERS: readonly NodeId[] = ['n1', 'n2', 'n3', 'n4'];
const nodeOf = (i: number) => WORKERS[i % WORKERS.length]!;
const cfId = (i: number) => `cf-${String(i).padStart(6, '0')}`;
const EPOCH = 10n;
const BUMPED = 11n;
const CHECKPOINT = 1000n;

/** Which operator (if any) changefeed `i` gets: one in 100 has one, add / move / stop in turn. */
export function operatorOfIndex(i: number): 'add' | 'move' | 'stop' | undefined {
  const r = i % 300;
  return r === 0 ? 'add' : r === 100 ? 'move' : r === 200 ? 'stop' : undefined;
}

/** The status changefeed `i` reports in round `r` (1-based) and the node reporting it. */
export function statusOf(i: number, r: number): HeartbeatStatus & { from: NodeId } {
  const checkpointTs = CHECKPOINT + BigInt(r);
  const base = { changefeedId: cfId(i), checkpointTs, maintainerEpoch: EPOCH, state: 'Working' as const, bootstrapDone: true, from: nodeOf(i) };
  switch (operatorOfIndex(i)) {
    case 'add': // bootstrapping in round 1, done from round 2 (§2.1: BootstrapDone=false never completes)
      return { ...base, bootstrapDone: r >= 2 };
    case 'move': // origin Working, then Stopped (§2.2 RemoveOrigin → OriginStopped), then the target Working
      if (r === 1) return base;
      if (r === 2) return { ...base, state: 'Stopped' };
      return { ...base, from: nodeOf(i + 1), maintainerEpoch: BUMPED };
    case 'stop': // Working, then Stopped (§2.3 Sending → Finished)
      return r === 1 ? base : { ...base, state: 'Stopped' };
    default:
      return base;
  }
}

/** Round `r`'s heartbeats: one per worker node, its statuses in changefeed order. */
export function heartbeatsOf(n: number, r: number): Array<{ from: NodeId; statuses: HeartbeatStatus[] }> {
  const by = new Map<NodeId, HeartbeatStatus[]>(WORKERS.map((w) => [w, []]));
  for (let i = 0; i < n; i++) {
    const { from, ...s } = statusOf(i, r);
    by.get(from)!.push(s);
  }
  return [...by].map(([from, statuses]) => ({ from, statuses }));
}

/** What a host must offer the scenario. */
export interface BenchHost {
  /** Loads changefeeds 0..n-1 (not timed). */
  load(n: number): void;
  onHeartbeat(from: NodeId, statuses: readonly HeartbeatStatus[]): void;
  poll(nowMs: number): void;
  digest(): string;
  readonly operatorCount: number;
}

/** The changefeed row changefeed `i` starts with: add targets start Absent and new; the rest Replicating. */
function initialRow(i: number): { entry: ChangefeedEntry; epoch: Uint64; checkpointTs: Uint64 } {
  const add = operatorOfIndex(i) === 'add';
  return {
    entry: add ? { nodeId: '', bucket: 'Absent', stopped: false, isNew: true } : { nodeId: nodeOf(i), bucket: 'Replicating', stopped: false, isNew: false },
    epoch: EPOCH,
    checkpointTs: CHECKPOINT,
  };
}

function digestOf(
  rows: Iterable<[ChangefeedId, { nodeId: string; bucket: Bucket | undefined; stopped: boolean; isNew: boolean; epoch: Uint64; checkpointTs: Uint64 }]>,
  operators: Iterable<[ChangefeedId, string]>,
  counts: Map<string, number>,
): string {
  let sum = 0n;
  const buckets = new Map<string, number>();
  const lines: string[] = [];
  for (const [cf, r] of [...rows].sort(([a], [b]) => (a < b ? -1 : 1))) {
    sum += r.checkpointTs;
    const k = `${r.bucket}/${r.stopped}/${r.isNew}`;
    buckets.set(k, (buckets.get(k) ?? 0) + 1);
    lines.push(`${cf}:${r.nodeId}:${r.bucket}:${r.stopped}:${r.isNew}:${r.epoch}:${r.checkpointTs}`);
  }
  // A short, readable summary plus a hash of every row, so any difference shows.
  let h = 0x811c9dc5;
  for (const l of lines) for (let i = 0; i < l.length; i++) h = Math.imul(h ^ l.charCodeAt(i), 0x01000193);
  const ops = [...operators].sort(([a], [b]) => (a < b ? -1 : 1)).map(([cf, s]) => `${cf}=${s}`);
  const sorted = (m: Map<string, number>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k} ${v}`).join(', ');
  return `rows ${lines.length}, checkpoint sum ${sum}, buckets {${sorted(buckets)}}, rows hash ${(h >>> 0).toString(16)}; operators ${ops.length} [${ops.join(' ')}]; effects {${sorted(counts)}}`;
}

const FINISHED: Record<string, ReadonlySet<string>> = {
  add: new Set(['Succeeded', 'CanceledNodeRemoved', 'CanceledTaskRemoved']),
  move: new Set(['DoneSuccess', 'DoneNoPostFinish']),
  stop: new Set(['Finished']),
};

// ---- the mutable host, generic over the operator runtime ----------------------------------------

interface Row {
  nodeId: string;
  bucket: Bucket | undefined;
  stopped: boolean;
  isNew: boolean;
  epoch: Uint64;
  checkpointTs: Uint64;
}

/** An operator as the host sees it: XState actor or hand-written object. */
export interface OperatorHandle {
  readonly kind: 'add' | 'move' | 'stop';
  send(event: OperatorEvent): void;
  readonly stateName: string;
}

export type OperatorRuntime = (op: OperatorInput, sink: (effect: Effect) => void) => OperatorHandle;

class ActorHandle implements OperatorHandle {
  constructor(
    readonly kind: 'add' | 'move' | 'stop',
    private readonly actor: AnyActor,
  ) {}
  send(event: OperatorEvent): void {
    this.actor.send(event);
  }
  get stateName(): string {
    return this.actor.getSnapshot().value as string;
  }
}

export const xstateRuntime: OperatorRuntime = (op, sink) => {
  const actor = createActor(machineOf(op.kind) as never, { input: op.input } as never) as AnyActor;
  actor.on('*', sink as never);
  actor.start();
  return new ActorHandle(op.kind, actor);
};

export const handRuntime: OperatorRuntime = (op, sink) => newHandOperator(op, sink);

export class MutableHost implements BenchHost {
  private readonly rows = new Map<ChangefeedId, Row>();
  private readonly operators = new Map<ChangefeedId, OperatorHandle>();
  private readonly counts = new Map<string, number>();
  private readonly sink = (e: Effect) => this.onEffect(e);

  constructor(private readonly runtime: OperatorRuntime) {}

  get operatorCount(): number {
    return this.operators.size;
  }

  load(n: number): void {
    for (let i = 0; i < n; i++) {
      const r = initialRow(i);
      this.rows.set(cfId(i), { ...r.entry, epoch: r.epoch, checkpointTs: r.checkpointTs });
    }
    for (let i = 0; i < n; i++) {
      const kind = operatorOfIndex(i);
      const cf = cfId(i);
      const row = this.rows.get(cf)!;
      if (kind === 'add') {
        this.push({ kind, input: { changefeedId: cf, dest: nodeOf(i), maintainerEpoch: row.epoch, checkpointTs: row.checkpointTs, isNew: row.isNew } });
      } else if (kind === 'move') {
        const originEpoch = row.epoch; // captured before the admission bump (§2.2, §5.1 B4)
        row.epoch = BUMPED; // SetInfo after the bump (§2.4)
        this.push({ kind, input: { changefeedId: cf, origin: row.nodeId, dest: nodeOf(i + 1), originEpoch, maintainerEpoch: row.epoch, checkpointTs: row.checkpointTs } });
      } else if (kind === 'stop') {
        // §2.3.2: StopByChangefeedID (not removed → Stopped map, unbound), then the stop to the old node.
        const node = row.nodeId || SELF;
        Object.assign(row, { nodeId: '', bucket: undefined, stopped: true });
        this.push({ kind, input: { changefeedId: cf, nodeId: node, coordinatorNode: SELF, maintainerEpoch: row.epoch, removed: false } });
      }
    }
  }

  private push(op: OperatorInput): void {
    this.operators.set(op.input.changefeedId, this.runtime(op, this.sink));
  }

  onHeartbeat(from: NodeId, statuses: readonly HeartbeatStatus[]): void {
    for (const s of statuses) {
      const cf = s.changefeedId;
      // §2.4.4 step 1: the operator sees every admitted status first.
      this.operators.get(cf)?.send({ type: 'STATUS', from, state: s.state, bootstrapDone: s.bootstrapDone, maintainerEpoch: assertUint64(s.maintainerEpoch, 'maintainerEpoch') });
      const row = this.rows.get(cf);
      const verdict = classifyMaintainerStatus({
        from,
        state: s.state,
        maintainerEpoch: s.maintainerEpoch,
        changefeed: row,
        hasOperator: this.operators.has(cf),
      });
      if (verdict.kind === 'removeUnknown') this.count('RemoveMaintainerRequest');
      else if (verdict.kind === 'apply' && row) {
        const next = nextCheckpoint(row.checkpointTs, s.checkpointTs, s.hasErrors ?? false);
        if (next.applied) row.checkpointTs = next.checkpointTs;
      }
    }
  }

  poll(_nowMs: number): void {
    for (const [cf, op] of [...this.operators].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (FINISHED[op.kind]!.has(op.stateName)) {
        this.operators.delete(cf);
        op.send({ type: 'POST_FINISH' });
      } else op.send({ type: 'SCHEDULE' });
    }
  }

  private count(type: string): void {
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
  }

  private onEffect(e: Effect): void {
    this.count(e.type);
    if (!e.type.startsWith('db.')) return; // messages and store intents: counted (sent / written)
    const row = this.rows.get((e as { changefeedId: string }).changefeedId);
    if (!row) return;
    switch (e.type) {
      case 'db.bindChangefeedToNode':
        row.nodeId = e.to;
        row.bucket = 'Scheduling';
        break;
      case 'db.markMaintainerScheduling':
        row.bucket = 'Scheduling';
        break;
      case 'db.markMaintainerReplicating':
        row.bucket = 'Replicating';
        if (e.clearIsNew) row.isNew = false;
        break;
      case 'db.markMaintainerAbsent':
        row.nodeId = '';
        row.bucket = 'Absent';
        break;
    }
  }

  digest(): string {
    return digestOf(
      this.rows,
      [...this.operators].map(([cf, op]) => [cf, op.stateName] as [string, string]),
      this.counts,
    );
  }
}

// ---- the project's host ------------------------------------------------------------------------

/** A store that accepts the stop's PostFinish writes (§2.3) without I/O: the benchmark times the host. */
const nullStore = {
  setProgress: async () => {},
  delete: async () => {},
} as unknown as EpochStore;

export class ProjectHost implements BenchHost {
  readonly host: CoordinatorHost;
  private readonly counts = new Map<string, number>();

  constructor() {
    this.host = new CoordinatorHost({
      selfNode: SELF,
      aliveNodes: [SELF, ...WORKERS],
      store: nullStore,
      send: () => {},
      needsBump: false,
      onEffect: (e) => this.counts.set(e.type, (this.counts.get(e.type) ?? 0) + 1),
    });
  }

  get operatorCount(): number {
    return this.host.state.operators.size;
  }

  /**
   * Loads the table in one step (calling `addChangefeed` N times copies the immutable maps each
   * time: quadratic, minutes at 100,000), then registers every changefeed's identity token as
   * `addChangefeed` does, then pushes the operators through the controller as admission would.
   */
  load(n: number): void {
    const cell = this.host.cell;
    const db = new Map<string, ChangefeedEntry>();
    const infos = new Map<string, { epoch: Uint64; checkpointTs: Uint64 }>();
    for (let i = 0; i < n; i++) {
      const r = initialRow(i);
      db.set(cfId(i), r.entry);
      infos.set(cfId(i), { epoch: r.epoch, checkpointTs: r.checkpointTs });
    }
    cell.state = { ...cell.state, db, infos };
    for (let i = 0; i < n; i++) cell.lookup(cfId(i));
    for (let i = 0; i < n; i++) {
      const kind = operatorOfIndex(i);
      const cf = cfId(i);
      if (kind === 'add') cell.apply((s) => oc.pushOperator(s, oc.newAddOperator(s, cf, nodeOf(i))));
      else if (kind === 'move') {
        const spec = oc.newMoveOperator(cell.state, cf, nodeOf(i + 1));
        cell.apply((s) => oc.setInfo(s, cf, BUMPED));
        cell.apply((s) => oc.pushOperator(s, spec));
      } else if (kind === 'stop') this.host.stopChangefeed(cf, false);
    }
  }

  onHeartbeat(from: NodeId, statuses: readonly HeartbeatStatus[]): void {
    this.host.onHeartbeat(from, statuses);
  }

  poll(nowMs: number): void {
    this.host.poll(nowMs);
  }

  digest(): string {
    const s = this.host.state;
    const rows = [...s.db].map(([cf, e]) => {
      const info = s.infos.get(cf)!;
      return [cf, { ...e, epoch: info.epoch, checkpointTs: info.checkpointTs }] as [ChangefeedId, Row];
    });
    return digestOf(rows, [...s.operators].map(([cf, slot]) => [cf, slot.value] as [string, string]), this.counts);
  }
}
