/**
 * Check configurations: what `opcharts check` explores. A configuration names the cluster (nodes,
 * changefeeds, the network's capacity, the fault budgets, which periodic node work may interleave)
 * and, until the coordinator is composed into the world, the coordinator's part as a script: the
 * messages it has sent, all in flight at the start, so that every delivery order, loss and
 * duplication within the budgets is explored. Sending a whole history at once over-approximates a
 * real coordinator (which sends a move's add only after the remove was acknowledged): anything the
 * real order can do, this can.
 *
 * Three named presets (`small`, `reference`, `large`) and a JSON file format, validated field by
 * field with the boundary's schema language (machines/boundary.ts); a bad file is a
 * {@link CheckConfigError} naming the field, and nothing runs. New components (the coordinator)
 * join as new optional sections: a file written today stays valid.
 *
 * File format (uint64 values as decimal strings or safe integers):
 *
 * ```json
 * {
 *   "name": "two-nodes-move",
 *   "description": "a move n1 → n2 under one loss and one duplication",
 *   "nodes": ["n1", "n2"],
 *   "changefeeds": ["cf"],
 *   "capacity": 6,
 *   "budgets": { "loss": 1, "duplication": 1, "crashes": 0 },
 *   "ticks": ["RESEND"],
 *   "coordinator": {
 *     "id": "coord",
 *     "script": [
 *       { "send": { "type": "CoordinatorBootstrap", "to": "n1", "version": "1" } },
 *       { "send": { "type": "AddMaintainerRequest", "to": "n1", "changefeedId": "cf", "maintainerEpoch": "5", "checkpointTs": "1", "isNew": true } }
 *     ]
 *   },
 *   "bounds": { "maxStates": 1000000, "maxDepth": 40 }
 * }
 * ```
 */
import { listOf, objectOf, optional, parseEventWith, type EventSchema } from '../machines/boundary.js';
import { OpchartsError } from '../machines/errors.js';
import { composedOptions, coordinatorMessageSchemas } from './scenario.js';
import type { ClusterConfig } from './world.js';
import type { Message } from './node.js';

export type Tick = 'HEARTBEAT' | 'RESEND' | 'CLEANUP';

export interface CheckConfig {
  name: string;
  description: string;
  cluster: ClusterConfig;
  /** The coordinator's messages, in flight at the start (from `cluster.coordinator`). */
  script: Message[];
  /** Default bounds of a check of this configuration (the command line overrides them). */
  bounds: { maxStates?: number; maxDepth?: number };
}

/** A configuration file (or preset name) that cannot be used; `field` names what is wrong. */
export class CheckConfigError extends OpchartsError {
  readonly field: string;
  constructor(field: string, reason: string) {
    super('INVALID_CONFIG', `${field}: ${reason}`);
    this.field = field;
  }
}

const TICKS = ['HEARTBEAT', 'RESEND', 'CLEANUP'] as const;

/** The file's schema, in the boundary's schema language (the script is checked message by message). */
const configSchema = {
  name: 'node',
  description: optional('string'),
  nodes: listOf('node', { unique: true }),
  changefeeds: listOf('node', { unique: true }),
  capacity: 'count',
  budgets: objectOf({ loss: 'count', duplication: 'count', crashes: 'count' }),
  ticks: optional(listOf(TICKS, { unique: true })),
  bounds: optional(objectOf({ maxStates: optional('count'), maxDepth: optional('count') })),
} as const satisfies EventSchema;

const TOP_LEVEL = new Set([...Object.keys(configSchema), 'coordinator', '$schema']);

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Validates a parsed configuration file; throws {@link CheckConfigError} naming the first bad field. */
export function parseCheckConfig(raw: unknown): CheckConfig {
  if (!isRecord(raw)) throw new CheckConfigError('(config)', 'expected a JSON object');
  for (const k of Object.keys(raw)) if (!TOP_LEVEL.has(k)) throw new CheckConfigError(k, `unknown field (expected one of ${[...TOP_LEVEL].join(', ')})`);
  const parsed = parseEventWith({ config: configSchema }, { ...raw, type: 'config' });
  if (!parsed.ok) throw new CheckConfigError(parsed.error.field, parsed.error.message.slice(parsed.error.field.length + 2));
  const c = parsed.event as unknown as {
    name: string;
    description?: string;
    nodes: string[];
    changefeeds: string[];
    capacity: number;
    budgets: ClusterConfig['budgets'];
    ticks?: Tick[];
    bounds?: { maxStates?: number; maxDepth?: number };
  };
  if (c.nodes.length === 0) throw new CheckConfigError('nodes', 'at least one node');
  if (c.changefeeds.length === 0) throw new CheckConfigError('changefeeds', 'at least one changefeed');
  if (c.capacity === 0) throw new CheckConfigError('capacity', 'must be at least 1');
  const coord = raw.coordinator === undefined ? {} : raw.coordinator;
  if (!isRecord(coord)) throw new CheckConfigError('coordinator', 'expected an object');
  const COORD_FIELDS = ['id', 'script', 'compose', 'drainTargets', 'failovers', 'storeFaults', 'batchSize', 'time', 'nodeHeartbeats', 'pdAvailable', 'pdOutages', 'balance', 'api', 'checkpoints'];
  for (const k of Object.keys(coord)) if (!COORD_FIELDS.includes(k)) throw new CheckConfigError(`coordinator.${k}`, `unknown field (expected ${COORD_FIELDS.join(', ')})`);
  let composed: Partial<ClusterConfig> = {};
  if (coord.compose !== undefined) {
    if (typeof coord.compose !== 'boolean') throw new CheckConfigError('coordinator.compose', 'expected true or false');
    try {
      const { compose, id: _id, script: _script, ...rest } = coord;
      composed = compose ? composedOptions({ composeCoordinator: true, ...rest }, 'coordinator') : {};
    } catch (e) {
      const m = /^([^:]+): (.*)$/.exec((e as Error).message);
      throw new CheckConfigError(m?.[1] ?? 'coordinator', m?.[2] ?? (e as Error).message);
    }
    if (coord.compose && coord.script !== undefined) throw new CheckConfigError('coordinator.script', 'a composed coordinator sends its own messages: no script');
    for (const t of composed.drainTargets ?? []) if (!c.nodes.includes(t)) throw new CheckConfigError('coordinator.drainTargets', `unknown node ${JSON.stringify(t)}`);
  }
  const id = coord.id === undefined ? 'coord' : coord.id;
  if (typeof id !== 'string' || id === '') throw new CheckConfigError('coordinator.id', 'expected a non-empty string');
  if (c.nodes.includes(id)) throw new CheckConfigError('coordinator.id', 'must not be one of the nodes');
  const rawScript = coord.script === undefined ? [] : coord.script;
  if (!Array.isArray(rawScript)) throw new CheckConfigError('coordinator.script', 'expected an array of { "send": message } steps');
  const script = rawScript.map((step, i) => {
    const where = `coordinator.script[${i}]`;
    if (!isRecord(step) || Object.keys(step).length !== 1 || !isRecord(step.send)) throw new CheckConfigError(where, 'expected { "send": message }');
    const m = parseEventWith(coordinatorMessageSchemas, step.send);
    if (!m.ok) throw new CheckConfigError(`${where}.send.${m.error.field}`, m.error.message.slice(m.error.field.length + 2));
    const to = (m.event as { to: string }).to;
    if (!c.nodes.includes(to)) throw new CheckConfigError(`${where}.send.to`, `unknown node ${JSON.stringify(to)}`);
    const cf = (m.event as { changefeedId?: string }).changefeedId;
    if (cf !== undefined && !c.changefeeds.includes(cf)) throw new CheckConfigError(`${where}.send.changefeedId`, `unknown changefeed ${JSON.stringify(cf)}`);
    return { ...m.event, from: id } as Message;
  });
  if (script.length > c.capacity) throw new CheckConfigError('coordinator.script', `${script.length} messages do not fit in the network's capacity ${c.capacity}`);
  return {
    name: c.name,
    description: c.description ?? '',
    cluster: { coordinator: id, nodes: c.nodes, changefeeds: c.changefeeds, capacity: c.capacity, budgets: c.budgets, ...(c.ticks ? { ticks: c.ticks } : {}), ...composed },
    script,
    bounds: c.bounds ?? {},
  };
}

/** A configuration back in the file format (uint64 as decimal strings): what a report records. */
export function configToJson(c: CheckConfig): Record<string, unknown> {
  const big = (v: unknown) => (typeof v === 'bigint' ? v.toString() : v);
  return {
    name: c.name,
    description: c.description,
    nodes: [...c.cluster.nodes],
    changefeeds: [...c.cluster.changefeeds],
    capacity: c.cluster.capacity,
    budgets: { ...c.cluster.budgets },
    ...(c.cluster.ticks ? { ticks: [...c.cluster.ticks] } : {}),
    coordinator: c.cluster.composeCoordinator
      ? {
          id: c.cluster.coordinator,
          compose: true,
          ...Object.fromEntries(
            (['drainTargets', 'failovers', 'storeFaults', 'batchSize', 'time', 'nodeHeartbeats', 'pdAvailable', 'pdOutages', 'balance', 'api', 'checkpoints'] as const)
              .filter((k) => c.cluster[k] !== undefined)
              .map((k) => [k, c.cluster[k]]),
          ),
        }
      : {
          id: c.cluster.coordinator,
          script: c.script.map(({ from: _from, ...m }) => ({ send: Object.fromEntries(Object.entries(m).map(([k, v]) => [k, big(v)])) })),
        },
    bounds: { ...c.bounds },
  };
}

const bootstrap = (to: string) => ({ send: { type: 'CoordinatorBootstrap', to, version: '1' } });
const add = (to: string, changefeedId: string, epoch: string) => ({
  send: { type: 'AddMaintainerRequest', to, changefeedId, maintainerEpoch: epoch, checkpointTs: '1', isNew: epoch === '5' },
});
const remove = (to: string, changefeedId: string, epoch: string) => ({
  send: { type: 'RemoveMaintainerRequest', to, changefeedId, maintainerEpoch: epoch, cascade: false, removed: false },
});

/**
 * The presets, as files would write them. `small` is a unit-test-sized add; `reference` is the
 * default check (a move between two nodes under loss, duplication and a crash, finishing well
 * under two minutes on a 2-core machine); `large` adds a third node and a second changefeed.
 */
export const presetFiles = {
  small: {
    name: 'small',
    description: 'two nodes, one changefeed: the coordinator bootstraps both nodes and adds the changefeed to n1; one loss, one duplication',
    nodes: ['n1', 'n2'],
    changefeeds: ['cf'],
    capacity: 5,
    budgets: { loss: 1, duplication: 1, crashes: 0 },
    ticks: [],
    coordinator: { id: 'coord', script: [bootstrap('n1'), bootstrap('n2'), add('n1', 'cf', '5')] },
  },
  reference: {
    name: 'reference',
    description: 'two nodes, one changefeed moved n1 → n2: add at 5 and remove at 5 (each sent twice, as the operator resends), then add at 6, all in flight at once; one loss, one duplication',
    nodes: ['n1', 'n2'],
    changefeeds: ['cf'],
    capacity: 8,
    budgets: { loss: 1, duplication: 1, crashes: 0 },
    ticks: [],
    coordinator: { id: 'coord', script: [bootstrap('n1'), bootstrap('n2'), add('n1', 'cf', '5'), add('n1', 'cf', '5'), remove('n1', 'cf', '5'), remove('n1', 'cf', '5'), add('n2', 'cf', '6')] },
  },
  coordinator: {
    name: 'coordinator',
    description:
      'the composed coordinator: two nodes, one changefeed in the store; bootstrap, the basic scheduler (ties as choices), admission with the epoch bump as a store call (one may fail, applied or not), the add and its statuses',
    nodes: ['n1', 'n2'],
    changefeeds: ['cf'],
    capacity: 4,
    budgets: { loss: 0, duplication: 0, crashes: 0 },
    ticks: ['HEARTBEAT'],
    coordinator: { id: 'coord', compose: true, storeFaults: 1, time: false, nodeHeartbeats: false },
  },
  api: {
    name: 'api',
    description:
      'the composed coordinator with the changefeed API: one node, one changefeed; one call of pause, resume, remove or create, or a warning or failed state change, and one PD outage, interleaved with scheduling and bumps (bounded)',
    nodes: ['n1'],
    changefeeds: ['cf'],
    capacity: 4,
    budgets: { loss: 0, duplication: 0, crashes: 0 },
    ticks: ['HEARTBEAT'],
    coordinator: {
      id: 'coord',
      compose: true,
      time: false,
      nodeHeartbeats: false,
      pdOutages: 1,
      api: { calls: ['pause', 'resume', 'remove', 'create'], stateChanges: ['warning', 'failed'], budget: 1 },
    },
    bounds: { maxStates: 200_000 },
  },
  drain: {
    name: 'drain',
    description: 'the composed coordinator drains n1 (DrainNode, DRAINING, STOPPING) with one node: liveness views, the drain workflow and session, time passing',
    nodes: ['n1'],
    changefeeds: ['cf'],
    capacity: 3,
    budgets: { loss: 0, duplication: 0, crashes: 0 },
    ticks: ['HEARTBEAT'],
    coordinator: { id: 'coord', compose: true, drainTargets: ['n1'] },
    bounds: { maxStates: 500_000 },
  },
  large: {
    name: 'large',
    description: 'three nodes, one changefeed moved n1 → n2 → n3; one loss, one duplication, one node crash and restart (bounded to 2M states by default: the whole space is larger)',
    nodes: ['n1', 'n2', 'n3'],
    changefeeds: ['cf'],
    capacity: 8,
    budgets: { loss: 1, duplication: 1, crashes: 1 },
    ticks: [],
    coordinator: {
      id: 'coord',
      script: [bootstrap('n1'), bootstrap('n2'), bootstrap('n3'), add('n1', 'cf', '5'), remove('n1', 'cf', '5'), add('n2', 'cf', '6'), remove('n2', 'cf', '6'), add('n3', 'cf', '7')],
    },
    bounds: { maxStates: 2_000_000 },
  },
} as const;

export type PresetName = keyof typeof presetFiles;
export const PRESET_NAMES = Object.keys(presetFiles) as PresetName[];

export function preset(name: PresetName): CheckConfig {
  return parseCheckConfig(presetFiles[name]);
}
