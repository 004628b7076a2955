/**
 * Every built-in safety invariant of the cluster model (spec §4), as the checker and replays use
 * them: the node side (cluster/invariants.ts), the drain side (cluster/drainInvariants.ts) and the
 * operator side with the store (cluster/operatorInvariants.ts). Each module keeps its monitors
 * apart from the model; a monitor of a part that is not composed (no coordinator) holds trivially.
 */
import { nodeInvariants, type ClusterInvariant } from './invariants.js';
import { drainInvariants } from './drainInvariants.js';
import { operatorInvariants } from './operatorInvariants.js';

export const builtInInvariants: readonly ClusterInvariant[] = [...nodeInvariants, ...drainInvariants, ...operatorInvariants];
