/**
 * `opcharts simulate` (issue 14): the cluster world run for a long time on real XState actors
 * (simulator/actorStepper.ts) against a real epoch store (simulator/realStore.ts), with a seeded
 * random scheduler (simulator/schedule.ts) over deliveries, periodic work, faults and API calls, and
 * every invariant checked after every step.
 *
 * A run is a sequence of episodes: an episode starts from a fresh world (and a real store reset to
 * the world's records) and ends after `episodeLength` steps or when no step is enabled. Each episode
 * draws from its own stream (seed, episode), so a violation's episode is reproducible on its own,
 * and with the memory store a seed reproduces the whole run.
 *
 * The store. Every `store` step of the world is executed against the adapter before the world
 * takes it; the world's outcome is what the real call did (a refusal of the real store must be a
 * refusal of the model, else it is a divergence), except for the faults the scheduler injects
 * within the configuration's `storeFaults` (the call reported failed, applied or not). After the
 * step the real record must equal the world's `store` entry. A coordinator takeover opens a new
 * client (LMDB, etcd) and rebuilds the world's store view from what the real store holds, so the
 * new coordinator bootstraps from persisted epochs.
 *
 * A violation stops its seed's run (the next seed, if any, still runs) and is written as a
 * replayable scenario, an ITF trace and a sequence diagram (cluster/check.ts `violationArtefacts`,
 * which replays the scenario with XState's pure transitions and requires the same violation).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckConfig } from '../cluster/configs.js';
import { configToJson } from '../cluster/configs.js';
import { findVariant, violationArtefacts, type CheckSpec } from '../cluster/check.js';
import type { ClusterInvariant } from '../cluster/invariants.js';
import { violations as violationsOf } from '../cluster/invariants.js';
import { builtInInvariants } from '../cluster/specs.js';
import { applyStoreOp } from '../cluster/store.js';
import { actionLabel, apply, enabledActions, initialWorld, type Action, type ClusterConfig, type World } from '../cluster/world.js';
import { isOperatorFinished, type OperatorSlot } from '../machines/coordinator/operatorController.js';
import type { Trace } from '../explorer/types.js';
import { ActorStepper } from './actorStepper.js';
import { RealStore, recordDifference } from './realStore.js';
import { episodeSeed, mulberry32, pickAction } from './schedule.js';
import { FAULT_KINDS, REPORT_FORMAT, type FaultKind, type OperatorKind, type SimulationReport, type SimulationViolation } from './report.js';
import { OpchartsError } from '../machines/errors.js';

export const DEFAULT_STEPS = 10_000;
export const DEFAULT_EPISODE_LENGTH = 200;
export const DEFAULT_OUT = 'report/simulate';

export interface SimulationProgress {
  steps: number;
  totalSteps: number;
  seed: number;
  violations: number;
  millis: number;
  events: number;
}

export interface SimulateOptions {
  config: CheckConfig;
  /** An epoch store spec (`memory`, `lmdb:PATH`, `etcd://HOST:PORT[/prefix]`); default LMDB in a temporary directory. */
  store?: string;
  /** Inclusive seed range; steps per seed. */
  seeds: [number, number];
  steps: number;
  episodeLength?: number;
  variant?: string;
  user?: { module: string; invariants: ClusterInvariant[] };
  /** Where violations are written; false for nowhere. */
  out?: string | false;
  onProgress?(p: SimulationProgress): void;
  /** Called after every step taken, with the world it led to; a returned promise is awaited before the next step (tests). */
  onStep?(s: { seed: number; episode: number; step: number; label: string; world: World }): void | Promise<void>;
  clock?: () => number;
}

export class SimulateInputError extends OpchartsError {
  constructor(message: string) {
    super('INVALID_SIMULATION', message);
  }
}

/** Parses `A..B` (or a single `S`) into an inclusive range of non-negative 32-bit seeds. */
export function parseSeedRange(text: string): [number, number] {
  const m = /^(\d{1,10})(?:\.\.(\d{1,10}))?$/.exec(text.trim());
  if (!m) throw new SimulateInputError(`bad seed range "${text}": expected A..B (or S), non-negative integers`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a > 0xffffffff || b > 0xffffffff) throw new SimulateInputError(`bad seed range "${text}": seeds are 32-bit (at most ${0xffffffff})`);
  if (b < a) throw new SimulateInputError(`bad seed range "${text}": ${b} is below ${a}`);
  return [a, b];
}

const emptyFaults = () => Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;

/** The fault a step injects, if it is one. */
function faultOf(a: Action): FaultKind | null {
  switch (a.kind) {
    case 'lose':
      return 'loss';
    case 'duplicate':
      return 'duplication';
    case 'crash':
      return 'nodeCrash';
    case 'coordinator-crash':
      return 'coordinatorCrash';
    case 'store':
      return a.outcome === 'failed' ? 'storeFailed' : a.outcome === 'appliedButFailed' ? 'storeAppliedButFailed' : null;
    default:
      return null;
  }
}

type Operators = ReadonlyMap<string, OperatorSlot> | undefined;
const operatorsOf = (w: World): Operators => w.coordinator?.controller?.operators;

/** Operators that were finished before the step and are gone (PostFinish) after it. */
function completedOperators(before: Operators, after: Operators, count: Record<OperatorKind, number>): void {
  if (!before || before === after) return;
  for (const [cf, slot] of before) if (isOperatorFinished(slot) && after?.get(cf) !== slot) count[slot.kind]++;
}

/** The world at an episode's start: the configuration's nodes up, its coordinator (or script) running (as cluster/check.ts startWorld). */
function startWorld(stepper: ActorStepper, config: CheckConfig, cluster: ClusterConfig): World {
  let w = initialWorld(stepper, config.cluster);
  for (const message of config.script) w = apply(stepper, w, { kind: 'send', message }, cluster);
  return w;
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);

export async function runSimulation(o: SimulateOptions): Promise<SimulationReport> {
  const clock = o.clock ?? (() => performance.now());
  const variant = o.variant === undefined ? undefined : findVariant(o.variant);
  if (!Number.isSafeInteger(o.steps) || o.steps < 1) throw new SimulateInputError(`--steps must be a positive integer (got ${o.steps})`);
  const episodeLength = o.episodeLength ?? DEFAULT_EPISODE_LENGTH;
  if (!Number.isSafeInteger(episodeLength) || episodeLength < 1) throw new SimulateInputError(`--episode-length must be a positive integer (got ${episodeLength})`);
  const invariants = [...builtInInvariants, ...(o.user?.invariants ?? [])];
  // As the checker: what nodes send to a coordinator that is not composed in is dropped.
  const cluster: ClusterConfig = { ...o.config.cluster, keepCoordinatorInbox: false };
  const spec: CheckSpec = { config: o.config, variant: o.variant, invariantModule: o.user?.module };
  const store = RealStore.open(o.store);
  const storeName = o.store === undefined ? 'lmdb:(temporary)' : o.store;

  const report: SimulationReport = {
    format: REPORT_FORMAT,
    config: o.config.name,
    configJson: configToJson(o.config),
    variant: variant?.id ?? null,
    invariantModule: o.user?.module ?? null,
    stores: [storeName],
    seeds: [[o.seeds[0], o.seeds[1]]],
    stepsPerSeed: o.steps,
    episodeLength,
    steps: 0,
    episodes: 0,
    events: 0,
    actorsStarted: 0,
    actorsRestored: 0,
    millis: 0,
    stepsPerSecond: 0,
    eventsPerSecond: 0,
    actions: {},
    operatorsCompleted: { add: 0, move: 0, stop: 0 },
    faultsInjected: emptyFaults(),
    storeCalls: 0,
    takeoversFromStore: 0,
    invariantChecks: 0,
    invariants: invariants.map((i) => i.name),
    violations: [],
    peakRssBytes: process.memoryUsage.rss(),
  };
  const totalSteps = o.steps * (o.seeds[1] - o.seeds[0] + 1);
  const started = clock();
  let lastProgress = started;
  let events = 0;

  try {
    for (let seed = o.seeds[0]; seed <= o.seeds[1]; seed++) {
      const stepper = new ActorStepper(variant);
      let episode = -1;
      let world: World | null = null;
      let trace: Array<{ action: Action; label: string }> = [];
      let random = mulberry32(0);
      let stepsLeft = o.steps;
      seedRun: while (stepsLeft > 0) {
        if (world === null || trace.length >= episodeLength) {
          episode++;
          report.episodes++;
          random = mulberry32(episodeSeed(seed, episode));
          world = startWorld(stepper, o.config, cluster);
          trace = [];
          await store.reset(cluster.changefeeds, world.store);
        }
        const action0 = pickAction(enabledActions(world, cluster, stepper), random);
        if (action0 === null) {
          world = null; // quiescent: a fresh episode
          continue;
        }
        let action = action0;
        let prev = world;
        const fail = (kind: SimulationViolation['kind'], message: string) => {
          report.violations.push({ kind, invariant: 'store', message, seed, episode, step: trace.length + 1, labels: [...trace.map((t) => t.label), actionLabel(action)], files: null, replay: null });
        };
        if (action.kind === 'store') {
          const { changefeedId, op } = action.call;
          const expected = applyStoreOp(prev.store[changefeedId], op);
          if (action.outcome !== 'failed') {
            report.storeCalls++;
            const real = await store.execute(changefeedId, op);
            if (!real.ok && 'unavailable' in real) {
              report.faultsInjected.storeUnavailable++;
              // A real outage is a fault of the run: the world takes it if its budget lasts.
              if ((prev.storeFaults ?? 0) <= 0) {
                fail('store-error', `the real store failed beyond the store-fault budget: ${real.message}`);
                break seedRun;
              }
              action = { ...action, outcome: real.maybeApplied ? 'appliedButFailed' : 'failed' };
            } else {
              const realVerdict = real.ok ? 'ok' : real.failure;
              const modelVerdict = expected.ok ? 'ok' : expected.failure;
              if (realVerdict !== modelVerdict) {
                fail('store-divergence', `store ${op.op} of ${changefeedId}: the real store answered ${realVerdict}, the model ${modelVerdict}`);
                break seedRun;
              }
            }
          }
        } else if (action.kind === 'coordinator-takeover') {
          // A new coordinator process: a new client, and the records as the real store holds them.
          await store.reconnect();
          prev = { ...prev, store: await store.readAll(cluster.changefeeds) };
          report.takeoversFromStore++;
        }
        const next = apply(stepper, prev, action, cluster);
        const label = actionLabel(action);
        trace.push({ action, label });
        stepsLeft--;
        report.steps++;
        report.actions[action.kind] = (report.actions[action.kind] ?? 0) + 1;
        const fault = faultOf(action);
        if (fault) report.faultsInjected[fault]++;
        completedOperators(operatorsOf(world), operatorsOf(next), report.operatorsCompleted);
        if (o.onStep) {
          const r = o.onStep({ seed, episode, step: trace.length, label, world: next });
          if (r) await r;
        }
        if (action.kind === 'store') {
          const cf = action.call.changefeedId;
          const diff = recordDifference(next.store[cf], await store.read(cf));
          if (diff) {
            fail('store-divergence', `after ${label}: ${cf}: ${diff}`);
            break seedRun;
          }
        }
        const broken = violationsOf(invariants, next, { prev, action });
        report.invariantChecks += invariants.length;
        if (broken.length > 0) {
          const v = broken[0]!;
          const found: SimulationViolation = { kind: 'invariant', invariant: v.name, message: v.message, seed, episode, step: trace.length, labels: trace.map((t) => t.label), files: null, replay: null };
          const t: Trace<World, Action> = { initial: world, steps: trace.map((s) => ({ ...s, state: undefined as unknown as World })) };
          const art = violationArtefacts(spec, { kind: 'invariant', name: v.name, message: v.message, trace: t }, invariants);
          art.scenario.description = `a violation of ${v.name} found by opcharts simulate (config ${o.config.name}${o.variant ? `, variant ${o.variant}` : ''}, seed ${seed}, episode ${episode}, step ${trace.length})`;
          if (art.itf['#meta']) art.itf['#meta'] = { ...art.itf['#meta'], source: 'opcharts simulate', seed, episode };
          if (o.out) {
            mkdirSync(o.out, { recursive: true });
            const base = join(o.out, `seed-${seed}-${slug(v.name.split(' ')[0] ?? v.name)}`);
            found.files = { scenario: `${base}.scenario.json`, itf: `${base}.itf.json`, mermaid: `${base}.mmd` };
            writeFileSync(found.files.scenario, JSON.stringify(art.scenario, null, 2) + '\n');
            writeFileSync(found.files.itf, JSON.stringify(art.itf, null, 2) + '\n');
            writeFileSync(found.files.mermaid, art.mermaid);
            found.replay = `opcharts replay ${found.files.scenario}`;
          }
          report.violations.push(found);
          break seedRun;
        }
        world = next;
        if (o.onProgress && (report.steps & 1023) === 0) {
          const now = clock();
          if (now - lastProgress > 200) {
            lastProgress = now;
            o.onProgress({ steps: report.steps, totalSteps, seed, violations: report.violations.length, millis: now - started, events: events + stepper.eventsSent });
          }
        }
        if ((report.steps & 4095) === 0) report.peakRssBytes = Math.max(report.peakRssBytes, process.memoryUsage.rss());
      }
      events += stepper.eventsSent;
      report.actorsStarted += stepper.actorsStarted;
      report.actorsRestored += stepper.actorsRestored;
    }
  } finally {
    await store.close();
  }
  report.events = events;
  report.millis = Math.round(clock() - started);
  report.stepsPerSecond = report.millis > 0 ? Math.round((report.steps * 1000) / report.millis) : 0;
  report.eventsPerSecond = report.millis > 0 ? Math.round((report.events * 1000) / report.millis) : 0;
  report.peakRssBytes = Math.max(report.peakRssBytes, process.memoryUsage.rss());
  return report;
}
