/**
 * §3.2 (the bump's ModRevision compares and retries) and §3.4 (UpdateChangefeedCheckpointTs) in the
 * composed world (cluster/world.ts `checkpoints`): the coordinator's checkpoint writer, per-key store
 * revisions, and the two historical bugs they let the checker express (§5.1 B27, B29).
 */
import { describe, expect, it } from 'vitest';
import { findVariant, VariantStepper } from '../../cluster/check.js';
import { epochOnlyBumpConflictsOnInfo, persistedCheckpointMonotonic } from '../../cluster/catalogueInvariants.js';
import { parseScenario, ScenarioError } from '../../cluster/scenario.js';
import { apply, enabledActions, initialWorld, WorldError, type Action, type ClusterConfig, type World } from '../../cluster/world.js';

const base: ClusterConfig = {
  coordinator: 'coord',
  nodes: ['n1'],
  changefeeds: ['cf'],
  capacity: 3,
  budgets: { loss: 0, duplication: 0, crashes: 0 },
  ticks: ['HEARTBEAT'],
  composeCoordinator: true,
  time: false,
  nodeHeartbeats: false,
};

/** Takes the one enabled step matching `want` (its fields), failing when none is enabled. */
function take(stepper: VariantStepper, w: World, cfg: ClusterConfig, want: (a: Action) => boolean): { prev: World; action: Action; world: World } {
  const action = enabledActions(w, cfg, stepper).find(want);
  if (!action) throw new Error(`not enabled; enabled: ${enabledActions(w, cfg, stepper).map((a) => a.kind).join(', ')}`);
  return { prev: w, action, world: apply(stepper, w, action, cfg) };
}
const is = (kind: Action['kind'], extra: Record<string, unknown> = {}) => (a: Action) =>
  a.kind === kind && Object.entries(extra).every(([k, v]) => (a as unknown as Record<string, unknown>)[k] === v);
const storeOf = (op: string, outcome = 'ok') => (a: Action) => a.kind === 'store' && a.call.op.op === op && a.outcome === outcome;

/** The coordinator bootstrapped (cf Absent) and the basic scheduler's add waiting for its bump. */
function bumpIssued(stepper: VariantStepper, cfg: ClusterConfig): World {
  let w = initialWorld(stepper, cfg);
  w = take(stepper, w, cfg, (a) => a.kind === 'deliver' && a.message.type === 'CoordinatorBootstrap').world;
  w = take(stepper, w, cfg, (a) => a.kind === 'deliver' && a.message.type === 'CoordinatorBootstrapResponse').world;
  w = take(stepper, w, cfg, is('coordinator-tick')).world;
  expect(w.storeCalls).toEqual([expect.objectContaining({ purpose: 'admission', op: expect.objectContaining({ op: 'bump' }) })]);
  return w;
}

/** The checkpoint advances, is written and the write lands. */
function checkpointPersisted(stepper: VariantStepper, w: World, cfg: ClusterConfig): World {
  w = take(stepper, w, cfg, is('checkpoint', { step: 'advance' })).world;
  w = take(stepper, w, cfg, is('checkpoint', { step: 'write' })).world;
  return take(stepper, w, cfg, storeOf('updateCheckpoint')).world;
}

describe('§3.4 the coordinator checkpoint writer (UpdateChangefeedCheckpointTs)', () => {
  it('is off by default: no checkpoint step, no revisions, no compare data on store calls', () => {
    const S = new VariantStepper();
    const w = bumpIssued(S, base);
    expect(w.revisions).toBeUndefined();
    expect(w.storeCalls![0]!.seen).toBeUndefined();
    expect(enabledActions(w, base, S).some((a) => a.kind === 'checkpoint')).toBe(false);
    expect(() => apply(S, w, { kind: 'checkpoint', changefeedId: 'cf', step: 'advance' }, base)).toThrow(WorldError);
  });

  it('persists the in-memory checkpoint once it is ahead of the stored one, one write at a time; the write moves only the status revision', () => {
    const cfg = { ...base, checkpoints: { advances: 2 } };
    const S = new VariantStepper();
    let w = bumpIssued(S, cfg);
    expect(w.revisions).toEqual({ cf: { info: 1, status: 1 } });
    expect(enabledActions(w, cfg, S).some(is('checkpoint', { step: 'write' }))).toBe(false);
    w = take(S, w, cfg, is('checkpoint', { step: 'advance' })).world;
    w = take(S, w, cfg, is('checkpoint', { step: 'write' })).world;
    expect(w.storeCalls!.find((c) => c.purpose === 'checkpoint')!.op).toEqual({ op: 'updateCheckpoint', checkpointTs: 2n });
    w = take(S, w, cfg, is('checkpoint', { step: 'advance' })).world;
    // A second write waits for the one in flight (the writer is one goroutine).
    expect(enabledActions(w, cfg, S).some(is('checkpoint', { step: 'write' }))).toBe(false);
    w = take(S, w, cfg, storeOf('updateCheckpoint')).world;
    expect(w.store.cf).toMatchObject({ checkpointTs: 2n, epoch: 1n });
    expect(w.revisions).toEqual({ cf: { info: 1, status: 2 } });
    expect(w.checkpointAdvances).toBe(0);
    expect(enabledActions(w, cfg, S).some(is('checkpoint', { step: 'advance' }))).toBe(false);
  });
});

describe('§3.2 step 5: an epoch bump compares the revisions it read', () => {
  it('the faithful epoch-only bump compares the info key only: a checkpoint write before its txn does not fail it, nor lose the checkpoint', () => {
    const cfg = { ...base, checkpoints: { advances: 1 } };
    const S = new VariantStepper();
    let w = bumpIssued(S, cfg);
    expect(w.storeCalls![0]!.seen).toEqual({ info: 1, status: 1 });
    w = checkpointPersisted(S, w, cfg);
    const s = take(S, w, cfg, storeOf('bump'));
    expect(s.world.store.cf).toMatchObject({ epoch: 2n, checkpointTs: 2n });
    expect(s.world.revisions).toEqual({ cf: { info: 2, status: 2 } });
    expect(s.world.coordinator!.controller!.operators.get('cf')?.kind).toBe('add');
    expect(epochOnlyBumpConflictsOnInfo.check(s.world, s)).toBe(true);
    expect(persistedCheckpointMonotonic.check(s.world, s)).toBe(true);
  });

  it('B27: the pre-fix bump also compares the status revision: it re-reads and retries, and once its attempts are spent the add is rejected (ErrMetaOpFailed)', () => {
    const cfg = { ...base, checkpoints: { advances: 2, bumpAttempts: 2 } };
    const S = new VariantStepper(findVariant('B27'));
    let w = checkpointPersisted(S, bumpIssued(S, cfg), cfg);
    const first = take(S, w, cfg, storeOf('bump'));
    expect(epochOnlyBumpConflictsOnInfo.check(first.world, first)).toMatch(/failed its compare although the info key is unchanged/);
    // Nothing written; the call re-read the revisions and is in flight again.
    expect(first.world.store).toEqual(w.store);
    expect(first.world.storeCalls).toEqual([expect.objectContaining({ purpose: 'admission', seen: { info: 1, status: 2 }, attempt: 1 })]);
    w = checkpointPersisted(S, first.world, cfg);
    const last = take(S, w, cfg, storeOf('bump'));
    expect(last.world.storeCalls).toEqual([]);
    expect(last.world.store.cf).toMatchObject({ epoch: 1n, checkpointTs: 3n });
    // BUMP_FAILED: the reservation is released and no operator was pushed.
    const c = last.world.coordinator!;
    expect(c.admissions).toEqual({});
    expect(c.controller!.operators.has('cf')).toBe(false);
    expect(c.controller!.epochBumping.has('cf')).toBe(false);
  });

  it('B29: the pre-fix bump writes the checkpoint its caller held when it was issued, lowering the persisted one (I1)', () => {
    const cfg = { ...base, checkpoints: { advances: 1 } };
    const S = new VariantStepper(findVariant('B29'));
    let w = bumpIssued(S, cfg);
    expect(w.storeCalls![0]!.op).toEqual({ op: 'bump', candidate: 0n, status: { checkpointTs: 1n, progress: 'None' } });
    w = checkpointPersisted(S, w, cfg);
    const s = take(S, w, cfg, storeOf('bump'));
    expect(s.world.store.cf).toMatchObject({ epoch: 2n, checkpointTs: 1n });
    expect(persistedCheckpointMonotonic.check(s.world, s)).toBe('the bump of cf lowered the persisted checkpoint from 2 to 1');
  });
});

describe('scenario and configuration format of `checkpoints`', () => {
  const scenario = (checkpoints: unknown) => ({ config: { nodes: ['n1'], changefeeds: ['cf'], composeCoordinator: true, checkpoints }, steps: [] });
  it('is read with its defaults; a malformed one is a ScenarioError naming the field', () => {
    expect(parseScenario(scenario({ advances: 2 })).config.checkpoints).toEqual({ advances: 2 });
    expect(parseScenario(scenario({ advances: 1, bumpAttempts: 3 })).config.checkpoints).toEqual({ advances: 1, bumpAttempts: 3 });
    expect(() => parseScenario(scenario({ advances: -1 }))).toThrow(/checkpoints\.advances/);
    expect(() => parseScenario(scenario({ advances: 1, bumpAttempts: 0 }))).toThrow(ScenarioError);
    expect(() => parseScenario(scenario(3))).toThrow(/config\.checkpoints/);
  });
});
