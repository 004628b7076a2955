/**
 * `opcharts docs`: the README's generated sections, between
 * `<!-- BEGIN GENERATED: name -->` and `<!-- END GENERATED: name -->`, rebuilt from the code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { machineVariants } from '../cluster/variants.js';
import type { MachineModel } from '../graph/model.js';
import { readCatalogueResults, RESULTS_FILE } from '../cluster/catalogueRun.js';
import { catalogueMarkdown } from './catalogue.js';
import { HEADERS, machineRow, markdownTable, rowCells } from './report.js';

/** The README's embedding example: the `embedding` region of examples/embed-move.ts, which the tests run. */
export function embeddingExample(root: string): string | undefined {
  const file = join(root, 'examples', 'embed-move.ts');
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const region = /\/\/ #region embedding\n([\s\S]*?)\/\/ #endregion embedding/.exec(text);
  if (!region) throw new Error(`${file}: no "#region embedding" … "#endregion embedding"`);
  return '```ts\n' + region[1]!.trimEnd() + '\n```';
}

/** The README's generated sections; with `root` (a checkout), also the embedding example. */
export function generatedSections(models: readonly MachineModel[], root?: string): Map<string, string> {
  const rows = models.map(machineRow);
  const sections = new Map<string, string>();
  sections.set(
    'machines',
    markdownTable(
      ['machine', 'spec', 'diagram', 'what it models'],
      models.map((m) => [
        `[\`${m.machine.id}Machine\`](${m.source ?? `machines/${m.name}.ts`})`,
        m.spec,
        `[svg](diagrams/${m.name}.svg)`,
        m.summary.split(/(?<=\.) /)[0]!,
      ]),
    ),
  );
  sections.set('coverage', markdownTable(HEADERS, rows.map(rowCells)));
  sections.set(
    'variants',
    markdownTable(
      ['bug (§5.1)', 'the variant reintroduces', 'invariant', 'machines', 'caught by'],
      machineVariants.map((v) => [
        v.id,
        v.reintroduces,
        v.invariant,
        Object.keys(v.machines).join(', '),
        v.caughtBy ? `the generated tests: “${v.caughtBy}”` : 'the cluster checker (it shows as a liveness failure or between components)',
      ]),
    ),
  );
  if (root !== undefined && existsSync(join(root, RESULTS_FILE))) sections.set('catalogue', catalogueMarkdown(readCatalogueResults(root)));
  const example = root === undefined ? undefined : embeddingExample(root);
  if (example !== undefined) sections.set('embedding-example', example);
  return sections;
}

const marker = (name: string, edge: 'BEGIN' | 'END') => `<!-- ${edge} GENERATED: ${name} -->`;

/** `text` with each generated section replaced; throws if a section's markers are missing. */
export function applySections(text: string, sections: Map<string, string>): string {
  let out = text;
  for (const [name, body] of sections) {
    const begin = out.indexOf(marker(name, 'BEGIN'));
    const end = out.indexOf(marker(name, 'END'));
    if (begin < 0 || end < begin) throw new Error(`README has no generated section "${name}" (markers ${marker(name, 'BEGIN')} … ${marker(name, 'END')})`);
    out = `${out.slice(0, begin + marker(name, 'BEGIN').length)}\n${body}\n${out.slice(end)}`;
  }
  return out;
}

export async function updateReadme(path: string, models: readonly MachineModel[], check: boolean): Promise<{ stale: boolean }> {
  const text = await readFile(path, 'utf8');
  const next = applySections(text, generatedSections(models, dirname(path)));
  if (next === text) return { stale: false };
  if (!check) await writeFile(path, next);
  return { stale: true };
}
