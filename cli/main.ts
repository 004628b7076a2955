#!/usr/bin/env node
/**
 * The opcharts command line. `opcharts --help` lists the commands; every command exits non-zero
 * on failure, and those whose output a program reads take `--json`.
 */
import { Command, InvalidArgumentError } from 'commander';
import { models, findModel } from '../models/index.js';
import { generate, replay, stateValueString } from '../graph/paths.js';
import { sequenceDiagram } from '../graph/mermaid.js';
import { toJson } from '../graph/serialize.js';
import { listStates } from '../graph/transitions.js';
import { HEADERS, isFullyCovered, machineRow, rowCells, textTable } from './report.js';
import { findChromium, renderSvgs, staleDiagrams, writeDiagramSources } from './diagrams.js';
import { updateReadme } from './docs.js';
import { bold, green, progress, red } from './output.js';

const program = new Command();
program
  .name('opcharts')
  .description("TiCDC's maintainer ownership control plane as XState statecharts: tables, coverage, diagrams and paths")
  .showHelpAfterError();

const json = (value: unknown) => toJson(value);

function modelArg(name: string) {
  const m = findModel(name);
  if (!m) throw new InvalidArgumentError(`unknown machine "${name}"; one of: ${models.map((x) => x.name).join(', ')}`);
  return m;
}

function printTable(opts: { json?: boolean }): boolean {
  const rows = models.map(machineRow);
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

program
  .command('start', { isDefault: true })
  .description('the main job: machine table with coverage, then regenerate diagrams and README tables')
  .option('--no-render', 'do not render SVGs')
  .action(async (opts: { render: boolean }) => {
    let ok = printTable({});
    ok = (await diagrams({ out: 'diagrams', render: opts.render, check: false })) && ok;
    const { stale } = await updateReadme('README.md', models, false);
    console.log(`docs: README.md ${stale ? 'tables regenerated' : 'tables up to date'}`);
    process.exitCode = ok ? 0 : 1;
  });

program
  .command('machines')
  .description('table of machines: states, events, transitions, generated paths, coverage')
  .option('--json', 'machine-readable output')
  .action((opts: { json?: boolean }) => {
    process.exitCode = printTable(opts) ? 0 : 1;
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
  .command('paths')
  .description('list the generated paths of a machine, or print one as a Mermaid sequence diagram')
  .argument('<machine>', `one of: ${models.map((m) => m.name).join(', ')}`, modelArg)
  .option('--to <state>', 'only paths that end in this state')
  .option('--index <n>', 'with --mermaid: which of the listed paths (1-based)', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
    return n;
  })
  .option('--mermaid', 'print the chosen path (the shortest, or --index) as a sequenceDiagram')
  .option('--json', 'machine-readable output')
  .action((model: ReturnType<typeof modelArg>, opts: { to?: string; index?: number; mermaid?: boolean; json?: boolean }) => {
    if (opts.to !== undefined) {
      const names = listStates(model.machine).map((s) => s.path);
      if (!names.includes(opts.to)) {
        console.error(red(`${model.name} has no state "${opts.to}"; states: ${names.join(', ')}`));
        process.exitCode = 2;
        return;
      }
    }
    const g = generate(model);
    const matches = (p: { finalState: string }) =>
      opts.to === undefined || p.finalState === opts.to || p.finalState.split(',').some((s) => s === opts.to || s.endsWith(`.${opts.to}`));
    // Paths that pass through the state are cut there, so "--to X" always ends in X.
    const cut = g.replays
      .map((r) => {
        if (opts.to === undefined) return r;
        const i = r.snapshots.findIndex((s) => matches({ finalState: stateValueString(s.value) }));
        return i < 0 ? undefined : replay(model, r.path.variant, r.path.events.slice(0, i), r.path.origin);
      })
      .filter((r): r is NonNullable<typeof r> => r !== undefined);
    const unique = [...new Map(cut.map((r) => [r.path.variant + r.path.name, r])).values()].sort(
      (a, b) => a.path.events.length - b.path.events.length,
    );
    if (!unique.length) {
      console.error(red(`no generated path of ${model.name} reaches ${opts.to}`));
      process.exitCode = 1;
      return;
    }
    if (opts.mermaid) {
      const chosen = unique[(opts.index ?? 1) - 1];
      if (!chosen) {
        console.error(red(`--index ${opts.index} is out of range (1..${unique.length})`));
        process.exitCode = 2;
        return;
      }
      process.stdout.write(sequenceDiagram(model.name, chosen, model.peerOf));
      return;
    }
    if (opts.json) {
      console.log(json(unique.map((r) => ({ variant: r.path.variant, finalState: r.path.finalState, events: r.path.events }))));
      return;
    }
    unique.forEach((r, i) => console.log(`${String(i + 1).padStart(3)}. [${r.path.variant}] ${r.path.name}  ⇒ ${r.path.finalState}`));
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(red(e instanceof Error ? e.message : String(e)));
  process.exitCode = 1;
});
