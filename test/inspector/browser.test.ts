/**
 * The inspector end to end in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core,
 * no browser download): `opcharts inspect --json --port 0 TRACE` started as a user starts it, the page
 * opened, a machine selected, a counterexample loaded through the page's file input, stepped forward
 * and back by keyboard and buttons, a deep link opened; the highlighted diagram state and the world's
 * values are asserted at each step against the replay of the same trace, and screenshots are saved
 * under test-artifacts/ (gitignored) for a person to look at.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium } from '../../cli/diagrams.js';
import { replay } from '../../cluster/scenario.js';
import { TableStepper } from '../../cluster/stepper.js';
import { traceItf, traceViews } from '../../cluster/trace.js';
import { createMachine } from 'xstate';
import { startInspector } from '../../inspector/server.js';
import type { MachineModel } from '../../graph/model.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const artifacts = join(root, 'test-artifacts');
const counterexampleFile = join(root, 'test', 'inspector', 'reused-epoch.counterexample.json');
const counterexample = JSON.parse(readFileSync(counterexampleFile, 'utf8')) as { steps: unknown[] };
const replayed = replay(new TableStepper(), counterexample);
const views = traceViews(replayed.config, replayed.initial, replayed.rows);
/** The first step at which an invariant breaks, from the replay, not from the page. */
const violationStep = views.findIndex((v) => v.violations.length > 0);

let cli: ChildProcess;
let url: string;
let browser: Browser;
let page: Page;
/** Script errors in the page: none is expected. */
const pageErrors: string[] = [];

beforeAll(async () => {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('the browser tests need Chromium (apt-get install chromium, or PUPPETEER_EXECUTABLE_PATH)');
  mkdirSync(artifacts, { recursive: true });
  // The same trace as ITF, opened from the command line; the scenario itself is loaded through the page.
  const itfFile = join(tmpdir(), `opcharts-inspector-${process.pid}.itf.json`);
  writeFileSync(itfFile, JSON.stringify(traceItf(views, { scenario: 'reused-epoch' })));
  cli = spawn(process.execPath, [join(root, 'bin', 'opcharts.js'), 'inspect', '--json', '--port', '0', itfFile], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    cli.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    cli.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    cli.on('exit', (code) => reject(new Error(`opcharts inspect exited with ${code}: ${err}`)));
  });
  browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  // Generous: waiting is event-driven, and the suite shares two cores with every other test file.
  page.setDefaultTimeout(120_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  expect(pageErrors).toEqual([]);
  if (cli && cli.exitCode === null) {
    const exited = new Promise<number | null>((resolve) => cli.on('exit', (code) => resolve(code)));
    cli.kill('SIGINT');
    // Ctrl-C stops the server cleanly: exit code 0.
    expect(await exited).toBe(0);
  }
});

/** What the page shows for the maintainerRegistry instance of a node at the current step. */
async function registryShown(node: string) {
  const card = page.locator('#trace-diagrams .diagram-card[data-machine="maintainerRegistry"]');
  await card.locator(`.chip[data-instance="${node}/cf"]`).click();
  const box = card.locator('.diagram');
  return {
    activeState: await box.getAttribute('data-active-state'),
    highlightedIds: await box.locator('g.node.active-state').evaluateAll((els) => els.map((e) => e.id)),
    epochCell: (await page.locator(`#world-owners tr[data-node="${node}"] td.maintainer-epoch`).textContent())?.trim(),
    stateCell: (await page.locator(`#world-owners tr[data-node="${node}"] td.maintainer`).textContent())?.trim(),
  };
}

/** Waiting for the page to catch up (event-driven; the bound only stops a hung test). */
const POLL = { timeout: 60_000 };

const stepLabel = () => page.locator('#step-label').textContent();

describe('the inspector in a browser', () => {
  it('opens with every machine listed and the command-line trace selected; a machine shows its diagram and generated paths', async () => {
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]');
    const machines = await page.locator('#machines li').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.machine));
    expect(machines).toContain('maintainerRegistry');
    expect(machines).toContain('moveMaintainer');
    expect(await stepLabel()).toBe(`step 0 / ${views.length - 1}`);

    await page.locator('#machines li[data-machine="moveMaintainer"] button').click();
    await page.waitForSelector('#machine-diagram svg[id="svg-moveMaintainer"]');
    expect(await page.locator('#machine-title').textContent()).toBe('moveMaintainer');
    // The diagram is the committed SVG, inlined with ids unique to the machine.
    expect(await page.locator('#machine-diagram svg[id="svg-moveMaintainer"] g.node').count()).toBeGreaterThan(3);
    await page.locator('#paths-box summary').click();
    await page.waitForSelector('#paths li[title]');
    expect(await page.locator('#paths li').count()).toBeGreaterThan(1);
    expect(await page.locator('#paths li').first().textContent()).toContain('⇒');
    await page.screenshot({ path: join(artifacts, 'inspector-machine.png'), fullPage: false });
  });

  it('loads a counterexample, steps it forward and back, highlights the active states and shows the violated invariant', async () => {
    await page.locator('#machines li[data-machine="maintainerRegistry"] button').click();
    await page.waitForSelector('#machine-diagram svg[id="svg-maintainerRegistry"]');
    await page.locator('#trace-file').setInputFiles(counterexampleFile);
    // The command line's trace is 0; the uploaded one is 1.
    await page.waitForSelector('body[data-trace="1"]');
    expect(await page.locator('#trace-select option:checked').textContent()).toContain('reused-epoch.counterexample.json (scenario');
    expect(await stepLabel()).toBe(`step 0 / ${counterexample.steps.length}`);

    // Step by step to just before the violation, checking the page against the replay at each step.
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    for (let i = 1; i < violationStep; i++) {
      await page.keyboard.press('ArrowRight');
      expect(await stepLabel()).toBe(`step ${i} / ${views.length - 1}`);
      const want = views[i]!.nodes.n1!.changefeeds.cf!;
      const shown = await registryShown('n1');
      expect(shown).toMatchObject({ activeState: want.maintainer, stateCell: want.maintainer, epochCell: want.maintainerEpoch });
      expect(await page.locator('#violation').isVisible()).toBe(false);
    }
    const before = views[violationStep - 1]!.nodes.n2!.changefeeds.cf!;
    expect(before.maintainer).toBe('Empty');
    expect(await registryShown('n2')).toMatchObject({ activeState: 'Empty', stateCell: 'Empty', epochCell: '0' });
    expect((await registryShown('n2')).highlightedIds).toEqual([expect.stringMatching(/^svg-maintainerRegistry-state-Empty-\d+$/)]);
    // The other node's active state is marked too, as the other instance's.
    expect(await page.locator('#trace-diagrams [data-machine="maintainerRegistry"] g.node.other-state').evaluateAll((els) => els.map((e) => e.id))).toEqual([
      expect.stringMatching(/^svg-maintainerRegistry-state-Maintainer_Bootstrapping-\d+$/),
    ]);

    // The step that breaks I5: n2 now runs a maintainer at epoch 5 as n1 does.
    await page.locator('#next').click();
    expect(await stepLabel()).toBe(`step ${violationStep} / ${views.length - 1}`);
    const n2 = await registryShown('n2');
    expect(n2).toMatchObject({ activeState: 'Maintainer.Bootstrapping', stateCell: 'Maintainer.Bootstrapping', epochCell: '5' });
    expect(n2.highlightedIds).toEqual([expect.stringMatching(/^svg-maintainerRegistry-state-Maintainer_Bootstrapping-\d+$/)]);
    // Both instances are in the same state now: one chip each, one highlighted state.
    expect(await page.locator('#trace-diagrams .diagram-card[data-machine="maintainerRegistry"] .chip').allTextContents()).toEqual(['n1/cf: Maintainer.Bootstrapping', 'n2/cf: Maintainer.Bootstrapping']);
    await expect.poll(() => page.locator('#violation').isVisible(), POLL).toBe(true);
    expect(await page.locator('#violation').textContent()).toContain(`violated ${views[violationStep]!.violations[0]!.name}: ${views[violationStep]!.violations[0]!.message}`);
    expect(await page.locator('#violation').textContent()).toContain('I5');
    expect(await page.locator('#sequence li.current').textContent()).toContain('AddMaintainerRequest(cf=cf, maintainerEpoch=5)');
    expect(await page.locator('#sequence li.current').textContent()).toContain('coord → n2');
    expect(await page.locator('#world-nodes tr[data-node="n2"] td.liveness').textContent()).toBe(views[violationStep]!.nodes.n2!.liveness);
    expect(await page.locator('#world-store tr[data-changefeed="cf"]').textContent()).toContain('absent');
    expect(await page.locator('#world-inflight').textContent()).toBe(`messages in flight: ${views[violationStep]!.inFlight}`);
    expect(await page.evaluate(() => location.hash)).toContain(`step=${violationStep}`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(artifacts, 'inspector-violation.png') });
    await page.screenshot({ path: join(artifacts, 'inspector-violation-page.png'), fullPage: true });

    // And back: the violation is gone and n2 is Empty again.
    await page.keyboard.press('ArrowLeft');
    expect(await stepLabel()).toBe(`step ${violationStep - 1} / ${views.length - 1}`);
    expect(await page.locator('#violation').isVisible()).toBe(false);
    expect(await registryShown('n2')).toMatchObject({ activeState: 'Empty', stateCell: 'Empty', epochCell: '0' });
    await page.locator('#first').click();
    expect(await stepLabel()).toBe(`step 0 / ${views.length - 1}`);
  });

  it('opens a deep link at a step, and shows an ITF trace with the same values as its scenario', async () => {
    const traces = await page.locator('#trace-select option').evaluateAll((os) => os.map((o) => ({ value: (o as HTMLOptionElement).value, text: o.textContent })));
    const itf = traces.find((t) => t.text?.includes('(itf'))!;
    expect(itf).toBeDefined();
    const at = violationStep;
    // A fresh load (the same URL with another hash would only be a same-document navigation).
    await page.goto('about:blank');
    await page.goto(`${url}#machine=dispatcherManager&trace=${itf.value}&step=${at}`);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await stepLabel()).toBe(`step ${at} / ${views.length - 1}`);
    expect(await page.locator('#machine-title').textContent()).toBe('dispatcherManager');
    expect(await page.locator('#violation').textContent()).toContain('I5');
    expect(await registryShown('n2')).toMatchObject({ activeState: 'Maintainer.Bootstrapping', epochCell: '5' });
    const dm = views[at]!.nodes.n1!.changefeeds.cf!;
    const card = page.locator('#trace-diagrams .diagram-card[data-machine="dispatcherManager"]');
    await card.locator('.chip[data-instance="n1/cf"]').click();
    expect(await card.locator('.diagram').getAttribute('data-active-state')).toBe(dm.manager);
    expect(await card.locator('g.node.active-state').evaluateAll((els) => els.map((e) => e.id))).toEqual([expect.stringMatching(new RegExp(`^svg-dispatcherManager-state-${dm.manager.replace('.', '_')}-\\d+$`))]);
    expect(await page.locator('#world-owners tr[data-node="n1"] td.owner-epoch').textContent()).toBe(dm.ownerEpoch);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(artifacts, 'inspector-deeplink.png'), fullPage: false });
    // Editing the hash of an open page moves to that step too.
    await page.evaluate(() => (location.hash = location.hash.replace(/step=\d+/, 'step=3')));
    await expect.poll(stepLabel, POLL).toBe(`step 3 / ${views.length - 1}`);
    expect(await page.locator('#action').textContent()).toBe(`3. ${views[3]!.action}`);
  });

  it("shows the composed coordinator's in-memory epoch, operator and drain session at a step, as the replay has them", async () => {
    const file = join(root, 'test', 'scenarios', 'warning-during-move.json');
    const r = replay(new TableStepper(), JSON.parse(readFileSync(file, 'utf8')));
    const composed = traceViews(r.config, r.initial, r.rows);
    // The step where the warning's bump landed: the stop replaced the move.
    const at = composed.findIndex((v) => v.coordinator?.changefeeds.cf?.operator === 'stop.Sending');
    const want = composed[at]!.coordinator!;
    await page.locator('#trace-file').setInputFiles(file);
    await page.waitForSelector('body[data-trace="2"]');
    await page.goto('about:blank');
    await page.goto(`${url}#trace=2&step=${at}`);
    await page.waitForSelector('body[data-ready="true"]');
    const row = page.locator('#world-coordinator tr[data-changefeed="cf"]');
    expect(await row.locator('td.memory-epoch').textContent()).toBe(want.changefeeds.cf!.epoch);
    expect(await row.locator('td.operator').textContent()).toBe('stop.Sending');
    expect(await page.locator('#world-coordinator caption').textContent()).toContain(`drain session: ${want.drainSession!.target} @${want.drainSession!.epoch}`);
    await page.locator('#world').screenshot({ path: join(artifacts, 'inspector-coordinator.png') });
  });

  it('refuses a malformed trace with its reason and keeps the one shown', async () => {
    const bad = join(tmpdir(), `opcharts-inspector-bad-${process.pid}.json`);
    writeFileSync(bad, JSON.stringify({ config: { nodes: ['n1'], changefeeds: ['cf'] }, steps: [{ deliver: { type: 'Nothing', to: 'n1' } }] }));
    const shown = await stepLabel();
    const count = await page.locator('#trace-select option').count();
    await page.locator('#trace-file').setInputFiles(bad);
    await expect.poll(() => page.locator('#error').textContent(), POLL).toContain('steps[0].deliver: no message in flight');
    expect(await page.locator('#trace-select option').count()).toBe(count);
    expect(await stepLabel()).toBe(shown);
  });

  it('renders a machine without a fresh committed SVG from its Mermaid source in the page, with the same state ids', async () => {
    const lamp = createMachine({ id: 'lamp', initial: 'Off', states: { Off: { on: { FLIP: 'On' } }, On: { on: { FLIP: 'Off' } } } });
    const model: MachineModel = { name: 'lamp', machine: lamp, spec: '—', summary: 'a lamp', inputs: [{ label: 'lamp', input: {} }], events: () => [{ type: 'FLIP' }], properties: [] };
    const own = await startInspector({ models: [model] });
    try {
      await page.goto(`${own.url}#machine=lamp`);
      await page.waitForSelector('body[data-ready="true"]');
      const ids = await page.locator('#machine-diagram svg g.node').evaluateAll((els) => els.map((e) => e.id));
      expect(ids).toEqual(expect.arrayContaining([expect.stringMatching(/^svg-lamp-state-Off-\d+$/), expect.stringMatching(/^svg-lamp-state-On-\d+$/)]));
    } finally {
      await own.close();
    }
  });
});
