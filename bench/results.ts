/**
 * Writing a benchmark's section of bench/RESULTS.md: the section under `heading` is replaced, or,
 * when there is none yet, inserted before the section `before` (or at the end).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const RESULTS_PATH = join(import.meta.dirname, 'RESULTS.md');

export function writeResultsSection(heading: string, text: string, before?: string): void {
  const old = existsSync(RESULTS_PATH) ? readFileSync(RESULTS_PATH, 'utf8') : '# Benchmarks\n';
  const mark = `\n${heading}`;
  const beforeMark = before === undefined ? -1 : old.indexOf(`\n${before}`);
  let start = old.indexOf(mark);
  let end: number;
  if (start >= 0) {
    const next = old.indexOf('\n## ', start + mark.length);
    end = next >= 0 ? next : old.length;
  } else {
    start = beforeMark >= 0 ? beforeMark : old.length;
    end = start;
  }
  writeFileSync(RESULTS_PATH, `${old.slice(0, start).replace(/\n*$/, '')}\n\n${text}${old.slice(end).replace(/^\n*/, '\n')}`);
}

/** The CPU model as /proc/cpuinfo names it. */
export function cpuModel(): string {
  return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown CPU';
}
