/**
 * Views of a replayed trace: what a person reads per step (`text`), the same as JSON following the
 * exported {@link StepView} type (`--json`, uint64 as decimal strings), and the Informal Trace
 * Format of Apalache and Quint (`--itf`, uint64 as `{"#bigint": …}`).
 */
import type { AnyMachineSnapshot } from 'xstate';
import { itfTrace, type ItfTraceDoc } from '../explorer/itf.js';
import type { ClusterConfig, World } from './world.js';
import type { TraceRow } from './scenario.js';

const stateName = (s: AnyMachineSnapshot) =>
  typeof s.value === 'string' ? s.value : Object.entries(s.value as Record<string, unknown>).map(([k, v]) => `${k}.${String(v)}`).join(',');

export interface NodeView {
  up: boolean;
  nodeEpoch: string;
  liveness: string;
  changefeeds: Record<string, { maintainer: string; maintainerEpoch: string; manager: string; ownerEpoch: string; tombstone: string | null }>;
}

export interface StepView {
  step: number;
  action: string;
  nodes: Record<string, NodeView>;
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
  return { step, action, nodes, store, inFlight: w.inFlight.length, violations };
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
    for (const x of v.violations) lines.push(`   ✗ ${x.name}: ${x.message}`);
  }
  return lines.join('\n') + '\n';
}

/** The trace as ITF: one variable per part of the view; uint64 values become #bigint, an optional value a Quint-style variant. */
export function traceItf(views: readonly StepView[], meta: Record<string, unknown> = {}): ItfTraceDoc {
  const big = (s: string) => BigInt(s);
  return itfTrace(
    ['action', 'nodes', 'store', 'inFlight', 'violations'],
    views.map((v) => ({
      action: v.action,
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
