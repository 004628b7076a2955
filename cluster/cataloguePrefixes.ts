/**
 * Scenario prefixes for the historical-bug catalogue (cluster/catalogue.ts): the steps that bring
 * the composed cluster (two nodes n1, n2, one changefeed cf, coordinator coord) to the world where a
 * bug's window opens, so that the checker explores every interleaving from there within seconds.
 * Each was found by the checker itself: the shortest trace (breadth-first, faithful model) to a goal
 * predicate, printed as scenario steps (cluster/scenario.ts format). A check with a prefix replays
 * it first (cluster/check.ts `startWorld`); a step that cannot be taken is a CheckPrefixError.
 */

/**
 * Goal "cf is Replicating on n1, then n1 is Draining and n2 acknowledged the drain target": bootstrap
 * of both nodes, the basic scheduler's add of cf to n1 (bump, AddMaintainer, the maintainer's
 * bootstrap, its Working status, PostFinish), then DrainNode(n1) with DRAINING applied and the
 * target acknowledged by n2. The next coordinator tick proposes the drain move n1 → n2 (§2.5.3).
 */
export const drainReady: readonly unknown[] = [
  {"deliver": {"type": "CoordinatorBootstrap", "from": "coord", "to": "n1", "version": "1"}},
  {"deliver": {"type": "CoordinatorBootstrapResponse", "to": "coord", "drainProtocolVersion": 1, "target": "", "epoch": "0", "nodeEpoch": "1", "liveness": "Alive", "statuses": [], "from": "n1"}},
  {"deliver": {"type": "CoordinatorBootstrap", "from": "coord", "to": "n2", "version": "1"}},
  {"deliver": {"type": "CoordinatorBootstrapResponse", "to": "coord", "drainProtocolVersion": 1, "target": "", "epoch": "0", "nodeEpoch": "1", "liveness": "Alive", "statuses": [], "from": "n2"}},
  {"coordinator-tick": {"choice": 0}},
  {"store": {"call": {"coordinatorVersion": "1", "changefeedId": "cf", "purpose": "admission", "op": {"op": "bump", "candidate": "0"}}, "outcome": "ok"}},
  {"coordinator-tick": {}},
  {"deliver": {"type": "AddMaintainerRequest", "to": "n1", "changefeedId": "cf", "maintainerEpoch": "2", "checkpointTs": "1", "isNew": false, "from": "coord"}},
  {"deliver": {"type": "MaintainerBootstrapRequest", "to": "n1", "changefeedId": "cf", "maintainerEpoch": "2", "tableTriggerId": "cf/ddl-1", "from": "n1"}},
  {"deliver": {"type": "MaintainerBootstrapResponse", "to": "n1", "changefeedId": "cf", "maintainerEpoch": "2", "spans": [], "operators": [], "error": null, "from": "n1"}},
  {"deliver": {"type": "MaintainerBootstrapRequest", "to": "n2", "changefeedId": "cf", "maintainerEpoch": "2", "tableTriggerId": null, "from": "n1"}},
  {"deliver": {"type": "MaintainerBootstrapResponse", "to": "n1", "changefeedId": "cf", "maintainerEpoch": "2", "spans": [], "operators": [], "error": null, "from": "n2"}},
  {"tick": {"node": "n1", "changefeedId": "cf", "tick": "HEARTBEAT"}},
  {"deliver": {"type": "MaintainerStatus", "to": "coord", "changefeedId": "cf", "state": "Working", "maintainerEpoch": "2", "bootstrapDone": true, "error": false, "from": "n1"}},
  {"coordinator-tick": {}},
  {"deliver": {"type": "NodeHeartbeat", "to": "coord", "liveness": "Alive", "nodeEpoch": "1", "forced": true, "from": "n1"}},
  {"deliver": {"type": "NodeHeartbeat", "to": "coord", "liveness": "Alive", "nodeEpoch": "1", "forced": true, "from": "n2"}},
  {"api": {"call": "DrainNode", "target": "n1"}},
  {"deliver": {"type": "SetDispatcherDrainTarget", "to": "n2", "target": "n1", "epoch": "1", "from": "coord"}},
  {"deliver": {"type": "NodeDrainHeartbeat", "to": "coord", "target": "n1", "epoch": "1", "from": "n2"}},
  {"deliver": {"type": "SetNodeLivenessRequest", "to": "n1", "target": "Draining", "nodeEpoch": "1", "from": "coord"}},
  {"deliver": {"type": "SetNodeLivenessResponse", "to": "coord", "applied": "Draining", "nodeEpoch": "1", "from": "n1"}},
];

/** {@link drainReady}, then the tick that admits the drain move and its bump landing: the move is pushed (RemoveOrigin, §2.2). */
export const moveAdmitted: readonly unknown[] = [
  ...drainReady,
  {"coordinator-tick": {}},
  {"store": {"call": {"coordinatorVersion": "1", "changefeedId": "cf", "purpose": "admission", "op": {"op": "bump", "candidate": "0"}}, "outcome": "ok"}},
];

/**
 * {@link moveAdmitted}, then the move's remove delivered to n1, the maintainer's dispatchers closed
 * and its Stopped status delivered: the move is in OriginStopped with the origin really stopped
 * (§2.2 Check 1); the next tick binds n2 and sends the AddMaintainer with the new epoch.
 */
export const originStopped: readonly unknown[] = [
  ...moveAdmitted,
  {"deliver": {"type": "NodeHeartbeat", "to": "coord", "liveness": "Draining", "nodeEpoch": "1", "forced": true, "from": "n1"}},
  {"coordinator-tick": {}},
  {"deliver": {"type": "RemoveMaintainerRequest", "to": "n1", "changefeedId": "cf", "cascade": false, "removed": false, "maintainerEpoch": "2", "from": "coord"}},
  {"deliver": {"type": "DispatcherRequest", "to": "n1", "changefeedId": "cf", "maintainerEpoch": "2", "dispatcher": "cf/ddl-1", "kind": "remove", "from": "n1"}},
  {"runtime": {"node": "n1", "kind": "remove", "changefeedId": "cf", "dispatcher": "cf/ddl-1", "owner": "n1"}},
  {"deliver": {"type": "DispatcherStatus", "from": "n1", "to": "n1", "changefeedId": "cf", "dispatcher": "cf/ddl-1", "state": "Stopped"}},
  {"coordinator-tick": {}},
  {"deliver": {"type": "RemoveMaintainerRequest", "to": "n1", "changefeedId": "cf", "cascade": false, "removed": false, "maintainerEpoch": "2", "from": "coord"}},
  {"tick": {"node": "n1", "changefeedId": "cf", "tick": "HEARTBEAT"}},
  {"deliver": {"type": "MaintainerStatus", "to": "coord", "changefeedId": "cf", "state": "Stopped", "maintainerEpoch": "2", "bootstrapDone": true, "error": false, "from": "n1"}},
];

/**
 * Goal "n2 acknowledged n1's drain target, then restarted": bootstrap of both nodes, DrainNode(n1),
 * the target delivered to n2 and its acknowledging heartbeat, then n2 crashes and restarts (a new
 * process that never saw the target). The window of §5.1 B22: the gate's ack must not survive it.
 */
export const gateAckedThenRestarted: readonly unknown[] = [
  {"deliver": {"type": "CoordinatorBootstrap", "from": "coord", "to": "n1", "version": "1"}},
  {"deliver": {"type": "CoordinatorBootstrapResponse", "to": "coord", "drainProtocolVersion": 1, "target": "", "epoch": "0", "nodeEpoch": "1", "liveness": "Alive", "statuses": [], "from": "n1"}},
  {"deliver": {"type": "CoordinatorBootstrap", "from": "coord", "to": "n2", "version": "1"}},
  {"deliver": {"type": "CoordinatorBootstrapResponse", "to": "coord", "drainProtocolVersion": 1, "target": "", "epoch": "0", "nodeEpoch": "1", "liveness": "Alive", "statuses": [], "from": "n2"}},
  {"api": {"call": "DrainNode", "target": "n1"}},
  {"deliver": {"type": "SetDispatcherDrainTarget", "to": "n2", "target": "n1", "epoch": "1", "from": "coord"}},
  {"deliver": {"type": "NodeDrainHeartbeat", "to": "coord", "target": "n1", "epoch": "1", "from": "n2"}},
  {"crash": "n2"},
  {"restart": "n2"},
];

/**
 * {@link originStopped}, then the tick that binds n2 and sends AddMaintainer(cf, 3), and its
 * delivery: n2 runs the new maintainer at epoch 3 while n1 still holds the old one at epoch 2,
 * Stopped and not yet cleaned up (no CLEANUP tick) — a handover in progress, which a new
 * coordinator's bootstrap sees as two reports of cf (§2.4.2, §5.1 B10).
 */
export const targetAdded: readonly unknown[] = [
  ...originStopped,
  {"coordinator-tick": {}},
  {"deliver": {"type": "AddMaintainerRequest", "to": "n2", "changefeedId": "cf", "maintainerEpoch": "3", "checkpointTs": "1", "isNew": false, "from": "coord"}},
];
