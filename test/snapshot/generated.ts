/** Generated paths per model, computed once per test file (generation is the slow part). */
import { generate, type Generated, type MachineModel } from 'opcharts/graph';

const cache = new Map<string, Generated>();

export function generatedFor(model: MachineModel): Generated {
  let g = cache.get(model.name);
  if (!g) {
    g = generate(model);
    cache.set(model.name, g);
  }
  return g;
}
