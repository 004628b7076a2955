/**
 * `opcharts simulate` and `opcharts report merge` (issue 14): resolves the options, draws the
 * progress bar (stderr, on a TTY only), prints the report and writes it; simulator/ does the work.
 *
 * Files: violations go to `--out DIR` (default report/simulate/) as `seed-<S>-<invariant>.scenario.json`,
 * `.itf.json` and `.mmd`; the run's report goes to `DIR/report-<A>-<B>.json` (A..B the seeds run),
 * the shard report `opcharts report merge` reads.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import cliProgress from 'cli-progress';
import { loadInvariantModule } from '../cluster/check.js';
import { preset, PRESET_NAMES, CheckConfigError, type PresetName } from '../cluster/configs.js';
import { resolveSimulationConfig } from '../simulator/configs.js';
import { mergeReports, parseReport, ReportMergeError, type SimulationReport } from '../simulator/report.js';
import { DEFAULT_OUT, parseSeedRange, runSimulation, SimulateInputError, type SimulationProgress } from '../simulator/simulate.js';
import { bold, dim, green, red } from './output.js';

export interface SimulateCommandOptions {
  store?: string;
  steps: number;
  seed?: string;
  seeds?: string;
  config: string;
  variant?: string;
  invariant?: string;
  episodeLength: number;
  out: string;
  json?: boolean;
}

const n = (x: number) => x.toLocaleString('en-US');
const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;

/** `check:NAME` takes a checker preset (cluster/configs.ts); otherwise a simulation preset or a file. */
function resolveConfig(name: string) {
  if (name.startsWith('check:')) {
    const p = name.slice('check:'.length);
    if (!(PRESET_NAMES as string[]).includes(p)) throw new CheckConfigError('--config', `"${p}" is not a checker preset (${PRESET_NAMES.join(', ')})`);
    return preset(p as PresetName);
  }
  return resolveSimulationConfig(name);
}

function progressBar(enabled: boolean) {
  if (!enabled) return { update: (_p: SimulationProgress) => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      format: 'simulating [{bar}] {value}/{total} steps | seed {seed} | {rate} events/s | violations {violations}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (p: SimulationProgress) => {
      const values = { seed: p.seed, rate: n(p.millis > 0 ? Math.round((p.events * 1000) / p.millis) : 0), violations: p.violations };
      if (!started) {
        bar.start(p.totalSteps, p.steps, values);
        started = true;
      } else bar.update(p.steps, values);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

/** The report for people. */
export function reportText(r: SimulationReport): string[] {
  const c = r.configJson as { nodes?: string[]; changefeeds?: string[]; description?: string };
  const seeds = r.seeds.map(([a, b]) => (a === b ? `${a}` : `${a}..${b}`)).join(', ');
  const lines = [
    bold('opcharts simulate'),
    `  config ${r.config}: ${c.nodes?.length ?? '?'} node(s), ${c.changefeeds?.length ?? '?'} changefeed(s)${c.description ? ` — ${c.description}` : ''}`,
    `  model: ${r.variant ? `variant ${r.variant}` : 'faithful'}${r.invariantModule ? `; user invariants from ${r.invariantModule}` : ''}`,
    `  store: ${r.stores.join(', ')}; seeds ${seeds}; ${n(r.stepsPerSeed)} steps per seed, episodes of at most ${r.episodeLength} steps`,
    `  ${n(r.steps)} steps in ${n(r.episodes)} episode(s), ${(r.millis / 1000).toFixed(1)} s: ${n(r.stepsPerSecond)} steps/s, ${n(r.eventsPerSecond)} events/s through XState actors (${n(r.events)} events; ${n(r.actorsStarted)} actors started, ${n(r.actorsRestored)} restored)`,
    `  operators completed: add ${n(r.operatorsCompleted.add)}, move ${n(r.operatorsCompleted.move)}, stop ${n(r.operatorsCompleted.stop)}`,
    `  faults injected: ${Object.entries(r.faultsInjected).map(([k, v]) => `${k} ${n(v)}`).join(', ')}`,
    `  real store: ${n(r.storeCalls)} calls executed and compared, ${n(r.takeoversFromStore)} coordinator takeover(s) rebuilt from it`,
    `  invariant checks: ${n(r.invariantChecks)} (${r.invariants.length} invariants after every step); peak memory ${mib(r.peakRssBytes)}`,
    dim(`  steps: ${Object.entries(r.actions).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${n(v)}`).join(', ')}`),
  ];
  if (r.violations.length === 0) lines.push(green('✓ no violation'));
  for (const v of r.violations) {
    lines.push(red(`✗ ${v.invariant}: ${v.message}`));
    lines.push(`  seed ${v.seed}, episode ${v.episode}, step ${v.step} (${v.kind})`);
    if (v.files) lines.push(`  scenario ${v.files.scenario}, ITF ${v.files.itf}, diagram ${v.files.mermaid}`, `  replay it: ${bold(v.replay!)}`);
  }
  return lines;
}

/** Runs a simulation, prints and writes its report; returns the exit code (1 on a violation). Bad input throws a typed error before anything runs. */
export async function simulateCommand(o: SimulateCommandOptions): Promise<number> {
  if (o.seed !== undefined && o.seeds !== undefined) throw new SimulateInputError('--seed and --seeds are exclusive');
  const seeds = o.seeds !== undefined ? parseSeedRange(o.seeds) : parseSeedRange(o.seed ?? '1');
  if (o.seed !== undefined && seeds[0] !== seeds[1]) throw new SimulateInputError(`--seed takes one seed (use --seeds for a range)`);
  const config = resolveConfig(o.config);
  const user = o.invariant ? { module: o.invariant, invariants: await loadInvariantModule(o.invariant) } : undefined;
  const bar = progressBar(!o.json && Boolean(process.stderr.isTTY));
  let report: SimulationReport;
  try {
    report = await runSimulation({ config, store: o.store, seeds, steps: o.steps, episodeLength: o.episodeLength, variant: o.variant, user, out: o.out, onProgress: bar.update });
  } finally {
    bar.stop();
  }
  const file = join(o.out, `report-${seeds[0]}-${seeds[1]}.json`);
  mkdirSync(o.out, { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  if (o.json) console.log(JSON.stringify(report, null, 2));
  else {
    for (const l of reportText(report)) console.log(l);
    console.log(`report: ${file}`);
  }
  return report.violations.length > 0 ? 1 : 0;
}

/** Merges shard reports; prints the merged one (text or JSON) and writes it with `out`. Exit 1 when it holds a violation. */
export function mergeCommand(files: string[], o: { out?: string; json?: boolean }): number {
  const reports = files.map((file) => {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new ReportMergeError(`${file}: ${err.code ? `cannot read (${err.code})` : `not JSON (${err.message})`}`);
    }
    return { report: parseReport(raw, file), where: file };
  });
  const merged = mergeReports(reports);
  if (o.out) {
    mkdirSync(dirname(o.out), { recursive: true });
    writeFileSync(o.out, JSON.stringify(merged, null, 2) + '\n');
  }
  if (o.json) console.log(JSON.stringify(merged, null, 2));
  else {
    for (const l of reportText(merged)) console.log(l);
    console.log(`merged ${files.length} report(s)${o.out ? ` into ${o.out}` : ''}`);
  }
  return merged.violations.length > 0 ? 1 : 0;
}

export { DEFAULT_OUT };
