/**
 * The coordinator-side invariants I6, I7, I8, I22 (cluster/operatorInvariants.ts), the quiesce
 * invariant I21 (cluster/invariants.ts) and the drain-API invariants I18, I19
 * (cluster/drainInvariants.ts) of spec §4: each is reported by name on a world built to
 * violate it, and holds on the same step played faithfully.
 * Machines: the composed coordinator (operator controller, admission), maintainerRegistry.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../explorer/explore.js';
import { clusterModel } from '../../cluster/model.js';
import { TableStepper } from '../../cluster/stepper.js';
import { apply, initialWorld, type Action, type ClusterConfig, type World } from '../../cluster/world.js';
import { I4, I6, I7, I8, I22 } from '../../cluster/operatorInvariants.js';
import { I21 } from '../../cluster/invariants.js';
import { I18, I19 } from '../../cluster/drainInvariants.js';
import type { DrainSessionContext } from '../../machines/coordinator/drainSession.js';
import { receive, startNode, type Message, type NodeState } from '../../cluster/node.js';
import { pureStepper } from '../../cluster/stepper.js';
import type { OperatorSlot } from '../../machines/coordinator/operatorController.js';
import type { ChangefeedDb } from '../../machines/coordinator/changefeedDb.js';

const base: ClusterConfig = {
  coordinator: 'coord',
  nodes: ['n1', 'n2'],
  changefeeds: ['cf'],
  capacity: 4,
  budgets: { loss: 0, duplication: 0, crashes: 0 },
  composeCoordinator: true,
  ticks: ['HEARTBEAT'],
  time: false,
  nodeHeartbeats: false,
};

const stepper = new TableStepper();
/** The first world (shortest run) where `stop` holds. */
function reach(stop: (w: World) => boolean, config = base): World {
  const r = explore(clusterModel(stepper, config, initialWorld(stepper, config)), { invariants: [{ name: 'reached', check: (w: World) => (stop(w) ? 'reached' : true) }], checkDeadlocks: false });
  expect(r.violations).toHaveLength(1);
  return r.violations[0]!.trace.steps.at(-1)!.state as World;
}

const replicatingOn = (w: World) => {
  const e = w.coordinator?.controller?.db.get('cf');
  return e?.bucket === 'Replicating' ? e.nodeId : undefined;
};

/** The world with the controller's operators, bumping set or DB replaced. */
function withController(w: World, patch: { operators?: Map<string, OperatorSlot>; epochBumping?: Set<string>; db?: ChangefeedDb; members?: string[] }): World {
  const c = w.coordinator!;
  const ctl = c.controller!;
  return {
    ...w,
    coordinator: {
      ...c,
      ...(patch.members ? { members: patch.members } : {}),
      controller: { ...ctl, ...(patch.operators ? { operators: patch.operators } : {}), ...(patch.epochBumping ? { epochBumping: patch.epochBumping } : {}), ...(patch.db ? { db: patch.db } : {}) },
    },
  };
}

const sending = (w: World, m: Message): World => ({ ...w, inFlight: [...w.inFlight, m] });
const tick: Action = { kind: 'coordinator-tick' };

describe('§4 I6 origin-first move', () => {
  const running = reach((w) => replicatingOn(w) === 'n1' && w.inFlight.length === 0);
  const epoch = running.store.cf!.epoch;
  const move = (value: string): OperatorSlot =>
    ({ kind: 'move', value, notifyAtMs: 0, context: { changefeedId: 'cf', origin: 'n1', target: 'n2', originEpoch: epoch, maintainerEpoch: epoch + 1n, checkpointTs: 1n, originRemoved: false } }) as OperatorSlot;
  const add: Message = { type: 'AddMaintainerRequest', from: 'coord', to: 'n2', changefeedId: 'cf', maintainerEpoch: epoch + 1n, checkpointTs: 1n, isNew: false };

  it('names a move that adds at the destination while the origin still runs the changefeed', () => {
    const prev = withController(running, { operators: new Map([['cf', move('AddTarget')]]) });
    expect(I6.check(sending(prev, add), { prev, action: tick })).toMatch(/while the origin n1 still runs it at originEpoch/);
    const early = withController(running, { operators: new Map([['cf', move('RemoveOrigin')]]) });
    expect(I6.check(sending(early, add), { prev: early, action: tick })).toMatch(/sent AddMaintainer to n2 in RemoveOrigin/);
  });

  it('a network duplicate of an old AddMaintainer is nobody’s send: I4 and I6 judge only what a step sent', () => {
    const old: Message = { ...add, maintainerEpoch: epoch - 1n, to: 'n1' };
    const prev = sending(withController(running, { operators: new Map([['cf', move('RemoveOrigin')]]) }), old);
    const after = sending(prev, old);
    expect(I4.check(after, { prev, action: { kind: 'duplicate', message: old } })).toBe(true);
    expect(I6.check(after, { prev, action: { kind: 'duplicate', message: old } })).toBe(true);
    expect(I4.check(after, { prev, action: tick })).toMatch(/while the in-memory epoch is/);
  });

  it('holds once the origin is gone, or has left the membership', () => {
    const gone: World = { ...running, nodes: { ...running.nodes, n1: startNode(pureStepper, 'n1', 2n, ['cf'], ['n1', 'n2']) } };
    const prev = withController(gone, { operators: new Map([['cf', move('AddTarget')]]) });
    expect(I6.check(sending(prev, add), { prev, action: tick })).toBe(true);
    const left = withController(running, { operators: new Map([['cf', move('AddTarget')]]), members: ['n2'] });
    expect(I6.check(sending(left, add), { prev: left, action: tick })).toBe(true);
  });
});

describe('§4 I7 one operator per changefeed', () => {
  const booted = reach((w) => w.coordinator?.controller != null);
  const addSlot = { kind: 'add', value: 'Sending', notifyAtMs: 0, context: { changefeedId: 'cf', dest: 'n1', maintainerEpoch: 1n, checkpointTs: 1n, isNew: false } } as OperatorSlot;

  it('names an add that exists while the changefeed’s bump is reserved', () => {
    const w = withController(booted, { operators: new Map([['cf', addSlot]]), epochBumping: new Set(['cf']) });
    expect(I7.check(w)).toMatch(/cf has an add operator while its epoch bump is reserved/);
  });

  it('names an add admitted in a step while the bump was in flight; the bump’s own answer may push it', () => {
    const prev = withController(booted, { epochBumping: new Set(['cf']) });
    const after = withController(booted, { operators: new Map([['cf', addSlot]]) });
    expect(I7.check(after, { prev, action: tick })).toMatch(/an add of cf was admitted while its bump was in flight \(coordinator tick\)/);
    const answer: Action = { kind: 'store', outcome: 'ok', call: { coordinatorVersion: 1n, changefeedId: 'cf', purpose: 'admission', op: { op: 'bump', candidate: 0n } } };
    expect(I7.check(after, { prev, action: answer })).toBe(true);
    // A stop may still be pushed during the bump (§2.4).
    const stop = withController(booted, { operators: new Map([['cf', { kind: 'stop', value: 'Sending', notifyAtMs: 0, context: {} } as never]]), epochBumping: new Set(['cf']) });
    expect(I7.check(stop, { prev, action: tick })).toBe(true);
  });

  it('§5.1 B2: names an add that exists while an admission of the changefeed still bumps, reserved or not', () => {
    // The faithful coordinator in the middle of an admission: its call kept, its reservation held.
    const bumping = reach((w) => Object.keys(w.coordinator?.admissions ?? {}).length > 0);
    expect(bumping.coordinator!.controller!.epochBumping).toEqual(new Set(['cf']));
    expect(I7.check(bumping)).toBe(true);
    const unreserved = withController(bumping, { operators: new Map([['cf', addSlot]]), epochBumping: new Set() });
    expect(I7.check(unreserved)).toMatch(/cf has an add operator while its epoch bump is in flight \(unreserved\)/);
  });
});

describe('§4 I8 stale status never mutates the coordinator', () => {
  const booted = reach((w) => w.coordinator?.controller != null);
  const status = (epoch: bigint): Message => ({ type: 'MaintainerStatus', from: 'n1', to: 'coord', changefeedId: 'cf', state: 'Working', bootstrapDone: true, maintainerEpoch: epoch, checkpointTs: 9n, error: false });

  it('names a status at another epoch that moved the checkpoint; the faithful coordinator ignores it', () => {
    const prev = sending(booted, status(7n));
    const action: Action = { kind: 'deliver', message: prev.inFlight.at(-1)! };
    const faithful = apply(stepper, prev, action, base);
    expect(faithful.coordinator!.controller!.infos.get('cf')!.checkpointTs).toBe(1n);
    expect(I8.check(faithful, { prev, action })).toBe(true);
    const ctl = faithful.coordinator!.controller!;
    const forged: World = { ...faithful, coordinator: { ...faithful.coordinator!, controller: { ...ctl, infos: new Map([['cf', { epoch: 1n, checkpointTs: 9n }]]) } } };
    expect(I8.check(forged, { prev, action })).toMatch(/a status of cf at epoch 7 \(in memory 1\) moved the checkpoint 1 → 9/);
  });

  it('a status at the in-memory epoch may move it', () => {
    const prev = sending(booted, status(1n));
    const action: Action = { kind: 'deliver', message: prev.inFlight.at(-1)! };
    const after = apply(stepper, prev, action, base);
    expect(I8.check(after, { prev, action })).toBe(true);
  });
});

describe('§4 I22 removal wins over success', () => {
  const booted = reach((w) => w.coordinator?.controller != null);
  const addSlot = { kind: 'add', value: 'Success', notifyAtMs: 0, context: { changefeedId: 'cf', dest: 'n2', maintainerEpoch: 2n, checkpointTs: 1n, isNew: false } } as OperatorSlot;
  const db = (bucket: 'Replicating' | 'Absent', nodeId: string): ChangefeedDb => new Map([['cf', { nodeId, bucket, stopped: false, isNew: false }]]) as never;

  it('names an add that finished Replicating on a destination that left the membership', () => {
    const prev = withController(booted, { operators: new Map([['cf', addSlot]]) });
    const after = withController(booted, { operators: new Map(), db: db('Replicating', 'n2'), members: ['n1'] });
    expect(I22.check(after, { prev, action: tick })).toMatch(/the add of cf finished with it Replicating on n2, which left the membership/);
    // Absent after the removal, or a destination still a member: fine.
    expect(I22.check(withController(booted, { operators: new Map(), db: db('Absent', ''), members: ['n1'] }), { prev, action: tick })).toBe(true);
    expect(I22.check(withController(booted, { operators: new Map(), db: db('Replicating', 'n2') }), { prev, action: tick })).toBe(true);
  });
});

describe('§4 I21 quiesce (§2.8)', () => {
  const deliver = (n: NodeState, m: Omit<Message, 'from'> & { from?: string }) => receive(pureStepper, n, { from: 'coord', ...m } as Message);
  const world = (n1: NodeState): World => ({ nodes: { n1 }, epochs: {}, inFlight: [], toCoordinator: [], store: {}, budgets: { loss: 0, duplication: 0, crashes: 0 } });

  it('names a bootstrap request sent by a maintainer that is removing; the faithful one sends none', () => {
    let n1 = startNode(pureStepper, 'n1', 7n, ['cf'], ['n1']);
    n1 = deliver(n1, { type: 'CoordinatorBootstrap', to: 'n1', version: 1n }).node;
    n1 = deliver(n1, { type: 'AddMaintainerRequest', to: 'n1', changefeedId: 'cf', maintainerEpoch: 5n, checkpointTs: 1n, isNew: true }).node;
    n1 = deliver(n1, { type: 'RemoveMaintainerRequest', to: 'n1', changefeedId: 'cf', maintainerEpoch: 5n, cascade: true, removed: false }).node;
    expect(n1.registries.cf!.value).toEqual({ Maintainer: 'Removing' });
    const prev = world(n1);
    const boot: Message = { type: 'MaintainerBootstrapRequest', from: 'n1', to: 'n1', changefeedId: 'cf', maintainerEpoch: 5n, tableTriggerId: null };
    expect(I21.check({ ...prev, inFlight: [boot] }, { prev, action: { kind: 'tick', node: 'n1', changefeedId: 'cf', tick: 'RESEND' } })).toMatch(
      /the quiesced maintainer of cf on n1 \(epoch 5\) sent MaintainerBootstrapRequest/,
    );
    // The faithful resend of a removing maintainer sends no bootstrap.
    const r = receive(pureStepper, n1, { type: 'MaintainerCloseResponse', from: 'n1', to: 'n1', changefeedId: 'cf', maintainerEpoch: 4n, success: true } as Message);
    const after = { ...world(r.node), inFlight: r.out };
    expect(I21.check(after, { prev, action: { kind: 'deliver', message: boot } })).toBe(true);
  });
});

describe('§4 I18 single drain target and I19 drain epochs (§2.5.5)', () => {
  const config: ClusterConfig = { ...base, drainTargets: ['n1', 'n2'] };
  const session = (w: World) => (w.coordinator?.session.context as DrainSessionContext | undefined)?.session ?? null;
  /** The world just before the first DrainNode that opens a session, and that step. */
  const r = explore(clusterModel(stepper, config, initialWorld(stepper, config)), { invariants: [{ name: 'session', check: (w: World) => (session(w) ? 'open' : true) }], checkDeadlocks: false });
  const steps = r.violations[0]!.trace.steps;
  const opened = steps.at(-1)!.state as World;
  const before = (steps.length > 1 ? steps.at(-2)!.state : r.violations[0]!.trace.initial) as World;
  const drainNode = steps.at(-1)!.action as Action;
  const withSession = (w: World, patch: Partial<DrainSessionContext>): World => ({
    ...w,
    coordinator: { ...w.coordinator!, session: { ...w.coordinator!.session, context: { ...(w.coordinator!.session.context as DrainSessionContext), ...patch } } as never },
  });

  it('I19 names a new session whose epoch is not above the last generated one', () => {
    expect(I19.check(opened, { prev: before, action: drainNode })).toBe(true);
    const epoch = session(opened)!.epoch;
    expect(I19.check(opened, { prev: withSession(before, { lastGeneratedDrainEpoch: epoch }), action: drainNode })).toMatch(new RegExp(`drain epoch ${epoch}, not above ${epoch}`));
  });

  it('I18 names a DrainNode on another node that answers 0 while the session exists; the faithful answer is 1', () => {
    const other: Action = { kind: 'api', call: 'DrainNode', target: session(opened)!.target === 'n1' ? 'n2' : 'n1' };
    const faithful = apply(stepper, opened, other, config);
    expect(faithful.coordinator!.lastDrainAnswer!.remaining).toBe(1);
    expect(I18.check(faithful, { prev: opened, action: other })).toBe(true);
    const forged: World = { ...faithful, coordinator: { ...faithful.coordinator!, lastDrainAnswer: { ...faithful.coordinator!.lastDrainAnswer!, remaining: 0 } } };
    expect(I18.check(forged, { prev: opened, action: other })).toMatch(/answered 0 while a session on n\d exists/);
  });
});
