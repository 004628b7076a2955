export * from './changefeedDb.js';
export * from './heartbeat.js';
export * from './bootstrap.js';
export * from './schedulers.js';
// The operator controller's functions under one namespace (`operatorController.poll(state, nowMs)`),
// so their short names (poll, pushOperator, stopChangefeed…) cannot collide with other modules'.
export * as operatorController from './operatorController.js';
export {
  OperatorControllerCell,
  createOperatorController,
  type OperatorControllerState,
  type OperatorSlot,
  type OperatorSpec,
  type ControllerStep,
  type ChangefeedMemInfo,
  type MaintainerStatusReport,
} from './operatorController.js';
export * from './changefeeds.js';
export * from './changefeedApi.js';
export * from './stateChange.js';
