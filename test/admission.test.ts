/**
 * Operator admission with an asynchronous epoch bump (spec §2.4): every row of the §2.4 statechart
 * table as a named test, first on the pure machine (events in, emitted effects out), then through
 * the host driver against a real memory store, where the bump actually runs.
 * Machines: admissionMachine. Specs: §2.4, §2.3.2, §3.2; invariants I2, I4, I7; §5.1 B2, B3.
 */
import { describe, expect, it } from 'vitest';
import { createActor, type AnyStateNode } from 'xstate';
import { admissionMachine, type AdmissionEvent, type AdmissionInput } from '../machines/admission.js';
import { MemoryEpochStore } from '../adapters/index.js';
import { admitOperator, EpochClock, type OperatorControllerView } from '../services/index.js';

/** Runs the pure machine on `events`; returns its final state, context and every emitted effect. */
function run(input: Partial<AdmissionInput>, events: AdmissionEvent[]) {
  const actor = createActor(admissionMachine, { input: { changefeedId: 'cf', kind: 'move', needsBump: true, ...input } });
  const effects: Array<{ type: string } & Record<string, unknown>> = [];
  actor.on('*', (e) => effects.push(e as (typeof effects)[number]));
  actor.start();
  for (const e of events) actor.send(e);
  const snap = actor.getSnapshot();
  return { state: snap.value, context: snap.context, effects, types: effects.map((e) => e.type), done: snap.status === 'done' };
}

const precheck = (v: Partial<{ hasOperator: boolean; bumping: boolean; changefeedExists: boolean }> = {}): AdmissionEvent => ({
  type: 'PRECHECK',
  hasOperator: false,
  bumping: false,
  changefeedExists: true,
  ...v,
});
const recheck = (v: Partial<{ hasOperator: boolean; changefeedExists: boolean; sameChangefeed: boolean }> = {}): AdmissionEvent => ({
  type: 'RECHECK',
  hasOperator: false,
  changefeedExists: true,
  sameChangefeed: true,
  ...v,
});
const bumped = (epoch = 6n): AdmissionEvent => ({ type: 'BUMPED', epoch });

describe('§2.4 admission machine (pure)', () => {
  it('has no invoke, after or always anywhere, so xstate/graph can explore it', () => {
    const visit = (n: AnyStateNode): void => {
      expect(n.invoke, `${n.id} invokes`).toHaveLength(0);
      expect(n.after, `${n.id} has delayed transitions`).toHaveLength(0);
      expect(n.always ?? [], `${n.id} has eventless transitions`).toHaveLength(0);
      Object.values(n.states).forEach(visit);
    };
    visit(admissionMachine.root);
  });

  it('Precheck: ops has cf → Rejected(false), nothing reserved or bumped', () => {
    const r = run({}, [precheck({ hasOperator: true })]);
    expect(r).toMatchObject({ state: 'Rejected', done: true, context: { reason: 'operator-exists', persistedEpoch: 'unchanged' } });
    expect(r.types).toEqual([]);
  });

  it('Precheck: cf in epochBumping → Rejected(false): a second Add or Move during a bump is refused (B2, I7)', () => {
    const r = run({}, [precheck({ bumping: true })]);
    expect(r).toMatchObject({ state: 'Rejected', context: { reason: 'bump-in-flight' } });
    expect(r.types).toEqual([]);
  });

  it('Precheck: an existing operator is reported before an in-flight bump (the source checks ops first)', () => {
    expect(run({}, [precheck({ hasOperator: true, bumping: true, changefeedExists: false })]).context.reason).toBe('operator-exists');
    expect(run({}, [precheck({ bumping: true, changefeedExists: false })]).context.reason).toBe('bump-in-flight');
  });

  it('Precheck: DB.GetByID(cf) == nil → Rejected(false)', () => {
    const r = run({}, [precheck({ changefeedExists: false })]);
    expect(r).toMatchObject({ state: 'Rejected', context: { reason: 'changefeed-missing', persistedEpoch: 'unchanged' } });
    expect(r.types).toEqual([]);
  });

  it('Precheck: !needsBump (no PD or backend) → push(op) → Accepted(true) with the in-memory epoch', () => {
    const r = run({ kind: 'add', needsBump: false }, [precheck()]);
    expect(r).toMatchObject({ state: 'Accepted', context: { epoch: null, persistedEpoch: 'unchanged' } });
    expect(r.effects).toEqual([{ type: 'controller.pushOperator', changefeedId: 'cf', kind: 'add' }]);
  });

  it('Precheck: a stop operator never bumps, even with PD and a backend → pushed at once', () => {
    const r = run({ kind: 'stop', needsBump: true }, [precheck()]);
    expect(r.state).toBe('Accepted');
    expect(r.types).toEqual(['controller.pushOperator']);
  });

  it('Precheck: needsBump → epochBumping += cf, the bump leaves as a store intent, and the machine waits in Bumping', () => {
    const r = run({}, [precheck()]);
    expect(r.state).toBe('Bumping');
    expect(r.effects).toEqual([
      { type: 'controller.reserveBumping', changefeedId: 'cf' },
      { type: 'store.bumpEpoch', changefeedId: 'cf' },
    ]);
  });

  it('Bumping: error → epochBumping −= cf → Rejected(false), persisted epoch unchanged', () => {
    const r = run({}, [precheck(), { type: 'BUMP_FAILED', code: 'CAS_EXHAUSTED' }]);
    expect(r).toMatchObject({ state: 'Rejected', context: { reason: 'bump-failed', bumpError: 'CAS_EXHAUSTED', persistedEpoch: 'unchanged' } });
    expect(r.types).toEqual(['controller.reserveBumping', 'store.bumpEpoch', 'controller.releaseBumping']);
  });

  it('Bumping: error with an unknown outcome (maybe applied) → Rejected(false), persisted epoch unknown', () => {
    const r = run({}, [precheck(), { type: 'BUMP_FAILED', code: 'STORE_UNAVAILABLE', maybeApplied: true }]);
    expect(r).toMatchObject({ state: 'Rejected', context: { persistedEpoch: 'unknown' } });
    expect(r.types).not.toContain('controller.setInfo');
  });

  it('Bumping: done → Recheck with the reservation still held; nothing pushed before the recheck', () => {
    const r = run({}, [precheck(), bumped()]);
    expect(r.state).toBe('Recheck');
    expect(r.types).toEqual(['controller.reserveBumping', 'store.bumpEpoch']);
  });

  it('§2.4 recheck under the lock: the reservation is released with the recheck outcome, never before it', () => {
    for (const v of [{}, { hasOperator: true }, { changefeedExists: false }, { sameChangefeed: false }]) {
      const r = run({}, [precheck(), bumped(), recheck(v)]);
      const types = r.types.slice(2);
      expect(types[0], JSON.stringify(v)).toBe('controller.releaseBumping');
      expect(r.types.filter((t) => t === 'controller.releaseBumping')).toHaveLength(1);
    }
  });

  it('§2.4 / §5.1 B2: a second Add or Move arriving between the bump completion and the recheck fails its precheck', () => {
    // Two admissions for one changefeed, interleaved as a host that delivers the recheck
    // asynchronously would: the first bump completes, then the second precheck runs, then the first recheck.
    const bumping = new Set<string>();
    const start = () => {
      const actor = createActor(admissionMachine, { input: { changefeedId: 'cf', kind: 'move', needsBump: true } });
      actor.on('controller.reserveBumping', () => void bumping.add('cf'));
      actor.on('controller.releaseBumping', () => void bumping.delete('cf'));
      return actor.start();
    };
    const first = start();
    first.send(precheck());
    first.send(bumped(6n));
    const second = start();
    second.send(precheck({ bumping: bumping.has('cf') }));
    expect(second.getSnapshot()).toMatchObject({ value: 'Rejected', context: { reason: 'bump-in-flight' } });
    first.send(recheck());
    expect(first.getSnapshot().value).toBe('Accepted');
    expect(bumping.size).toBe(0);
  });

  it('Bumping: a PRECHECK or RECHECK arriving early is ignored', () => {
    const r = run({}, [precheck(), recheck(), precheck()]);
    expect(r.state).toBe('Bumping');
  });

  it('Recheck: ops has cf (a stop won while the bump was in flight) → Rejected(false), persisted epoch already bumped, in-memory info not updated (I2)', () => {
    const r = run({}, [precheck(), bumped(), recheck({ hasOperator: true })]);
    expect(r).toMatchObject({ state: 'Rejected', context: { reason: 'operator-took-slot-during-bump', persistedEpoch: 'bumped', epoch: 6n } });
    expect(r.types).not.toContain('controller.setInfo');
    expect(r.types).not.toContain('controller.pushOperator');
  });

  it('Recheck: DB.GetByID(cf) == nil → Rejected(false), persisted epoch already bumped', () => {
    const r = run({}, [precheck(), bumped(), recheck({ changefeedExists: false })]);
    expect(r).toMatchObject({ state: 'Rejected', context: { reason: 'changefeed-removed-during-bump', persistedEpoch: 'bumped' } });
    expect(r.types).not.toContain('controller.setInfo');
  });

  it('Recheck: DB.GetByID(cf) !== cf (replaced by another object) → Rejected(false), persisted epoch already bumped', () => {
    const r = run({}, [precheck(), bumped(), recheck({ sameChangefeed: false })]);
    expect(r).toMatchObject({ state: 'Rejected', context: { reason: 'changefeed-replaced-during-bump', persistedEpoch: 'bumped' } });
    expect(r.types).not.toContain('controller.setInfo');
  });

  it('Recheck: else → cf.SetInfo(info), then push(op) → Accepted(true): the operator carries the new epoch (I4)', () => {
    const r = run({ kind: 'add' }, [precheck(), bumped(1n << 63n)]);
    const accepted = run({ kind: 'add' }, [precheck(), bumped(1n << 63n), recheck()]);
    expect(r.state).toBe('Recheck');
    expect(accepted).toMatchObject({ state: 'Accepted', context: { epoch: 1n << 63n, persistedEpoch: 'bumped' } });
    expect(accepted.effects.slice(-2)).toEqual([
      { type: 'controller.setInfo', changefeedId: 'cf', epoch: 1n << 63n },
      { type: 'controller.pushOperator', changefeedId: 'cf', kind: 'add' },
    ]);
  });

  it('final states ignore further events', () => {
    const r = run({}, [precheck({ hasOperator: true }), precheck(), bumped(), recheck()]);
    expect(r.state).toBe('Rejected');
    expect(r.types).toEqual([]);
  });
});

/** A host operator controller: an operator map, the bumping set, and the in-memory changefeeds. */
class Controller implements OperatorControllerView {
  operators = new Map<string, string>();
  bumping = new Set<string>();
  changefeeds = new Map<string, { epoch: bigint }>();
  log: string[] = [];
  hasOperator = (id: string) => this.operators.has(id);
  isBumping = (id: string) => this.bumping.has(id);
  lookup = (id: string) => this.changefeeds.get(id);
  reserveBumping = (id: string) => {
    this.bumping.add(id);
    this.log.push('reserve');
  };
  releaseBumping = (id: string) => {
    this.bumping.delete(id);
    this.log.push('release');
  };
  setInfo = (id: string, epoch: bigint) => {
    this.changefeeds.get(id)!.epoch = epoch;
    this.log.push(`setInfo ${epoch}`);
  };
  pushOperator = (id: string, kind: string) => {
    this.operators.set(id, kind);
    this.log.push(`push ${kind} with epoch ${this.changefeeds.get(id)!.epoch}`);
  };
  /** §2.3.2 StopChangefeed: takes the slot without looking at epochBumping. */
  stopChangefeed = (id: string) => {
    this.operators.set(id, 'stop');
    this.log.push('stop pushed');
  };
}

async function setupCase(epoch = 5n) {
  const store = new MemoryEpochStore();
  await store.create('cf', { epoch, state: 'normal', error: null, config: {} }, { checkpointTs: 1n, progress: 'None' });
  const c = new Controller();
  c.changefeeds.set('cf', { epoch });
  let t = 0n;
  const clock = new EpochClock({ tso: null, nowNanos: () => (t += 1n) });
  return { store, c, clock, persisted: async () => (await store.get('cf')).info.value.epoch };
}

describe('§2.4 admission through the host driver, against a memory store', () => {
  it('accepted: bump persisted, in-memory info set, then the operator pushed with the new epoch (I4)', async () => {
    const { store, c, clock, persisted } = await setupCase(5n);
    const r = await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'move' });
    expect(r).toEqual({ accepted: true, epoch: 6n, persistedEpoch: 'bumped' });
    expect(await persisted()).toBe(6n);
    expect(c.log).toEqual(['reserve', 'release', 'setInfo 6', 'push move with epoch 6']);
    // The release comes with the recheck, in the same step as SetInfo and the push (§2.4).
    expect(c.bumping.size).toBe(0);
  });

  it('the candidate from the clock is used when it is above the stored epoch', async () => {
    const { store, c, persisted } = await setupCase(5n);
    const clock = new EpochClock({ tso: { getTs: async () => ({ physicalMs: 1_000n, logical: 3n }) } });
    const r = await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add' });
    expect(r).toMatchObject({ accepted: true, epoch: (1_000n << 18n) | 3n });
    expect(await persisted()).toBe((1_000n << 18n) | 3n);
  });

  it('rejected at precheck when the changefeed already has an operator; nothing bumped', async () => {
    const { store, c, clock, persisted } = await setupCase();
    c.operators.set('cf', 'stop');
    expect(await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add' })).toMatchObject({
      accepted: false,
      reason: 'operator-exists',
      persistedEpoch: 'unchanged',
    });
    expect(await persisted()).toBe(5n);
  });

  it('rejected at precheck while another bump for the changefeed is in flight (§5.1 B2)', async () => {
    const { store, c, clock, persisted } = await setupCase();
    c.bumping.add('cf');
    expect(await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add' })).toMatchObject({ accepted: false, reason: 'bump-in-flight' });
    expect(await persisted()).toBe(5n);
  });

  it('two concurrent admissions for one changefeed: exactly one is admitted, one bump persisted', async () => {
    const { store, c, clock, persisted } = await setupCase();
    const [a, b] = await Promise.all([
      admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add' }),
      admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'move' }),
    ]);
    expect([a.accepted, b.accepted].filter(Boolean)).toHaveLength(1);
    expect([a, b].find((r) => !r.accepted)).toMatchObject({ reason: 'bump-in-flight' });
    expect(await persisted()).toBe(6n);
  });

  it('rejected at precheck when the changefeed is not in the DB', async () => {
    const { store, c, clock } = await setupCase();
    c.changefeeds.clear();
    expect(await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add' })).toMatchObject({
      accepted: false,
      reason: 'changefeed-missing',
    });
  });

  it('without PD or a backend there is no bump: pushed with the in-memory epoch', async () => {
    const { store, c, clock, persisted } = await setupCase(5n);
    expect(await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add', needsBump: false })).toEqual({
      accepted: true,
      epoch: null,
      persistedEpoch: 'unchanged',
    });
    expect(c.log).toEqual(['push add with epoch 5']);
    expect(await persisted()).toBe(5n);
  });

  it('a stop operator is admitted without a bump', async () => {
    const { store, c, clock, persisted } = await setupCase(5n);
    expect(await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'stop' })).toMatchObject({ accepted: true, epoch: null });
    expect(c.log).toEqual(['push stop with epoch 5']);
    expect(await persisted()).toBe(5n);
  });

  it('a failed bump rejects, releases the reservation, and leaves the persisted epoch unchanged', async () => {
    const { store, c, clock, persisted } = await setupCase();
    store.memory.inject('write', 'unavailable');
    expect(await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add' })).toEqual({
      accepted: false,
      reason: 'bump-failed',
      bumpError: 'STORE_UNAVAILABLE',
      persistedEpoch: 'unchanged',
    });
    expect(c.bumping.size).toBe(0);
    expect(await persisted()).toBe(5n);
  });

  it('a bump whose write applied but was not acknowledged rejects with the persisted epoch unknown (it is in fact bumped)', async () => {
    const { store, c, clock, persisted } = await setupCase(5n);
    store.memory.inject('write', 'maybe-applied');
    expect(await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add' })).toMatchObject({
      accepted: false,
      reason: 'bump-failed',
      persistedEpoch: 'unknown',
    });
    expect(await persisted()).toBe(6n);
    expect(c.changefeeds.get('cf')!.epoch).toBe(5n);
  });

  it('a bump past the deadline (PD never answers) rejects with an unknown outcome and releases the reservation', async () => {
    const { store, c, persisted } = await setupCase(5n);
    const clock = new EpochClock({ tso: { getTs: () => new Promise(() => {}) } });
    expect(await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add', bumpTimeoutMs: 20 })).toMatchObject({
      accepted: false,
      bumpError: 'BUMP_TIMEOUT',
      persistedEpoch: 'unknown',
    });
    expect(c.bumping.size).toBe(0);
    expect(await persisted()).toBe(5n);
  });

  it('a stop wins while the bump is in flight → rejected, persisted epoch already bumped, in-memory not updated', async () => {
    const { store, c, clock, persisted } = await setupCase(5n);
    store.memory.beforeCommit = () => {
      // StopChangefeed does not look at epochBumping: it takes the slot during the bump, unblocked.
      expect(c.bumping.has('cf')).toBe(true);
      c.stopChangefeed('cf');
      store.memory.beforeCommit = undefined;
    };
    const r = await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add' });
    expect(r).toMatchObject({ accepted: false, reason: 'operator-took-slot-during-bump', persistedEpoch: 'bumped' });
    expect(await persisted()).toBe(6n);
    expect(c.changefeeds.get('cf')!.epoch).toBe(5n);
    expect(c.operators.get('cf')).toBe('stop');
    expect(c.log).toEqual(['reserve', 'stop pushed', 'release']);
    expect(c.bumping.size).toBe(0);
  });

  it('the changefeed removed during the bump → rejected at recheck, persisted epoch bumped', async () => {
    const { store, c, clock, persisted } = await setupCase();
    store.memory.beforeCommit = () => void c.changefeeds.delete('cf');
    expect(await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add' })).toMatchObject({
      accepted: false,
      reason: 'changefeed-removed-during-bump',
    });
    expect(await persisted()).toBe(6n);
  });

  it('the changefeed replaced by a new object with the same ID during the bump → rejected at recheck, the new object untouched', async () => {
    const { store, c, clock } = await setupCase();
    const replacement = { epoch: 5n };
    store.memory.beforeCommit = () => void c.changefeeds.set('cf', replacement);
    expect(await admitOperator({ controller: c, store, clock, changefeedId: 'cf', kind: 'add' })).toMatchObject({
      accepted: false,
      reason: 'changefeed-replaced-during-bump',
    });
    expect(replacement.epoch).toBe(5n);
    expect(c.operators.size).toBe(0);
  });
});
