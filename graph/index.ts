/**
 * `opcharts/graph`: the path-test generator for any XState v5 machine, the one opcharts runs on its
 * own machines. Describe a machine with a {@link MachineModel} (inputs, a finite event domain, an
 * optional state abstraction, step properties), then:
 *
 * - `generate(model)`: shortest paths from `xstate/graph`, plus targeted paths for the transitions
 *   they miss, each replayed on a real actor; `coverage` is measured on the replays.
 * - `checkProperties(model, replay)` / `edgePaths(model, generated)`: every step of every path, and
 *   every explored edge, against the model's properties.
 * - `stateDiagram(machine)`, `sequenceDiagram(...)`: Mermaid text.
 * - `selectPaths(model, { to, via })`: the paths that end in a state or contain an event or effect.
 * - `checkMachine(model)`: the explorer over every (snapshot, event) pair the model reaches, with its
 *   properties as invariants; a violation comes with a shortest event path, replayed on an actor.
 */
export type { MachineModel, Step, StepProperty } from './model.js';
export { generate, replay, edgePaths, checkProperties, pathName, stateValueString } from './paths.js';
export type { Generated, GeneratedPath, Replay, Coverage } from './paths.js';
export { checkMachine, machineExplorerModel } from './check.js';
export type { MachineCheckOptions, MachineCheckResult, MachineViolation } from './check.js';
export { stateDiagram, sequenceDiagram, transitionLabels } from './mermaid.js';
export { selectPaths, resolveStateName, StateNameError, UnknownStepError, type Selection } from './select.js';
export { listStates, listTransitions, listEventTypes, type StateInfo, type TransitionInfo } from './transitions.js';
export { stableStringify, formatEvent, toJson } from './serialize.js';
/** opcharts' own models (one per machine), to check a variant of one of ours: `{ ...findModel('moveMaintainer')!, machine: variant }`. */
export { models, findModel } from '../models/index.js';
