import { describe, expect, it } from 'vitest';
import {
  addAbsentChangefeed, bindChangefeedToNode, changefeedsBoundTo, emptyChangefeedDb, markMaintainerAbsent,
  markMaintainerReplicating, markMaintainerScheduling, moveToSchedulingQueue, stopByChangefeedId, UnknownChangefeedError,
} from '../../machines/coordinator/index.js';

describe('§2.0 ChangefeedDB side effects', () => {
  it('bind sets node and Scheduling; replicating and scheduling keep the node; absent clears it', () => {
    let db = addAbsentChangefeed(emptyChangefeedDb, 'cf');
    db = bindChangefeedToNode(db, 'cf', 'n1');
    expect(db.get('cf')).toMatchObject({ nodeId: 'n1', bucket: 'Scheduling' });
    db = markMaintainerReplicating(db, 'cf');
    expect(db.get('cf')).toMatchObject({ nodeId: 'n1', bucket: 'Replicating' });
    db = markMaintainerScheduling(db, 'cf');
    expect(db.get('cf')).toMatchObject({ nodeId: 'n1', bucket: 'Scheduling' });
    expect(changefeedsBoundTo(db, 'n1')).toEqual(['cf']);
    db = markMaintainerAbsent(db, 'cf');
    expect(db.get('cf')).toMatchObject({ nodeId: '', bucket: 'Absent' });
  });
  it('StopByChangefeedID returns the previous node; pause keeps it Stopped, remove deletes it', () => {
    const db = bindChangefeedToNode(addAbsentChangefeed(emptyChangefeedDb, 'cf'), 'cf', 'n2');
    const paused = stopByChangefeedId(db, 'cf', false);
    expect(paused.previousNodeId).toBe('n2');
    expect(paused.db.get('cf')).toMatchObject({ nodeId: '', bucket: undefined, stopped: true });
    const removed = stopByChangefeedId(db, 'cf', true);
    expect(removed.previousNodeId).toBe('n2');
    expect(removed.db.has('cf')).toBe(false);
    const resumed = moveToSchedulingQueue(paused.db, 'cf', true);
    expect(resumed.get('cf')).toMatchObject({ bucket: 'Absent', stopped: false, isNew: true });
    expect(db.get('cf')?.nodeId).toBe('n2'); // inputs are never mutated
  });
  it('an unknown changefeed is a typed error', () => {
    expect(() => markMaintainerAbsent(emptyChangefeedDb, 'x')).toThrow(UnknownChangefeedError);
  });
});
