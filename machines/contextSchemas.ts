/**
 * Every machine's **context** as a schema of the boundary's field kinds (machines/boundary.ts),
 * keyed by machine ID: what a saved snapshot's context must be, field by field, before
 * `restoreSnapshot` (services/snapshot.ts) builds an actor from it — uint64 epochs as bigint in
 * 0..2^64−1, IDs non-empty where the machine never stores an empty one, enums closed, lists and maps
 * of the right kind, no field missing and none extra.
 *
 * The compile-time check at the end keeps each schema and the machine's context type identical in
 * both directions, so a field added to a machine without its schema (or the reverse) fails `tsc`.
 * Which values are reachable is tested, not assumed: every snapshot on every generated path of every
 * model must satisfy its schema (test/snapshot/snapshot.test.ts).
 *
 * Where a field may be empty: `coordinatorId` is '' before a coordinator is adopted (§2.6.3), a
 * dispatcher manager's `owner` is '' while there is none (§2.7.3), a drain `target` '' is the clear
 * (§2.5.4), and the quiesce `allowed` list keeps the '' it was sent (ignored, §2.8).
 */
import type { StateChangeContext } from './coordinator/stateChange.js';
import { FEED_STATE_VALUES, listOf, mapOf, nullable, objectOf, optional, taggedUnion, type EventSchema, type MachineId, type Shape } from './boundary.js';
import type { AddMaintainerContext } from './addMaintainer.js';
import type { MoveMaintainerContext } from './moveMaintainer.js';
import type { StopChangefeedContext } from './stopChangefeed.js';
import type { DrainNodeContext } from './drainNode.js';
import type { NodeLivenessContext } from './nodeLiveness.js';
import type { LivenessViewContext } from './livenessView.js';
import type { AdmissionContext } from './admission.js';
import type { MaintainerRegistryContext } from './maintainerRegistry.js';
import type { DispatcherManagerContext } from './dispatcherManager.js';
import type { DispatcherQueueContext } from './dispatcherQueue.js';
import type { QuiesceContext } from './quiesce.js';
import type { NodeDrainTargetContext } from './nodeDrainTarget.js';
import type { DrainSessionContext } from './coordinator/drainSession.js';

const LIVENESS = ['Alive', 'Draining', 'Stopping'] as const;
const NODE_SET = listOf('node', { unique: true });
const REJECT_REASONS = [
  'operator-exists',
  'bump-in-flight',
  'changefeed-missing',
  'bump-failed',
  'operator-took-slot-during-bump',
  'changefeed-removed-during-bump',
  'changefeed-replaced-during-bump',
] as const;

/** Every machine's context schema, keyed by machine ID (the same keys as `inputSchemas`). */
export const contextSchemas = {
  addMaintainer: { changefeedId: 'node', dest: 'node', maintainerEpoch: 'uint64', checkpointTs: 'uint64', isNew: 'boolean' },
  moveMaintainer: {
    changefeedId: 'node',
    origin: 'node',
    target: 'node',
    originEpoch: 'uint64',
    maintainerEpoch: 'uint64',
    checkpointTs: 'uint64',
    originRemoved: 'boolean',
  },
  stopChangefeed: { changefeedId: 'node', nodeId: 'node', coordinatorNode: 'node', maintainerEpoch: 'uint64', removed: 'boolean' },
  drainNode: {
    node: 'node',
    resendIntervalMs: 'millis',
    observed: 'boolean',
    nodeEpoch: 'uint64',
    liveness: LIVENESS,
    lastDrainCmdSentAt: nullable('millis'),
    lastStopCmdSentAt: nullable('millis'),
  },
  nodeLiveness: { nodeId: 'node', nodeEpoch: 'uint64', coordinatorId: 'string', coordinatorVersion: 'uint64' },
  livenessView: { node: 'node', ttlMs: 'millis', observed: 'boolean', nodeEpoch: 'uint64', liveness: LIVENESS, lastSeen: 'millis' },
  admission: {
    changefeedId: 'node',
    kind: ['add', 'move', 'stop'],
    needsBump: 'boolean',
    epoch: nullable('uint64'),
    reason: nullable(REJECT_REASONS),
    bumpError: 'string?',
    persistedEpoch: ['unchanged', 'unknown', 'bumped'],
  },
  maintainerRegistry: {
    changefeedId: 'node',
    node: 'node',
    coordinatorId: 'string',
    coordinatorVersion: 'uint64',
    aliveNodes: NODE_SET,
    nodeStopping: 'boolean',
    generation: 'count',
    epoch: 'uint64',
    removeOnly: 'boolean',
    initialized: 'boolean',
    bootstrapResponded: NODE_SET,
    postBootstrapPending: 'boolean',
    cascade: 'boolean',
    changefeedRemoved: 'boolean',
    closedNodes: NODE_SET,
    ddlSpanStopped: 'boolean',
    runningError: 'boolean',
  },
  dispatcherManager: {
    changefeedId: 'node',
    node: 'node',
    tombstone: nullable('uint64'),
    owner: 'string',
    ownerEpoch: 'uint64',
    triggerId: 'string?',
    triggerInitialized: 'boolean',
    spans: listOf('string'),
    operators: listOf(objectOf({ dispatcher: 'string', kind: ['create', 'remove'], owner: 'string', ownerEpoch: 'uint64' })),
    removeRequested: 'boolean',
  },
  dispatcherQueue: {
    queued: nullable(objectOf({ type: ['bootstrap', 'postBootstrap', 'close'], from: 'node', maintainerEpoch: 'uint64', removed: optional('boolean') })),
  },
  quiesce: { operators: mapOf(objectOf({ checkpointTs: 'uint64', queued: 'boolean' })), allowed: listOf('string') },
  nodeDrainTarget: { coordinatorId: 'string', coordinatorVersion: 'uint64', target: 'string', epoch: 'uint64' },
  drainSession: {
    session: nullable(
      objectOf({
        target: 'node',
        epoch: 'uint64',
        targetSyncNodes: NODE_SET,
        trackedChangefeeds: listOf('node'),
        pendingStatus: listOf('node'),
        dirty: 'boolean',
        lastSent: nullable('millis'),
      }),
    ),
    clear: nullable(objectOf({ target: 'node', epoch: 'uint64', pendingNodes: NODE_SET, dirty: 'boolean', lastSent: nullable('millis') })),
    completed: nullable('node'),
    gate: nullable(
      taggedUnion('kind', {
        target: { target: 'node', epoch: 'uint64', ackedNodes: mapOf('uint64') },
        clear: { target: 'node', epoch: 'uint64', pendingNodes: NODE_SET },
      }),
    ),
    lastGeneratedDrainEpoch: 'uint64',
    maxObservedDrainEpoch: 'uint64',
    resendIntervalMs: 'millis',
  },
  stateChange: { changefeedId: 'node', state: FEED_STATE_VALUES, epoch: nullable('uint64'), error: nullable('string') },
} as const satisfies { readonly [K in MachineId]: EventSchema };

/** The context a machine's schema describes. */
export type ContextOf<Id extends MachineId> = Shape<(typeof contextSchemas)[Id]>;

// Compile-time: each schema describes exactly its machine's context type (readonly aside).
type Mutable<T> = T extends bigint | string | number | boolean | null | undefined
  ? T
  : T extends readonly (infer E)[]
    ? Mutable<E>[]
    : { -readonly [P in keyof T]: Mutable<T[P]> };
type Same<A, B> = [Mutable<A>] extends [Mutable<B>] ? ([Mutable<B>] extends [Mutable<A>] ? true : false) : false;
type Check<T extends true> = T;
export type ContextSchemaChecks = [
  Check<Same<ContextOf<'addMaintainer'>, AddMaintainerContext>>,
  Check<Same<ContextOf<'moveMaintainer'>, MoveMaintainerContext>>,
  Check<Same<ContextOf<'stopChangefeed'>, StopChangefeedContext>>,
  Check<Same<ContextOf<'drainNode'>, DrainNodeContext>>,
  Check<Same<ContextOf<'nodeLiveness'>, NodeLivenessContext>>,
  Check<Same<ContextOf<'livenessView'>, LivenessViewContext>>,
  Check<Same<ContextOf<'admission'>, AdmissionContext>>,
  Check<Same<ContextOf<'maintainerRegistry'>, MaintainerRegistryContext>>,
  Check<Same<ContextOf<'dispatcherManager'>, DispatcherManagerContext>>,
  Check<Same<ContextOf<'dispatcherQueue'>, DispatcherQueueContext>>,
  Check<Same<ContextOf<'quiesce'>, QuiesceContext>>,
  Check<Same<ContextOf<'nodeDrainTarget'>, NodeDrainTargetContext>>,
  Check<Same<ContextOf<'drainSession'>, DrainSessionContext>>,
  Check<Same<ContextOf<'stateChange'>, StateChangeContext>>,
];
