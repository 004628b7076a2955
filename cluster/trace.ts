/**
 * Views of a replayed trace: what a person reads per step (`text`), the same as JSON following the
 * exported {@link StepView} type (`--json`, uint64 as decimal strings), and the Informal Trace
 * Format of Apalache and Quint (`--itf`, uint64 as `{"#bigint": …}`).
 */
import type { AnyMachineSnapshot } from 'xstate';
import { itfTrace, type ItfTraceDoc } from '../explorer/itf.js';
import type { ClusterConfig, World } from './world.js';
import type { TraceRow } from './scenario.js';
import type { DrainSessionContext } from '../machines/coordinator/drainSession.js';

const stateName = (s: AnyMachineSnapshot) =>
  typeof s.value === 'string' ? s.value : Object.entries(s.value as Record<string, unknown>).map(([k, v]) => `${k}.${String(v)}`).join(',');

export interface NodeView {
  up: boolean;
  nodeEpoch: string;
  liveness: string;
  changefeeds: Record<string, { maintainer: string; maintainerEpoch: string; manager: string; ownerEpoch: string; tombstone: string | null }>;
}

/** The composed coordinator at one step: its in-memory view of each changefeed and the drain session. */
export interface CoordinatorStepView {
  /** false between a crash and the takeover. */
  up: boolean;
  /** Why the coordinator went down, when it panicked (§2.4.2 step 3). */
  panic?: string;
  version: string;
  /** Bootstrap finished: the operator controller runs. */
  initialized: boolean;
  /** PD answers the TSO (§3.5). */
  pdAvailable: boolean;
  changefeeds: Record<
    string,
    {
      /** The in-memory `info.Epoch` (null: not in memory). */
      epoch: string | null;
      /** The placement in the changefeed DB: node ('' when none) and bucket. */
      node: string | null;
      bucket: string | null;
      /** The in-memory `info.State`. */
      state: string | null;
      /** The operator as `kind.State`, or null. */
      operator: string | null;
      /** An admission's epoch bump is in flight. */
      bumping: boolean;
    }
  >;
  /** The active drain session (§2.5.5), or null. */
  drainSession: { target: string; epoch: string } | null;
}

export interface StepView {
  step: number;
  action: string;
  nodes: Record<string, NodeView>;
  /** The composed coordinator (absent when a scenario plays the coordinator itself). */
  coordinator?: CoordinatorStepView;
  store: Record<string, { epoch: string; state: string; progress: string; checkpointTs: string } | null>;
  inFlight: number;
  violations: Array<{ name: string; message: string }>;
}

export function stepView(step: number, action: string, w: World, config: ClusterConfig, violations: StepView['violations'] = []): StepView {
  const nodes: Record<string, NodeView> = {};
  for (const id of config.nodes) {
    const n = w.nodes[id];
    nodes[id] = n
      ? {
          up: true,
          nodeEpoch: String(n.nodeEpoch),
          liveness: stateName(n.liveness),
          changefeeds: Object.fromEntries(
            config.changefeeds.map((cf) => {
              const r = n.registries[cf]!;
              const m = n.managers[cf]!;
              const t = m.context.tombstone as bigint | null;
              return [cf, { maintainer: stateName(r), maintainerEpoch: String(r.context.epoch), manager: stateName(m), ownerEpoch: String(m.context.ownerEpoch), tombstone: t === null ? null : String(t) }];
            }),
          ),
        }
      : { up: false, nodeEpoch: String(w.epochs[id] ?? 0n), liveness: 'down', changefeeds: {} };
  }
  const store = Object.fromEntries(
    config.changefeeds.map((cf) => {
      const s = w.store[cf];
      return [cf, s ? { epoch: String(s.epoch), state: s.state, progress: s.progress, checkpointTs: String(s.checkpointTs) } : null];
    }),
  );
  const coordinator = coordinatorStepView(w, config);
  return { step, action, nodes, ...(coordinator ? { coordinator } : {}), store, inFlight: w.inFlight.length, violations };
}

function coordinatorStepView(w: World, config: ClusterConfig): CoordinatorStepView | undefined {
  if (w.coordinator === undefined) return undefined;
  const pdAvailable = w.pdAvailable ?? config.pdAvailable ?? true;
  const c = w.coordinator;
  if (c === null) {
    const panic = w.coordinatorPanic !== undefined ? { panic: w.coordinatorPanic } : {};
    return { up: false, ...panic, version: String(w.lastCoordinatorVersion ?? 0n), initialized: false, pdAvailable, changefeeds: {}, drainSession: null };
  }
  const ctl = c.controller;
  const session = (c.session.context as DrainSessionContext).session;
  return {
    up: true,
    version: String(c.version),
    initialized: ctl !== null,
    pdAvailable,
    changefeeds: Object.fromEntries(
      config.changefeeds.map((cf) => {
        const info = ctl?.infos.get(cf);
        const entry = ctl?.db.get(cf);
        const slot = ctl?.operators.get(cf);
        return [
          cf,
          {
            epoch: info ? String(info.epoch) : null,
            node: entry ? entry.nodeId : null,
            bucket: entry ? (entry.bucket ?? (entry.stopped ? 'Stopped' : null)) : null,
            state: c.feeds[cf]?.state ?? null,
            operator: slot ? `${slot.kind}.${slot.value}` : null,
            bumping: ctl?.epochBumping.has(cf) ?? false,
          },
        ];
      }),
    ),
    drainSession: session ? { target: session.target, epoch: String(session.epoch) } : null,
  };
}

export function traceViews(config: ClusterConfig, initial: World, rows: readonly TraceRow[]): StepView[] {
  return [stepView(0, 'initial', initial, config), ...rows.map((r) => stepView(r.index, r.label, r.world, config, r.violations))];
}

export function traceText(views: readonly StepView[]): string {
  const lines: string[] = [];
  for (const v of views) {
    lines.push(`${v.step}. ${v.action}${v.inFlight ? `  (${v.inFlight} in flight)` : ''}`);
    for (const [id, n] of Object.entries(v.nodes)) {
      if (!n.up) {
        lines.push(`   ${id}: down (last epoch ${n.nodeEpoch})`);
        continue;
      }
      const cfs = Object.entries(n.changefeeds)
        .map(([cf, c]) => `${cf}: ${c.maintainer}@${c.maintainerEpoch}, dm ${c.manager}@${c.ownerEpoch}${c.tombstone === null ? '' : ` tomb ${c.tombstone}`}`)
        .join('; ');
      lines.push(`   ${id} (epoch ${n.nodeEpoch}, ${n.liveness}): ${cfs}`);
    }
    const c = v.coordinator;
    if (c && !c.up) lines.push(`   coordinator: down (last version ${c.version})${c.panic !== undefined ? `, panicked: ${c.panic}` : ''}`);
    else if (c) {
      const cfs = Object.entries(c.changefeeds)
        .map(([cf, x]) => `${cf}: ${x.epoch === null ? 'not in memory' : `@${x.epoch} ${x.state ?? ''} ${x.bucket ?? ''}${x.node ? ` on ${x.node}` : ''}`.replace(/\s+/g, ' ').trim()}${x.operator ? `, ${x.operator}` : ''}${x.bumping ? ', bumping' : ''}`)
        .join('; ');
      const flags = [c.initialized ? '' : 'bootstrapping', c.pdAvailable ? '' : 'PD down', c.drainSession ? `draining ${c.drainSession.target}@${c.drainSession.epoch}` : ''].filter(Boolean).join(', ');
      lines.push(`   coordinator v${c.version}${flags ? ` (${flags})` : ''}: ${c.initialized ? cfs : 'no changefeeds yet'}`);
    }
    const stored = Object.entries(v.store)
      .map(([cf, x]) => (x ? `${cf} @${x.epoch} ${x.state} ${x.progress} ckpt ${x.checkpointTs}` : `${cf} none`))
      .join('; ');
    if (c) lines.push(`   store: ${stored}`);
    for (const x of v.violations) lines.push(`   ✗ ${x.name}: ${x.message}`);
  }
  return lines.join('\n') + '\n';
}

/** The trace as ITF: one variable per part of the view; uint64 values become #bigint, an optional value a Quint-style variant. */
export function traceItf(views: readonly StepView[], meta: Record<string, unknown> = {}): ItfTraceDoc {
  const big = (s: string) => BigInt(s);
  return itfTrace(
    ['action', 'nodes', 'coordinator', 'store', 'inFlight', 'violations'],
    views.map((v) => ({
      action: v.action,
      coordinator: v.coordinator
        ? {
            up: v.coordinator.up,
            panic: v.coordinator.panic ?? '',
            version: big(v.coordinator.version),
            initialized: v.coordinator.initialized,
            pdAvailable: v.coordinator.pdAvailable,
            changefeeds: new Map(
              Object.entries(v.coordinator.changefeeds).map(([cf, x]) => [
                cf,
                {
                  epoch: x.epoch === null ? { tag: 'None', value: {} } : { tag: 'Some', value: big(x.epoch) },
                  node: x.node ?? '',
                  bucket: x.bucket ?? '',
                  state: x.state ?? '',
                  operator: x.operator ?? '',
                  bumping: x.bumping,
                },
              ]),
            ),
            drainSession: v.coordinator.drainSession ? { tag: 'Some', value: { target: v.coordinator.drainSession.target, epoch: big(v.coordinator.drainSession.epoch) } } : { tag: 'None', value: {} },
          }
        : { tag: 'None', value: {} },
      nodes: new Map(
        Object.entries(v.nodes).map(([id, n]) => [
          id,
          {
            up: n.up,
            nodeEpoch: big(n.nodeEpoch),
            liveness: n.liveness,
            changefeeds: new Map(
              Object.entries(n.changefeeds).map(([cf, c]) => [
                cf,
                { maintainer: c.maintainer, maintainerEpoch: big(c.maintainerEpoch), manager: c.manager, ownerEpoch: big(c.ownerEpoch), tombstone: c.tombstone === null ? { tag: 'None', value: {} } : { tag: 'Some', value: big(c.tombstone) } },
              ]),
            ),
          },
        ]),
      ),
      store: new Map(Object.entries(v.store).map(([cf, s]) => [cf, s ? { exists: true, epoch: big(s.epoch), state: s.state, progress: s.progress, checkpointTs: big(s.checkpointTs) } : { exists: false, epoch: 0n, state: '', progress: '', checkpointTs: 0n }])),
      inFlight: v.inFlight,
      violations: v.violations.map((x) => x.name),
    })),
    { source: 'opcharts replay', ...meta },
  );
}
