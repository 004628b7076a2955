/**
 * What `opcharts simulate` runs: configurations in the checker's file format (cluster/configs.ts),
 * all with the coordinator composed in, sized for long random walks rather than exhaustive search.
 * The fault budgets hold per episode (a fresh world starts with them full). A file in the same
 * format is taken too, so a configuration written for `opcharts check` can be simulated.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { CheckConfigError, parseCheckConfig, type CheckConfig } from '../cluster/configs.js';

export const simulationPresetFiles = {
  small: {
    name: 'small',
    description: 'two nodes, one changefeed, the composed coordinator; per episode one loss, one duplication, one store fault',
    nodes: ['n1', 'n2'],
    changefeeds: ['cf'],
    capacity: 6,
    budgets: { loss: 1, duplication: 1, crashes: 0 },
    ticks: ['HEARTBEAT', 'RESEND'],
    coordinator: { id: 'coord', compose: true, storeFaults: 1 },
  },
  reference: {
    name: 'reference',
    description:
      'three nodes, two changefeeds, the composed coordinator with a drain of n1; per episode two losses, two duplications, a node crash, a coordinator failover and two store faults',
    nodes: ['n1', 'n2', 'n3'],
    changefeeds: ['cf1', 'cf2'],
    capacity: 10,
    budgets: { loss: 2, duplication: 2, crashes: 1 },
    ticks: ['HEARTBEAT', 'RESEND', 'CLEANUP'],
    coordinator: { id: 'coord', compose: true, drainTargets: ['n1'], failovers: 1, storeFaults: 2 },
  },
  large: {
    name: 'large',
    description:
      'four nodes, three changefeeds, the composed coordinator with drains of n1 and n2 and the balance scheduler; per episode three losses, three duplications, two node crashes, two coordinator failovers, three store faults, a PD outage and four changefeed API calls or state changes',
    nodes: ['n1', 'n2', 'n3', 'n4'],
    changefeeds: ['cf1', 'cf2', 'cf3'],
    capacity: 16,
    budgets: { loss: 3, duplication: 3, crashes: 2 },
    ticks: ['HEARTBEAT', 'RESEND', 'CLEANUP'],
    coordinator: {
      id: 'coord',
      compose: true,
      drainTargets: ['n1', 'n2'],
      failovers: 2,
      storeFaults: 3,
      pdOutages: 1,
      balance: true,
      api: { calls: ['pause', 'resume', 'remove', 'create'], stateChanges: ['warning', 'failed', 'finished'], budget: 4 },
    },
  },
} as const;

export type SimulationPresetName = keyof typeof simulationPresetFiles;
export const SIMULATION_PRESETS = Object.keys(simulationPresetFiles) as SimulationPresetName[];
export const DEFAULT_SIMULATION_CONFIG: SimulationPresetName = 'reference';

/** A preset name or a configuration file; anything else is a {@link CheckConfigError} and nothing runs. */
export function resolveSimulationConfig(nameOrFile: string): CheckConfig {
  if ((SIMULATION_PRESETS as string[]).includes(nameOrFile)) return parseCheckConfig(simulationPresetFiles[nameOrFile as SimulationPresetName]);
  if (!existsSync(nameOrFile) || !statSync(nameOrFile).isFile()) {
    throw new CheckConfigError('--config', `"${nameOrFile}" is neither a simulation preset (${SIMULATION_PRESETS.join(', ')}) nor a file`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(nameOrFile, 'utf8'));
  } catch (e) {
    throw new CheckConfigError('(file)', `${nameOrFile} is not JSON (${(e as Error).message})`);
  }
  return parseCheckConfig(raw);
}
