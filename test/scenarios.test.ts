/**
 * Cluster scenarios (cluster/scenario.ts) replayed with real message passing between nodes: every
 * scenario under test/scenarios/ meets its expectations (cluster/scenario.ts's own and those of
 * ./scenarioExpectations.ts) and breaks no invariant; replay is deterministic; malformed scenarios
 * name the step and field; `opcharts replay` prints text, JSON and valid ITF. The conformance
 * scenarios run the composed coordinator and are named after their spec section or §5.1 bug (§2.2
 * and §6.2 moves, §6.3 stops, §2.4 admission, §2.5 drains, failovers, B6, B10, B11, B20, B23).
 * Machines: nodeLiveness, nodeDrainTarget, maintainerRegistry, dispatcherManager and the
 * coordinator's. Specs: §2.2–§2.7, §5.1, §6.2, §6.3, I5, I10–I16.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { replay, ScenarioError } from '../cluster/scenario.js';
import { TableStepper, pureStepper } from '../cluster/stepper.js';
import { traceItf, traceViews } from '../cluster/trace.js';
import { validateItf } from '../explorer/itf.js';
import { extraExpectationFailures } from './scenarioExpectations.js';
import { findVariant, VariantStepper } from '../cluster/check.js';

const dir = join(import.meta.dirname, 'scenarios');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const load = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
const root = join(import.meta.dirname, '..');
const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'opcharts.js'), ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } });

describe('scenarios under test/scenarios/', () => {
  it('there are scenarios', () => expect(files.length).toBeGreaterThanOrEqual(2));

  it.each(files)('%s meets every expectation and breaks no invariant but those it expects', (f) => {
    const s = load(f);
    const r = replay(new TableStepper(), s);
    expect(r.failures).toEqual([]);
    expect(extraExpectationFailures(s, r.rows)).toEqual([]);
    // A scenario that documents a spec-faithful hazard names the violation it expects; no other.
    const expected = ((s.expect ?? []) as Array<{ violated?: string }>).flatMap((e) => (e.violated ? [e.violated] : []));
    expect(r.rows.flatMap((x) => x.violations).filter((v) => !expected.some((e) => v.name.startsWith(e)))).toEqual([]);
    // A full bag drops sends silently; a scenario loses messages only by its own `lose` steps.
    expect(Math.max(0, ...r.rows.map((x) => x.world.inFlight.length))).toBeLessThan(r.config.capacity);
  });

  it.each(files)('%s replays to the same trace every time and with either stepper', (f) => {
    const a = traceViews(...(({ config, initial, rows }) => [config, initial, rows] as const)(replay(new TableStepper(), load(f))));
    const b = traceViews(...(({ config, initial, rows }) => [config, initial, rows] as const)(replay(pureStepper, load(f))));
    expect(b).toEqual(a);
  });

  // The world runs the variants of the node-side and drain machines, and admission's with its glue
  // (B2): a bug scenario replayed with its bug reintroduced must not hold.
  it.each([
    ['B20', 'B20-restart-during-drain.json'],
    ['B19', 'B20-restart-during-drain.json'],
    ['B2', 'B2-second-admission-refused-while-bumping.json'],
  ])('with §5.1 %s reintroduced, %s fails', (variant, f) => {
    const s = load(f);
    let broken: string[];
    try {
      const r = replay(new VariantStepper(findVariant(variant)), s);
      broken = [...r.failures, ...extraExpectationFailures(s, r.rows), ...r.rows.flatMap((x) => x.violations.map((v) => v.name))];
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioError); // a step the faithful run takes is not possible
      broken = [(e as Error).message];
    }
    expect(broken).not.toEqual([]);
  });

  it('wrong coordinator and store expectations (the helper above) are reported with their step', () => {
    const s = load('2.4-admission-bump-then-push.json');
    const wrong = {
      ...s,
      expect: [
        { after: 5, store: { changefeedId: 'cf', epoch: '2' }, operator: { changefeedId: 'cf', state: 'add.Sending' }, changefeed: { changefeedId: 'cf', bumping: false } },
        { after: 7, inFlight: { type: 'AddMaintainerRequest', maintainerEpoch: '1' }, owners: { changefeedId: 'cf', nodes: ['n1@2'] } },
        { after: 7, coordinator: { version: '2' }, operater: { changefeedId: 'cf', state: null }, storeCalls: { count: 1 } },
      ],
    };
    const r = replay(new TableStepper(), wrong);
    expect(extraExpectationFailures(wrong, r.rows)).toEqual([
      'after step 5: store cf.epoch is "1", expected "2"',
      'after step 5: changefeed cf.bumping is true, expected false',
      'after step 5: operator cf is null, expected "add.Sending"',
      'after step 7: owners of cf is [], expected ["n1@2"]',
      'after step 7: in flight {"type":"AddMaintainerRequest","maintainerEpoch":"1"} is 0, expected "at least 1"',
      'expect[2]: unknown expectation "operater"',
      'after step 7: store calls {} is 0, expected 1',
      'after step 7: coordinator.version is "1", expected "2"',
    ]);
  });

  it('a wrong expectation is reported with its step', () => {
    const s = load('add-and-cascade-remove.json');
    const r = replay(new TableStepper(), { ...s, expect: [{ after: 10, registry: { node: 'n1', changefeedId: 'cf', state: 'Maintainer.Removing' } }] });
    expect(r.failures).toEqual(['expect[0] after step 10: registry n1/cf is Maintainer.Running, expected Maintainer.Removing']);
  });
});

describe('malformed scenarios are a typed error naming the step and field', () => {
  const base = { config: { nodes: ['n1'], changefeeds: ['cf'] } };
  it.each([
    [{ ...base, steps: [{ send: { type: 'AddMaintainerRequest', to: 'n1', changefeedId: 'cf', maintainerEpoch: 'x', checkpointTs: '1', isNew: true } }] }, 'steps[0].send: maintainerEpoch'],
    [{ ...base, steps: [{ send: { type: 'CoordinatorBootstrap', to: 'n9', version: '1' } }] }, 'steps[0].send.to: unknown node "n9"'],
    [{ ...base, steps: [{ deliver: { type: 'CoordinatorBootstrap', to: 'n1' } }] }, 'steps[0].deliver: no message in flight matches'],
    [{ ...base, steps: [{ teleport: 'n1' }] }, 'steps[0]: unknown step "teleport"'],
    [{ ...base, steps: [{ crash: 'n1', restart: 'n1' }] }, 'steps[0]: expected exactly one of'],
    [{ ...base, steps: [{ crash: 'n1' }] }, 'steps[0]: no crash budget left'],
    [{ config: { nodes: [], changefeeds: ['cf'] }, steps: [] }, 'config.nodes: expected a non-empty array'],
    [{ ...base, steps: [{ tick: { node: 'n1', changefeedId: 'cf', tick: 'NAP' } }] }, 'steps[0].tick.tick: expected HEARTBEAT, RESEND or CLEANUP'],
  ])('%#: %s', (scenario, message) => {
    expect(() => replay(pureStepper, scenario)).toThrow(ScenarioError);
    expect(() => replay(pureStepper, scenario)).toThrow(message);
  });
});

describe('opcharts replay', () => {
  const file = join(dir, 'add-and-cascade-remove.json');

  it('prints a readable trace and exits 0 when every expectation holds', () => {
    const r = cli('replay', file);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('12. deliver RemoveMaintainerRequest coord→n1');
    expect(r.stdout).toContain('n1 (epoch 1, Alive): cf: Maintainer.Stopped@5, dm Absent@0 tomb 5');
  });

  it('--json is the StepView list; --itf is valid ITF with exact uint64', () => {
    const j = cli('replay', file, '--json');
    expect(j.status, j.stderr).toBe(0);
    const parsed = JSON.parse(j.stdout) as { steps: Array<{ step: number; nodes: Record<string, { changefeeds: Record<string, { maintainerEpoch: string }> }> }>; failures: string[] };
    expect(parsed.steps).toHaveLength(22);
    expect(parsed.steps[21]!.nodes.n1!.changefeeds.cf!.maintainerEpoch).toBe('5');
    const i = cli('replay', file, '--itf');
    expect(i.status, i.stderr).toBe(0);
    const doc = JSON.parse(i.stdout);
    expect(validateItf(doc)).toEqual([]);
    expect(JSON.stringify(doc.states[21].nodes)).toContain('{"#bigint":"5"}');
  });

  it('a failed expectation exits 1; an unreadable file is a usage error (2); both sides of --json/--itf is a usage error', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'opcharts-scenario-'));
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), expect: [{ after: 1, liveness: { node: 'n1', state: 'Stopping' } }] }));
    expect(cli('replay', bad).status).toBe(1);
    expect(cli('replay', join(tmp, 'missing.json')).status).toBe(2);
    expect(cli('replay', file, '--json', '--itf').status).toBe(2);
  });

  it('the ITF of every scenario validates', () => {
    for (const f of files) {
      const r = replay(new TableStepper(), load(f));
      expect(validateItf(JSON.parse(JSON.stringify(traceItf(traceViews(r.config, r.initial, r.rows)), (_k, v) => v)))).toEqual([]);
    }
  });
});
