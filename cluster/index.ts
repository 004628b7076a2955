/**
 * `opcharts/cluster`: the composed cluster model for hosts, scripts and user invariants — the world
 * and its steps, the built-in invariants, scenarios and their replay, and the trace views.
 */
export { initialWorld, enabledActions, apply, actionLabel, messageKey, WorldError, type World, type WorldStep, type Action, type ClusterConfig } from './world.js';
export type { CoordinatorState, StoreCall, StoreOutcome, ApiCallName, StateChangeName } from './coordinator.js';
export type { Message, NodeState } from './node.js';
export type { StoredChangefeed, StoreOp } from './store.js';
export { pureStepper, TableStepper, type Stepper } from './stepper.js';
export { builtInInvariants } from './specs.js';
export { violations, type ClusterInvariant } from './invariants.js';
export { replay, ScenarioError } from './scenario.js';
export { traceViews, traceText, traceItf, type StepView, type NodeView, type CoordinatorStepView } from './trace.js';
export { clusterModel } from './model.js';
