/**
 * The checker over the cluster world (issue 13): a {@link CheckConfig} explored breadth-first by the
 * generic explorer with every built-in invariant of cluster/invariants.ts and any user invariants,
 * optionally with one machine replaced by a historical-bug variant (cluster/variants.ts). For each
 * violation the shortest trace becomes a replayable scenario (cluster/scenario.ts), and from that
 * scenario's replay its ITF trace and a Mermaid sequenceDiagram, so the three always agree and the
 * scenario is known to replay to the same violation (checked here before it is reported).
 *
 * No I/O here but loading a user's invariant module; the command line (cli/check.ts) prints and
 * writes the report.
 */
import { builtInInvariants } from './specs.js';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyStateMachine } from 'xstate';
import { explore } from '../explorer/explore.js';
import { exploreParallel } from '../explorer/parallel.js';
import type { ExploreReport, Progress, StopReason, Trace, VisitedMode } from '../explorer/types.js';
import type { ItfTraceDoc } from '../explorer/itf.js';
import { OpchartsError } from '../machines/errors.js';
import { findModel } from '../models/index.js';
import type { ClusterInvariant } from './invariants.js';
import { clusterModel } from './model.js';
import { catalogueVariants, type Variant, type VariantGlue } from './variants.js';
import { TableStepper } from './stepper.js';
import { apply, initialWorld, type Action, type ClusterConfig, type World } from './world.js';
import { replay, type Scenario } from './scenario.js';
import { traceItf, traceViews } from './trace.js';
import { sequenceDiagram, type SequenceStep } from './sequence.js';
import { configToJson, type CheckConfig } from './configs.js';
import { nodeLivenessMachine } from '../machines/nodeLiveness.js';
import { nodeDrainTargetMachine } from '../machines/nodeDrainTarget.js';
import { maintainerRegistryMachine } from '../machines/maintainerRegistry.js';
import { dispatcherManagerMachine } from '../machines/dispatcherManager.js';
import { livenessViewMachine } from '../machines/livenessView.js';
import { drainNodeMachine } from '../machines/drainNode.js';
import { drainSessionMachine } from '../machines/coordinator/drainSession.js';
import { admissionMachine } from '../machines/admission.js';
import { addMaintainerMachine } from '../machines/addMaintainer.js';
import { moveMaintainerMachine } from '../machines/moveMaintainer.js';
import { stopChangefeedMachine } from '../machines/stopChangefeed.js';

/**
 * The machines the cluster world steps through its stepper, by model name; a variant may replace
 * only these. The coordinator's machines count with a composed coordinator; the operators (add,
 * move, stop) are stepped inside the operator controller through the same stepper.
 */
export const COMPOSED_MACHINES: Record<string, AnyStateMachine> = {
  nodeLiveness: nodeLivenessMachine,
  nodeDrainTarget: nodeDrainTargetMachine,
  maintainerRegistry: maintainerRegistryMachine,
  dispatcherManager: dispatcherManagerMachine,
  livenessView: livenessViewMachine,
  drainNode: drainNodeMachine,
  drainSession: drainSessionMachine,
  admission: admissionMachine,
  // Stepped inside the operator controller through the world's stepper (its `stepper` option).
  addMaintainer: addMaintainerMachine,
  moveMaintainer: moveMaintainerMachine,
  stopChangefeed: stopChangefeedMachine,
};

/** An unknown variant, or one that changes a machine the cluster world does not compose yet. */
export class VariantError extends OpchartsError {
  constructor(message: string) {
    super('UNKNOWN_VARIANT', message);
  }
}

/** A user invariant module that cannot be loaded or exports something that is not an invariant. */
export class InvariantModuleError extends OpchartsError {
  constructor(file: string, reason: string) {
    super('INVALID_INVARIANT_MODULE', `${file}: ${reason}`);
  }
}

/** The variants `--variant` accepts: those whose machines are all composed in the cluster world. */
export function clusterVariants(catalogue: readonly Variant[] = catalogueVariants): Variant[] {
  return catalogue.filter((v) => Object.keys(v.machines).every((m) => m in COMPOSED_MACHINES));
}

/** The variant named `name` in the catalogue (by default every variant of cluster/variants.ts). */
export function findVariant(name: string, catalogue: readonly Variant[] = catalogueVariants): Variant {
  const v = catalogue.find((x) => x.id === name);
  const usable = clusterVariants(catalogue).map((x) => x.id);
  if (!v) throw new VariantError(`unknown variant "${name}"; the cluster model takes: ${usable.join(', ')}`);
  const missing = Object.keys(v.machines).filter((m) => !(m in COMPOSED_MACHINES));
  if (missing.length) throw new VariantError(`variant ${name} changes ${missing.join(', ')}, which the cluster model does not compose yet; it takes: ${usable.join(', ')}`);
  return v;
}

/**
 * A {@link TableStepper} that steps a variant's replacement wherever the world steps the faithful
 * machine: the world's glue (cluster/node.ts) stays as it is, only the machine definitions change.
 */
export class VariantStepper extends TableStepper {
  private readonly replacements = new Map<AnyStateMachine, AnyStateMachine>();
  constructor(readonly variant?: Variant) {
    super();
    for (const [name, machine] of Object.entries(variant?.machines ?? {})) {
      const faithful = COMPOSED_MACHINES[name] ?? findModel(name)?.machine;
      if (faithful) this.replacements.set(faithful, machine);
    }
    this.glue = variant?.glue?.operatorController;
    this.storeGlue = variant?.glue?.store;
    this.admissionGlue = variant?.glue?.admission;
    this.bootstrapGlue = variant?.glue?.bootstrap;
  }
  /** The variant's replacements of the store's rules (cluster/store.ts `StoreGlue`), which the world and the coordinator read. */
  readonly storeGlue: VariantGlue['store'];
  /** The variant's replacements of the coordinator bootstrap's rules (cluster/coordinator.ts reads them from its stepper). */
  readonly bootstrapGlue: VariantGlue['bootstrap'];
  /** The variant's replacements of the operator controller's glue (the controller reads them from its stepper). */
  readonly glue: VariantGlue['operatorController'];
  /** The variant's replacements of the coordinator's admission glue (cluster/coordinator.ts reads them from its stepper). */
  readonly admissionGlue: VariantGlue['admission'];
  override table(machine: AnyStateMachine) {
    return super.table(this.replacements.get(machine) ?? machine);
  }
  /** The machine stepped in place of a faithful one (the operator controller resolves its slots with it). */
  machineFor(machine: AnyStateMachine): AnyStateMachine {
    return this.replacements.get(machine) ?? machine;
  }
}

const isInvariant = (v: unknown): v is ClusterInvariant =>
  v !== null && typeof v === 'object' && typeof (v as ClusterInvariant).name === 'string' && (v as ClusterInvariant).name !== '' && typeof (v as ClusterInvariant).check === 'function';

/**
 * The invariants a module exports, in the shape of cluster/invariants.ts: every named export (and
 * the default one) is an invariant `{ name, doc?, check(world, step?) }`, an array of them, or a
 * plain predicate function `(world, step?) => boolean | string` named after its export. Anything
 * else, a module with none, or two invariants of one name is an {@link InvariantModuleError}.
 */
export function invariantsFromModule(file: string, mod: Record<string, unknown>): ClusterInvariant[] {
  const out: ClusterInvariant[] = [];
  for (const [exportName, value] of Object.entries(mod)) {
    if (isInvariant(value)) out.push(value);
    else if (Array.isArray(value) && value.length > 0 && value.every(isInvariant)) out.push(...value);
    else if (typeof value === 'function') out.push({ name: exportName, check: value as ClusterInvariant['check'] });
    else throw new InvariantModuleError(file, `export "${exportName}" is not an invariant ({ name, check(world, step?) }), an array of them, or a predicate function`);
  }
  if (out.length === 0) throw new InvariantModuleError(file, 'exports no invariant');
  const seen = new Set<string>();
  for (const inv of out) {
    if (seen.has(inv.name)) throw new InvariantModuleError(file, `two invariants are named "${inv.name}"`);
    seen.add(inv.name);
  }
  return out;
}

/** Loads a user's invariant module (a .ts file needs the tsx loader, which the repository's bin uses). */
export async function loadInvariantModule(file: string): Promise<ClusterInvariant[]> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolvePath(file)).href)) as Record<string, unknown>;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new InvariantModuleError(file, err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'ENOENT' ? 'cannot load: no such module' : `cannot load: ${err.message}`);
  }
  return invariantsFromModule(file, mod);
}

/** A prefix that cannot be taken from the configuration's initial world. */
export class CheckPrefixError extends OpchartsError {
  constructor(message: string) {
    super('INVALID_PREFIX', message);
  }
}

/**
 * The world at the start of a check: every node up, the coordinator's script in flight, and then
 * the `prefix` steps taken (scenario steps, cluster/scenario.ts format), if any. A prefix starts
 * the search where a bug's window opens (the historical-bug catalogue, cluster/catalogue.ts): the
 * checker then explores every interleaving from that world, and a counterexample's scenario is the
 * prefix followed by the shortest trace from it.
 */
export function startWorld(stepper: TableStepper, config: CheckConfig, prefix: readonly unknown[] = []): World {
  let w = initialWorld(stepper, config.cluster);
  const cluster = explorerCluster(config);
  for (const message of config.script) w = apply(stepper, w, { kind: 'send', message }, cluster);
  if (prefix.length === 0) return w;
  const scenario = traceToScenario(config, { steps: [] } as unknown as Trace<World, Action>, '(prefix)', { prefix });
  let r: ReturnType<typeof replay>;
  try {
    r = replay(stepper, { ...scenario, expect: [] }, []);
  } catch (e) {
    throw new CheckPrefixError(`the prefix cannot be taken: ${(e as Error).message}`);
  }
  return r.rows[r.rows.length - 1]!.world;
}

/** The explorer drops what nodes send to a coordinator that is not composed in (it has no reader). */
const explorerCluster = (config: CheckConfig): ClusterConfig => ({ ...config.cluster, keepCoordinatorInbox: false });

export interface CheckOptions {
  config: CheckConfig;
  variant?: string;
  /** User invariants, checked with the built-in ones; `module` is recorded in scenarios and reports. */
  user?: { module: string; invariants: ClusterInvariant[] };
  /** Default hash-compaction (may miss states, and every report says so); `exact` stores every state. */
  mode?: VisitedMode;
  /** Worker threads; 1 (default) explores on this thread. More than 1 uses hash compaction. */
  workers?: number;
  /** Use the parallel search even with one worker (benchmarks: its overhead against the single-threaded search). */
  forceParallel?: boolean;
  maxStates?: number;
  maxDepth?: number;
  /** Scenario steps taken before the search starts (see {@link startWorld}); depth counts from its end. */
  prefix?: readonly unknown[];
  onProgress?(p: Progress): void;
  clock?: () => number;
  /**
   * The AG EF liveness check (issue 13): after the search, a reachable world from which no world
   * satisfying `goal` is reachable is reported as an `eventually` violation, with a shortest path
   * to it. Needs the exact visited set and one worker.
   */
  eventually?: { name: string; goal(world: World): boolean };
}

export interface CheckViolation {
  kind: 'invariant' | 'deadlock' | 'eventually';
  /** The violated predicate's name. */
  invariant: string;
  /** Its doc line, when it has one. */
  predicate: string;
  /** The values that broke it. */
  message: string;
  /** Steps of the shortest trace, the coordinator's script not counted. */
  length: number;
  labels: string[];
  /** Replays to the same violation with `opcharts replay` (its last expectation says which). */
  scenario: Record<string, unknown>;
  itf: ItfTraceDoc;
  mermaid: string;
}

export interface CheckResult {
  config: Record<string, unknown>;
  variant: { id: string; reintroduces: string; invariant: string } | null;
  invariantModule: string | null;
  mode: VisitedMode;
  workers: number;
  /** True in hash-compaction mode: two states with one 64-bit hash count as one. */
  mayMissStates: boolean;
  /** The sentence every report carries about completeness. */
  completeness: string;
  stopReason: StopReason;
  states: number;
  transitions: number;
  depth: number;
  millis: number;
  statesPerSecond: number;
  peakRssBytes: number;
  bytesPerState: number;
  invariantsChecked: string[];
  /** Steps of the prefix taken before the search (see {@link startWorld}); counterexample lengths count from its end. */
  prefixSteps: number;
  /** The AG EF goal checked (`eventually`), and whether the search was complete enough to judge it. */
  eventually: { name: string; judged: boolean } | null;
  violations: CheckViolation[];
}

/** The structured-clonable description a worker thread rebuilds the same check from (cluster/checkWorker.ts). */
export interface CheckSpec {
  config: CheckConfig;
  variant?: string;
  invariantModule?: string;
  /** Scenario steps taken before the search starts (see {@link startWorld}). */
  prefix?: readonly unknown[];
}

/** The model and invariants of one check, built identically on every thread. */
export function buildCheck(spec: CheckSpec, userInvariants: ClusterInvariant[] = []) {
  const variant = spec.variant === undefined ? undefined : findVariant(spec.variant);
  const stepper = new VariantStepper(variant);
  const initial = startWorld(stepper, spec.config, spec.prefix);
  const model = clusterModel(stepper, spec.config.cluster, initial, `cluster:${spec.config.name}${variant ? `+${variant.id}` : ''}`);
  return { variant, stepper, initial, model, invariants: [...builtInInvariants, ...userInvariants] };
}

/** An action as a scenario step (uint64 as decimal strings; a message named by all its fields). */
export function actionToStep(a: Action): Record<string, unknown> {
  const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
  switch (a.kind) {
    case 'send': {
      const { from: _from, ...m } = a.message;
      return { send: plain(m) };
    }
    case 'deliver':
    case 'lose':
    case 'duplicate':
      return { [a.kind]: plain(a.message) };
    case 'tick':
      return { tick: { node: a.node, changefeedId: a.changefeedId, tick: a.tick } };
    case 'runtime':
      return { runtime: { node: a.node, ...plain(a.task) as object } };
    case 'crash':
    case 'restart':
      return { [a.kind]: a.node };
    case 'membership':
      return { membership: { node: a.node, change: a.change, subject: a.subject } };
    case 'node-heartbeat':
      return { 'node-heartbeat': a.node };
    case 'coordinator-tick':
      return { 'coordinator-tick': a.choice === undefined ? {} : { choice: a.choice } };
    case 'time':
      return { time: a.step };
    case 'api':
      return { api: a.call === 'DrainNode' ? { call: a.call, target: a.target } : { call: a.call, changefeedId: a.changefeedId } };
    case 'state-change':
      return { 'state-change': { changefeedId: a.changefeedId, state: a.state } };
    case 'pd':
      return { pd: a.available ? 'available' : 'unavailable' };
    case 'balance-tick':
      return { 'balance-tick': a.choice === undefined ? {} : { choice: a.choice } };
    case 'coordinator-membership':
      return { 'coordinator-membership': { change: a.change, subject: a.subject } };
    case 'coordinator-crash':
    case 'coordinator-takeover':
      return { [a.kind]: {} };
    case 'store':
      return { store: { call: plain(a.call), outcome: a.outcome } };
    case 'checkpoint':
      return { checkpoint: { changefeedId: a.changefeedId, step: a.step } };
  }
}

/** The shortest trace as a scenario: the coordinator's script as sends, then the trace's steps. */
export function traceToScenario(config: CheckConfig, trace: Trace<World, Action>, violated: string, extra: { variant?: string; invariantModule?: string; prefix?: readonly unknown[] }): Record<string, unknown> {
  const steps = [...config.script.map((message) => actionToStep({ kind: 'send', message })), ...(extra.prefix ?? []), ...trace.steps.map((s) => actionToStep(s.action))];
  const { coordinator, nodes, changefeeds, capacity, budgets, ticks, ...composed } = config.cluster;
  return {
    description: `shortest trace to a violation of ${violated} found by opcharts check (config ${config.name}${extra.variant ? `, variant ${extra.variant}` : ''})`,
    config: {
      coordinator,
      nodes: [...nodes],
      changefeeds: [...changefeeds],
      capacity,
      budgets: { ...budgets },
      keepCoordinatorInbox: false,
      ...(ticks ? { ticks: [...ticks] } : {}),
      ...Object.fromEntries(Object.entries(composed).filter(([k]) => k !== 'keepCoordinatorInbox')),
    },
    ...(extra.variant ? { variant: extra.variant } : {}),
    ...(extra.invariantModule ? { invariantModule: extra.invariantModule } : {}),
    steps,
    expect: [{ after: steps.length, violated }],
  };
}

/** Where a step happens, for the sequence diagram's notes. */
function sequenceOf(rows: ReturnType<typeof replay>['rows'], coordinator: string): SequenceStep[] {
  const out: SequenceStep[] = [];
  for (const r of rows) {
    const a = r.action;
    switch (a.kind) {
      case 'send':
        break; // drawn when delivered (the bag may reorder)
      case 'deliver':
      case 'lose':
      case 'duplicate':
        out.push({ kind: a.kind, message: a.message });
        break;
      case 'crash':
      case 'restart':
        out.push({ kind: 'note', over: a.node, text: `${a.kind}${a.kind === 'restart' ? ` (node epoch ${String(r.world.epochs[a.node])})` : ''}` });
        break;
      default:
        out.push({ kind: 'note', over: 'node' in a ? a.node : coordinator, text: r.label });
    }
    for (const v of r.violations) out.push({ kind: 'note', over: 'node' in a ? a.node : 'message' in a ? a.message.to : coordinator, text: `VIOLATED ${v.name}: ${v.message}` });
  }
  return out;
}

export class CheckReplayError extends OpchartsError {
  constructor(message: string) {
    super('REPLAY_MISMATCH', message);
  }
}

/**
 * A violation's artefacts, from a replay of its scenario: the replay must end in the same
 * violation (same invariant, same values), else the scenario would lie and this throws.
 */
export function violationArtefacts(spec: CheckSpec, v: ExploreReport<World, Action>['violations'][number], invariants: readonly ClusterInvariant[]): CheckViolation {
  const scenario = traceToScenario(spec.config, v.trace, v.name, { variant: spec.variant, invariantModule: spec.invariantModule, prefix: spec.prefix });
  const stepper = new VariantStepper(spec.variant === undefined ? undefined : findVariant(spec.variant));
  const r = replay(stepper, scenario, invariants);
  const last = r.rows[r.rows.length - 1];
  if (v.kind === 'invariant' && (r.failures.length > 0 || !last?.violations.some((x) => x.name === v.name && x.message === v.message))) {
    throw new CheckReplayError(`the scenario of ${v.name} does not replay to the same violation: ${r.failures.join('; ') || JSON.stringify(last?.violations)}`);
  }
  const views = traceViews(r.config, r.initial, r.rows);
  const title = `${v.name} violated (config ${spec.config.name}${spec.variant ? `, variant ${spec.variant}` : ''})`;
  return {
    kind: v.kind,
    invariant: v.name,
    predicate: invariants.find((i) => i.name === v.name)?.doc ?? v.name,
    message: v.message,
    length: v.trace.steps.length,
    labels: v.trace.steps.map((s) => s.label),
    scenario,
    itf: traceItf(views, { source: 'opcharts check', violated: v.name, config: spec.config.name, ...(spec.variant ? { variant: spec.variant } : {}) }),
    mermaid: sequenceDiagram({ coordinator: spec.config.cluster.coordinator, nodes: spec.config.cluster.nodes }, sequenceOf(r.rows, spec.config.cluster.coordinator), title),
  };
}

export const COMPACTION_WARNING =
  'hash compaction: states are stored as 64-bit hashes, so two distinct states with the same hash count as one and this search may have missed states (run with --exact for an exact visited set)';
export const EXACT_NOTE = 'exact: every visited state is stored in full; no state was missed within the bounds';

/** Runs one check. Violations of user invariants need `user`; the spec's `invariantModule` is recorded in scenarios. */
export async function runCheck(options: CheckOptions): Promise<CheckResult> {
  const spec: CheckSpec = { config: options.config, variant: options.variant, invariantModule: options.user?.module, ...(options.prefix?.length ? { prefix: options.prefix } : {}) };
  const { variant, model, invariants } = buildCheck(spec, options.user?.invariants ?? []);
  const workers = options.workers ?? 1;
  const maxStates = options.maxStates ?? options.config.bounds.maxStates;
  const maxDepth = options.maxDepth ?? options.config.bounds.maxDepth;
  let mode: VisitedMode = options.mode ?? (options.eventually ? 'exact' : 'hash-compaction');
  let report: ExploreReport<World, Action>;
  if (workers > 1 || options.forceParallel) {
    if (options.eventually) throw new OpchartsError('EVENTUALLY_NEEDS_ONE_WORKER', 'the eventually (AG EF) check needs the exact visited set: one worker');
    if (mode === 'exact') throw new OpchartsError('EXACT_NEEDS_ONE_WORKER', 'the parallel search shares a hash-compaction table: --exact needs --workers 1');
    report = await exploreParallel<World, Action>({
      moduleUrl: new URL(`./checkWorker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url).href,
      exportName: 'checkModelFactory',
      config: spec,
      workers,
      maxStates,
      maxDepth,
      stopAtFirstViolation: false,
      onProgress: options.onProgress,
      clock: options.clock,
    });
    mode = 'hash-compaction';
  } else {
    report = explore(model, {
      invariants,
      mode,
      maxStates,
      maxDepth,
      stopAtFirstViolation: false,
      onProgress: options.onProgress,
      clock: options.clock,
      progressEvery: 8192,
      ...(options.eventually ? { eventually: options.eventually } : {}),
    });
  }
  return {
    config: configToJson(options.config),
    variant: variant ? { id: variant.id, reintroduces: variant.reintroduces, invariant: variant.invariant } : null,
    invariantModule: options.user?.module ?? null,
    mode,
    workers,
    mayMissStates: report.mayMissStates,
    completeness: report.mayMissStates ? COMPACTION_WARNING : EXACT_NOTE,
    stopReason: report.stopReason,
    states: report.states,
    transitions: report.transitions,
    depth: report.depth,
    millis: report.millis,
    statesPerSecond: report.statesPerSecond,
    peakRssBytes: report.peakRssBytes,
    bytesPerState: report.bytesPerState,
    invariantsChecked: invariants.map((i) => i.name),
    prefixSteps: spec.prefix?.length ?? 0,
    // AG EF is judged only on the whole graph (explorer/explore.ts): a search stopped by a bound says nothing.
    eventually: options.eventually ? { name: options.eventually.name, judged: report.stopReason === 'complete' || report.stopReason === 'violation' } : null,
    violations: report.violations.map((v) => violationArtefacts(spec, v, invariants)),
  };
}

export type { Scenario };
