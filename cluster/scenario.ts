/**
 * Scenarios: a cluster configuration and a list of steps, replayed deterministically into a trace
 * (`opcharts replay`). Until the coordinator is composed in, a scenario plays it with `send` steps.
 *
 * Format (JSON; uint64 values as decimal strings or safe integers):
 *
 * ```json
 * {
 *   "config": { "nodes": ["n1", "n2"], "changefeeds": ["cf"], "capacity": 8,
 *               "budgets": { "loss": 1, "duplication": 1, "crashes": 1 } },
 *   "steps": [
 *     { "send": { "type": "CoordinatorBootstrap", "to": "n1", "version": "1" } },
 *     { "deliver": { "type": "CoordinatorBootstrap", "to": "n1" } },
 *     { "tick": { "node": "n1", "changefeedId": "cf", "tick": "RESEND" } },
 *     { "crash": "n2" }, { "restart": "n2" }
 *   ],
 *   "expect": [ { "after": 2, "registry": { "node": "n1", "changefeedId": "cf", "state": "Maintainer.Running", "epoch": "5" } } ]
 * }
 * ```
 *
 * `send` puts a coordinator message in flight (from the coordinator); `deliver`, `lose` and
 * `duplicate` name a message in flight by its `type` and `to` plus any fields that make it unique
 * (the first match is taken); `runtime` completes a node's pending runtime task (`{ node, kind,
 * changefeedId, dispatcher? }`). A malformed scenario is a {@link ScenarioError} naming the step and
 * the field.
 *
 * Written by `opcharts check` for a counterexample, a scenario also carries `config.keepCoordinatorInbox:
 * false` (what nodes send to the coordinator is dropped, as in the checker's worlds), optionally
 * `variant` (the historical-bug variant of cluster/variants.ts it was found with; replay steps that
 * variant's machines) and `invariantModule` (the user invariants it violates), and a last
 * expectation `{ "after": <last step>, "violated": <invariant> }`.
 */
import { builtInInvariants } from './specs.js';
import { parseEventWith, type EventSchemas } from '../machines/boundary.js';
import { OpchartsError } from '../machines/errors.js';
import { stableStringify } from '../graph/serialize.js';
import { violations, type ClusterInvariant } from './invariants.js';
import { actionLabel, apply, initialWorld, type Action, type ClusterConfig, type World } from './world.js';
import type { Message } from './node.js';
import type { Stepper } from './stepper.js';

export class ScenarioError extends OpchartsError {
  constructor(where: string, reason: string) {
    super('INVALID_SCENARIO', `${where}: ${reason}`);
  }
}

const LIVENESS = ['Alive', 'Draining', 'Stopping'] as const;

/** The messages a scenario may send as the coordinator (spec §1.1). */
export const coordinatorMessageSchemas = {
  CoordinatorBootstrap: { to: 'node', version: 'uint64' },
  AddMaintainerRequest: { to: 'node', changefeedId: 'node', maintainerEpoch: 'uint64', checkpointTs: 'uint64', isNew: 'boolean' },
  RemoveMaintainerRequest: { to: 'node', changefeedId: 'node', maintainerEpoch: 'uint64', cascade: 'boolean', removed: 'boolean' },
  SetNodeLivenessRequest: { to: 'node', target: LIVENESS, nodeEpoch: 'uint64' },
  SetDispatcherDrainTarget: { to: 'node', target: 'string', epoch: 'uint64' },
} as const satisfies EventSchemas;

export interface Expectation {
  after: number;
  registry?: { node: string; changefeedId: string; state?: string; epoch?: string };
  manager?: { node: string; changefeedId: string; state?: string; ownerEpoch?: string; tombstone?: string | null };
  liveness?: { node: string; state: string };
  violated?: string;
}

export interface Scenario {
  config: ClusterConfig;
  steps: Action[];
  expect: Expectation[];
}

/** One replayed step: the action, the world after it, and what it violated. */
export interface TraceRow {
  index: number;
  label: string;
  action: Action;
  world: World;
  violations: Array<{ name: string; message: string }>;
}

const obj = (v: unknown, where: string): Record<string, unknown> => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ScenarioError(where, 'expected an object');
  return v as Record<string, unknown>;
};
const str = (v: unknown, where: string): string => {
  if (typeof v !== 'string' || v === '') throw new ScenarioError(where, 'expected a non-empty string');
  return v;
};
const count = (v: unknown, where: string): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ScenarioError(where, 'expected a non-negative integer');
  return v;
};
const bool = (v: unknown, where: string): boolean => {
  if (typeof v !== 'boolean') throw new ScenarioError(where, 'expected true or false');
  return v;
};
const strings = (v: unknown, where: string): string[] => {
  if (!Array.isArray(v) || v.length === 0) throw new ScenarioError(where, 'expected a non-empty array of names');
  return v.map((x, i) => str(x, `${where}[${i}]`));
};

/** A nested field (a list of spans or operators) written with its uint64 values as decimal strings, as `opcharts check` writes them. */
function sameNested(actual: unknown, written: unknown): boolean {
  if (actual === null || typeof actual !== 'object') return false;
  const decimal = (v: unknown) => stableStringify(JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))));
  return decimal(actual) === decimal(written);
}

/** A message in flight matching a partial description (type, to, and any other given fields). */
function findInFlight(world: World, pattern: Record<string, unknown>, where: string): Message {
  const want = Object.entries(pattern);
  const m = world.inFlight.find((x) => want.every(([k, v]) => stableStringify(x[k]) === stableStringify(typeof x[k] === 'bigint' && typeof v === 'string' ? BigInt(v) : v) || sameNested(x[k], v)));
  if (!m) throw new ScenarioError(where, `no message in flight matches ${JSON.stringify(pattern)}`);
  return m;
}

const API_CALLS = ['create', 'pause', 'remove', 'resume'] as const;
const STATE_CHANGES = ['warning', 'failed', 'finished'] as const;

/** The options of a composed coordinator (cluster/world.ts ClusterConfig), validated. */
export function composedOptions(c: Record<string, unknown>, where: string): Partial<ClusterConfig> {
  const out: Partial<ClusterConfig> = {};
  if (c.composeCoordinator !== undefined) out.composeCoordinator = bool(c.composeCoordinator, `${where}.composeCoordinator`);
  if (c.drainTargets !== undefined) {
    if (!Array.isArray(c.drainTargets)) throw new ScenarioError(`${where}.drainTargets`, 'expected an array of node names');
    out.drainTargets = c.drainTargets.map((x, i) => str(x, `${where}.drainTargets[${i}]`));
  }
  if (c.failovers !== undefined) out.failovers = count(c.failovers, `${where}.failovers`);
  if (c.storeFaults !== undefined) out.storeFaults = count(c.storeFaults, `${where}.storeFaults`);
  if (c.batchSize !== undefined) out.batchSize = count(c.batchSize, `${where}.batchSize`);
  for (const k of ['pdAvailable', 'time', 'nodeHeartbeats', 'balance'] as const) if (c[k] !== undefined) out[k] = bool(c[k], `${where}.${k}`);
  if (c.pdOutages !== undefined) out.pdOutages = count(c.pdOutages, `${where}.pdOutages`);
  if (c.checkpoints !== undefined) {
    const k = obj(c.checkpoints, `${where}.checkpoints`);
    out.checkpoints = {
      advances: count(k.advances, `${where}.checkpoints.advances`),
      ...(k.bumpAttempts === undefined ? {} : { bumpAttempts: count(k.bumpAttempts, `${where}.checkpoints.bumpAttempts`) }),
    };
    if (out.checkpoints.bumpAttempts === 0) throw new ScenarioError(`${where}.checkpoints.bumpAttempts`, 'a bump makes at least one attempt');
  }
  if (c.api !== undefined) {
    const a = obj(c.api, `${where}.api`);
    const list = <T extends string>(v: unknown, allowed: readonly T[], w: string): T[] => {
      if (!Array.isArray(v) || !v.every((x) => allowed.includes(x as T))) throw new ScenarioError(w, `expected a list of ${allowed.join(', ')}`);
      return v as T[];
    };
    out.api = {
      budget: count(a.budget, `${where}.api.budget`),
      ...(a.calls === undefined ? {} : { calls: list(a.calls, API_CALLS, `${where}.api.calls`) }),
      ...(a.stateChanges === undefined ? {} : { stateChanges: list(a.stateChanges, STATE_CHANGES, `${where}.api.stateChanges`) }),
      ...(a.changefeeds === undefined ? {} : { changefeeds: strings(a.changefeeds, `${where}.api.changefeeds`) }),
    };
  }
  if (c.ticks !== undefined) {
    if (!Array.isArray(c.ticks) || !c.ticks.every((t) => ['HEARTBEAT', 'RESEND', 'CLEANUP'].includes(t as string))) {
      throw new ScenarioError(`${where}.ticks`, 'expected a list of HEARTBEAT, RESEND, CLEANUP');
    }
    out.ticks = c.ticks as ClusterConfig['ticks'];
  }
  return out;
}

export function parseScenario(raw: unknown): { config: ClusterConfig; steps: unknown[]; expect: Expectation[]; variant?: string; invariantModule?: string } {
  const s = obj(raw, 'scenario');
  const c = obj(s.config, 'config');
  const b = obj(c.budgets ?? {}, 'config.budgets');
  const config: ClusterConfig = {
    coordinator: c.coordinator === undefined ? 'coord' : str(c.coordinator, 'config.coordinator'),
    nodes: strings(c.nodes, 'config.nodes'),
    changefeeds: strings(c.changefeeds, 'config.changefeeds'),
    capacity: c.capacity === undefined ? 16 : count(c.capacity, 'config.capacity'),
    // What nodes send to the coordinator is dropped when it has no inbox (the checker's worlds).
    ...(c.keepCoordinatorInbox === undefined ? {} : { keepCoordinatorInbox: bool(c.keepCoordinatorInbox, 'config.keepCoordinatorInbox') }),
    budgets: {
      loss: b.loss === undefined ? 0 : count(b.loss, 'config.budgets.loss'),
      duplication: b.duplication === undefined ? 0 : count(b.duplication, 'config.budgets.duplication'),
      crashes: b.crashes === undefined ? 0 : count(b.crashes, 'config.budgets.crashes'),
    },
    ...composedOptions(c, 'config'),
  };
  if (new Set(config.nodes).size !== config.nodes.length) throw new ScenarioError('config.nodes', 'names must be distinct');
  if (config.nodes.includes(config.coordinator)) throw new ScenarioError('config.coordinator', 'must not be one of the nodes');
  for (const t of config.drainTargets ?? []) if (!config.nodes.includes(t)) throw new ScenarioError('config.drainTargets', `unknown node ${JSON.stringify(t)}`);
  if (!Array.isArray(s.steps)) throw new ScenarioError('steps', 'expected an array');
  const expectations = s.expect === undefined ? [] : s.expect;
  if (!Array.isArray(expectations)) throw new ScenarioError('expect', 'expected an array');
  const extra = {
    ...(s.variant === undefined ? {} : { variant: str(s.variant, 'variant') }),
    ...(s.invariantModule === undefined ? {} : { invariantModule: str(s.invariantModule, 'invariantModule') }),
  };
  return { config, ...extra, steps: s.steps, expect: expectations.map((e, i) => ({ ...obj(e, `expect[${i}]`), after: count(obj(e, `expect[${i}]`).after, `expect[${i}].after`) }) as Expectation) };
}

/** Turns step `i` of a scenario into an action against the current world. */
function toAction(raw: unknown, i: number, world: World, config: ClusterConfig): Action {
  const where = `steps[${i}]`;
  const s = obj(raw, where);
  const keys = Object.keys(s);
  if (keys.length !== 1) throw new ScenarioError(where, `expected exactly one of send, deliver, lose, duplicate, tick, runtime, crash, restart, membership, node-heartbeat, coordinator-tick, balance-tick, time, api, state-change, pd, store, coordinator-membership, coordinator-crash, coordinator-takeover, checkpoint (got ${keys.join(', ') || 'none'})`);
  const kind = keys[0]!;
  const v = s[kind];
  const node = (n: unknown, w: string) => {
    const id = str(n, w);
    if (!config.nodes.includes(id)) throw new ScenarioError(w, `unknown node ${JSON.stringify(id)}`);
    return id;
  };
  const changefeed = (n: unknown, w: string) => {
    const id = str(n, w);
    if (!config.changefeeds.includes(id)) throw new ScenarioError(w, `unknown changefeed ${JSON.stringify(id)}`);
    return id;
  };
  switch (kind) {
    case 'send': {
      const r = parseEventWith(coordinatorMessageSchemas, v);
      if (!r.ok) throw new ScenarioError(`${where}.send`, r.error.message);
      node((r.event as { to: string }).to, `${where}.send.to`);
      return { kind: 'send', message: { ...r.event, from: config.coordinator } as Message };
    }
    case 'deliver':
    case 'lose':
    case 'duplicate':
      return { kind, message: findInFlight(world, obj(v, `${where}.${kind}`), `${where}.${kind}`) };
    case 'tick': {
      const t = obj(v, `${where}.tick`);
      const tick = str(t.tick, `${where}.tick.tick`);
      if (!['HEARTBEAT', 'RESEND', 'CLEANUP'].includes(tick)) throw new ScenarioError(`${where}.tick.tick`, 'expected HEARTBEAT, RESEND or CLEANUP');
      const changefeedId = str(t.changefeedId, `${where}.tick.changefeedId`);
      if (!config.changefeeds.includes(changefeedId)) throw new ScenarioError(`${where}.tick.changefeedId`, `unknown changefeed ${JSON.stringify(changefeedId)}`);
      return { kind: 'tick', node: node(t.node, `${where}.tick.node`), changefeedId, tick: tick as 'RESEND' };
    }
    case 'runtime': {
      const t = obj(v, `${where}.runtime`);
      const id = node(t.node, `${where}.runtime.node`);
      const task = world.nodes[id]?.runtime.find((x) => x.kind === t.kind && x.changefeedId === t.changefeedId && (t.dispatcher === undefined || (x.kind === 'remove' && x.dispatcher === t.dispatcher)));
      if (!task) throw new ScenarioError(`${where}.runtime`, `node ${id} has no such pending task`);
      return { kind: 'runtime', node: id, task };
    }
    case 'crash':
    case 'restart':
    case 'node-heartbeat':
      return { kind, node: node(v, `${where}.${kind}`) } as Action;
    case 'membership': {
      const t = obj(v, `${where}.membership`);
      const change = str(t.change, `${where}.membership.change`);
      if (change !== 'NODE_ADDED' && change !== 'NODE_REMOVED') throw new ScenarioError(`${where}.membership.change`, 'expected NODE_ADDED or NODE_REMOVED');
      return { kind: 'membership', node: node(t.node, `${where}.membership.node`), change, subject: node(t.subject, `${where}.membership.subject`) };
    }
    // The composed coordinator's steps (config.composeCoordinator).
    case 'coordinator-tick': {
      const t = v === true ? {} : obj(v, `${where}.coordinator-tick`);
      return t.choice === undefined ? { kind: 'coordinator-tick' } : { kind: 'coordinator-tick', choice: count(t.choice, `${where}.coordinator-tick.choice`) };
    }
    case 'time': {
      const step = str(v, `${where}.time`);
      if (step !== 'resend' && step !== 'ttl') throw new ScenarioError(`${where}.time`, 'expected resend or ttl');
      return { kind: 'time', step };
    }
    case 'api': {
      const t = obj(v, `${where}.api`);
      if (t.call === 'DrainNode') return { kind: 'api', call: 'DrainNode', target: node(t.target, `${where}.api.target`) };
      if (!API_CALLS.includes(t.call as never)) throw new ScenarioError(`${where}.api.call`, `expected DrainNode, ${API_CALLS.join(', ')}`);
      return { kind: 'api', call: t.call as (typeof API_CALLS)[number], changefeedId: changefeed(t.changefeedId, `${where}.api.changefeedId`) };
    }
    case 'state-change': {
      const t = obj(v, `${where}.state-change`);
      if (!STATE_CHANGES.includes(t.state as never)) throw new ScenarioError(`${where}.state-change.state`, `expected ${STATE_CHANGES.join(', ')}`);
      return { kind: 'state-change', changefeedId: changefeed(t.changefeedId, `${where}.state-change.changefeedId`), state: t.state as (typeof STATE_CHANGES)[number] };
    }
    case 'pd': {
      if (v !== 'available' && v !== 'unavailable') throw new ScenarioError(`${where}.pd`, 'expected "available" or "unavailable"');
      return { kind: 'pd', available: v === 'available' };
    }
    case 'balance-tick': {
      const t = v === true ? {} : obj(v, `${where}.balance-tick`);
      return t.choice === undefined ? { kind: 'balance-tick' } : { kind: 'balance-tick', choice: count(t.choice, `${where}.balance-tick.choice`) };
    }
    case 'coordinator-membership': {
      const t = obj(v, `${where}.coordinator-membership`);
      const change = str(t.change, `${where}.coordinator-membership.change`);
      if (change !== 'NODE_ADDED' && change !== 'NODE_REMOVED') throw new ScenarioError(`${where}.coordinator-membership.change`, 'expected NODE_ADDED or NODE_REMOVED');
      return { kind: 'coordinator-membership', change, subject: node(t.subject, `${where}.coordinator-membership.subject`) };
    }
    case 'coordinator-crash':
    case 'coordinator-takeover':
      return { kind } as Action;
    case 'store': {
      const t = obj(v, `${where}.store`);
      const outcome = str(t.outcome, `${where}.store.outcome`);
      if (!['ok', 'failed', 'appliedButFailed'].includes(outcome)) throw new ScenarioError(`${where}.store.outcome`, 'expected ok, failed or appliedButFailed');
      const want = obj(t.call, `${where}.store.call`);
      // The whole call as `check` writes it, or a few of its fields (say changefeedId and purpose) when one call matches.
      const plain = (c: unknown) => JSON.parse(JSON.stringify(c, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))) as Record<string, unknown>;
      const calls = world.storeCalls ?? [];
      const partial = calls.filter((c) => Object.entries(want).every(([k, x]) => stableStringify(plain(c)[k]) === stableStringify(x)));
      const call = calls.find((c) => stableStringify(plain(c)) === stableStringify(want)) ?? (new Set(partial.map((c) => stableStringify(c))).size === 1 ? partial[0] : undefined);
      if (!call && partial.length > 1) throw new ScenarioError(`${where}.store.call`, `${partial.length} store calls in flight match ${JSON.stringify(want)}; give more fields`);
      if (!call) throw new ScenarioError(`${where}.store.call`, `no store call in flight matches ${JSON.stringify(want)}`);
      return { kind: 'store', call, outcome: outcome as 'ok' };
    }
    case 'checkpoint': {
      const t = obj(v, `${where}.checkpoint`);
      const step = str(t.step, `${where}.checkpoint.step`);
      if (step !== 'advance' && step !== 'write') throw new ScenarioError(`${where}.checkpoint.step`, 'expected advance or write');
      return { kind: 'checkpoint', changefeedId: changefeed(t.changefeedId, `${where}.checkpoint.changefeedId`), step };
    }
    default:
      throw new ScenarioError(where, `unknown step ${JSON.stringify(kind)}`);
  }
}

function checkExpectation(e: Expectation, w: World, rows: TraceRow[], where: string): string | null {
  const at = (n: string) => {
    const node = w.nodes[n];
    if (!node) return null;
    return node;
  };
  if (e.registry) {
    const n = at(e.registry.node);
    const snap = n?.registries[e.registry.changefeedId];
    if (!snap) return `${where}: no registry ${e.registry.node}/${e.registry.changefeedId}`;
    const state = typeof snap.value === 'string' ? snap.value : `Maintainer.${(snap.value as { Maintainer: string }).Maintainer}`;
    if (e.registry.state !== undefined && state !== e.registry.state) return `${where}: registry ${e.registry.node}/${e.registry.changefeedId} is ${state}, expected ${e.registry.state}`;
    const epoch = String(snap.context.epoch);
    if (e.registry.epoch !== undefined && epoch !== e.registry.epoch) return `${where}: registry epoch is ${epoch}, expected ${e.registry.epoch}`;
  }
  if (e.manager) {
    const snap = at(e.manager.node)?.managers[e.manager.changefeedId];
    if (!snap) return `${where}: no manager ${e.manager.node}/${e.manager.changefeedId}`;
    const state = typeof snap.value === 'string' ? snap.value : `Active.${(snap.value as { Active: string }).Active}`;
    if (e.manager.state !== undefined && state !== e.manager.state) return `${where}: manager is ${state}, expected ${e.manager.state}`;
    if (e.manager.ownerEpoch !== undefined && String(snap.context.ownerEpoch) !== e.manager.ownerEpoch) return `${where}: owner epoch is ${snap.context.ownerEpoch}, expected ${e.manager.ownerEpoch}`;
    if (e.manager.tombstone !== undefined && (snap.context.tombstone === null ? null : String(snap.context.tombstone)) !== e.manager.tombstone) {
      return `${where}: tombstone is ${snap.context.tombstone}, expected ${e.manager.tombstone}`;
    }
  }
  if (e.liveness) {
    const l = at(e.liveness.node)?.liveness.value;
    if (l !== e.liveness.state) return `${where}: ${e.liveness.node} is ${String(l)}, expected ${e.liveness.state}`;
  }
  if (e.violated !== undefined && !rows.some((r) => r.violations.some((v) => v.name.startsWith(e.violated!)))) return `${where}: ${e.violated} was not violated`;
  return null;
}

/**
 * Replays a scenario: every step applied in order, every invariant checked after it, every
 * expectation checked after its step. Deterministic: the same scenario gives the same trace.
 */
export function replay(stepper: Stepper, raw: unknown, invariants: readonly ClusterInvariant[] = builtInInvariants): { config: ClusterConfig; initial: World; rows: TraceRow[]; failures: string[] } {
  const { config, steps, expect } = parseScenario(raw);
  const initial = initialWorld(stepper, config);
  let world = initial;
  const rows: TraceRow[] = [];
  const failures: string[] = [];
  steps.forEach((s, i) => {
    const action = toAction(s, i, world, config);
    let next: World;
    try {
      next = apply(stepper, world, action, config);
    } catch (e) {
      throw new ScenarioError(`steps[${i}]`, e instanceof Error ? e.message : String(e));
    }
    rows.push({ index: i + 1, label: actionLabel(action), action, world: next, violations: violations(invariants, next, { prev: world, action }) });
    world = next;
    expect.forEach((e, k) => {
      if (e.after !== i + 1) return;
      const f = checkExpectation(e, world, rows, `expect[${k}] after step ${e.after}`);
      if (f) failures.push(f);
    });
  });
  for (const [k, e] of expect.entries()) if (e.after > steps.length) failures.push(`expect[${k}]: after ${e.after}, but the scenario has ${steps.length} steps`);
  return { config, initial, rows, failures };
}
