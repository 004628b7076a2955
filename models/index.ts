/** Every machine's test model, in the order the tables list them. */
import type { MachineModel } from '../graph/model.js';
import { addMaintainerModel, moveMaintainerModel, stopChangefeedModel } from './operators.js';
import { drainNodeModel, livenessViewModel, nodeLivenessModel } from './liveness.js';
import { admissionModel } from './admission.js';
import {
  dispatcherManagerModel,
  dispatcherQueueModel,
  maintainerRegistryModel,
  nodeDrainTargetModel,
  quiesceModel,
} from './fencing.js';
import { drainSessionModel } from './drainSession.js';
import { stateChangeModel } from './stateChange.js';

export const models: MachineModel[] = [
  addMaintainerModel,
  moveMaintainerModel,
  stopChangefeedModel,
  drainNodeModel,
  nodeLivenessModel,
  livenessViewModel,
  admissionModel,
  maintainerRegistryModel,
  dispatcherManagerModel,
  dispatcherQueueModel,
  quiesceModel,
  nodeDrainTargetModel,
  drainSessionModel,
  stateChangeModel,
];

export function findModel(name: string): MachineModel | undefined {
  return models.find((m) => m.name === name);
}
