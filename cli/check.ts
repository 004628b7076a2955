/**
 * `opcharts check`: explores a cluster configuration with every invariant and reports, per
 * violation, its shortest trace as a replayable scenario, as ITF and as a Mermaid sequenceDiagram
 * (cluster/check.ts does the work; this file resolves the options, draws the progress bar and
 * writes `report/`).
 *
 * Report layout (`--report DIR`, default `report/`): `summary.json` (the {@link CheckResult} without
 * the artefacts, plus the file names), `README.md` (the same for people, each violation with its
 * diagram), and per violation `violation-<n>-<invariant>.scenario.json`, `.itf.json` and `.mmd`.
 * Files of an earlier run that this run did not write (old violations) are removed; nothing else in
 * the directory is touched.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { CheckConfigError, parseCheckConfig, preset, PRESET_NAMES, type CheckConfig, type PresetName } from '../cluster/configs.js';
import { loadInvariantModule, runCheck, type CheckResult } from '../cluster/check.js';
import { livenessGoal } from '../cluster/liveness.js';
import type { Progress, VisitedMode } from '../explorer/types.js';
import { bold, dim, green, red } from './output.js';

export interface CheckCommandOptions {
  config: string;
  invariant?: string;
  variant?: string;
  workers: number;
  exact?: boolean;
  maxStates?: number;
  maxDepth?: number;
  /** An AG EF liveness goal (cluster/liveness.ts): `operators` or `drain`. Implies exact mode. */
  eventually?: string;
  json?: boolean;
  /** The report directory, or false for none. */
  report: string | false;
}

/** A preset name, or a configuration file (JSON); a bad one is a {@link CheckConfigError}. */
export function resolveConfig(nameOrFile: string): CheckConfig {
  if ((PRESET_NAMES as string[]).includes(nameOrFile)) return preset(nameOrFile as PresetName);
  if (!existsSync(nameOrFile) || !statSync(nameOrFile).isFile()) {
    throw new CheckConfigError('--config', `"${nameOrFile}" is neither a preset (${PRESET_NAMES.join(', ')}) nor a file`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(nameOrFile, 'utf8'));
  } catch (e) {
    throw new CheckConfigError('(file)', `${nameOrFile} is not JSON (${(e as Error).message})`);
  }
  return parseCheckConfig(raw);
}

const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;
const n = (x: number) => x.toLocaleString('en-US');

/** A live line on a TTY (stderr, so stdout stays clean); nothing otherwise. Plain text: no colour to strip under NO_COLOR. */
function progressBar(enabled: boolean) {
  if (!enabled) return { update: (_p: Progress) => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      format: 'checking {states} states | {rate} states/s | depth {depth} | queue {queue} | {memory}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1, 0, { states: 0, rate: 0, depth: 0, queue: 0, memory: mib(process.memoryUsage.rss()) });
  return {
    update: (p: Progress) =>
      bar.update(0, { states: n(p.states), rate: n(p.millis > 0 ? Math.round((p.states * 1000) / p.millis) : 0), depth: p.depth, queue: n(p.queue), memory: mib(p.rssBytes) }),
    stop: () => bar.stop(),
  };
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);

/** File names of violation `i` (1-based). */
export function violationFiles(i: number, invariant: string) {
  const base = `violation-${i}-${slug(invariant.split(' ')[0] ?? invariant)}`;
  return { scenario: `${base}.scenario.json`, itf: `${base}.itf.json`, mermaid: `${base}.mmd` };
}

/** What summary.json holds: the result without the bulky artefacts, with the file of each. */
export function summaryOf(r: CheckResult, dir: string | false) {
  return {
    ...r,
    violations: r.violations.map((v, i) => {
      const files = violationFiles(i + 1, v.invariant);
      const { scenario: _s, itf: _i, mermaid: _m, ...rest } = v;
      return {
        ...rest,
        files: dir ? { scenario: join(dir, files.scenario), itf: join(dir, files.itf), mermaid: join(dir, files.mermaid) } : null,
        inspect: dir ? `opcharts inspect ${join(dir, files.scenario)}` : null,
        replay: dir ? `opcharts replay ${join(dir, files.scenario)}` : null,
      };
    }),
  };
}

function describeRun(r: CheckResult): string[] {
  const c = r.config as { name: string; nodes: string[]; changefeeds: string[]; description: string };
  return [
    `config ${c.name}: ${c.nodes.length} node(s), ${c.changefeeds.length} changefeed(s)${c.description ? ` — ${c.description}` : ''}`,
    `model: ${r.variant ? `variant ${r.variant.id} (${r.variant.reintroduces})` : 'faithful'}${r.invariantModule ? `; user invariants from ${r.invariantModule}` : ''}`,
    `search: ${r.mode}, ${r.workers} worker(s), stopped: ${r.stopReason}`,
    `note: ${r.completeness}`,
  ];
}

function markdown(r: CheckResult, dir: string): string {
  const s = summaryOf(r, dir);
  const lines = [
    '# opcharts check report',
    '',
    'Written by `opcharts check` (and `npm start`); regenerate it rather than editing it.',
    '',
    ...describeRun(r).map((l) => `- ${l}`),
    '',
    '| states | transitions | depth | time | states/s | peak memory |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${n(r.states)} | ${n(r.transitions)} | ${r.depth} | ${(r.millis / 1000).toFixed(1)} s | ${n(r.statesPerSecond)} | ${mib(r.peakRssBytes)} |`,
    '',
    `Invariants checked at every state: ${r.invariantsChecked.map((x) => `\`${x}\``).join(', ')}.`,
    '',
  ];
  if (r.violations.length === 0) lines.push('**No violation.**', '');
  r.violations.forEach((v, i) => {
    const f = s.violations[i]!;
    lines.push(
      `## ${i + 1}. ${v.invariant}`,
      '',
      `- predicate: ${v.predicate}`,
      `- broken by: ${v.message}`,
      `- shortest trace: ${v.length} steps after the coordinator's script`,
      `- files: [scenario](${violationFiles(i + 1, v.invariant).scenario}), [ITF](${violationFiles(i + 1, v.invariant).itf}), [Mermaid](${violationFiles(i + 1, v.invariant).mermaid})`,
      `- open it: \`${f.inspect}\`; replay it: \`${f.replay}\``,
      '',
      '```mermaid',
      v.mermaid.trimEnd(),
      '```',
      '',
    );
  });
  return lines.join('\n');
}

/** Writes the report; removes earlier violation files this run did not write. */
export function writeReport(r: CheckResult, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const written = ['summary.json', 'README.md'];
  r.violations.forEach((v, i) => {
    const f = violationFiles(i + 1, v.invariant);
    writeFileSync(join(dir, f.scenario), JSON.stringify(v.scenario, null, 2) + '\n');
    writeFileSync(join(dir, f.itf), JSON.stringify(v.itf, null, 2) + '\n');
    writeFileSync(join(dir, f.mermaid), v.mermaid);
    written.push(f.scenario, f.itf, f.mermaid);
  });
  for (const old of readdirSync(dir)) if (/^violation-\d+-.*\.(scenario\.json|itf\.json|mmd)$/.test(old) && !written.includes(old)) rmSync(join(dir, old));
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summaryOf(r, dir), null, 2) + '\n');
  writeFileSync(join(dir, 'README.md'), markdown(r, dir));
  return written;
}

/** The text summary printed after a check. */
export function printSummary(r: CheckResult, dir: string | false): void {
  console.log(bold('opcharts check'));
  for (const l of describeRun(r)) console.log(`  ${l}`);
  console.log(`  ${n(r.states)} states, ${n(r.transitions)} transitions, depth ${r.depth}, ${(r.millis / 1000).toFixed(1)} s, ${n(r.statesPerSecond)} states/s, peak memory ${mib(r.peakRssBytes)}`);
  console.log(dim(`  invariants: ${r.invariantsChecked.join('; ')}`));
  if (r.eventually) {
    if (!r.eventually.judged) console.log(red(`! AG EF "${r.eventually.name}" not judged: the search stopped at a bound (${r.stopReason}); it needs the whole graph`));
    else if (!r.violations.some((v) => v.kind === 'eventually')) console.log(green(`✓ AG EF "${r.eventually.name}": reachable from every reachable world`));
  }
  if (r.violations.length === 0) console.log(green(`✓ no violation${r.stopReason === 'complete' ? '' : ` within the bounds (${r.stopReason})`}`));
  const s = summaryOf(r, dir);
  r.violations.forEach((v, i) => {
    console.log(red(`✗ ${v.invariant}: ${v.message}`));
    console.log(`  predicate: ${v.predicate}`);
    console.log(`  shortest trace (${v.length} steps): ${v.labels.join(' → ')}`);
    const f = s.violations[i]!;
    if (f.files) {
      console.log(`  scenario ${f.files.scenario}, ITF ${f.files.itf}, diagram ${f.files.mermaid}`);
      console.log(`  open it: ${bold(f.inspect!)}`);
    }
  });
  if (dir) console.log(`report: ${join(dir, 'README.md')}, ${join(dir, 'summary.json')}`);
}

/** Runs the check and prints it; returns the exit code (0 no violation, 1 a violation). Bad input throws a typed error. */
export async function checkCommand(o: CheckCommandOptions): Promise<number> {
  const config = resolveConfig(o.config);
  const user = o.invariant ? { module: o.invariant, invariants: await loadInvariantModule(o.invariant) } : undefined;
  const eventually = o.eventually === undefined ? undefined : livenessGoal(o.eventually, config);
  // AG EF needs the explored graph's edges: the exact visited set.
  const mode: VisitedMode = o.exact || eventually ? 'exact' : 'hash-compaction';
  const bar = progressBar(!o.json && Boolean(process.stderr.isTTY));
  let result: CheckResult;
  try {
    result = await runCheck({
      config,
      variant: o.variant,
      user,
      mode,
      workers: o.workers,
      maxStates: o.maxStates,
      maxDepth: o.maxDepth,
      onProgress: bar.update,
      ...(eventually ? { eventually } : {}),
    });
  } finally {
    bar.stop();
  }
  if (o.report) writeReport(result, o.report);
  if (o.json) console.log(JSON.stringify(summaryOf(result, o.report), null, 2));
  else printSummary(result, o.report);
  return result.violations.length > 0 ? 1 : 0;
}
