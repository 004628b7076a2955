/**
 * The BASELINE of bench/runtime (issue 14 item 5), not a model: the add, move and stop operators of
 * spec §2.1–§2.3 written by hand as plain classes with a numeric state and a `switch`, the way one
 * would write them without a statechart library (TiCDC's Go operators are written this way). Each
 * has the same guards, effects and effect order as its machine (machines/addMaintainer.ts,
 * machines/moveMaintainer.ts, machines/stopChangefeed.ts); test/bench/handwrittenEquivalence.test.ts
 * feeds both the same seeded event sequences and requires equal state names and emitted effects.
 *
 * Effects leave through the `emit` callback given at construction, in the order the machine emits
 * them (entry actions at construction, then per event). The constructor validates its input with
 * the same `validInput` the machines' context factories call (machines/boundary.ts), so that
 * creation compares the runtimes, not one side's validation. Nothing here is exported from the
 * package; nothing outside bench/ and its equivalence test may import it.
 */
import { validInput } from '../../machines/boundary.js';
import { match } from '../../machines/epoch.js';
import type {
  AddMaintainerEffect,
  MoveMaintainerEffect,
  OperatorEvent,
  StopChangefeedEffect,
} from '../../machines/protocol.js';
import type { AddMaintainerContext, AddMaintainerInput } from '../../machines/addMaintainer.js';
import type { MoveMaintainerContext, MoveMaintainerInput } from '../../machines/moveMaintainer.js';
import type { StopChangefeedContext, StopChangefeedInput } from '../../machines/stopChangefeed.js';

/** What every hand-written operator offers the benchmark and the equivalence test. */
export interface HandOperator {
  readonly kind: 'add' | 'move' | 'stop';
  /** The machine's state name for the current state. */
  readonly stateName: string;
  /** True once in the final state (the actor's `status === 'done'`). */
  readonly done: boolean;
  send(event: OperatorEvent): void;
}

// ---- add (§2.1) --------------------------------------------------------------------------------

const enum AddState {
  Sending,
  Succeeded,
  CanceledNodeRemoved,
  CanceledTaskRemoved,
  Disposed,
}
const ADD_NAMES = ['Sending', 'Succeeded', 'CanceledNodeRemoved', 'CanceledTaskRemoved', 'Disposed'] as const;

export class HandAddOperator implements HandOperator {
  state: AddState = AddState.Sending;
  readonly context: AddMaintainerContext;

  constructor(
    input: AddMaintainerInput,
    private readonly emit: (effect: AddMaintainerEffect) => void,
  ) {
    this.context = { ...validInput('addMaintainer', input) };
    // Start: bind to dest even if dest is already known dead (§2.1).
    emit({ type: 'db.bindChangefeedToNode', changefeedId: this.context.changefeedId, from: '', to: this.context.dest });
  }

  get kind(): 'add' {
    return 'add';
  }
  get stateName(): string {
    return ADD_NAMES[this.state];
  }
  get done(): boolean {
    return this.state === AddState.Disposed;
  }

  send(e: OperatorEvent): void {
    const c = this.context;
    switch (this.state) {
      case AddState.Sending:
        if (e.type === 'SCHEDULE') {
          this.emit({ type: 'AddMaintainerRequest', to: c.dest, changefeedId: c.changefeedId, maintainerEpoch: c.maintainerEpoch, checkpointTs: c.checkpointTs, isNew: c.isNew });
        } else if (e.type === 'STATUS') {
          if (e.from === c.dest && match(e.maintainerEpoch, c.maintainerEpoch) && e.state === 'Working' && e.bootstrapDone) this.state = AddState.Succeeded;
        } else if (e.type === 'NODE_REMOVED') {
          if (e.node === c.dest) this.state = AddState.CanceledNodeRemoved;
        } else if (e.type === 'TASK_REMOVED') this.state = AddState.CanceledTaskRemoved;
        return;
      case AddState.Succeeded:
        if (e.type === 'NODE_REMOVED') {
          if (e.node === c.dest) this.state = AddState.CanceledNodeRemoved;
        } else if (e.type === 'TASK_REMOVED') this.state = AddState.CanceledTaskRemoved;
        else if (e.type === 'POST_FINISH') {
          this.emit({ type: 'db.markMaintainerReplicating', changefeedId: c.changefeedId, clearIsNew: true });
          c.isNew = false;
          this.state = AddState.Disposed;
        }
        return;
      case AddState.CanceledNodeRemoved:
        if (e.type === 'TASK_REMOVED') this.state = AddState.CanceledTaskRemoved;
        else if (e.type === 'POST_FINISH') {
          this.emit({ type: 'db.markMaintainerAbsent', changefeedId: c.changefeedId });
          this.state = AddState.Disposed;
        }
        return;
      case AddState.CanceledTaskRemoved:
        if (e.type === 'NODE_REMOVED') {
          if (e.node === c.dest) this.state = AddState.CanceledNodeRemoved;
        } else if (e.type === 'POST_FINISH') this.state = AddState.Disposed;
        return;
      case AddState.Disposed:
        return;
    }
  }
}

// ---- move (§2.2) -------------------------------------------------------------------------------

const enum MoveState {
  RemoveOrigin,
  OriginStopped,
  AddTarget,
  DoneSuccess,
  DoneNoPostFinish,
  Disposed,
}
const MOVE_NAMES = ['RemoveOrigin', 'OriginStopped', 'AddTarget', 'DoneSuccess', 'DoneNoPostFinish', 'Disposed'] as const;

export class HandMoveOperator implements HandOperator {
  state: MoveState = MoveState.RemoveOrigin;
  readonly context: MoveMaintainerContext;

  constructor(
    input: MoveMaintainerInput,
    private readonly emit: (effect: MoveMaintainerEffect) => void,
  ) {
    const i = validInput('moveMaintainer', input);
    this.context = {
      changefeedId: i.changefeedId,
      origin: i.origin,
      target: i.dest,
      originEpoch: i.originEpoch,
      maintainerEpoch: i.maintainerEpoch,
      checkpointTs: i.checkpointTs,
      originRemoved: false,
    };
    emit({ type: 'db.markMaintainerScheduling', changefeedId: i.changefeedId });
  }

  get kind(): 'move' {
    return 'move';
  }
  get stateName(): string {
    return MOVE_NAMES[this.state];
  }
  get done(): boolean {
    return this.state === MoveState.Disposed;
  }

  private markAbsent(): void {
    this.emit({ type: 'db.markMaintainerAbsent', changefeedId: this.context.changefeedId });
  }
  private sendAdd(): void {
    const c = this.context;
    this.emit({ type: 'AddMaintainerRequest', to: c.target, changefeedId: c.changefeedId, maintainerEpoch: c.maintainerEpoch, checkpointTs: c.checkpointTs, isNew: false });
  }

  send(e: OperatorEvent): void {
    const c = this.context;
    const removed = e.type === 'NODE_REMOVED' ? e.node : undefined;
    switch (this.state) {
      case MoveState.RemoveOrigin:
        if (e.type === 'SCHEDULE') {
          this.emit({ type: 'RemoveMaintainerRequest', to: c.origin, changefeedId: c.changefeedId, cascade: false, removed: false, maintainerEpoch: c.originEpoch });
        } else if (e.type === 'STATUS') {
          if (e.from === c.origin && match(e.maintainerEpoch, c.originEpoch) && e.state !== 'Working') this.state = MoveState.OriginStopped;
        } else if (removed !== undefined) {
          if (removed === c.target && c.target === c.origin) {
            this.markAbsent();
            this.state = MoveState.DoneNoPostFinish;
          } else if (removed === c.target) c.target = c.origin;
          else if (removed === c.origin) {
            c.originRemoved = true;
            this.state = MoveState.OriginStopped;
          }
        } else if (e.type === 'TASK_REMOVED') this.state = MoveState.DoneNoPostFinish;
        return;
      case MoveState.OriginStopped:
        if (e.type === 'SCHEDULE') {
          this.emit({ type: 'db.bindChangefeedToNode', changefeedId: c.changefeedId, from: c.origin, to: c.target });
          this.sendAdd();
          this.state = MoveState.AddTarget;
        } else if (removed !== undefined) {
          if (removed === c.target && (c.target === c.origin || c.originRemoved)) {
            this.markAbsent();
            this.state = MoveState.DoneNoPostFinish;
          } else if (removed === c.target) c.target = c.origin;
          else if (removed === c.origin) c.originRemoved = true;
        } else if (e.type === 'TASK_REMOVED') this.state = MoveState.DoneNoPostFinish;
        return;
      case MoveState.AddTarget:
      case MoveState.DoneSuccess:
        if (e.type === 'SCHEDULE') {
          if (this.state === MoveState.AddTarget) this.sendAdd();
        } else if (e.type === 'STATUS') {
          if (this.state === MoveState.AddTarget && e.from === c.target && match(e.maintainerEpoch, c.maintainerEpoch) && e.state === 'Working' && e.bootstrapDone) {
            this.state = MoveState.DoneSuccess;
          }
        } else if (removed !== undefined) {
          if (removed === c.target) {
            this.markAbsent();
            this.state = MoveState.DoneNoPostFinish;
          } else if (removed === c.origin) c.originRemoved = true;
        } else if (e.type === 'TASK_REMOVED') this.state = MoveState.DoneNoPostFinish;
        else if (e.type === 'POST_FINISH' && this.state === MoveState.DoneSuccess) {
          this.emit({ type: 'db.markMaintainerReplicating', changefeedId: c.changefeedId, clearIsNew: false });
          this.state = MoveState.Disposed;
        }
        return;
      case MoveState.DoneNoPostFinish:
        if (e.type === 'POST_FINISH') this.state = MoveState.Disposed;
        return;
      case MoveState.Disposed:
        return;
    }
  }
}

// ---- stop (§2.3) -------------------------------------------------------------------------------

const enum StopState {
  Sending,
  Finished,
  Disposed,
}
const STOP_NAMES = ['Sending', 'Finished', 'Disposed'] as const;

export class HandStopOperator implements HandOperator {
  state: StopState = StopState.Sending;
  readonly context: StopChangefeedContext;

  constructor(
    input: StopChangefeedInput,
    private readonly emit: (effect: StopChangefeedEffect) => void,
  ) {
    this.context = { ...validInput('stopChangefeed', input) };
  }

  get kind(): 'stop' {
    return 'stop';
  }
  get stateName(): string {
    return STOP_NAMES[this.state];
  }
  get done(): boolean {
    return this.state === StopState.Disposed;
  }

  send(e: OperatorEvent): void {
    const c = this.context;
    switch (this.state) {
      case StopState.Sending:
        if (e.type === 'SCHEDULE') {
          this.emit({ type: 'RemoveMaintainerRequest', to: c.nodeId, changefeedId: c.changefeedId, cascade: true, removed: c.removed, maintainerEpoch: c.maintainerEpoch });
        } else if (e.type === 'STATUS') {
          if (e.from === c.nodeId && match(e.maintainerEpoch, c.maintainerEpoch) && e.state !== 'Working') this.state = StopState.Finished;
        } else if (e.type === 'NODE_REMOVED') {
          // Redirect to the coordinator's node without finishing (§2.3, §2.7.2).
          if (e.node === c.nodeId) c.nodeId = c.coordinatorNode;
        } else if (e.type === 'TASK_REMOVED') this.state = StopState.Finished;
        return;
      case StopState.Finished:
        if (e.type === 'POST_FINISH') {
          if (c.removed) this.emit({ type: 'store.deleteChangefeed', changefeedId: c.changefeedId });
          else this.emit({ type: 'store.setChangefeedProgress', changefeedId: c.changefeedId, progress: 'None' });
          this.state = StopState.Disposed;
        }
        return;
      case StopState.Disposed:
        return;
    }
  }
}
