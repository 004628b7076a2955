// @vitest-environment jsdom
/**
 * Generated diagrams: every state diagram and a sequence diagram of every model's paths parse with
 * mermaid's own parser; the committed diagrams/ and README tables equal what the code generates
 * now (a definition changed without `opcharts diagrams` fails here), and each committed SVG was
 * rendered from the current source.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setup } from 'xstate';
import { models } from '../models/index.js';
import { generate } from '../graph/paths.js';
import { sequenceDiagram, stateDiagram } from '../graph/mermaid.js';
import { diagramSources, staleDiagrams, writeDiagramSources } from '../cli/diagrams.js';
import { applySections, generatedSections } from '../cli/docs.js';

const root = join(import.meta.dirname, '..');
type Mermaid = { parse(text: string): Promise<unknown> };
let mermaid: Mermaid;

beforeAll(async () => {
  mermaid = (await import('mermaid')).default as unknown as Mermaid;
});

describe('Mermaid validity', () => {
  it.each(models.map((m) => [m.name, m] as const))('the %s state diagram parses', async (_n, m) => {
    await expect(mermaid.parse(stateDiagram(m.machine))).resolves.toBeTruthy();
  });

  it.each(models.map((m) => [m.name, m] as const))('a sequence diagram of the longest %s path parses', async (_n, m) => {
    const longest = generate(m).replays.reduce((a, b) => (b.steps.length > a.steps.length ? b : a));
    const src = sequenceDiagram(m.name, longest, m.peerOf);
    expect(src.split('\n').filter((l) => l.includes('->>')).length).toBeGreaterThanOrEqual(longest.steps.length);
    await expect(mermaid.parse(src)).resolves.toBeTruthy();
  });

  it('nesting, parallel regions, root-level and final transitions render and parse', async () => {
    const nested = setup({ guards: { ok: () => true } }).createMachine({
      id: 'nested',
      initial: 'Outer',
      on: { RESET: { target: '.Outer' } },
      states: {
        Outer: {
          initial: 'A',
          states: {
            A: { on: { GO: { target: 'B', guard: 'ok' } } },
            B: { type: 'final' },
          },
          onDone: 'Both',
        },
        Both: {
          type: 'parallel',
          states: {
            Left: { initial: 'L1', states: { L1: { on: { L: 'L2' } }, L2: {} } },
            Right: { initial: 'R1', states: { R1: { on: { R: 'R2' } }, R2: {} } },
          },
          on: { END: 'Done' },
        },
        Done: { type: 'final' },
      },
    });
    const src = stateDiagram(nested);
    expect(src).toContain('state Outer {');
    expect(src).toContain('Outer_A --> Outer_B : GO [ok]');
    expect(src).toContain('state Both {');
    expect(src).toMatch(/\n\s+--\n/);
    expect(src).toContain('Outer --> Outer : RESET');
    expect(src).toContain('Done --> [*]');
    await expect(mermaid.parse(src)).resolves.toBeTruthy();
  });

  it('the parser rejects a broken diagram (the check can fail)', async () => {
    await expect(mermaid.parse('stateDiagram-v2\n  A --> : : [')).rejects.toThrow();
  });
});

describe('committed generated files are fresh', () => {
  it('diagrams/*.mmd, diagrams/README.md and every SVG match the current definitions', async () => {
    expect(await staleDiagrams(join(root, 'diagrams'), models)).toEqual([]);
  });

  it('a changed definition makes the committed copy stale', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'opcharts-diagrams-'));
    await writeDiagramSources(dir, models);
    expect(await staleDiagrams(dir, models, false)).toEqual([]);
    const [first, second] = models;
    const changed = models.map((m) => (m === first ? { ...first!, machine: second!.machine } : m));
    expect(await staleDiagrams(dir, changed, false)).toEqual([`${first!.name}.mmd`, 'README.md']);
  });

  it("README's generated tables match the code", async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    expect(applySections(readme, generatedSections(models))).toBe(readme);
  });

  it('diagrams/README.md shows every machine as a mermaid block and links its SVG', () => {
    const readme = diagramSources(models).get('README.md')!;
    for (const m of models) {
      expect(readme).toContain(`(${m.name}.svg)`);
      expect(readme).toContain(stateDiagram(m.machine).trimEnd());
    }
    expect(readme.match(/```mermaid/g)).toHaveLength(models.length);
  });
});
