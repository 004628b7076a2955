/**
 * The liveness goals `opcharts check --eventually NAME` checks as AG EF (issue 13 item 2): from every
 * reachable world, some world where the goal holds is still reachable. A world from which it is not
 * is reported with a shortest path to it. That is the stuck detection of the cluster: a world where
 * no sequence of steps can make the operators or the drain progress.
 *
 * Fairness (README "Liveness and fairness"): AG EF over a finite graph is what every run reaches
 * under strong fairness of the world's steps — a step enabled infinitely often is taken infinitely
 * often — since faults are bounded by budgets and stop. The check needs the whole graph: exact
 * mode, one worker, and a search that completes within its bounds (a search stopped by a bound
 * reports no AG EF result).
 */
import { OpchartsError } from '../machines/errors.js';
import type { CheckConfig } from './configs.js';
import type { World } from './world.js';

export interface LivenessGoal {
  name: string;
  goal(world: World): boolean;
}

export class LivenessGoalError extends OpchartsError {
  constructor(message: string) {
    super('LIVENESS_GOAL', message);
  }
}

/** The operators settle (§2.1–§2.3 finish, §2.4 admission answered): a running coordinator with no operator in flight and no admission waiting for its bump. */
export const operatorsSettle: LivenessGoal = {
  name: 'the operators settle (no operator or admission in flight)',
  goal: (w) => !!w.coordinator?.controller && w.coordinator.controller.operators.size === 0 && Object.keys(w.coordinator.admissions).length === 0,
};

/** DrainNode(target) answers 0 without error (§2.5.5): what a caller polling the API waits for. */
export const drainCompletes = (target: string): LivenessGoal => ({
  name: `DrainNode(${target}) answers 0`,
  goal: (w) => {
    const a = w.coordinator?.lastDrainAnswer;
    return !!a && a.target === target && a.remaining === 0 && a.error === null;
  },
});

export const LIVENESS_GOALS = ['operators', 'drain'] as const;

/** The goal named on the command line, for a configuration (`drain` needs exactly one drain target). */
export function livenessGoal(name: string, config: CheckConfig): LivenessGoal {
  if (name === 'operators') {
    if (!config.cluster.composeCoordinator) throw new LivenessGoalError('--eventually operators needs a composed coordinator (coordinator.compose)');
    return operatorsSettle;
  }
  if (name === 'drain') {
    const targets = config.cluster.drainTargets ?? [];
    if (targets.length !== 1) throw new LivenessGoalError(`--eventually drain needs exactly one drain target (coordinator.drainTargets); ${config.name} has ${targets.length}`);
    return drainCompletes(targets[0]!);
  }
  throw new LivenessGoalError(`--eventually: no goal ${JSON.stringify(name)} (goals: ${LIVENESS_GOALS.join(', ')})`);
}
