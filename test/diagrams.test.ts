// @vitest-environment jsdom
/**
 * Generated diagrams: every state diagram and a sequence diagram of every model's paths parse with
 * mermaid's own parser; the committed diagrams/ and README tables equal what the code generates
 * now (a definition changed without `opcharts diagrams` fails here), each committed SVG was
 * rendered from the current source by the current renderer (versions and configuration in its
 * stamp), and each shows every transition of its machine as an edge label.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setup } from 'xstate';
import { models } from '../models/index.js';
import { generate } from '../graph/paths.js';
import { sequenceDiagram, stateDiagram, transitionLabels } from '../graph/mermaid.js';
import { listStates, listTransitions } from '../graph/transitions.js';
import { diagramSources, rendererId, staleDiagrams, svgStamp, writeDiagramSources } from '../cli/diagrams.js';
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
    const src = sequenceDiagram(m.name, longest, m.peerOf, m.machine);
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
    expect(applySections(readme, generatedSections(models, root))).toBe(readme);
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

/** The text of each edge label of a rendered SVG, whitespace removed (labels wrap onto rows). */
function edgeLabelTexts(svg: string): string[] {
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  return Array.from(doc.querySelectorAll('g.edgeLabel')).map((g) => (g.textContent ?? '').replace(/\s+/g, '')).filter(Boolean);
}

/** Labels of `want` that `got` lacks, counting duplicates (two edges with one label need two labels). */
function missingLabels(want: string[], got: string[]): string[] {
  const left = [...got];
  return want.filter((w) => {
    const i = left.indexOf(w.replace(/\s+/g, ''));
    if (i < 0) return true;
    left.splice(i, 1);
    return false;
  });
}

/**
 * The committed SVGs, and those of a fresh render on this machine when `.ci/run` passes its
 * directory in OPCHARTS_RENDERED_DIAGRAMS (the same checks against this machine's fonts and Chromium).
 */
const svgDirs = [join(root, 'diagrams'), ...(process.env.OPCHARTS_RENDERED_DIAGRAMS ? [process.env.OPCHARTS_RENDERED_DIAGRAMS] : [])];
const svgCases = svgDirs.flatMap((dir) => models.map((m) => [join(dir, `${m.name}.svg`), m] as const));

describe('rendered SVGs show every transition', () => {
  it.each(svgCases)('%s has an edge label for every transition of the diagram', async (file, m) => {
    const svg = await readFile(file, 'utf8');
    const labels = transitionLabels(m.machine);
    // Every (source, event, branch) of the definition is drawn: one edge per target, root
    // transitions once per top-level state.
    expect(labels.length).toBeGreaterThanOrEqual(listTransitions(m.machine).length);
    expect(missingLabels(labels, edgeLabelTexts(svg))).toEqual([]);
  });

  it.each(svgCases)('%s names every atomic state', async (file, m) => {
    const doc = new DOMParser().parseFromString(await readFile(file, 'utf8'), 'image/svg+xml');
    const nodeTexts = Array.from(doc.querySelectorAll('g.node')).map((g) => (g.textContent ?? '').replace(/\s+/g, ''));
    const atomic = listStates(m.machine).filter((s) => s.type === 'atomic' || s.type === 'final');
    const unnamed = atomic.filter((s) => !nodeTexts.some((t) => t.startsWith(s.path.split('.').at(-1)!)));
    expect(unnamed.map((s) => s.path)).toEqual([]);
  });

  it('a rendering that dropped a self-loop fails the check', async () => {
    const m = models.find((x) => x.name === 'quiesce')!;
    const svg = await readFile(join(root, 'diagrams', 'quiesce.svg'), 'utf8');
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    const dropped = Array.from(doc.querySelectorAll('g.edgeLabel')).find((g) => g.textContent?.includes('POLL'))!;
    const text = dropped.textContent!.replace(/\s+/g, '');
    dropped.remove();
    const got = edgeLabelTexts(new XMLSerializer().serializeToString(doc));
    expect(missingLabels(transitionLabels(m.machine), got)).toEqual([expect.stringMatching(/^POLL/)]);
    expect(text).toMatch(/^POLL/);
  });

  it.each(svgCases)('%s has SVG text labels, not HTML clipped to a box measured on the rendering machine', async (file) => {
    expect(await readFile(file, 'utf8')).not.toContain('<foreignObject');
  });

  it('an SVG stamped with another renderer or another source is stale', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'opcharts-svg-'));
    await writeDiagramSources(dir, models);
    const m = models[0]!;
    const src = stateDiagram(m.machine);
    const body = '<svg xmlns="http://www.w3.org/2000/svg"></svg>';
    const svgName = `${m.name}.svg`;
    const staleSvgs = async () => (await staleDiagrams(dir, models)).filter((n) => n === svgName);
    await writeFile(join(dir, svgName), `${svgStamp(src)}\n${body}`);
    expect(await staleSvgs()).toEqual([]);
    await writeFile(join(dir, svgName), `${svgStamp(src).replace(rendererId(), 'mermaid@10.0.0')}\n${body}`);
    expect(await staleSvgs()).toEqual([svgName]);
    await writeFile(join(dir, svgName), `${svgStamp(`${src}%% changed\n`)}\n${body}`);
    expect(await staleSvgs()).toEqual([svgName]);
  });
});

describe('guard order and taken branches', () => {
  const choice = setup({ guards: { isBig: () => false, isSmall: () => true } }).createMachine({
    id: 'choice',
    initial: 'A',
    states: {
      A: { on: { GO: [{ target: 'Big', guard: 'isBig' }, { target: 'Small', guard: 'isSmall' }, { target: 'Other' }], STAY: {} } },
      Big: {},
      Small: {},
      Other: {},
    },
  });

  it('branches of one event are numbered in evaluation order, an unguarded last one is [else]', () => {
    const src = stateDiagram(choice);
    expect(src).toContain('A --> Big : GO (1) [isBig]');
    expect(src).toContain('A --> Small : GO (2) [isSmall]');
    expect(src).toContain('A --> Other : GO (3) [else]');
    expect(src).toContain('A --> A : STAY\n');
  });

  it('a sequence diagram says which branch each step took, and keeps the to of a db intent', () => {
    const m = models.find((x) => x.name === 'moveMaintainer')!;
    const r = generate(m).replays.find(
      (x) => x.steps.some((s) => s.effects.some((e) => e.type === 'db.bindChangefeedToNode')) && x.steps.some((s) => s.event.type === 'NODE_REMOVED'),
    )!;
    const src = sequenceDiagram(m.name, r, m.peerOf, m.machine);
    expect(src).toMatch(/moveMaintainer-->>Host: db\.bindChangefeedToNode\(.*to=n2/);
    // NODE_REMOVED has several branches in every state of a move: the arrow names the one taken.
    const step = r.steps.findIndex((s) => s.event.type === 'NODE_REMOVED');
    const info = listTransitions(m.machine).find((t) => t.id === r.steps[step]!.taken[0]);
    expect(src).toContain(`->>moveMaintainer: NODE_REMOVED(node=${String(r.steps[step]!.event.node)}) ▸ (${info!.branch + 1}) [${info!.guard}]`);
  });
});
