/**
 * The inspector's data (inspector/trace.ts) and JSON API (inspector/server.ts), without a browser:
 * a trace of each format reads back to the views the replay computes, bad input is a typed error that
 * changes nothing, and the command line reports its errors and exit codes.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { models } from '../../models/index.js';
import { replay } from '../../cluster/scenario.js';
import { TableStepper } from '../../cluster/stepper.js';
import { traceItf, traceViews, type StepView } from '../../cluster/trace.js';
import { stateValueString } from '../../graph/paths.js';
import { loadTrace, TraceFormatError, type InspectorTrace } from '../../inspector/trace.js';
import { startInspector, uniqueSvg, type Inspector, type PathEntry } from '../../inspector/server.js';
import { selectPaths } from '../../graph/select.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (p: string) => JSON.parse(readFileSync(join(root, p), 'utf8')) as Record<string, unknown>;
const counterexample = read('test/inspector/reused-epoch.counterexample.json');
const staleAdd = read('test/scenarios/stale-add-after-restart.json');

/** The StepView part of an inspector step. */
const viewOf = (s: InspectorTrace['steps'][number]): StepView => ({ step: s.step, action: s.action, nodes: s.nodes, store: s.store, inFlight: s.inFlight, violations: s.violations });

describe('inspector traces', () => {
  it('a scenario is replayed: each step has every live machine instance in the state the replay reached, and the violation where it breaks', () => {
    const r = replay(new TableStepper(), counterexample);
    const t = loadTrace('reused-epoch', counterexample);
    expect(t.format).toBe('scenario');
    expect(t.steps.map(viewOf)).toEqual(traceViews(r.config, r.initial, r.rows));
    const worlds = [r.initial, ...r.rows.map((row) => row.world)];
    t.steps.forEach((s, i) => {
      for (const m of s.machines) {
        const node = worlds[i]!.nodes[m.node]!;
        const snap = m.machine === 'nodeLiveness' ? node.liveness : m.machine === 'nodeDrainTarget' ? node.drainTarget : m.machine === 'maintainerRegistry' ? node.registries[m.changefeedId!]! : node.managers[m.changefeedId!]!;
        expect(m.state).toBe(stateValueString(snap.value));
      }
      expect(s.machines).toHaveLength(2 * 4); // two live nodes × (liveness, drain target, registry, manager)
    });
    const broken = t.steps.filter((s) => s.violations.length);
    expect(broken.map((s) => s.step)).toEqual([10]);
    expect(broken[0]!.violations[0]!.name).toMatch(/^I5 /);
    expect(t.steps[10]!.sequence).toMatchObject({ kind: 'deliver', from: 'coord', to: 'n2', label: expect.stringContaining('maintainerEpoch=5') });
    expect(t.steps[10]!.mermaid).toContain('violated I5');
    expect(t.steps[6]!.mermaid).not.toContain('violated');
  });

  it('a crashed node has no machine instances until it restarts', () => {
    const t = loadTrace('stale', staleAdd);
    const crash = t.steps.find((s) => s.action === 'crash n2')!;
    expect(crash.machines.filter((m) => m.node === 'n2')).toEqual([]);
    expect(crash.nodes.n2!.up).toBe(false);
    const restart = t.steps[crash.step + 1]!;
    expect(restart.machines.find((m) => m.node === 'n2' && m.machine === 'nodeLiveness')?.state).toBe('Alive');
    expect(restart.nodes.n2!.nodeEpoch).toBe('2');
  });

  it('ITF (as `opcharts replay --itf` writes it) and replay JSON read back to the same views as the scenario', () => {
    const r = replay(new TableStepper(), counterexample);
    const views = traceViews(r.config, r.initial, r.rows);
    const itf = loadTrace('ce.itf.json', JSON.parse(JSON.stringify(traceItf(views))));
    expect(itf.format).toBe('itf');
    const names = (vs: StepView[]) => vs.map((v) => ({ ...v, violations: v.violations.map((x) => x.name) }));
    expect(names(itf.steps.map(viewOf))).toEqual(names(views));
    expect(itf.steps[10]!.machines.filter((m) => m.machine === 'maintainerRegistry').map((m) => m.state)).toEqual(['Maintainer.Bootstrapping', 'Maintainer.Bootstrapping']);
    // The message sequence comes back from the action labels.
    expect(itf.coordinator).toBe('coord');
    expect(itf.steps[10]!.sequence).toEqual({ step: 10, kind: 'deliver', from: 'coord', to: 'n2', label: 'AddMaintainerRequest' });
    expect(itf.steps[10]!.mermaid).toContain('p_coord->>p_n2: ');
    expect(itf.steps[10]!.violations).toEqual([{ name: 'I5 unique strict owner per epoch', message: '' }]);
    const json = loadTrace('ce.json', JSON.parse(JSON.stringify({ steps: views })));
    expect(json.format).toBe('replay-json');
    expect(json.steps.map(viewOf)).toEqual(views);
  });

  it('bad input is a typed error naming what is wrong', () => {
    const bad = (raw: unknown) => {
      try {
        loadTrace('t', raw);
      } catch (e) {
        return e;
      }
      throw new Error('accepted');
    };
    expect(bad([1, 2])).toBeInstanceOf(TraceFormatError);
    expect(bad({ hello: 1 })).toMatchObject({ code: 'INVALID_TRACE', message: expect.stringContaining('not a scenario') });
    expect(bad({ vars: ['nodes'], states: [] })).toMatchObject({ code: 'INVALID_TRACE', message: 't: the trace has no states' });
    expect(bad({ vars: ['nodes'], states: [{ action: 'x', nodes: { '#map': [['n1', { up: true }]] }, store: { '#map': [] } }] })).toMatchObject({ message: expect.stringContaining('states[0].nodes.n1') });
    expect(bad({ config: { nodes: ['n1'], changefeeds: ['cf'] }, steps: [{ crash: 'n9' }] })).toMatchObject({ code: 'INVALID_SCENARIO', message: expect.stringContaining('unknown node "n9"') });
  });
});

describe('inspector JSON API', () => {
  let inspector: Inspector;
  const get = async (path: string) => {
    const res = await fetch(new URL(path, inspector.url));
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };
  beforeAll(async () => {
    inspector = await startInspector({ traces: [{ name: 'reused-epoch', raw: counterexample }] });
  });
  afterAll(() => inspector.close());

  it('listens on 127.0.0.1 only and serves the page and its script', async () => {
    expect(inspector.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get('/');
    expect(page.type).toContain('text/html');
    // Self-contained: no script, style or font from anywhere else.
    expect(page.text).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect((await get('/app.js')).text).not.toMatch(/https?:\/\//);
  });

  it('lists every machine and serves its diagram with ids unique to it', async () => {
    const list = JSON.parse((await get('/api/machines')).text) as Array<{ name: string; svg: string }>;
    expect(list.map((m) => m.name)).toEqual(models.map((m) => m.name));
    expect(list.find((m) => m.name === 'nodeLiveness')?.svg).toBe('fresh');
    const svg = await get('/api/machines/nodeLiveness/diagram.svg');
    expect(svg.status).toBe(200);
    expect(svg.text.startsWith('<svg id="svg-nodeLiveness"')).toBe(true);
    expect(svg.text).not.toContain('my-svg');
    expect(svg.text).toMatch(/id="svg-nodeLiveness-state-Draining-\d+"/);
    expect(uniqueSvg('<!-- stamp -->\n<svg id="my-svg"><style>#my-svg{}</style></svg>', 'm')).toBe('<svg id="svg-m"><style>#svg-m{}</style></svg>');
    expect((await get('/api/machines/nope/diagram.svg')).status).toBe(404);
  });

  it('does not serve a committed SVG rendered from another source (the page renders the source instead)', async () => {
    const other = await startInspector({ models: [{ ...models.find((m) => m.name === 'quiesce')!, name: 'nodeLiveness' }] });
    try {
      const res = await fetch(new URL('/api/machines/nodeLiveness/diagram.svg', other.url));
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('STALE_SVG');
      const src = await (await fetch(new URL('/api/machines/nodeLiveness/mermaid', other.url))).text();
      expect(src.startsWith('stateDiagram-v2')).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('serves the generated paths of a machine, as `opcharts paths` lists them', async () => {
    const paths = JSON.parse((await get('/api/machines/stopChangefeed/paths')).text) as PathEntry[];
    const want = selectPaths(models.find((m) => m.name === 'stopChangefeed')!, {}).map((r) => r.path);
    expect(paths.map((p) => [p.variant, p.name, p.finalState])).toEqual(want.map((p) => [p.variant, p.name, p.finalState]));
    expect(paths.length).toBeGreaterThan(1);
  });

  it('a posted trace is added; a malformed one is a 400 with its reason and adds nothing', async () => {
    const post = (body: unknown) => fetch(new URL('/api/traces', inspector.url), { method: 'POST', body: JSON.stringify(body) });
    const before = JSON.parse((await get('/api/traces')).text) as unknown[];
    const bad = await post({ name: 'bad.json', content: '{"config": 1, "steps": []}' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'INVALID_SCENARIO', message: 'config: expected an object' } });
    expect((await post({ name: 'x', content: 'not json' })).status).toBe(400);
    expect(JSON.parse((await get('/api/traces')).text)).toHaveLength(before.length);
    const ok = await post({ name: 'stale.json', content: JSON.stringify(staleAdd) });
    expect(ok.status).toBe(201);
    const { id } = (await ok.json()) as { id: number };
    const t = JSON.parse((await get(`/api/traces/${id}`)).text) as InspectorTrace;
    expect(t.name).toBe('stale.json');
    expect(t.steps).toHaveLength((staleAdd.steps as unknown[]).length + 1);
    expect((await get('/api/traces/99')).status).toBe(404);
  });
});

describe('opcharts inspect (command line)', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'opcharts.js'), 'inspect', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });

  it('a missing file or a bad port is a usage error (exit 2); a malformed trace fails before serving (exit 1)', () => {
    expect(run('no-such-trace.json').status).toBe(2);
    expect(run('--port', 'eighty').status).toBe(2);
    const bad = join(tmpdir(), `opcharts-inspect-bad-${process.pid}.json`);
    writeFileSync(bad, JSON.stringify({ config: { nodes: ['n1'], changefeeds: ['cf'] }, steps: [{ crash: 'n9' }] }));
    const r = run('--json', bad);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'INVALID_SCENARIO', exitCode: 1 } });
  });
});
