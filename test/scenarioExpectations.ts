/**
 * Test helper for the cluster scenarios (test/scenarios.test.ts): expectations on the coordinator,
 * the store and the network that cluster/scenario.ts does not check yet.
 */
import { operatorOf } from '../machines/coordinator/operatorController.js';
import { sessionContext } from '../cluster/coordinator.js';
import type { TraceRow } from '../cluster/scenario.js';
import type { World } from '../cluster/world.js';

/**
 * Expectations on the coordinator and the store that cluster/scenario.ts does not check yet; the
 * conformance scenarios write them beside its own kinds and this helper checks them after their
 * step (uint64 values as decimal strings):
 * - `store`: the persisted record `{ changefeedId, exists?, epoch?, state?, progress? }` (§3);
 * - `changefeed`: the coordinator's in-memory record `{ changefeedId, epoch?, node?, bucket?, stopped?, bumping? }`
 *   (`node` "" is unbound; `bumping`: an admission's bump is in flight, §2.4);
 * - `operator`: `{ changefeedId, state }`, the operator in the changefeed's slot as `kind.State`
 *   (`move.RemoveOrigin`, `stop.Sending`), or null for none; `context` compares fields of its context;
 * - `owners`: `{ changefeedId, nodes }`, every live maintainer (Bootstrapping or Running) as `node@epoch`, sorted;
 * - `inFlight`: `{ type, count?, …fields }`, how many messages in flight match (default: at least one);
 * - `storeCalls`: `{ count, changefeedId?, purpose? }`, how many store calls in flight match (§2.4 bumps, §2.3 PostFinish writes);
 * - `coordinator`: `{ up?, version? }`;
 * - `drainAnswer`: the last DrainNode answer `{ remaining?, error?, row? }` (`row`: the §2.5.5 row that answered);
 * - `drainSession`: `{ target }`, the active drain session's target, or null for none (§2.5.5);
 * - `drainWorkflow`: `{ node, state }`, the coordinator's per-node drain workflow (§2.5.1: Idle, Requested,
 *   DrainingObserved, StoppingObserved).
 */
type Extra = Record<string, Record<string, unknown> | undefined>;
const str = (v: unknown) => (typeof v === 'bigint' ? v.toString() : v);
const same = (a: unknown, b: unknown) => JSON.stringify(a, (_k, v) => str(v)) === JSON.stringify(b);
function extraFailures(e: Extra & { after: number }, w: World): string[] {
  const out: string[] = [];
  const where = `after step ${e.after}`;
  const fail = (what: string, actual: unknown, want: unknown) => out.push(`${where}: ${what} is ${JSON.stringify(actual, (_k, v) => str(v))}, expected ${JSON.stringify(want)}`);
  const fields = (what: string, actual: Record<string, unknown>, want: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(want)) if (k !== 'changefeedId' && !same(actual[k], v)) fail(`${what}.${k}`, actual[k], v);
  };
  if (e.store) {
    const cf = e.store.changefeedId as string;
    const rec = w.store[cf];
    fields(`store ${cf}`, { exists: rec !== undefined, ...(rec ?? {}) }, e.store);
  }
  const ctl = w.coordinator?.controller ?? null;
  if (e.changefeed) {
    const cf = e.changefeed.changefeedId as string;
    const entry = ctl?.db.get(cf);
    if (e.changefeed.exists === false) {
      if (entry) out.push(`${where}: the coordinator still has changefeed ${cf}`);
    } else if (!ctl || !entry) out.push(`${where}: the coordinator has no changefeed ${cf}`);
    else fields(`changefeed ${cf}`, { ...entry, nodeId: undefined, node: entry.nodeId, epoch: ctl.infos.get(cf)?.epoch, bumping: ctl.epochBumping.has(cf) }, e.changefeed);
  }
  if (e.operator) {
    const cf = e.operator.changefeedId as string;
    const slot = ctl ? operatorOf(ctl, cf) : undefined;
    const state = slot ? `${slot.kind}.${slot.value}` : null;
    if (state !== e.operator.state) fail(`operator ${cf}`, state, e.operator.state);
    if (slot && e.operator.context) fields(`operator ${cf} context`, slot.context as unknown as Record<string, unknown>, e.operator.context as Record<string, unknown>);
  }
  if (e.owners) {
    const cf = e.owners.changefeedId as string;
    const live = Object.entries(w.nodes)
      .flatMap(([id, n]) => {
        const r = n?.registries[cf];
        const v = r?.value as { Maintainer?: string } | undefined;
        return r && (v?.Maintainer === 'Bootstrapping' || v?.Maintainer === 'Running') ? [`${id}@${r.context.epoch}`] : [];
      })
      .sort();
    if (!same(live, e.owners.nodes)) fail(`owners of ${cf}`, live, e.owners.nodes);
  }
  if (e.inFlight) {
    const { count, ...pattern } = e.inFlight;
    const n = w.inFlight.filter((m) => Object.entries(pattern).every(([k, v]) => same((m as Record<string, unknown>)[k], v))).length;
    if (count === undefined ? n === 0 : n !== count) fail(`in flight ${JSON.stringify(pattern)}`, n, count ?? 'at least 1');
  }
  if (e.storeCalls) {
    const { count, ...pattern } = e.storeCalls;
    const n = (w.storeCalls ?? []).filter((c) => Object.entries(pattern).every(([k, v]) => same((c as unknown as Record<string, unknown>)[k], v))).length;
    if (n !== count) fail(`store calls ${JSON.stringify(pattern)}`, n, count);
  }
  if (e.coordinator) fields('coordinator', { up: !!w.coordinator, version: w.coordinator?.version }, e.coordinator);
  if (e.drainAnswer) {
    const a = w.coordinator?.lastDrainAnswer;
    if (!a) out.push(`${where}: no DrainNode answer`);
    else fields('DrainNode answer', a as unknown as Record<string, unknown>, e.drainAnswer);
  }
  if (e.drainSession) {
    const target = w.coordinator ? (sessionContext(w.coordinator).session?.target ?? null) : null;
    if (target !== e.drainSession.target) fail('drain session target', target, e.drainSession.target);
  }
  if (e.drainWorkflow) {
    const state = w.coordinator?.drains[e.drainWorkflow.node as string]?.value ?? null;
    if (state !== e.drainWorkflow.state) fail(`drain workflow of ${String(e.drainWorkflow.node)}`, state, e.drainWorkflow.state);
  }
  return out;
}

const EXPECTATION_KINDS = new Set(['after', 'registry', 'manager', 'liveness', 'violated', 'store', 'changefeed', 'operator', 'owners', 'inFlight', 'storeCalls', 'coordinator', 'drainAnswer', 'drainSession', 'drainWorkflow']);

/** Every extra expectation of a scenario, checked against the world after its step; an unknown kind (a typo) fails too. */
export function extraExpectationFailures(s: Record<string, unknown>, rows: readonly TraceRow[]): string[] {
  return ((s.expect ?? []) as Array<Extra & { after: number }>).flatMap((e, k) => [
    ...Object.keys(e).filter((x) => !EXPECTATION_KINDS.has(x)).map((x) => `expect[${k}]: unknown expectation ${JSON.stringify(x)}`),
    ...(rows[e.after - 1] ? extraFailures(e, rows[e.after - 1]!.world) : []),
  ]);
}
