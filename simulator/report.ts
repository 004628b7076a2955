/**
 * The report of a simulation (`opcharts simulate --json`, and the shard files `--seeds A..B`
 * writes), and `opcharts report merge`: shard reports of one configuration summed into one, their
 * violations united, overlapping seed ranges refused (two shards ran the same seeds: a job-runner
 * mistake that would double-count).
 */
import { OpchartsError } from '../machines/errors.js';

export const REPORT_FORMAT = 'opcharts-simulation-report/1';

export type OperatorKind = 'add' | 'move' | 'stop';
export type FaultKind = 'loss' | 'duplication' | 'nodeCrash' | 'coordinatorCrash' | 'storeFailed' | 'storeAppliedButFailed' | 'storeUnavailable';
export const FAULT_KINDS: readonly FaultKind[] = ['loss', 'duplication', 'nodeCrash', 'coordinatorCrash', 'storeFailed', 'storeAppliedButFailed', 'storeUnavailable'];

export interface SimulationViolation {
  /** `invariant`: a built-in or user invariant broke; `store-divergence`: the real store and the world's disagree; `store-error`: the real store failed beyond the fault budget. */
  kind: 'invariant' | 'store-divergence' | 'store-error';
  /** The invariant's name, or `store` for the other kinds. */
  invariant: string;
  message: string;
  seed: number;
  /** Episode of that seed (from 0) and the step in it (from 1) where it broke. */
  episode: number;
  step: number;
  /** The episode's steps up to the violation, as labels. */
  labels: string[];
  /** The written scenario and ITF trace (invariant violations, with an output directory), and the command that replays it. */
  files: { scenario: string; itf: string; mermaid: string } | null;
  replay: string | null;
}

export interface SimulationReport {
  format: typeof REPORT_FORMAT;
  /** The configuration's name and the configuration itself (cluster/configs.ts file format). */
  config: string;
  configJson: Record<string, unknown>;
  variant: string | null;
  invariantModule: string | null;
  /** The epoch stores the steps ran against (specs; a temporary LMDB store is `lmdb:(temporary)`). */
  stores: string[];
  /** Inclusive seed ranges run, sorted. */
  seeds: Array<[number, number]>;
  stepsPerSeed: number;
  episodeLength: number;
  steps: number;
  episodes: number;
  /** Events sent through XState actors. */
  events: number;
  actorsStarted: number;
  actorsRestored: number;
  millis: number;
  stepsPerSecond: number;
  eventsPerSecond: number;
  /** Steps taken per action kind. */
  actions: Record<string, number>;
  /** Operators that finished and left the controller (PostFinish), per kind. */
  operatorsCompleted: Record<OperatorKind, number>;
  faultsInjected: Record<FaultKind, number>;
  /** Store calls executed against the real store, and coordinator takeovers rebuilt from it. */
  storeCalls: number;
  takeoversFromStore: number;
  /** Invariant evaluations (invariants × steps). */
  invariantChecks: number;
  invariants: string[];
  violations: SimulationViolation[];
  peakRssBytes: number;
}

export class ReportMergeError extends OpchartsError {
  constructor(message: string) {
    super('REPORT_MERGE', message);
  }
}

const sumRecords = <K extends string>(a: Record<K, number>, b: Record<K, number>): Record<K, number> => {
  const out = { ...a } as Record<K, number>;
  for (const [k, v] of Object.entries(b) as Array<[K, number]>) out[k] = (out[k] ?? 0) + v;
  return out;
};

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Checks the shape of a parsed report file; `where` names it in errors. */
export function parseReport(raw: unknown, where: string): SimulationReport {
  const r = raw as Partial<SimulationReport> | null;
  if (r === null || typeof r !== 'object' || r.format !== REPORT_FORMAT) throw new ReportMergeError(`${where}: not a simulation report (expected "format": "${REPORT_FORMAT}")`);
  const numbers = ['stepsPerSeed', 'episodeLength', 'steps', 'episodes', 'events', 'actorsStarted', 'actorsRestored', 'millis', 'storeCalls', 'takeoversFromStore', 'invariantChecks', 'peakRssBytes'] as const;
  for (const k of numbers) if (typeof r[k] !== 'number' || !Number.isFinite(r[k])) throw new ReportMergeError(`${where}: ${k} is not a number`);
  if (!Array.isArray(r.seeds) || !r.seeds.every((s) => Array.isArray(s) && s.length === 2 && s.every(Number.isSafeInteger) && s[0]! <= s[1]!)) {
    throw new ReportMergeError(`${where}: seeds is not a list of [from, to] ranges`);
  }
  for (const k of ['actions', 'operatorsCompleted', 'faultsInjected', 'configJson'] as const) if (r[k] === null || typeof r[k] !== 'object') throw new ReportMergeError(`${where}: ${k} is not an object`);
  if (!Array.isArray(r.violations) || !Array.isArray(r.stores) || !Array.isArray(r.invariants)) throw new ReportMergeError(`${where}: violations, stores and invariants must be lists`);
  return r as SimulationReport;
}

/** Sorted ranges with adjacent ones joined; an overlap is a {@link ReportMergeError}. */
function unionOfRanges(ranges: Array<{ range: [number, number]; where: string }>): Array<[number, number]> {
  const sorted = [...ranges].sort((a, b) => a.range[0] - b.range[0]);
  const out: Array<[number, number]> = [];
  for (let i = 0; i < sorted.length; i++) {
    const { range, where } = sorted[i]!;
    if (i > 0 && range[0] <= sorted[i - 1]!.range[1]) {
      const prev = sorted[i - 1]!;
      throw new ReportMergeError(`seed ranges overlap: ${prev.range[0]}..${prev.range[1]} (${prev.where}) and ${range[0]}..${range[1]} (${where})`);
    }
    const last = out[out.length - 1];
    if (last && last[1] + 1 === range[0]) last[1] = range[1];
    else out.push([range[0], range[1]]);
  }
  return out;
}

/**
 * Merges shard reports of one simulation (same configuration, variant, invariant module, steps per
 * seed and episode length): counts summed, rates recomputed over the summed time (the time of
 * the machines together, not the wall clock of the whole job), violations united, stores united.
 */
export function mergeReports(reports: ReadonlyArray<{ report: SimulationReport; where: string }>): SimulationReport {
  if (reports.length === 0) throw new ReportMergeError('no reports to merge');
  const first = reports[0]!;
  for (const { report: r, where } of reports.slice(1)) {
    for (const k of ['config', 'configJson', 'variant', 'invariantModule', 'stepsPerSeed', 'episodeLength', 'invariants'] as const) {
      if (!same(r[k], first.report[k])) throw new ReportMergeError(`${where}: ${k} differs from ${first.where} (${JSON.stringify(r[k])} vs ${JSON.stringify(first.report[k])}); only shards of one simulation merge`);
    }
  }
  const seeds = unionOfRanges(reports.flatMap(({ report, where }) => report.seeds.map((range) => ({ range, where }))));
  const m = { ...first.report, seeds, stores: [...new Set(reports.flatMap((r) => r.report.stores))].sort() };
  for (const { report: r } of reports.slice(1)) {
    m.steps += r.steps;
    m.episodes += r.episodes;
    m.events += r.events;
    m.actorsStarted += r.actorsStarted;
    m.actorsRestored += r.actorsRestored;
    m.millis += r.millis;
    m.storeCalls += r.storeCalls;
    m.takeoversFromStore += r.takeoversFromStore;
    m.invariantChecks += r.invariantChecks;
    m.peakRssBytes = Math.max(m.peakRssBytes, r.peakRssBytes);
    m.actions = sumRecords(m.actions, r.actions);
    m.operatorsCompleted = sumRecords(m.operatorsCompleted, r.operatorsCompleted);
    m.faultsInjected = sumRecords(m.faultsInjected, r.faultsInjected);
    m.violations = [...m.violations, ...r.violations];
  }
  m.violations = [...m.violations].sort((a, b) => a.seed - b.seed || a.episode - b.episode || a.step - b.step);
  m.stepsPerSecond = m.millis > 0 ? Math.round((m.steps * 1000) / m.millis) : 0;
  m.eventsPerSecond = m.millis > 0 ? Math.round((m.events * 1000) / m.millis) : 0;
  return m;
}
