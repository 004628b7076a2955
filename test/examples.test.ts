/**
 * The examples under examples/ compile under the project's strict options (npx tsc --noEmit, part
 * of npm test) and run to the end: the README's embedding example moves a changefeed between two
 * simulated nodes, the poll is cleared, and the process exits on its own.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

/** Runs an example as a user would (`npx tsx examples/NAME`), to its end. */
const runExample = (name: string) => spawnSync(process.execPath, ['--import', 'tsx', join(root, 'examples', name)], { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe('examples', () => {
  it('embed-move.ts runs the move to the end and exits 0 by itself (the poll is cleared)', () => {
    const r = runExample('embed-move.ts');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      '→ n1: RemoveMaintainerRequest epoch 41',
      '→ n2: AddMaintainerRequest epoch 42',
      'done: Disposed; changefeed DB: db.markMaintainerScheduling, db.bindChangefeedToNode, db.markMaintainerReplicating',
    ]);
  });

  it('host-drain.ts drives the drain session, the drain workflow and the liveness views from a host: DrainNode answers 1 until n1 is Stopping and observed, then 0 (§2.5, I17, I18)', () => {
    const r = runExample('host-drain.ts');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      '  → n1: SetNodeLiveness Draining at node epoch 7: applied; n1 is Draining',
      'DrainNode(n1) = 1  [row 8]',
      '  → n1: SetNodeLiveness Stopping at node epoch 7: applied; n1 is Stopping',
      'DrainNode(n1) = 0  [row 8]',
      'n1 drain target on the node: n1 at epoch set',
      'DrainNode(n2) = 1  [row 4]',
      'DrainNode(n1) = 0  [row 1]',
      'session: {"session":"Clearing","tombstone":"Completed"}',
    ]);
  });
  it('host-coordinator.ts drives the operator controller with admission over a memory EpochStore: add, move, remove (§2.0–§2.4), exits 0', () => {
    const r = runExample('host-coordinator.ts');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      'cf-1 created at epoch 5: Absent',
      '  db.bindChangefeedToNode',
      'add to n1: accepted, epoch bumped to 1000',
      '  → n1: AddMaintainerRequest epoch 1000',
      '  db.markMaintainerReplicating',
      'cf-1: Replicating on n1',
      '  db.markMaintainerScheduling',
      'move n1 → n2: accepted, epoch bumped to 1001',
      // §5.1 B4: the origin is removed with the epoch it owns, the target added with the bumped one.
      '  → n1: RemoveMaintainerRequest epoch 1000 cascade=false removed=false',
      '  db.bindChangefeedToNode',
      '  → n2: AddMaintainerRequest epoch 1001',
      '  db.markMaintainerReplicating',
      'cf-1: Replicating on n2',
      'remove cf-1',
      '  → n2: RemoveMaintainerRequest epoch 1001 cascade=true removed=true',
      '  store.deleteChangefeed',
      'cf-1: gone, deleted from the store',
    ]);
  });
});
