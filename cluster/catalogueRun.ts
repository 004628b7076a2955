/**
 * The whole §5.1 catalogue as one list of checker runs (issue 13 item 5): each variant where the
 * checker catches it — on the composed cluster (cluster/catalogue.ts, cluster/catalogueNode.ts), or,
 * for the variants the cluster cannot show, on the variant's machine alone (graph/check.ts) — and the
 * faithful model on the same configuration and bounds. The catalogue tests run these and judge
 * them; `opcharts catalogue --write` runs them all and writes the measured rows to
 * cluster/catalogueResults.json, from which `opcharts docs` renders the README table. The tests
 * require the committed rows to equal what they measure (time aside: timing never decides a test).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { checkMachine, type MachineCheckResult, type MachineViolation } from '../graph/check.js';
import { findModel } from '../models/index.js';
import { catalogueUserInvariants, operatorCatalogue, type CatalogueCase } from './catalogue.js';
import { catalogueConfig, nodeCatalogue, notExpressibleOnCluster, type CatalogueEntry } from './catalogueNode.js';
import { findVariant, runCheck, type CheckOptions, type CheckResult, type CheckViolation } from './check.js';
import { parseCheckConfig } from './configs.js';
import { machineVariants } from './variants.js';

/** One measured row of the catalogue table. */
export interface CatalogueRow {
  variant: string;
  reintroduces: string;
  /** Where the checker runs: the composed cluster, or the variant's machine alone. */
  level: 'cluster' | 'machine';
  /** Breadth-first: the counterexample is a shortest one (from the prefix's end). */
  search: 'searched';
  /** The check configuration's name (cluster) or the machine model's (machine). */
  configuration: string;
  /** The invariant, AG EF goal or step property the counterexample breaks. */
  invariant: string;
  /** Scenario steps taken before the search (the bug's window, cluster/cataloguePrefixes.ts). */
  prefix: number;
  /** The counterexample's length, counted from the end of the prefix (and the coordinator's script). */
  length: number;
  /** States the variant's search explored until it stopped at the violation. */
  states: number | null;
  /** States the faithful search explored on the same configuration and bounds, and why it stopped. */
  faithfulStates: number | null;
  faithfulStop: string | null;
  /** Both searches, wall clock (informational: not compared by any test). */
  millis: number;
}

/** A catalogue run's raw results, for the tests' further judgements (replays). */
export type CatalogueOutcome =
  | { level: 'cluster'; row: CatalogueRow; bad: CheckResult; violation: CheckViolation | undefined; good: CheckResult }
  | { level: 'machine'; row: CatalogueRow; bad: MachineCheckResult; violation: MachineViolation | undefined; good: MachineCheckResult };

export interface CatalogueRun {
  variant: string;
  run(): Promise<CatalogueOutcome>;
}

const reintroduces = (id: string) => findVariant(id).reintroduces;
const now = () => performance.now();

/** Both cluster searches of one case (the variant, then the faithful model) and their row. */
async function runClusterCase(
  variant: string,
  invariant: string,
  matches: (v: CheckViolation) => boolean,
  options: Omit<CheckOptions, 'variant'>,
): Promise<CatalogueOutcome> {
  const t0 = now();
  const bad = await runCheck({ ...options, variant });
  const violation = bad.violations.find(matches);
  const good = await runCheck(options);
  const row: CatalogueRow = {
    variant,
    reintroduces: reintroduces(variant),
    level: 'cluster',
    search: 'searched',
    configuration: options.config.name,
    invariant,
    prefix: options.prefix?.length ?? 0,
    length: violation?.length ?? -1,
    states: bad.states,
    faithfulStates: good.states,
    faithfulStop: good.stopReason,
    millis: Math.round(now() - t0),
  };
  return { level: 'cluster', row, bad, violation, good };
}

/** A coordinator/operator-side case (cluster/catalogue.ts). */
export function runOperatorCase(c: CatalogueCase): Promise<CatalogueOutcome> {
  return runClusterCase(c.variant, c.invariant, (x) => x.invariant === c.invariant, {
    config: parseCheckConfig(c.config),
    user: { module: 'cluster/catalogueInvariants.ts', invariants: [...catalogueUserInvariants] },
    mode: 'exact',
    ...(c.prefix ? { prefix: c.prefix } : {}),
  });
}

/** A node- or drain-side case (cluster/catalogueNode.ts). */
export function runNodeCase(e: CatalogueEntry): Promise<CatalogueOutcome> {
  return runClusterCase(e.variant, e.expected, (x) => x.invariant === e.expected && x.kind === e.kind, {
    config: catalogueConfig(e),
    mode: 'exact',
    ...(e.user ? { user: { module: 'cluster/catalogueNodeInvariants.ts', invariants: e.user } } : {}),
    ...(e.eventually ? { eventually: e.eventually } : {}),
    ...(e.prefix ? { prefix: e.prefix } : {}),
  });
}

/**
 * The variants only a single machine shows (cluster/catalogueNode.ts `notExpressibleOnCluster`):
 * each checked on its machine's model with the variant machine, against the step property it names
 * (`caughtBy`), and the faithful machine explored in full.
 */
export const machineCatalogue: readonly string[] = notExpressibleOnCluster.map((n) => n.variant);

/** The faithful machines' checks, once per model and process (the same model serves several variants). */
const faithfulMachineChecks = new Map<string, MachineCheckResult>();

export async function runMachineCase(id: string): Promise<CatalogueOutcome> {
  const t0 = now();
  const variant = machineVariants.find((v) => v.id === id);
  if (!variant?.caughtBy) throw new Error(`${id}: not a machine-level variant with a named step property (cluster/variants.ts)`);
  const [modelName, machine] = Object.entries(variant.machines)[0]!;
  const model = findModel(modelName);
  if (!model) throw new Error(`${id}: no model ${modelName}`);
  const bad = checkMachine({ ...model, machine });
  const violation = bad.violations.find((v) => v.property === variant.caughtBy);
  const good = faithfulMachineChecks.get(modelName) ?? checkMachine(model);
  faithfulMachineChecks.set(modelName, good);
  const row: CatalogueRow = {
    variant: id,
    reintroduces: variant.reintroduces,
    level: 'machine',
    search: 'searched',
    configuration: modelName,
    invariant: variant.caughtBy,
    prefix: 0,
    length: violation?.events.length ?? -1,
    states: bad.states,
    faithfulStates: good.states,
    faithfulStop: good.stopReason,
    millis: Math.round(now() - t0),
  };
  return { level: 'machine', row, bad, violation, good };
}

const number = (id: string) => Number(id.replace(/^B/, ''));

/** Every catalogue run, in bug order. */
export function catalogueRuns(): CatalogueRun[] {
  const runs: CatalogueRun[] = [
    ...operatorCatalogue.map((c) => ({ variant: c.variant, run: () => runOperatorCase(c) })),
    ...nodeCatalogue.map((e) => ({ variant: e.variant, run: () => runNodeCase(e) })),
    ...machineCatalogue.map((id) => ({ variant: id, run: () => runMachineCase(id) })),
  ];
  return runs.sort((a, b) => number(a.variant) - number(b.variant));
}

/** Whether a run caught its bug with the faithful model clean (what the table may show). */
export function caught(o: CatalogueOutcome): boolean {
  switch (o.level) {
    case 'cluster':
      return o.violation !== undefined && o.good.violations.length === 0;
    case 'machine':
      return o.violation !== undefined && o.good.violations.length === 0 && o.good.stopReason === 'complete';
  }
}

/** The committed results (cluster/catalogueResults.json), as `opcharts catalogue --write` wrote them. */
export interface CatalogueResults {
  command: string;
  machine: string;
  date: string;
  rows: CatalogueRow[];
}

export const RESULTS_FILE = 'cluster/catalogueResults.json';
export const RESULTS_COMMAND = 'npx tsx cli/main.ts catalogue --write';

export function readCatalogueResults(root: string): CatalogueResults {
  return JSON.parse(readFileSync(join(root, RESULTS_FILE), 'utf8')) as CatalogueResults;
}

/** A row without its time: what the tests compare. */
export const comparable = (r: CatalogueRow): Omit<CatalogueRow, 'millis'> => {
  const { millis: _millis, ...rest } = r;
  return rest;
};

export function machineDescription(): string {
  const cpu = (() => {
    try {
      return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim();
    } catch {
      return undefined;
    }
  })();
  return `nproc ${availableParallelism()}, ${cpu ?? cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`;
}
