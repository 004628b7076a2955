/**
 * The README's user-invariant example ("Your own invariants") is a module a user writes outside the
 * repository against the exported world type (`opcharts/cluster`): it is read from README.md,
 * written to a temporary directory, loaded like `--invariant` loads one, and checked on the
 * composed cluster, where a PD outage makes its second predicate fail and the first hold.
 * Machines: the composed coordinator. Specs: the README module's predicates with every built-in one.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInvariantModule, runCheck } from '../../cluster/check.js';
import { parseCheckConfig } from '../../cluster/configs.js';

const root = join(import.meta.dirname, '..', '..');

function readmeModule(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('**Your own invariants.**'));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README.md: no ts block under "Your own invariants"');
  // Outside the repository the package is installed; here the import points at the source.
  return block[1]!.replace("'opcharts/cluster'", JSON.stringify(join(root, 'cluster', 'index.ts')));
}

describe('a user-invariant module from outside the repository (README example)', () => {
  it('is loaded, and its predicates are checked at every step with the built-in ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opcharts-user-inv-'));
    const file = join(dir, 'my-invariants.ts');
    writeFileSync(file, readmeModule());
    const invariants = await loadInvariantModule(file);
    expect(invariants.map((i) => i.name)).toEqual(['fewOperators', 'noCallsDuringOutage']);
    const config = parseCheckConfig({
      name: 'pd-outage',
      nodes: ['n1'],
      changefeeds: ['cf'],
      capacity: 4,
      budgets: { loss: 0, duplication: 0, crashes: 0 },
      ticks: ['HEARTBEAT'],
      coordinator: { id: 'coord', compose: true, time: false, nodeHeartbeats: false, pdOutages: 1 },
    });
    const r = await runCheck({ config, user: { module: file, invariants }, mode: 'exact' });
    expect(r.violations.map((v) => v.invariant)).toEqual(['noCallsDuringOutage']);
    expect(r.violations[0]!.message).toBe('a store call during a PD outage');
  });
});
