/**
 * The committed catalogue rows (cluster/catalogueResults.json, written by `opcharts catalogue
 * --write`), for the catalogue tests to compare with what they measure.
 */
import { join } from 'node:path';
import { comparable, readCatalogueResults, RESULTS_COMMAND, RESULTS_FILE, type CatalogueRow } from '../../cluster/catalogueRun.js';

const root = join(import.meta.dirname, '..', '..');
const results = readCatalogueResults(root);

/** The committed row of a variant without its time, or a message saying how to regenerate it. */
export function committedRow(variant: string): Omit<CatalogueRow, 'millis'> | string {
  const row = results.rows.find((r) => r.variant === variant);
  return row ? comparable(row) : `${RESULTS_FILE} has no row for ${variant} (run ${RESULTS_COMMAND})`;
}

export const committedVariants = (): string[] => results.rows.map((r) => r.variant);
