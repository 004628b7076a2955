/**
 * What the inspector page shows of a trace, computed here from the trace by the existing replay code
 * (the page does no modelling). Three inputs are read:
 *
 * - a scenario (`cluster/scenario.ts` format, `{ config, steps }`): replayed with `replay()`, so
 *   every step has the node machines' states, the message it moved and the invariants it broke;
 * - an ITF trace as `opcharts replay --itf` writes it (`{ vars, states }`, `explorer/itf.ts`);
 * - the JSON of `opcharts replay --json` (`{ steps: StepView[] }`).
 *
 * ITF and replay JSON carry the per-step views only, so their message sequence is the action labels.
 * uint64 values stay decimal strings throughout (spec §1: epochs are uint64).
 */
import { OpchartsError } from '../machines/errors.js';
import { replay } from '../cluster/scenario.js';
import { TableStepper } from '../cluster/stepper.js';
import { stepView, type StepView } from '../cluster/trace.js';
import { messageLabel, sequenceDiagram, type SequenceStep } from '../cluster/sequence.js';
import { stateValueString } from '../graph/paths.js';
import type { World, Action } from '../cluster/world.js';

export class TraceFormatError extends OpchartsError {
  constructor(name: string, reason: string) {
    super('INVALID_TRACE', `${name}: ${reason}`);
  }
}

/** One machine instance's active state at a step: which diagram, which instance, which state (dotted path). */
export interface MachineState {
  machine: 'nodeLiveness' | 'maintainerRegistry' | 'dispatcherManager' | 'nodeDrainTarget';
  node: string;
  /** The changefeed for per-changefeed machines, else null. */
  changefeedId: string | null;
  state: string;
}

/** One entry of the message sequence: a message moved (or a fault) at a step. */
export interface SequenceEntry {
  step: number;
  kind: string;
  from: string;
  to: string;
  label: string;
}

export interface InspectorStep extends StepView {
  machines: MachineState[];
  /** What this step moved; null for the initial state. */
  sequence: SequenceEntry | null;
  /** The Mermaid sequence diagram of the trace up to and including this step. */
  mermaid: string;
}

export interface InspectorTrace {
  name: string;
  format: 'scenario' | 'itf' | 'replay-json';
  description: string | null;
  coordinator: string;
  nodes: string[];
  changefeeds: string[];
  steps: InspectorStep[];
  /** Unmet scenario expectations (scenarios only). */
  failures: string[];
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function machinesOf(w: World, nodes: readonly string[], changefeeds: readonly string[]): MachineState[] {
  const out: MachineState[] = [];
  for (const node of nodes) {
    const n = w.nodes[node];
    if (!n) continue;
    out.push({ machine: 'nodeLiveness', node, changefeedId: null, state: stateValueString(n.liveness.value) });
    out.push({ machine: 'nodeDrainTarget', node, changefeedId: null, state: stateValueString(n.drainTarget.value) });
    for (const cf of changefeeds) {
      const r = n.registries[cf];
      const m = n.managers[cf];
      if (r) out.push({ machine: 'maintainerRegistry', node, changefeedId: cf, state: stateValueString(r.value) });
      if (m) out.push({ machine: 'dispatcherManager', node, changefeedId: cf, state: stateValueString(m.value) });
    }
  }
  return out;
}

/** The machines' states as far as a StepView tells them (ITF and replay JSON). */
function machinesOfView(v: StepView): MachineState[] {
  const out: MachineState[] = [];
  for (const [node, n] of Object.entries(v.nodes)) {
    if (!n.up) continue;
    out.push({ machine: 'nodeLiveness', node, changefeedId: null, state: n.liveness });
    for (const [cf, c] of Object.entries(n.changefeeds)) {
      out.push({ machine: 'maintainerRegistry', node, changefeedId: cf, state: c.maintainer });
      out.push({ machine: 'dispatcherManager', node, changefeedId: cf, state: c.manager });
    }
  }
  return out;
}

function sequenceOf(step: number, a: Action, coordinator: string): { entry: SequenceEntry; seq: SequenceStep | null } {
  switch (a.kind) {
    case 'deliver':
    case 'lose':
    case 'duplicate':
      return { entry: { step, kind: a.kind, from: a.message.from, to: a.message.to, label: messageLabel(a.message) }, seq: { kind: a.kind, message: a.message } };
    case 'send':
      // A send only puts the message in flight; the diagram draws it when it is delivered.
      return { entry: { step, kind: 'send', from: a.message.from, to: a.message.to, label: messageLabel(a.message) }, seq: null };
    case 'crash':
    case 'restart':
      return { entry: { step, kind: a.kind, from: a.node, to: a.node, label: a.kind }, seq: { kind: 'note', over: a.node, text: a.kind } };
    case 'tick':
      return { entry: { step, kind: 'tick', from: a.node, to: a.node, label: `${a.tick} ${a.changefeedId}` }, seq: { kind: 'note', over: a.node, text: `${a.tick} ${a.changefeedId}` } };
    case 'runtime':
      return { entry: { step, kind: 'runtime', from: a.node, to: a.node, label: `runtime ${a.task.kind} ${a.task.changefeedId}` }, seq: { kind: 'note', over: a.node, text: `runtime ${a.task.kind} ${a.task.changefeedId}` } };
    case 'membership':
      return { entry: { step, kind: 'membership', from: a.node, to: a.node, label: `${a.change} ${a.subject}` }, seq: { kind: 'note', over: a.node, text: `${a.change} ${a.subject}` } };
    default:
      return { entry: { step, kind: 'other', from: coordinator, to: coordinator, label: 'step' }, seq: null };
  }
}

function fromScenario(name: string, raw: Record<string, unknown>): InspectorTrace {
  const r = replay(new TableStepper(), raw);
  const { config } = r;
  const nodes = [...config.nodes];
  const changefeeds = [...config.changefeeds];
  const participants = { coordinator: config.coordinator, nodes };
  const seq: SequenceStep[] = [];
  const steps: InspectorStep[] = [
    { ...stepView(0, 'initial', r.initial, config), machines: machinesOf(r.initial, nodes, changefeeds), sequence: null, mermaid: sequenceDiagram(participants, []) },
  ];
  for (const row of r.rows) {
    const { entry, seq: s } = sequenceOf(row.index, row.action, config.coordinator);
    if (s) seq.push(s);
    for (const v of row.violations) seq.push({ kind: 'note', over: config.coordinator, text: `violated ${v.name}` });
    steps.push({
      ...stepView(row.index, row.label, row.world, config, row.violations),
      machines: machinesOf(row.world, nodes, changefeeds),
      sequence: entry,
      mermaid: sequenceDiagram(participants, seq),
    });
  }
  return { name, format: 'scenario', description: typeof raw.description === 'string' ? raw.description : null, coordinator: config.coordinator, nodes, changefeeds, steps, failures: r.failures };
}

/** Decodes the ITF values `traceItf` writes back into plain JSON with decimal strings. */
function fromItfValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromItfValue);
  if (!isObj(v)) return v;
  if ('#bigint' in v) return String(v['#bigint']);
  if ('#map' in v && Array.isArray(v['#map'])) return Object.fromEntries((v['#map'] as unknown[][]).map(([k, x]) => [String(fromItfValue(k)), fromItfValue(x)]));
  if ('#set' in v && Array.isArray(v['#set'])) return (v['#set'] as unknown[]).map(fromItfValue);
  if ('#tup' in v && Array.isArray(v['#tup'])) return (v['#tup'] as unknown[]).map(fromItfValue);
  if ('tag' in v && 'value' in v && Object.keys(v).length === 2) return v.tag === 'None' ? null : fromItfValue(v.value);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromItfValue(x)]));
}

function fromViews(name: string, format: 'itf' | 'replay-json', views: StepView[], description: string | null): InspectorTrace {
  if (!views.length) throw new TraceFormatError(name, 'the trace has no states');
  const nodes = Object.keys(views[0]!.nodes);
  const changefeeds = Object.keys(views[0]!.store);
  const coordinator = views.map((v) => /^(?:send|deliver|lose|duplicate) \S+ (\S+)→/.exec(v.action)?.[1]).find((from) => from !== undefined && !nodes.includes(from)) ?? 'coordinator';
  const seq: SequenceStep[] = [];
  const steps = views.map((v, i): InspectorStep => {
    let entry: SequenceEntry | null = null;
    if (i > 0) {
      // The action labels of cluster/world.ts `actionLabel`: a message step names its type, sender and receiver.
      const m = /^(send|deliver|lose|duplicate) (\S+) (\S+)→(\S+)$/.exec(v.action);
      if (m) {
        const message = { type: m[2]!, from: m[3]!, to: m[4]! };
        entry = { step: v.step, kind: m[1]!, from: message.from, to: message.to, label: message.type };
        if (m[1] !== 'send') seq.push({ kind: m[1] as 'deliver', message });
      } else {
        entry = { step: v.step, kind: 'step', from: coordinator, to: coordinator, label: v.action };
        seq.push({ kind: 'note', over: coordinator, text: v.action });
      }
    }
    for (const x of v.violations) seq.push({ kind: 'note', over: coordinator, text: `violated ${x.name}` });
    return { ...v, machines: machinesOfView(v), sequence: entry, mermaid: sequenceDiagram({ coordinator, nodes }, seq) };
  });
  return { name, format, description, coordinator, nodes, changefeeds, steps, failures: [] };
}

function checkView(v: unknown, where: string, name: string): StepView {
  if (!isObj(v) || !isObj(v.nodes) || !isObj(v.store) || typeof v.action !== 'string') throw new TraceFormatError(name, `${where}: not a step view (action, nodes, store)`);
  for (const [id, n] of Object.entries(v.nodes)) {
    if (!isObj(n) || typeof n.up !== 'boolean' || typeof n.liveness !== 'string' || !isObj(n.changefeeds)) throw new TraceFormatError(name, `${where}.nodes.${id}: expected up, liveness, changefeeds`);
  }
  // ITF keeps only the invariant's name: the message is then empty.
  const violations = Array.isArray(v.violations) ? v.violations.map((x) => (typeof x === 'string' ? { name: x, message: '' } : (x as { name: string; message: string }))) : [];
  return { ...(v as unknown as StepView), step: typeof v.step === 'number' ? v.step : Number(v.step ?? 0), inFlight: Number(v.inFlight ?? 0), violations };
}

/**
 * Reads a trace document (already parsed JSON) of any supported format. Bad input is a
 * {@link TraceFormatError} (or the scenario's own `ScenarioError`) naming what is wrong.
 */
export function loadTrace(name: string, raw: unknown): InspectorTrace {
  if (!isObj(raw)) throw new TraceFormatError(name, 'expected a JSON object (a scenario, an ITF trace or `opcharts replay --json` output)');
  if ('config' in raw && 'steps' in raw) return fromScenario(name, raw);
  if (Array.isArray(raw.states) && Array.isArray(raw.vars)) {
    const meta = isObj(raw['#meta']) ? raw['#meta'] : {};
    const views = (raw.states as unknown[]).map((s, i) => {
      const plain = fromItfValue(s) as Record<string, unknown>;
      // traceItf writes a missing store record as `exists: false` (ITF has no null).
      const store = isObj(plain.store)
        ? Object.fromEntries(Object.entries(plain.store).map(([cf, r]) => [cf, isObj(r) && r.exists === false ? null : isObj(r) ? (({ exists: _exists, ...rest }) => rest)(r) : r]))
        : plain.store;
      return checkView({ ...plain, store, step: i }, `states[${i}]`, name);
    });
    const from = [typeof meta.source === 'string' ? meta.source : null, typeof meta.scenario === 'string' ? meta.scenario : null].filter(Boolean).join(', ');
    return fromViews(name, 'itf', views, typeof meta.description === 'string' ? meta.description : from ? `ITF trace (${from})` : null);
  }
  if (Array.isArray(raw.steps)) return fromViews(name, 'replay-json', raw.steps.map((s, i) => checkView(s, `steps[${i}]`, name)), null);
  throw new TraceFormatError(name, 'not a scenario ({config, steps}), an ITF trace ({vars, states}) or replay JSON ({steps: [...]})');
}
