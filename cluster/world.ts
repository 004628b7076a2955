/**
 * The cluster world: what every part of the composed model holds at one instant. The node side,
 * the store and the network are here; the coordinator (operator controller, schedulers, drain
 * session, bootstrap; issue 11) joins as `coordinator` when it is composed in.
 *
 * Worlds are immutable values: a step builds a new world and shares what did not change.
 */
import type { ChangefeedId, NodeId } from '../machines/protocol.js';
import type { Message, NodeState } from './node.js';
import type { StoredChangefeed } from './store.js';

export interface World {
  /** Every configured node; null while its process is down (a crash loses all it held). */
  nodes: Readonly<Record<NodeId, NodeState | null>>;
  /** The messages in flight, in no order (a bag). */
  inFlight: readonly Message[];
  /** The persisted records (§3); undefined where the changefeed does not exist. */
  store: Readonly<Record<ChangefeedId, StoredChangefeed | undefined>>;
  /** The coordinator's state, once composed (opaque to the node-side invariants). */
  coordinator?: unknown;
}

/** One step of the world, named for traces. `deliver` hands a message in flight to its receiver. */
export type Action = { kind: 'deliver'; message: Message } | ({ kind: string } & Record<string, unknown>);

/** A world and the step that produced it, as the invariants see them. */
export interface WorldStep {
  prev: World;
  action: Action;
}
