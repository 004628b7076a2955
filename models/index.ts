/** Every machine's test model, in the order the tables list them. */
import type { MachineModel } from '../graph/model.js';
import { addMaintainerModel, moveMaintainerModel, stopChangefeedModel } from './operators.js';
import { drainNodeModel, livenessViewModel, nodeLivenessModel } from './liveness.js';
import { admissionModel } from './admission.js';

export const models: MachineModel[] = [
  addMaintainerModel,
  moveMaintainerModel,
  stopChangefeedModel,
  drainNodeModel,
  nodeLivenessModel,
  livenessViewModel,
  admissionModel,
];

export function findModel(name: string): MachineModel | undefined {
  return models.find((m) => m.name === name);
}
