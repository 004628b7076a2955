/**
 * `opcharts catalogue`: runs the checker on every variant of the §5.1 catalogue and on the faithful
 * model (cluster/catalogueRun.ts), prints the table, and with `--write` records the rows in
 * cluster/catalogueResults.json, from which `opcharts docs` renders the README's catalogue table.
 * Exit 1 when a variant is not caught or the faithful model is not clean.
 */
import { writeFileSync } from 'node:fs';
import { caught, catalogueRuns, machineDescription, RESULTS_COMMAND, type CatalogueResults, type CatalogueRow } from '../cluster/catalogueRun.js';
import { green, progress, red } from './output.js';
import { markdownTable, textTable } from './report.js';

export class CatalogueUsageError extends Error {
  override name = 'CatalogueUsageError';
}

const int = (n: number) => n.toLocaleString('en-US');

/** The table's header and cells, shared by the terminal and the README. */
export const CATALOGUE_HEADERS = ['bug', 'the variant reintroduces', 'broken', 'checked on', 'counterexample (steps)', 'states explored', 'faithful model (states)', 'time'];

export function catalogueCells(r: CatalogueRow): string[] {
  const where = r.level === 'machine' ? `the ${r.configuration} machine alone` : `cluster \`${r.configuration}\``;
  const length = r.prefix > 0 ? `${r.length} after a ${r.prefix}-step prefix` : String(r.length);
  const faithful =
    r.faithfulStates === null ? 'clean' : `clean: ${int(r.faithfulStates)} (${r.faithfulStop === 'complete' ? 'all' : r.faithfulStop === 'maxDepth' ? 'to the depth bound' : r.faithfulStop})`;
  return [r.variant, r.reintroduces, r.invariant, where, length, r.states === null ? '—' : int(r.states), faithful, `${(r.millis / 1000).toFixed(1)} s`];
}

/** The README section: the table and where its numbers come from. */
export function catalogueMarkdown(results: CatalogueResults): string {
  return [
    markdownTable(CATALOGUE_HEADERS, results.rows.map(catalogueCells)),
    '',
    `Measured by \`${results.command}\` on ${results.machine}, ${results.date} (time: both searches, wall clock).`,
  ].join('\n');
}

export interface CatalogueCommandOptions {
  only?: string;
  write?: boolean;
  json?: boolean;
  /** Where `--write` writes the rows (default cluster/catalogueResults.json, from the working directory). */
  results: string;
}

export async function catalogueCommand(opts: CatalogueCommandOptions): Promise<number> {
  let runs = catalogueRuns();
  if (opts.only) {
    const wanted = opts.only.split(',').map((s) => s.trim());
    const unknown = wanted.filter((w) => !runs.some((r) => r.variant === w));
    if (unknown.length) throw new CatalogueUsageError(`--only: no catalogue variant ${unknown.join(', ')} (there are ${runs.map((r) => r.variant).join(', ')})`);
    if (opts.write) throw new CatalogueUsageError('--write records the whole catalogue: drop --only');
    runs = runs.filter((r) => wanted.includes(r.variant));
  }
  const bar = opts.json ? progress(0, '') : progress(runs.length, 'catalogue');
  const rows: CatalogueRow[] = [];
  const failed: string[] = [];
  for (const r of runs) {
    bar.tick(r.variant);
    const outcome = await r.run();
    rows.push(outcome.row);
    if (!caught(outcome)) failed.push(r.variant);
  }
  bar.stop();
  const results: CatalogueResults = { command: RESULTS_COMMAND, machine: machineDescription(), date: new Date().toISOString().slice(0, 10), rows };
  if (opts.json) console.log(JSON.stringify({ ...results, failed }, null, 2));
  else {
    console.log(textTable(CATALOGUE_HEADERS, rows.map(catalogueCells)));
    console.log(failed.length ? red(`not caught, or the faithful model not clean: ${failed.join(', ')}`) : green(`${rows.length} variant${rows.length === 1 ? '' : 's'} caught; the faithful model clean on each`));
  }
  if (opts.write) {
    if (failed.length) {
      console.error(red(`${opts.results} not written: ${failed.join(', ')} failed`));
      return 1;
    }
    writeFileSync(opts.results, JSON.stringify(results, null, 2) + '\n');
    if (!opts.json) console.log(`wrote ${opts.results} (run \`opcharts docs\` to update the README)`);
  }
  return failed.length ? 1 : 0;
}
