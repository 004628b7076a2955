/**
 * examples/persist-move.ts (saving and restoring actors, messages on the wire; issue 10 §4)
 * compiles under the project's strict options (npx tsc --noEmit) and runs to the end: the saved
 * move is restored and finishes, the hand-edited copy is refused, the epochs arrive exact.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

describe('examples', () => {
  it('persist-move.ts saves, refuses a hand-edited save, restores, finishes, and exits 0', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'examples', 'persist-move.ts')], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines[0]).toMatch(/^saved in OriginStopped: \d+ characters$/);
    expect(lines.slice(1)).toEqual([
      'refused: context.maintainerEpoch: INVALID_SNAPSHOT',
      'restored move ended in Disposed',
      '→ n1: RemoveMaintainerRequest epoch 18446744073709551614',
      '→ n2: AddMaintainerRequest epoch 18446744073709551615',
    ]);
  });
});
