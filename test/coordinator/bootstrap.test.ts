import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  bootstrapCoordinator,
  InvalidBootstrapInputError,
  MultipleOwnersError,
  selectBootstrapMaintainer,
  type NodeBootstrapResponse,
  type PersistedChangefeed,
} from '../../machines/coordinator/index.js';
import { EpochRangeError } from '../../machines/errors.js';

describe('§2.4.2 steps 1-3: exact / compat / stale split', () => {
  it('an exact owner wins and compat reports become stale', () => {
    const r = selectBootstrapMaintainer('cf', 7n, [{ node: 'n1', maintainerEpoch: 7n }, { node: 'n2', maintainerEpoch: 0n }, { node: 'n3', maintainerEpoch: 6n }]);
    expect(r.owner).toEqual({ node: 'n1', maintainerEpoch: 7n });
    expect(r.stale.map((s) => s.node).sort()).toEqual(['n2', 'n3']);
  });
  it('without an exact report a single compat report owns', () => {
    const r = selectBootstrapMaintainer('cf', 7n, [{ node: 'n2', maintainerEpoch: 0n }, { node: 'n3', maintainerEpoch: 6n }]);
    expect(r.owner?.node).toBe('n2');
    expect(r.stale.map((s) => s.node)).toEqual(['n3']);
  });
  it('no match: no owner, all stale', () => {
    const r = selectBootstrapMaintainer('cf', 7n, [{ node: 'n3', maintainerEpoch: 8n }]);
    expect(r.owner).toBeUndefined();
    expect(r.stale).toHaveLength(1);
  });
  it('two exact or two compat owners are a typed error', () => {
    expect(() => selectBootstrapMaintainer('cf', 7n, [{ node: 'n1', maintainerEpoch: 7n }, { node: 'n2', maintainerEpoch: 7n }])).toThrow(MultipleOwnersError);
    expect(() => selectBootstrapMaintainer('cf', 7n, [{ node: 'n1', maintainerEpoch: 0n }, { node: 'n2', maintainerEpoch: 0n }])).toThrow(MultipleOwnersError);
  });
});

// -------------------------------------------------------------------------------------------------
// bootstrapCoordinator: §2.4.2 steps 1–7 over persisted records and every alive node's statuses.
// -------------------------------------------------------------------------------------------------

const persisted = (id: string, over: Partial<PersistedChangefeed> = {}): PersistedChangefeed => ({
  id,
  epoch: 7n,
  state: 'normal',
  error: null,
  checkpointTs: 100n,
  progress: 'None',
  ...over,
});
const status = (changefeedId: string, maintainerEpoch: bigint, checkpointTs = 150n) => ({ changefeedId, maintainerEpoch, checkpointTs });
const boot = (p: PersistedChangefeed[], responses: NodeBootstrapResponse[]) => bootstrapCoordinator({ selfNode: 'coord', persisted: p, responses });

describe('§2.4.2 step 3: more than one owner is a typed error, nothing returned', () => {
  it('two nodes report the persisted epoch', () => {
    expect(() => boot([persisted('cf')], [{ node: 'n1', statuses: [status('cf', 7n)] }, { node: 'n2', statuses: [status('cf', 7n)] }])).toThrow(MultipleOwnersError);
  });
  it('two nodes report epoch 0 (compat) with no exact owner', () => {
    expect(() => boot([persisted('cf')], [{ node: 'n1', statuses: [status('cf', 0n)] }, { node: 'n2', statuses: [status('cf', 0n)] }])).toThrow(MultipleOwnersError);
  });
  it('a persisted epoch of 0 makes every report compat: two reports panic', () => {
    expect(() => boot([persisted('cf', { epoch: 0n })], [{ node: 'n1', statuses: [status('cf', 5n)] }, { node: 'n2', statuses: [status('cf', 9n)] }])).toThrow(MultipleOwnersError);
  });
  it('bad input is a typed error too: a changefeed persisted twice, a node answering twice, a non-uint64 epoch', () => {
    expect(() => boot([persisted('cf'), persisted('cf')], [])).toThrow(InvalidBootstrapInputError);
    expect(() => boot([persisted('cf')], [{ node: 'n1', statuses: [] }, { node: 'n1', statuses: [] }])).toThrow(InvalidBootstrapInputError);
    expect(() => boot([persisted('cf', { epoch: -1n })], [])).toThrow(EpochRangeError);
    expect(() => boot([persisted('cf')], [{ node: 'n1', statuses: [status('cf', 1n << 64n)] }])).toThrow(EpochRangeError);
  });
});

describe('§2.4.2 step 4: no owner → Absent or Stopped; one owner → Replicating with its checkpoint', () => {
  it('no report, state normal: Absent, unbound, not new, persisted checkpoint', () => {
    const r = boot([persisted('cf')], []);
    expect(r.changefeeds.db.get('cf')).toEqual({ nodeId: '', bucket: 'Absent', stopped: false, isNew: false });
    expect(r.changefeeds.meta.get('cf')).toEqual({ epoch: 7n, state: 'normal', error: null, checkpointTs: 100n });
    expect(r.operatorsToPush).toEqual([]);
    expect(r.messages).toEqual([]);
  });
  it('warning and pending states should run: Absent', () => {
    for (const state of ['warning', 'pending'] as const) {
      expect(boot([persisted('cf', { state })], []).changefeeds.db.get('cf')?.bucket).toBe('Absent');
    }
  });
  it('stopped, failed and finished: in the Stopped map, no bucket', () => {
    for (const state of ['stopped', 'failed', 'finished'] as const) {
      expect(boot([persisted('cf', { state })], []).changefeeds.db.get('cf')).toEqual({ nodeId: '', bucket: undefined, stopped: true, isNew: false });
    }
  });
  it('one exact owner: Replicating on it, checkpoint from its status, persisted epoch kept (no bump)', () => {
    const r = boot([persisted('cf')], [{ node: 'n2', statuses: [status('cf', 7n, 180n)] }]);
    expect(r.changefeeds.db.get('cf')).toEqual({ nodeId: 'n2', bucket: 'Replicating', stopped: false, isNew: false });
    expect(r.changefeeds.meta.get('cf')?.checkpointTs).toBe(180n);
    expect(r.changefeeds.meta.get('cf')?.epoch).toBe(7n);
  });
  it('a stopped changefeed still reported by its owner is Replicating (TiCDC adds the owner first)', () => {
    const r = boot([persisted('cf', { state: 'stopped' })], [{ node: 'n1', statuses: [status('cf', 0n)] }]);
    expect(r.changefeeds.db.get('cf')).toEqual({ nodeId: 'n1', bucket: 'Replicating', stopped: false, isNew: false });
  });
  it('only stale reports: no owner, Absent', () => {
    const r = boot([persisted('cf')], [{ node: 'n1', statuses: [status('cf', 6n)] }]);
    expect(r.changefeeds.db.get('cf')?.bucket).toBe('Absent');
    expect(r.changefeeds.meta.get('cf')?.checkpointTs).toBe(100n);
  });
});

describe('§2.4.2 step 5: Stopping / Removing progress', () => {
  it('Stopping with an owner: StopChangefeed → Stopped, stop operator to the owner with the persisted epoch', () => {
    const r = boot([persisted('cf', { progress: 'Stopping', state: 'stopped' })], [{ node: 'n1', statuses: [status('cf', 7n)] }]);
    expect(r.changefeeds.db.get('cf')).toEqual({ nodeId: '', bucket: undefined, stopped: true, isNew: false });
    expect(r.operatorsToPush).toEqual([{ kind: 'stop', changefeed: 'cf', node: 'n1', epoch: 7n, removed: false, entry: 'StopChangefeed' }]);
    expect(r.messages).toEqual([]);
  });
  it('Removing with an owner: deleted from the DB and the infos, removed stop to the owner', () => {
    const r = boot([persisted('cf', { progress: 'Removing' })], [{ node: 'n1', statuses: [status('cf', 7n)] }]);
    expect(r.changefeeds.db.has('cf')).toBe(false);
    expect(r.changefeeds.meta.has('cf')).toBe(false);
    expect(r.operatorsToPush).toEqual([{ kind: 'stop', changefeed: 'cf', node: 'n1', epoch: 7n, removed: true, entry: 'StopChangefeed' }]);
  });
  it('Stopping with no report at all: the stop goes to the coordinator itself (unbound)', () => {
    const r = boot([persisted('cf', { progress: 'Stopping' })], []);
    expect(r.operatorsToPush).toEqual([{ kind: 'stop', changefeed: 'cf', node: 'coord', epoch: 7n, removed: false, entry: 'StopChangefeed' }]);
    expect(r.changefeeds.db.get('cf')?.stopped).toBe(true);
  });
  it('Removing with no owner but a stale one: DB stop only, the stale owner takes the slot with its own epoch', () => {
    const r = boot([persisted('cf', { progress: 'Removing' })], [{ node: 'n3', statuses: [status('cf', 5n)] }]);
    expect(r.changefeeds.db.has('cf')).toBe(false);
    expect(r.operatorsToPush).toEqual([{ kind: 'stop', changefeed: 'cf', node: 'n3', epoch: 5n, removed: true, entry: 'StopRemoteMaintainerWithMaintainerEpoch' }]);
    expect(r.messages).toEqual([]);
  });
  it('Stopping with no owner but a stale one: Stopped, stale stop with removed=false', () => {
    const r = boot([persisted('cf', { progress: 'Stopping' })], [{ node: 'n3', statuses: [status('cf', 5n)] }]);
    expect(r.changefeeds.db.get('cf')?.stopped).toBe(true);
    expect(r.operatorsToPush).toEqual([{ kind: 'stop', changefeed: 'cf', node: 'n3', epoch: 5n, removed: false, entry: 'StopRemoteMaintainerWithMaintainerEpoch' }]);
  });
  it('Removing with an owner and a stale one: the owner stop holds the slot, the stale owner gets a direct removed command', () => {
    const r = boot([persisted('cf', { progress: 'Removing' })], [{ node: 'n1', statuses: [status('cf', 7n)] }, { node: 'n2', statuses: [status('cf', 4n)] }]);
    expect(r.operatorsToPush).toEqual([{ kind: 'stop', changefeed: 'cf', node: 'n1', epoch: 7n, removed: true, entry: 'StopChangefeed' }]);
    expect(r.messages).toEqual([{ type: 'RemoveMaintainerRequest', to: 'n2', changefeedId: 'cf', cascade: true, removed: true, maintainerEpoch: 4n }]);
  });
  it('progress None keeps the changefeed placed: no stop for it', () => {
    const r = boot([persisted('cf')], [{ node: 'n1', statuses: [status('cf', 7n)] }]);
    expect(r.operatorsToPush).toEqual([]);
    expect(r.changefeeds.db.get('cf')?.bucket).toBe('Replicating');
  });
});

describe('§2.4.2 step 6: stale owners are stopped with their own epoch', () => {
  it('first stale owner by a stop operator, later ones by direct commands; removed=false without Stopping/Removing', () => {
    const r = boot([persisted('cf')], [
      { node: 'n1', statuses: [status('cf', 7n)] },
      { node: 'n2', statuses: [status('cf', 5n)] },
      { node: 'n3', statuses: [status('cf', 3n)] },
    ]);
    expect(r.changefeeds.db.get('cf')).toEqual({ nodeId: 'n1', bucket: 'Replicating', stopped: false, isNew: false });
    expect(r.operatorsToPush).toEqual([{ kind: 'stop', changefeed: 'cf', node: 'n2', epoch: 5n, removed: false, entry: 'StopRemoteMaintainerWithMaintainerEpoch' }]);
    expect(r.messages).toEqual([{ type: 'RemoveMaintainerRequest', to: 'n3', changefeedId: 'cf', cascade: true, removed: false, maintainerEpoch: 3n }]);
  });
  it('a compat report beside an exact owner is stale and stopped with epoch 0, its own', () => {
    const r = boot([persisted('cf')], [{ node: 'n1', statuses: [status('cf', 7n)] }, { node: 'n2', statuses: [status('cf', 0n)] }]);
    expect(r.operatorsToPush).toEqual([{ kind: 'stop', changefeed: 'cf', node: 'n2', epoch: 0n, removed: false, entry: 'StopRemoteMaintainerWithMaintainerEpoch' }]);
  });
  it('a stale owner on the same node as the exact owner is stopped by node and its own epoch; the DB keeps the owner', () => {
    const r = boot([persisted('cf', { epoch: 9n })], [{ node: 'n1', statuses: [status('cf', 9n), status('cf', 8n)] }]);
    expect(r.changefeeds.db.get('cf')?.nodeId).toBe('n1');
    expect(r.operatorsToPush).toEqual([{ kind: 'stop', changefeed: 'cf', node: 'n1', epoch: 8n, removed: false, entry: 'StopRemoteMaintainerWithMaintainerEpoch' }]);
  });
  it('operators are per changefeed: each changefeed\'s first stale owner gets its own operator', () => {
    const r = boot([persisted('a'), persisted('b')], [{ node: 'n1', statuses: [status('a', 1n), status('b', 2n)] }]);
    expect(r.operatorsToPush.map((o) => [o.changefeed, o.node, o.epoch])).toEqual([['a', 'n1', 1n], ['b', 'n1', 2n]]);
    expect(r.messages).toEqual([]);
  });
});

describe('§2.4.2 step 7: reports for changefeeds absent from the store are removed', () => {
  it('each reporting node gets RemoveMaintainer(cascade, removed=true) with the epoch it reported', () => {
    const r = boot([persisted('known')], [
      { node: 'n1', statuses: [status('ghost', 4n)] },
      { node: 'n2', statuses: [status('ghost', 0n), status('known', 7n)] },
    ]);
    expect(r.messages).toEqual([
      { type: 'RemoveMaintainerRequest', to: 'n1', changefeedId: 'ghost', cascade: true, removed: true, maintainerEpoch: 4n },
      { type: 'RemoveMaintainerRequest', to: 'n2', changefeedId: 'ghost', cascade: true, removed: true, maintainerEpoch: 0n },
    ]);
    expect(r.changefeeds.db.has('ghost')).toBe(false);
    expect(r.changefeeds.db.get('known')?.nodeId).toBe('n2');
  });
  it('with nothing persisted every report is removed and the DB is empty', () => {
    const r = boot([], [{ node: 'n1', statuses: [status('x', 3n)] }]);
    expect(r.changefeeds.db.size).toBe(0);
    expect(r.operatorsToPush).toEqual([]);
    expect(r.messages).toHaveLength(1);
  });
});

describe('§2.4.2: the coordinator never bumps at bootstrap', () => {
  it('every in-memory epoch equals the persisted one, whatever was reported', () => {
    const r = boot([persisted('a', { epoch: 7n }), persisted('b', { epoch: 0n }), persisted('c', { epoch: 12n })], [
      { node: 'n1', statuses: [status('a', 7n), status('b', 30n), status('c', 99n)] },
    ]);
    expect([...r.changefeeds.meta].map(([id, m]) => [id, m.epoch])).toEqual([['a', 7n], ['b', 0n], ['c', 12n]]);
  });
  it('bad input changes nothing: the input arrays are left as given', () => {
    const p = [persisted('b'), persisted('a')];
    const snapshot = JSON.stringify(p, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
    boot(p, [{ node: 'n1', statuses: [status('a', 1n)] }]);
    expect(JSON.stringify(p, (_, v) => (typeof v === 'bigint' ? v.toString() : v))).toBe(snapshot);
  });
});

describe('§2.4.2 over random clusters (seeded fast-check): every stale owner is stopped once, with its own epoch', () => {
  const NODES = ['n1', 'n2', 'n3'];
  const CFS = ['a', 'b', 'c'];
  const epoch = fc.constantFrom(0n, 4n, 5n, 7n);
  const cluster = fc.record({
    persisted: fc.uniqueArray(
      fc.record({
        id: fc.constantFrom(...CFS),
        epoch,
        state: fc.constantFrom('normal', 'warning', 'stopped', 'failed', 'finished') as fc.Arbitrary<PersistedChangefeed['state']>,
        error: fc.constant(null),
        checkpointTs: fc.constant(100n),
        progress: fc.constantFrom('None', 'Stopping', 'Removing') as fc.Arbitrary<PersistedChangefeed['progress']>,
      }),
      { selector: (p) => p.id, maxLength: 3 },
    ),
    responses: fc.uniqueArray(
      fc.record({
        node: fc.constantFrom(...NODES),
        statuses: fc.array(fc.record({ changefeedId: fc.constantFrom(...CFS, 'ghost'), maintainerEpoch: epoch, checkpointTs: fc.constant(150n) }), { maxLength: 3 }),
      }),
      { selector: (r) => r.node, maxLength: 3 },
    ),
  });

  it('at most one operator per changefeed; each report is stopped exactly once unless it is the owner; epochs never bumped', () => {
    fc.assert(
      fc.property(cluster, ({ persisted: ps, responses }) => {
        let r;
        try {
          r = bootstrapCoordinator({ selfNode: 'coord', persisted: ps, responses });
        } catch (e) {
          // Step 3 is the only refusal for well-formed input, and only with two owners.
          expect(e).toBeInstanceOf(MultipleOwnersError);
          return;
        }
        const perChangefeed = new Map<string, number>();
        for (const op of r.operatorsToPush) perChangefeed.set(op.changefeed, (perChangefeed.get(op.changefeed) ?? 0) + 1);
        expect([...perChangefeed.values()].every((n) => n === 1)).toBe(true);
        for (const p of ps) {
          const reports = responses.flatMap((x) => x.statuses.filter((s) => s.changefeedId === p.id).map((s) => ({ node: x.node, maintainerEpoch: s.maintainerEpoch })));
          const { owner, stale } = selectBootstrapMaintainer(p.id, p.epoch, reports);
          const removed = p.progress === 'Removing';
          // Each stale owner: one stop (operator or command) to its node with its own epoch.
          const stops = [
            ...r.operatorsToPush.filter((o) => o.changefeed === p.id && o.entry === 'StopRemoteMaintainerWithMaintainerEpoch').map((o) => [o.node, o.epoch, o.removed]),
            ...r.messages.filter((m) => m.changefeedId === p.id).map((m) => [m.to, m.maintainerEpoch, m.removed]),
          ];
          expect(stops).toEqual(stale.map((s) => [s.node, s.maintainerEpoch, removed]));
          // The changefeed itself is stopped by an operator iff Stopping/Removing and (an owner or no stale owner).
          const own = r.operatorsToPush.filter((o) => o.changefeed === p.id && o.entry === 'StopChangefeed');
          const stopping = p.progress !== 'None';
          expect(own.length).toBe(stopping && (owner !== undefined || stale.length === 0) ? 1 : 0);
          if (own[0]) expect([own[0].node, own[0].epoch]).toEqual([owner?.node ?? 'coord', p.epoch]);
          // Placement: removed → gone; Stopping → Stopped; else owner → Replicating, else Absent/Stopped by state.
          const entry = r.changefeeds.db.get(p.id);
          if (removed) expect(entry).toBeUndefined();
          else if (stopping) expect(entry?.stopped).toBe(true);
          else if (owner) expect([entry?.nodeId, entry?.bucket]).toEqual([owner.node, 'Replicating']);
          else expect(entry?.bucket === 'Absent').toBe(p.state === 'normal' || p.state === 'warning');
          if (!removed) expect(r.changefeeds.meta.get(p.id)?.epoch).toBe(p.epoch);
        }
        // Reports of unknown changefeeds: removed with their own epoch.
        const known = new Set(ps.map((p) => p.id));
        const ghosts = responses.flatMap((x) => x.statuses.filter((s) => !known.has(s.changefeedId)).map((s) => [x.node, s.changefeedId, s.maintainerEpoch, true]));
        expect(r.messages.filter((m) => !known.has(m.changefeedId)).map((m) => [m.to, m.changefeedId, m.maintainerEpoch, m.removed])).toEqual(ghosts);
      }),
      { seed: 20261123, numRuns: 400 },
    );
  });
});
