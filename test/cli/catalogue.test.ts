/**
 * `opcharts catalogue` end to end (cli/catalogue.ts through cli/main.ts): the §5.1 rows it measures
 * as JSON, the results file `--write` records (and refuses to record a partial one), and usage errors.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { comparable, type CatalogueRow } from '../../cluster/catalogueRun.js';
import { committedRow } from '../cluster/catalogueResults.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('opcharts catalogue', () => {
  it('--only B25,B26 --json: both rows, caught, equal to the committed rows; exit 0', () => {
    const r = cli('catalogue', '--only', 'B25,B26', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as { rows: CatalogueRow[]; failed: string[] };
    expect(out.failed).toEqual([]);
    expect(out.rows.map((x) => x.variant)).toEqual(['B25', 'B26']);
    for (const row of out.rows) expect(comparable(row)).toEqual(committedRow(row.variant));
    expect(out.rows[0]).toMatchObject({ level: 'machine', configuration: 'quiesce', search: 'searched' });
  });

  it('prints the table for people', () => {
    const r = cli('catalogue', '--only', 'B25');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^bug\s+the variant reintroduces/);
    expect(r.out).toContain('the quiesce machine alone');
    expect(r.out).toContain('1 variant caught; the faithful model clean on each');
  });

  it('an unknown variant, and --write with --only, are usage errors (exit 2) that write nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'opcharts-catalogue-'));
    const unknown = cli('catalogue', '--only', 'B99', '--json');
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.out).error.message).toMatch(/no catalogue variant B99/);
    const partial = cli('catalogue', '--only', 'B25', '--write', '--results', join(dir, 'r.json'));
    expect(partial.code).toBe(2);
    expect(partial.err).toMatch(/--write records the whole catalogue/);
    expect(existsSync(join(dir, 'r.json'))).toBe(false);
    // The committed file is untouched by either.
    expect(JSON.parse(readFileSync(join(root, 'cluster', 'catalogueResults.json'), 'utf8')).rows.length).toBeGreaterThan(10);
  });
});
