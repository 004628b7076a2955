/**
 * The examples under examples/ compile under the project's strict options (npx tsc --noEmit, part
 * of npm test) and run to the end: the README's embedding example moves a changefeed between two
 * simulated nodes, the poll is cleared, and the process exits on its own.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

describe('examples', () => {
  it('embed-move.ts runs the move to the end and exits 0 by itself (the poll is cleared)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'examples', 'embed-move.ts')], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      '→ n1: RemoveMaintainerRequest epoch 41',
      '→ n2: AddMaintainerRequest epoch 42',
      'done: Disposed; changefeed DB: db.markMaintainerScheduling, db.bindChangefeedToNode, db.markMaintainerReplicating',
    ]);
  });
});
