/**
 * The coordinator's changefeed DB (spec §2.0, "ChangefeedDB side effects" table): each changefeed's
 * bound node and its bucket (Absent / Scheduling / Replicating), plus the Stopped map.
 *
 * Pure and immutable: every operation returns a new DB and never mutates its argument, so the
 * cluster checker can hash-cons it. An operation on an unknown changefeed throws
 * `UnknownChangefeedError` and changes nothing.
 */

export type Bucket = 'Absent' | 'Scheduling' | 'Replicating';

export interface ChangefeedEntry {
  /** '' when unbound (§2.0: MarkMaintainerAbsent and StopByChangefeedID clear it). */
  readonly nodeId: string;
  /** undefined while the changefeed is in the Stopped map. */
  readonly bucket: Bucket | undefined;
  readonly stopped: boolean;
  /** MoveToSchedulingQueue's `isNew = overwriteCkpt`. */
  readonly isNew: boolean;
}

export type ChangefeedDb = ReadonlyMap<string, ChangefeedEntry>;

export class UnknownChangefeedError extends Error {
  readonly code = 'UNKNOWN_CHANGEFEED';
  constructor(readonly changefeedId: string) {
    super(`changefeed ${changefeedId} is not in the changefeed DB`);
    this.name = 'UnknownChangefeedError';
  }
}

export const emptyChangefeedDb: ChangefeedDb = new Map();

function entryOf(db: ChangefeedDb, cf: string): ChangefeedEntry {
  const e = db.get(cf);
  if (!e) throw new UnknownChangefeedError(cf);
  return e;
}

function withEntry(db: ChangefeedDb, cf: string, e: ChangefeedEntry): ChangefeedDb {
  const next = new Map(db);
  next.set(cf, e);
  return next;
}

/** A new changefeed enters Absent, unbound (the create API, §2.4.3). */
export function addAbsentChangefeed(db: ChangefeedDb, cf: string): ChangefeedDb {
  return withEntry(db, cf, { nodeId: '', bucket: 'Absent', stopped: false, isNew: true });
}

/** §2.0 BindChangefeedToNode(old, new, cf): nodeID := new, bucket := Scheduling. */
export function bindChangefeedToNode(db: ChangefeedDb, cf: string, node: string): ChangefeedDb {
  return withEntry(db, cf, { ...entryOf(db, cf), nodeId: node, bucket: 'Scheduling' });
}

/** §2.0 MarkMaintainerScheduling: bucket := Scheduling, nodeID unchanged. */
export function markMaintainerScheduling(db: ChangefeedDb, cf: string): ChangefeedDb {
  return withEntry(db, cf, { ...entryOf(db, cf), bucket: 'Scheduling' });
}

/** §2.0 MarkMaintainerReplicating: bucket := Replicating, nodeID unchanged. */
export function markMaintainerReplicating(db: ChangefeedDb, cf: string): ChangefeedDb {
  return withEntry(db, cf, { ...entryOf(db, cf), bucket: 'Replicating' });
}

/** §2.0 MarkMaintainerAbsent: bucket := Absent, nodeID := ''. */
export function markMaintainerAbsent(db: ChangefeedDb, cf: string): ChangefeedDb {
  return withEntry(db, cf, { ...entryOf(db, cf), nodeId: '', bucket: 'Absent' });
}

/**
 * §2.0 StopByChangefeedID(cf, remove): leaves the buckets, nodeID := ''; removed entirely when
 * `remove`, else put in the Stopped map. Returns the previous nodeID with the new DB.
 */
export function stopByChangefeedId(
  db: ChangefeedDb,
  cf: string,
  remove: boolean,
): { db: ChangefeedDb; previousNodeId: string } {
  const e = entryOf(db, cf);
  if (remove) {
    const next = new Map(db);
    next.delete(cf);
    return { db: next, previousNodeId: e.nodeId };
  }
  return { db: withEntry(db, cf, { ...e, nodeId: '', bucket: undefined, stopped: true }), previousNodeId: e.nodeId };
}

/** §2.0 MoveToSchedulingQueue(cf, _, overwriteCkpt): out of Stopped, bucket := Absent, isNew := overwriteCkpt. */
export function moveToSchedulingQueue(db: ChangefeedDb, cf: string, overwriteCheckpoint: boolean): ChangefeedDb {
  return withEntry(db, cf, { ...entryOf(db, cf), bucket: 'Absent', stopped: false, isNew: overwriteCheckpoint });
}

/** Changefeeds bound to `node` (used by OnNodeRemoved, §2.0). */
export function changefeedsBoundTo(db: ChangefeedDb, node: string): string[] {
  return [...db].filter(([, e]) => e.nodeId === node).map(([cf]) => cf).sort();
}
