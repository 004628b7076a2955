/**
 * The machine table shared by `opcharts start`, `opcharts machines --json` and the generated README
 * section: per machine, its states, events, transitions, generated paths and measured coverage.
 */
import type { MachineModel } from '../graph/model.js';
import { generate, type Coverage } from '../graph/paths.js';
import { listEventTypes, listStates, listTransitions } from '../graph/transitions.js';

export interface MachineRow {
  machine: string;
  spec: string;
  states: number;
  events: number;
  transitions: number;
  paths: number;
  coverage: Coverage;
}

export function machineRow(model: MachineModel): MachineRow {
  const g = generate(model);
  return {
    machine: model.name,
    spec: model.spec,
    states: listStates(model.machine).length,
    events: listEventTypes(model.machine).length,
    transitions: listTransitions(model.machine).length,
    paths: g.paths.length,
    coverage: g.coverage,
  };
}

export const pct = (a: number, b: number) => (b === 0 ? '100%' : `${Math.floor((1000 * a) / b) / 10}%`);

export function isFullyCovered(r: MachineRow): boolean {
  return r.coverage.statesReached === r.coverage.statesDefined && r.coverage.transitionsTaken === r.coverage.transitionsDefined;
}

export const HEADERS = ['machine', 'spec', 'states', 'events', 'transitions', 'paths', 'state coverage', 'transition coverage'];

export function rowCells(r: MachineRow): string[] {
  const c = r.coverage;
  return [
    r.machine,
    r.spec,
    String(r.states),
    String(r.events),
    String(r.transitions),
    String(r.paths),
    `${c.statesReached}/${c.statesDefined} (${pct(c.statesReached, c.statesDefined)})`,
    `${c.transitionsTaken}/${c.transitionsDefined} (${pct(c.transitionsTaken, c.transitionsDefined)})`,
  ];
}

/** A plain-text table with aligned columns. */
export function textTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A GitHub-flavoured Markdown table. */
export function markdownTable(headers: string[], rows: string[][]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${headers.map(esc).join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}
