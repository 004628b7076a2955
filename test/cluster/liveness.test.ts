/**
 * AG EF liveness on the composed cluster (cluster/liveness.ts, `opcharts check --eventually`): the
 * checker reports a world from which the goal can no longer be reached, with a shortest path, only
 * when the search covered the whole graph. Specs: §2.1 (an add completes on a Working status with
 * BootstrapDone), §2.5.5 (DrainNode answers 0 when the drain is complete).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCheck, VariantStepper } from '../../cluster/check.js';
import { parseCheckConfig } from '../../cluster/configs.js';
import { drainCompletes, livenessGoal, LivenessGoalError, operatorsSettle } from '../../cluster/liveness.js';
import { clusterModel } from '../../cluster/model.js';
import { replay } from '../../cluster/scenario.js';
import { explore } from '../../explorer/explore.js';

const twoNodes = (ticks: string[]) =>
  parseCheckConfig({
    name: `two-nodes-${ticks.join('-')}`,
    nodes: ['n1', 'n2'],
    changefeeds: ['cf'],
    capacity: 3,
    budgets: { loss: 0, duplication: 0, crashes: 0 },
    ticks,
    coordinator: { compose: true, time: false, nodeHeartbeats: false },
  });

describe('AG EF: the operators settle', () => {
  it('without RESEND ticks, a bootstrap request lost to the full bag leaves the add stuck: a shortest path to a world that cannot settle, which replays', async () => {
    const config = twoNodes(['HEARTBEAT']);
    const r = await runCheck({ config, mode: 'exact', eventually: operatorsSettle });
    expect(r.eventually).toEqual({ name: operatorsSettle.name, judged: true });
    const v = r.violations.find((x) => x.kind === 'eventually');
    expect(v, r.violations.map((x) => x.invariant).join(', ')).toBeDefined();
    expect(v!.labels.at(-1)).toBe('deliver AddMaintainerRequest coord→n1');
    // From the end of the trace, no world where the operators have settled is reachable.
    const stepper = new VariantStepper();
    const end = replay(stepper, JSON.parse(JSON.stringify(v!.scenario)), []).rows.at(-1)!.world;
    expect(end.coordinator!.controller!.operators.get('cf')).toMatchObject({ kind: 'add' });
    const rest = explore(clusterModel(stepper, config.cluster, end), { mode: 'exact', checkDeadlocks: false, invariants: [{ name: 'never settles', check: (w) => !operatorsSettle.goal(w) }] });
    expect(rest).toMatchObject({ stopReason: 'complete', violations: [] });
  }, 120_000);

  it('with RESEND ticks the same cluster always settles: the maintainer resends its bootstrap requests', async () => {
    const r = await runCheck({ config: twoNodes(['HEARTBEAT', 'RESEND']), mode: 'exact', eventually: operatorsSettle });
    expect(r.eventually).toEqual({ name: operatorsSettle.name, judged: true });
    expect(r.violations).toEqual([]);
    expect(r.stopReason).toBe('complete');
  }, 120_000);

  it('a search stopped by a bound judges nothing', async () => {
    const r = await runCheck({ config: twoNodes(['HEARTBEAT']), mode: 'exact', eventually: operatorsSettle, maxStates: 50 });
    expect(r.stopReason).toBe('maxStates');
    expect(r.eventually).toEqual({ name: operatorsSettle.name, judged: false });
    expect(r.violations.filter((x) => x.kind === 'eventually')).toEqual([]);
  });
});

describe('AG EF: the drain completes (§2.5.5)', () => {
  it('draining the only node that runs cf can never complete: no other node can take it', async () => {
    const config = parseCheckConfig({
      name: 'drain-only-node',
      nodes: ['n1'],
      changefeeds: ['cf'],
      capacity: 3,
      budgets: { loss: 0, duplication: 0, crashes: 0 },
      ticks: [],
      coordinator: { compose: true, drainTargets: ['n1'], time: false, nodeHeartbeats: false },
    });
    const goal = livenessGoal('drain', config);
    expect(goal.name).toBe(drainCompletes('n1').name);
    const r = await runCheck({ config, mode: 'exact', eventually: goal });
    const v = r.violations.find((x) => x.kind === 'eventually');
    expect(v?.labels.at(-1)).toBe('store bump cf (admission): ok');
  }, 120_000);

  it('a goal the configuration cannot have is a typed error: drain without exactly one drain target, an unknown name', () => {
    const config = twoNodes(['HEARTBEAT']);
    expect(() => livenessGoal('drain', config)).toThrow(LivenessGoalError);
    expect(() => livenessGoal('progress', config)).toThrow(/no goal "progress" \(goals: operators, drain\)/);
  });

  it('opcharts check --eventually drain on a configuration without a drain target: exit 2, a JSON error', () => {
    const root = join(import.meta.dirname, '..', '..');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), 'check', '--config', 'coordinator', '--eventually', 'drain', '--json', '--no-report'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'LIVENESS_GOAL' });
  });
});
