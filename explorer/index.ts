/**
 * A generic explicit-state model checker: breadth-first search over any deterministic model with a
 * canonical integer-vector encoding, invariants at every state, deadlock and AG EF checks, and
 * shortest counterexamples. It knows nothing of TiCDC; the cluster model is one of its users.
 */
export * from './types.js';
export { explore, ExplorerError } from './explore.js';
export { ExactVisited, CompactVisited, hashWords, type Visited } from './visited.js';
export * from './itf.js';
export { exploreParallel, type DecodableModel, type ModelFactory, type ParallelModel, type ParallelOptions } from './parallel.js';
export * from './symmetry.js';
