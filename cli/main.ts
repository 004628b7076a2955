#!/usr/bin/env node
/**
 * The opcharts command line. `opcharts --help` lists the commands; every command exits non-zero
 * on failure, and those whose output a program reads take `--json`.
 */
import { builtInInvariants } from '../cluster/specs.js';
import { existsSync, readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { models, findModel } from '../models/index.js';
import type { MachineModel } from '../graph/model.js';
import { sequenceDiagram } from '../graph/mermaid.js';
import { toJson } from '../graph/serialize.js';
import { resolveStateName, selectPaths, StateNameError, UnknownStepError } from '../graph/select.js';
import { HEADERS, isFullyCovered, machineRow, rowCells, textTable } from './report.js';
import { findChromium, renderSvgs, staleDiagrams, writeDiagramSources } from './diagrams.js';
import { updateReadme } from './docs.js';
import { bold, green, progress, red } from './output.js';
import { replay } from '../cluster/scenario.js';
import { TableStepper } from '../cluster/stepper.js';
import { traceItf, traceText, traceViews } from '../cluster/trace.js';
import { checkCommand } from './check.js';
import { catalogueCommand, CatalogueUsageError } from './catalogue.js';
import { RESULTS_FILE } from '../cluster/catalogueRun.js';
import { CheckConfigError } from '../cluster/configs.js';
import { findVariant, InvariantModuleError, loadInvariantModule, VariantError, VariantStepper } from '../cluster/check.js';
import { OpchartsError } from '../machines/errors.js';
import { startInspector } from '../inspector/server.js';
import { TraceFormatError as InspectorInputError } from '../inspector/trace.js';
import { DEFAULT_OUT as DEFAULT_SIMULATE_OUT, mergeCommand, simulateCommand } from './simulate.js';
import { DEFAULT_SIMULATION_CONFIG, SIMULATION_PRESETS } from '../simulator/configs.js';
import { DEFAULT_EPISODE_LENGTH, DEFAULT_STEPS } from '../simulator/simulate.js';

/** Exit codes: 0 success, 1 the command ran and failed (stale, uncovered, not found), 2 usage error. */
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/** A mistake in the command line: exits 2. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

// With --json anywhere on the line a failure is a JSON object on stdout too, so a program that
// reads stdout always gets JSON.
const wantsJson = process.argv.slice(2).includes('--json');

function fail(code: string, message: string, exitCode: number): void {
  if (wantsJson) console.log(toJson({ error: { code, message, exitCode } }));
  else console.error(red(message));
  process.exitCode = exitCode;
}

/** The version in the package.json above this file (source: ../, compiled: ../../). */
function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'opcharts' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

const program = new Command();
program
  .name('opcharts')
  .description("TiCDC's maintainer ownership control plane as XState statecharts: tables, coverage, diagrams and paths")
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError()
  .exitOverride()
  .configureOutput({
    // Commander's own messages (usage errors, help after an error) go to stderr unless --json,
    // where the JSON error object written by the catch below replaces them.
    writeErr: (s) => {
      if (!wantsJson) process.stderr.write(s);
    },
    outputError: (s, write) => write(red(s)),
  });

const json = (value: unknown) => toJson(value);

function modelArg(name: string) {
  const m = findModel(name);
  if (!m) throw new InvalidArgumentError(`unknown machine "${name}"; one of: ${models.map((x) => x.name).join(', ')}`);
  return m;
}

/** A positive decimal integer, nothing else (`0x10`, `1e1`, `+3`, `2.0` are refused). */
function positiveDecimal(v: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(v)) throw new InvalidArgumentError('expected a positive decimal integer');
  return Number(v);
}

/**
 * A user's model module (`--model FILE`): its default export, or its export named `model`, must be
 * a MachineModel (see `opcharts/graph`). A .ts file needs a TypeScript loader: in a clone the bin
 * runs through tsx; an installed package loads .js/.mjs.
 */
async function loadUserModel(file: string): Promise<MachineModel> {
  const url = pathToFileURL(resolvePath(file)).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'ENOENT') throw new UsageError(`--model: cannot load ${file}`);
    throw e;
  }
  const m = (mod.default ?? mod.model) as Partial<MachineModel> | undefined;
  if (!m || typeof m !== 'object' || typeof m.name !== 'string' || !m.machine || typeof m.events !== 'function' || !Array.isArray(m.inputs) || !Array.isArray(m.properties)) {
    throw new UsageError(`--model: ${file} exports no MachineModel (default export or "model": name, machine, inputs, events, properties)`);
  }
  return m as MachineModel;
}

function printTable(opts: { json?: boolean }, only?: readonly MachineModel[]): boolean {
  const rows = (only ?? models).map(machineRow);
  if (opts.json) console.log(json(rows));
  else {
    console.log(bold('opcharts machines'));
    console.log(textTable(HEADERS, rows.map(rowCells)));
    for (const r of rows.filter((x) => !isFullyCovered(x))) {
      console.log(red(`${r.machine}: not covered: ${[...r.coverage.missingStates, ...r.coverage.missingTransitions].join('; ')}`));
    }
  }
  return rows.every(isFullyCovered);
}

async function diagrams(opts: { out: string; render: boolean; check: boolean }): Promise<boolean> {
  if (opts.check) {
    const stale = await staleDiagrams(opts.out, models, opts.render);
    if (stale.length) console.error(red(`stale or missing in ${opts.out}/: ${stale.join(', ')} (run: opcharts diagrams)`));
    else console.log(green(`${opts.out}/ is up to date`));
    return stale.length === 0;
  }
  const written = await writeDiagramSources(opts.out, models);
  console.log(`diagrams: ${written.length ? `wrote ${written.join(', ')}` : 'sources up to date'} in ${opts.out}/`);
  if (!opts.render) return true;
  const chromium = findChromium();
  if (!chromium) {
    console.warn('diagrams: no Chromium found (apt-get install chromium, or set PUPPETEER_EXECUTABLE_PATH): SVGs not rendered');
    return true;
  }
  const bar = progress(models.length, 'rendering');
  const result = await renderSvgs(opts.out, models, chromium, (name) => bar.tick(name)).finally(() => bar.stop());
  for (const f of result.failed) console.error(red(`diagrams: rendering ${f.name} failed: ${f.error}`));
  console.log(`diagrams: ${result.rendered.length ? `rendered ${result.rendered.join(', ')}` : 'SVGs up to date'}`);
  return result.failed.length === 0;
}

/** The configuration `npm start` checks: finishes in well under two minutes on a 2-core machine. */
const DEFAULT_CHECK_CONFIG = 'coordinator';

/** Input errors of `check` (a bad config file, invariant module or variant): usage errors, exit 2, with their typed code. */
const CHECK_INPUT_ERRORS = [CheckConfigError, InvariantModuleError, VariantError];

async function runCheckCommand(opts: Parameters<typeof checkCommand>[0]): Promise<number | undefined> {
  try {
    return await checkCommand(opts);
  } catch (e) {
    if (CHECK_INPUT_ERRORS.some((E) => e instanceof E) || (e instanceof OpchartsError && ['EXACT_NEEDS_ONE_WORKER', 'EVENTUALLY_NEEDS_ONE_WORKER', 'LIVENESS_GOAL'].includes(e.code))) {
      fail((e as OpchartsError).code, (e as Error).message, EXIT_USAGE);
      return undefined;
    }
    throw e;
  }
}

program
  .command('start', { isDefault: true })
  .description(`the main job: machine table with coverage, regenerate diagrams and README tables, then the default check (--config ${DEFAULT_CHECK_CONFIG}) with its report in report/`)
  .option('--no-render', 'do not render SVGs')
  .option('--no-check', 'skip the check')
  .action(async (opts: { render: boolean; check: boolean }) => {
    let ok = printTable({});
    ok = (await diagrams({ out: 'diagrams', render: opts.render, check: false })) && ok;
    const { stale } = await updateReadme('README.md', models, false);
    console.log(`docs: README.md ${stale ? 'tables regenerated' : 'tables up to date'}`);
    if (opts.check) {
      console.log('');
      const code = await runCheckCommand({ config: DEFAULT_CHECK_CONFIG, workers: 1, report: 'report' });
      ok = code === 0 && ok;
    }
    process.exitCode = ok ? 0 : 1;
  });

program
  .command('machines')
  .description('table of machines: states, events, transitions, generated paths, coverage')
  .option('--model <file>', "a user's model module instead of the built-in machines (see opcharts/graph)")
  .option('--json', 'machine-readable output')
  .action(async (opts: { json?: boolean; model?: string }) => {
    const only = opts.model ? [await loadUserModel(opts.model)] : undefined;
    process.exitCode = printTable(opts, only) ? 0 : 1;
  });

program
  .command('diagrams')
  .description('write diagrams/<machine>.mmd and README.md from the definitions and render SVGs')
  .option('--out <dir>', 'output directory', 'diagrams')
  .option('--no-render', 'write the Mermaid sources only')
  .option('--check', 'only check that the committed files are fresh; exit 1 if not')
  .action(async (opts: { out: string; render: boolean; check?: boolean }) => {
    process.exitCode = (await diagrams({ out: opts.out, render: opts.render, check: Boolean(opts.check) })) ? 0 : 1;
  });

program
  .command('docs')
  .description("regenerate the README's generated tables")
  .option('--readme <path>', 'README to update', 'README.md')
  .option('--check', 'only check that they are fresh; exit 1 if not')
  .action(async (opts: { readme: string; check?: boolean }) => {
    const { stale } = await updateReadme(opts.readme, models, Boolean(opts.check));
    if (opts.check && stale) console.error(red(`${opts.readme}: generated tables are stale (run: opcharts docs)`));
    else console.log(`${opts.readme}: ${stale ? 'regenerated' : 'up to date'}`);
    process.exitCode = opts.check && stale ? 1 : 0;
  });

program
  .command('catalogue')
  .description('run the checker on every §5.1 bug variant and on the faithful model; print the table (exit 1 if a bug is not caught)')
  .option('--only <ids>', 'only these variants, comma-separated (e.g. B4,B20)')
  .option('--write', `record the rows in --results, which \`opcharts docs\` renders into the README`)
  .option('--results <path>', 'the results file', RESULTS_FILE)
  .option('--json', 'machine-readable output')
  .action(async (opts: { only?: string; write?: boolean; json?: boolean; results: string }) => {
    try {
      process.exitCode = await catalogueCommand(opts);
    } catch (e) {
      if (e instanceof CatalogueUsageError) return fail('USAGE', e.message, EXIT_USAGE);
      throw e;
    }
  });

program
  .command('paths')
  .description('list the generated paths of a machine, or print one as a Mermaid sequence diagram')
  .argument('[machine]', `one of: ${models.map((m) => m.name).join(', ')} (or --model)`, modelArg)
  .option('--model <file>', "a user's model module instead of a built-in machine (see opcharts/graph)")
  .option('--to <state>', 'only paths that end in this state (full path, or a leaf name that is unique)')
  .option('--via <event>', 'only paths with this event, or an emitted effect of this type (searched for if no generated path has it)')
  .option('--index <n>', 'with --mermaid: which of the listed paths (1-based decimal)', positiveDecimal)
  .option('--mermaid', 'print the chosen path (the shortest, or --index) as a sequenceDiagram')
  .option('--json', 'machine-readable output')
  .action(async (builtIn: ReturnType<typeof modelArg> | undefined, opts: { to?: string; via?: string; index?: number; mermaid?: boolean; json?: boolean; model?: string }) => {
    if (builtIn && opts.model) throw new UsageError('give a machine or --model, not both');
    const model = builtIn ?? (opts.model ? await loadUserModel(opts.model) : undefined);
    if (!model) throw new UsageError("missing required argument 'machine' (or --model FILE)");
    let to: string | undefined;
    try {
      to = opts.to === undefined ? undefined : resolveStateName(model.machine, opts.to);
    } catch (e) {
      if (e instanceof StateNameError) throw new UsageError(e.message);
      throw e;
    }
    let found;
    try {
      found = selectPaths(model, { to, via: opts.via });
    } catch (e) {
      if (e instanceof UnknownStepError) throw new UsageError(e.message);
      throw e;
    }
    if (!found.length) {
      const what = [to && `reaches ${to}`, opts.via && `contains ${opts.via}`].filter(Boolean).join(' and ');
      fail('NO_PATH', `no path of ${model.name} ${what || 'exists'}`, EXIT_FAILURE);
      return;
    }
    if (opts.mermaid) {
      const chosen = found[(opts.index ?? 1) - 1];
      if (!chosen) throw new UsageError(`--index ${opts.index} is out of range (1..${found.length})`);
      process.stdout.write(sequenceDiagram(model.name, chosen, model.peerOf, model.machine));
      return;
    }
    if (opts.json) {
      console.log(json(found.map((r) => ({ variant: r.path.variant, finalState: r.path.finalState, events: r.path.events }))));
      return;
    }
    found.forEach((r, i) => console.log(`${String(i + 1).padStart(3)}. [${r.path.variant}] ${r.path.name}  ⇒ ${r.path.finalState}`));
  });

program
  .command('replay')
  .description('replay a cluster scenario (JSON) step by step and print its trace; fails when an expectation fails')
  .argument('<scenario>', 'a scenario file (format: cluster/scenario.ts)')
  .option('--json', 'the trace as JSON (StepView[], uint64 as decimal strings)')
  .option('--itf', 'the trace in the Informal Trace Format (Apalache, Quint)')
  .option('--invariant <module>', "also check a module's invariants (default: the scenario's invariantModule, if any)")
  .action(async (file: string, opts: { json?: boolean; itf?: boolean; invariant?: string }) => {
    if (opts.json && opts.itf) throw new UsageError('--json and --itf are exclusive');
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT' || err.code === 'EISDIR' || err.code === 'EACCES') throw new UsageError(`cannot read ${file}: ${err.code}`);
      fail('INVALID_SCENARIO', `${file}: not JSON (${err.message})`, EXIT_FAILURE);
      return;
    }
    // A counterexample of `opcharts check` names the variant and the user invariants it was found with.
    const meta = (raw !== null && typeof raw === 'object' ? raw : {}) as { variant?: unknown; invariantModule?: unknown };
    let stepper: TableStepper = new TableStepper();
    let invariants = [...builtInInvariants];
    try {
      if (typeof meta.variant === 'string') stepper = new VariantStepper(findVariant(meta.variant));
      const module = opts.invariant ?? (typeof meta.invariantModule === 'string' ? meta.invariantModule : undefined);
      if (module) invariants = [...invariants, ...(await loadInvariantModule(module))];
    } catch (e) {
      if (e instanceof VariantError || e instanceof InvariantModuleError) return fail(e.code, e.message, EXIT_USAGE);
      throw e;
    }
    const r = replay(stepper, raw, invariants);
    const views = traceViews(r.config, r.initial, r.rows);
    if (opts.itf) console.log(JSON.stringify(traceItf(views, { scenario: file }), null, 2));
    else if (opts.json) console.log(JSON.stringify({ steps: views, failures: r.failures }, null, 2));
    else {
      process.stdout.write(traceText(views));
      for (const f of r.failures) console.error(red(`✗ ${f}`));
      if (!r.failures.length) console.log(green(`${views.length - 1} steps, every expectation met`));
    }
    process.exitCode = r.failures.length ? EXIT_FAILURE : 0;
  });

program
  .command('check')
  .description('explore a cluster configuration with every invariant; each violation becomes a replayable scenario, an ITF trace and a sequence diagram in report/ (exit 1 on a violation)')
  .option('--config <name|file>', 'small, reference, coordinator, drain, large, or a configuration file (JSON, format: cluster/configs.ts)', DEFAULT_CHECK_CONFIG)
  .option('--invariant <module>', 'also check the invariants a module exports (shape: cluster/invariants.ts)')
  .option('--variant <name>', 'replace a machine by a historical-bug variant of spec §5.1 (cluster/variants.ts)')
  .option('--workers <n>', 'worker threads (more than 1: a shared hash-compaction table)', positiveDecimal, 1)
  .option('--exact', 'store every state exactly (default: 64-bit hash compaction, which may miss states)')
  .option('--max-states <n>', 'stop after this many distinct states', positiveDecimal)
  .option('--max-depth <n>', 'do not expand states at this depth', positiveDecimal)
  .option('--eventually <goal>', 'also check AG EF liveness (exact mode, one worker): operators (every operator and admission settles) or drain (DrainNode answers 0)')
  .option('--report <dir>', 'where to write the report', 'report')
  .option('--no-report', 'write no report')
  .option('--json', 'the summary as JSON on stdout')
  .action(async (opts: { config: string; invariant?: string; variant?: string; workers: number; exact?: boolean; maxStates?: number; maxDepth?: number; eventually?: string; report: string | false; json?: boolean }) => {
    const code = await runCheckCommand(opts);
    if (code !== undefined) process.exitCode = code;
  });

program
  .command('inspect')
  .description('serve the browser inspector on 127.0.0.1: every diagram, its generated paths, and traces stepped forward and back; Ctrl-C stops it')
  .argument('[trace...]', 'traces to open: scenarios (cluster/scenario.ts), ITF or `opcharts replay --json` output')
  .option('--port <port>', 'the port (default: a free one)', (v: string) => {
    if (!/^\d+$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError('expected a port number (0-65535)');
    return Number(v);
  })
  .option('--json', 'print {"url": …} when listening')
  .action(async (files: string[], opts: { port?: number; json?: boolean }) => {
    const traces = files.map((file) => {
      try {
        return { name: file, raw: JSON.parse(readFileSync(file, 'utf8')) as unknown };
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'ENOENT' || err.code === 'EISDIR' || err.code === 'EACCES') throw new UsageError(`cannot read ${file}: ${err.code}`);
        throw new InspectorInputError(file, `not JSON (${err.message})`);
      }
    });
    const inspector = await startInspector({ port: opts.port, traces });
    if (opts.json) console.log(JSON.stringify({ url: inspector.url }));
    else console.log(`opcharts inspector: ${bold(inspector.url)}  (Ctrl-C stops it)`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void inspector.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  });

// Issue 14: long simulations on real actors and a real store, and the merge of their shard reports.
/** Bad input of simulate and report merge (store spec or location, config, variant, invariant module, seeds, report files): exit 2 with its typed code. */
const SIMULATE_INPUT_CODES = ['STORE_SPEC', 'STORE_LOCATION', 'INVALID_CONFIG', 'UNKNOWN_VARIANT', 'INVALID_INVARIANT_MODULE', 'INVALID_SIMULATION', 'REPORT_MERGE'];
const simulateInputError = (e: unknown): e is OpchartsError => e instanceof OpchartsError && SIMULATE_INPUT_CODES.includes(e.code);

program
  .command('simulate')
  .description('run the cluster on real XState actors against a real epoch store with a seeded random scheduler, every invariant checked after every step; a violation becomes a replayable scenario and ITF trace (exit 1)')
  .option('--store <spec>', 'memory, lmdb:PATH or etcd://HOST:PORT[/prefix] (default: LMDB in a temporary directory)')
  .option('--steps <n>', 'steps per seed', positiveDecimal, DEFAULT_STEPS)
  .option('--seed <s>', 'the seed (default 1)')
  .option('--seeds <A..B>', 'run seeds A through B (inclusive) one after the other: one shard of a larger simulation')
  .option('--config <name|file>', `${SIMULATION_PRESETS.join(', ')}, check:<checker preset>, or a configuration file (format: cluster/configs.ts)`, DEFAULT_SIMULATION_CONFIG)
  .option('--variant <name>', 'replace a machine by a historical-bug variant (cluster/variants.ts)')
  .option('--invariant <module>', 'also check the invariants a module exports (shape: cluster/invariants.ts)')
  .option('--episode-length <n>', 'steps before a fresh world starts', positiveDecimal, DEFAULT_EPISODE_LENGTH)
  .option('--out <dir>', 'where violations and the report are written', DEFAULT_SIMULATE_OUT)
  .option('--json', 'the report as JSON on stdout (type SimulationReport, simulator/report.ts)')
  .action(async (opts: Parameters<typeof simulateCommand>[0]) => {
    try {
      process.exitCode = await simulateCommand(opts);
    } catch (e) {
      if (simulateInputError(e)) return fail(e.code, e.message, EXIT_USAGE);
      throw e;
    }
  });

program
  .command('report')
  .description('simulation reports: opcharts report merge FILE...')
  .command('merge')
  .description('merge shard reports of one simulation (opcharts simulate --seeds A..B): counts summed, violations united; overlapping seed ranges are an error (exit 1 when the merged report holds a violation)')
  .argument('<files...>', 'shard reports (report-A-B.json)')
  .option('--out <file>', 'also write the merged report here')
  .option('--json', 'the merged report as JSON on stdout')
  .action((files: string[], opts: { out?: string; json?: boolean }) => {
    try {
      process.exitCode = mergeCommand(files, opts);
    } catch (e) {
      if (simulateInputError(e)) return fail(e.code, e.message, EXIT_USAGE);
      throw e;
    }
  });

// A reader that closes the pipe early (`opcharts paths M | head`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

/** Runs the command line. */
async function main(argv: string[]): Promise<void> {
  const first = argv[2];
  const commands = program.commands.map((c) => c.name());
  // `start` is the default command, so commander would report an unknown one as an excess argument of it.
  if (first !== undefined && !first.startsWith('-') && first !== 'help' && !commands.includes(first)) {
    throw new UsageError(`unknown command "${first}"; commands: ${commands.join(', ')} (see opcharts --help)`);
  }
  await program.parseAsync(argv);
}

main(process.argv).catch((e: unknown) => {
  if (e instanceof CommanderError) {
    // Help and --version end through here with exit code 0; every other commander error is a usage error.
    if (e.exitCode === 0) return;
    if (wantsJson) console.log(toJson({ error: { code: 'USAGE', message: e.message.replace(/^error: /, ''), exitCode: EXIT_USAGE } }));
    process.exitCode = EXIT_USAGE;
    return;
  }
  if (e instanceof UsageError) return fail('USAGE', e.message, EXIT_USAGE);
  const code = e && typeof e === 'object' && 'code' in e && typeof e.code === 'string' ? e.code : 'ERROR';
  fail(code, e instanceof Error ? e.message : String(e), EXIT_FAILURE);
});
