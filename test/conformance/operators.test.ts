/**
 * Conformance: the coordinator-side operators against the Go tests paraphrased in spec §6.1
 * (operator_add_test.go), §6.2 (operator_move_test.go) and §6.3 (operator_stop_test.go).
 *
 * Machines: addMaintainerMachine, moveMaintainerMachine, stopChangefeedMachine.
 * Specs checked: the §2.1/§2.2/§2.3 transition tables; invariants I6, I22, I23.
 *
 * `Schedule()` is the SCHEDULE event; its returned command is the message emitted for it, and
 * "Schedule()==nil" is "SCHEDULE emits nothing". The ChangefeedDB is the host's: a tiny reducer
 * below applies the emitted db intents so tests can assert the binding and the bucket as the Go
 * tests assert them on a real ChangefeedDB.
 */
import { describe, expect, it } from 'vitest';
import {
  addMaintainerMachine,
  moveMaintainerMachine,
  originStopTarget,
  stopChangefeedMachine,
  type Effect,
} from 'opcharts';
import { drive } from '../helpers/drive.js';

/** The host's ChangefeedDB for one changefeed: bucket and bound node (§2.0 table). */
function changefeedDb(initial: { nodeId: string; bucket: 'Absent' | 'Scheduling' | 'Replicating' }) {
  const db = { ...initial, isNew: true };
  return {
    db,
    apply(effects: readonly Effect[]) {
      for (const e of effects) {
        if (e.type === 'db.bindChangefeedToNode') Object.assign(db, { nodeId: e.to, bucket: 'Scheduling' });
        if (e.type === 'db.markMaintainerScheduling') db.bucket = 'Scheduling';
        if (e.type === 'db.markMaintainerReplicating') {
          db.bucket = 'Replicating';
          if (e.clearIsNew) db.isNew = false;
        }
        if (e.type === 'db.markMaintainerAbsent') Object.assign(db, { nodeId: '', bucket: 'Absent' });
      }
    },
  };
}

const status = (from: string, state: 'Working' | 'Stopped', maintainerEpoch: bigint, bootstrapDone = false) =>
  ({ type: 'STATUS', from, state, bootstrapDone, maintainerEpoch }) as const;
const nodeRemoved = (node: string) => ({ type: 'NODE_REMOVED', node }) as const;
const SCHEDULE = { type: 'SCHEDULE' } as const;
const POST_FINISH = { type: 'POST_FINISH' } as const;
const TASK_REMOVED = { type: 'TASK_REMOVED' } as const;

const FINISHED_ADD = ['Succeeded', 'CanceledNodeRemoved', 'CanceledTaskRemoved'];
const FINISHED_MOVE = ['DoneSuccess', 'DoneNoPostFinish'];

describe('§6.1 AddMaintainerOperator (operator_add_test.go)', () => {
  const add = (maintainerEpoch = 1n) =>
    drive(addMaintainerMachine, { changefeedId: 'cf', dest: 'n1', maintainerEpoch, checkpointTs: 100n, isNew: true });

  it('6.1.1 OnNodeRemove: removing another node changes nothing; removing dest cancels with NodeRemoved', () => {
    const op = add();
    expect(op.take()).toEqual([{ type: 'db.bindChangefeedToNode', changefeedId: 'cf', from: '', to: 'n1' }]);
    op.send(nodeRemoved('n2'));
    expect(op.state()).toBe('Sending');
    op.send(nodeRemoved('n1'));
    expect(op.state()).toBe('CanceledNodeRemoved');
    expect(FINISHED_ADD).toContain(op.state());
    op.send(SCHEDULE);
    expect(op.take()).toEqual([]);
  });

  it('6.1.2 OnTaskRemoved: canceled TaskRemoved, finished, Schedule nil, PostFinish marks nothing', () => {
    const op = add();
    op.take();
    op.send(TASK_REMOVED);
    expect(op.state()).toBe('CanceledTaskRemoved');
    op.send(SCHEDULE, POST_FINISH);
    expect(op.take()).toEqual([]);
    expect(op.state()).toBe('Disposed');
  });

  it('6.1.3 CheckRequiresBootstrapDone: Working without BootstrapDone never completes', () => {
    const op = add(1n);
    op.send(status('n1', 'Working', 0n, false));
    expect(op.state()).toBe('Sending');
    op.send(status('n1', 'Working', 1n, true));
    expect(op.state()).toBe('Succeeded');
  });

  it('6.1.4 CheckAcceptsCompatEpochDuringRollingUpgrade: epoch 0 is the wildcard', () => {
    const op = add(2n);
    op.send(status('n1', 'Working', 0n, true));
    expect(op.state()).toBe('Succeeded');
  });

  it('a mismatched non-zero epoch, or a status from another node, never completes the add', () => {
    const op = add(2n);
    op.send(status('n1', 'Working', 1n, true), status('n1', 'Working', 3n, true), status('n2', 'Working', 2n, true));
    expect(op.state()).toBe('Sending');
  });

  it('SCHEDULE sends AddMaintainer to dest with the post-bump epoch and checkpoint', () => {
    const op = add(7n);
    op.take();
    op.send(SCHEDULE);
    expect(op.take()).toEqual([
      { type: 'AddMaintainerRequest', to: 'n1', changefeedId: 'cf', maintainerEpoch: 7n, checkpointTs: 100n, isNew: true },
    ]);
  });

  it('node removal overrides success (§5.1 B8, I22): PostFinish marks Absent, not Replicating', () => {
    const op = add(1n);
    const db = changefeedDb({ nodeId: '', bucket: 'Absent' });
    op.send(status('n1', 'Working', 1n, true), nodeRemoved('n1'), POST_FINISH);
    db.apply(op.effects);
    expect(db.db).toMatchObject({ bucket: 'Absent', nodeId: '' });
  });

  it('success PostFinish marks Replicating and clears isNew', () => {
    const op = add(1n);
    const db = changefeedDb({ nodeId: '', bucket: 'Absent' });
    op.send(status('n1', 'Working', 1n, true), POST_FINISH);
    db.apply(op.effects);
    expect(db.db).toEqual({ bucket: 'Replicating', nodeId: 'n1', isNew: false });
    expect(op.actor.getSnapshot().status).toBe('done');
  });
});

describe('§6.2 MoveMaintainerOperator (operator_move_test.go): cf epoch 1, replicating on n1, move n1→n2', () => {
  const move = (originEpoch = 1n, maintainerEpoch = originEpoch) => {
    const op = drive(moveMaintainerMachine, {
      changefeedId: 'cf',
      origin: 'n1',
      dest: 'n2',
      originEpoch,
      maintainerEpoch,
      checkpointTs: 100n,
    });
    const db = changefeedDb({ nodeId: 'n1', bucket: 'Replicating' });
    db.apply(op.take());
    const step = (...events: Parameters<typeof op.send>) => {
      op.send(...events);
      const out = op.take();
      db.apply(out);
      return out;
    };
    return { op, db: db.db, step };
  };

  it('6.2.1 dest removed before origin stopped: still RemoveOrigin, target=n1, remove to n1 with epoch 1', () => {
    const { op, db, step } = move();
    step(nodeRemoved('n2'));
    expect(op.state()).toBe('RemoveOrigin');
    expect(op.actor.getSnapshot().context.target).toBe('n1');
    expect(step(SCHEDULE)).toEqual([
      { type: 'RemoveMaintainerRequest', to: 'n1', changefeedId: 'cf', cascade: false, removed: false, maintainerEpoch: 1n },
    ]);
    expect(db.nodeId).toBe('n1');
  });

  it('6.2.2 dest removed after origin stopped: the next Schedule binds n1 and adds to n1', () => {
    const { op, db, step } = move();
    step(status('n1', 'Stopped', 1n));
    expect(op.state()).toBe('OriginStopped');
    step(nodeRemoved('n2'));
    expect(op.state()).toBe('OriginStopped');
    expect(op.actor.getSnapshot().context.target).toBe('n1');
    const out = step(SCHEDULE);
    expect(out.filter((e) => e.type === 'AddMaintainerRequest')).toEqual([
      expect.objectContaining({ to: 'n1', maintainerEpoch: 1n }),
    ]);
    expect(op.state()).toBe('AddTarget');
    expect(db.nodeId).toBe('n1');
  });

  it('6.2.3 dest removed after add starts: finished, Absent, nothing on n2, Schedule nil, PostFinish no-op', () => {
    const { op, db, step } = move();
    step(status('n1', 'Stopped', 1n));
    step(SCHEDULE);
    expect(op.state()).toBe('AddTarget');
    expect(db.nodeId).toBe('n2');
    step(nodeRemoved('n2'));
    expect(FINISHED_MOVE).toContain(op.state());
    expect(db).toMatchObject({ bucket: 'Absent', nodeId: '' });
    expect(step(SCHEDULE)).toEqual([]);
    expect(step(POST_FINISH)).toEqual([]);
    expect(db.bucket).toBe('Absent');
  });

  it('6.2.4 origin removed falls through: OriginStopped, then the add goes to n2', () => {
    const { op, db, step } = move();
    step(nodeRemoved('n1'));
    expect(op.state()).toBe('OriginStopped');
    const out = step(SCHEDULE);
    expect(out).toContainEqual(expect.objectContaining({ type: 'AddMaintainerRequest', to: 'n2' }));
    expect(op.state()).toBe('AddTarget');
    expect(db.nodeId).toBe('n2');
  });

  it('6.2.5 fallback origin removed: dest then origin removed → finished, Absent, nothing on n1', () => {
    const { op, db, step } = move();
    step(nodeRemoved('n2'), nodeRemoved('n1'));
    expect(op.state()).toBe('DoneNoPostFinish');
    expect(db).toMatchObject({ bucket: 'Absent', nodeId: '' });
  });

  it('6.2.6 origin removed before fallback target (§5.1 B7): finished Absent via originRemoved', () => {
    const { op, db, step } = move();
    step(nodeRemoved('n1'));
    expect(op.actor.getSnapshot().context.originRemoved).toBe(true);
    step(nodeRemoved('n2'));
    expect(op.state()).toBe('DoneNoPostFinish');
    expect(db).toMatchObject({ bucket: 'Absent', nodeId: '' });
    expect(step(SCHEDULE)).toEqual([]);
  });

  it('6.2.7 OnTaskRemoved: finished, Schedule nil, PostFinish safe and marks nothing', () => {
    const { op, step } = move();
    step(TASK_REMOVED);
    expect(op.state()).toBe('DoneNoPostFinish');
    expect(step(SCHEDULE)).toEqual([]);
    expect(step(POST_FINISH)).toEqual([]);
    expect(op.state()).toBe('Disposed');
  });

  it('6.2.8 CheckRequiresDestBootstrapDone (epoch 0)', () => {
    const { op, step } = move(0n);
    step(status('n1', 'Stopped', 0n));
    expect(op.state()).toBe('OriginStopped');
    expect(step(SCHEDULE).length).toBeGreaterThan(0);
    step(status('n2', 'Working', 0n, false));
    expect(op.state()).toBe('AddTarget');
    step(status('n2', 'Working', 0n, true));
    expect(op.state()).toBe('DoneSuccess');
    expect(step(SCHEDULE)).toEqual([]);
  });

  it('6.2.9 CheckAcceptsCompatDestEpoch: cf epoch 2, dest reports epoch 0', () => {
    const { op, step } = move(2n);
    step(status('n1', 'Stopped', 2n), SCHEDULE, status('n2', 'Working', 0n, true));
    expect(op.state()).toBe('DoneSuccess');
  });

  it('6.2.10 OnNodeRemoveAfterFinishMarksAbsent (§5.1 B8, I22)', () => {
    const { op, db, step } = move();
    step(status('n1', 'Stopped', 1n), SCHEDULE, status('n2', 'Working', 1n, true));
    expect(op.state()).toBe('DoneSuccess');
    step(nodeRemoved('n2'));
    expect(op.state()).toBe('DoneNoPostFinish');
    expect(db).toMatchObject({ bucket: 'Absent', nodeId: '' });
    step(POST_FINISH);
    expect(db.bucket).toBe('Absent');
  });

  it('the remove carries originEpoch, the add carries the post-bump epoch (§5.1 B4, I23)', () => {
    const { step } = move(5n, 9n);
    expect(step(SCHEDULE)).toContainEqual(expect.objectContaining({ type: 'RemoveMaintainerRequest', maintainerEpoch: 5n }));
    step(status('n1', 'Stopped', 9n));
    // A status at the new epoch is not the origin's stop (match(9, 5) is false).
    expect(step(SCHEDULE)).toContainEqual(expect.objectContaining({ type: 'RemoveMaintainerRequest', maintainerEpoch: 5n }));
    step(status('n1', 'Stopped', 5n));
    expect(step(SCHEDULE)).toContainEqual(expect.objectContaining({ type: 'AddMaintainerRequest', to: 'n2', maintainerEpoch: 9n }));
  });

  it('originStopTarget: origin and originEpoch until the target is bound (§2.3.2, §5.1 B5)', () => {
    const { op, step } = move(5n, 9n);
    expect(originStopTarget(op.actor.getSnapshot())).toEqual({ node: 'n1', maintainerEpoch: 5n });
    step(status('n1', 'Stopped', 5n));
    expect(originStopTarget(op.actor.getSnapshot())).toEqual({ node: 'n1', maintainerEpoch: 5n });
    step(SCHEDULE);
    expect(originStopTarget(op.actor.getSnapshot())).toBeUndefined();
  });
});

describe('§6.3 StopChangefeedOperator (operator_stop_test.go)', () => {
  const stop = (removed = true) =>
    drive(stopChangefeedMachine, { changefeedId: 'cf', nodeId: 'n1', coordinatorNode: 'n2', maintainerEpoch: 10n, removed });

  it('6.3.1 OnNodeRemove: the stop is redirected to the coordinator node n2, not finished', () => {
    const op = stop();
    op.send(nodeRemoved('n1'));
    expect(op.state()).toBe('Sending');
    op.send(SCHEDULE);
    expect(op.take()).toEqual([
      { type: 'RemoveMaintainerRequest', to: 'n2', changefeedId: 'cf', cascade: true, removed: true, maintainerEpoch: 10n },
    ]);
  });

  it('6.3.2 OnTaskRemoved: finished', () => {
    const op = stop();
    op.send(TASK_REMOVED);
    expect(op.state()).toBe('Finished');
  });

  it('6.3.3 PostFinish: removed → DeleteChangefeed; not removed → SetChangefeedProgress(None)', () => {
    const removedStop = stop(true);
    removedStop.send(TASK_REMOVED, POST_FINISH);
    expect(removedStop.take()).toEqual([{ type: 'store.deleteChangefeed', changefeedId: 'cf' }]);
    const pausedStop = stop(false);
    pausedStop.send(TASK_REMOVED, POST_FINISH);
    expect(pausedStop.take()).toEqual([{ type: 'store.setChangefeedProgress', changefeedId: 'cf', progress: 'None' }]);
  });

  it('a Working status never finishes a stop; a Stopped one with a matching epoch from its node does', () => {
    const op = stop();
    op.send(status('n1', 'Working', 10n, true), status('n1', 'Stopped', 9n), status('n3', 'Stopped', 10n));
    expect(op.state()).toBe('Sending');
    op.send(status('n1', 'Stopped', 0n));
    expect(op.state()).toBe('Finished');
  });
});
