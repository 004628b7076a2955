/**
 * The maintainer's dispatcher-operator controller in remove-handoff quiesce mode
 * (`maintainer/operator/operator_controller.go`, PR #4828), spec §2.8.
 *
 * States: `Normal` → `Quiescing` on QUIESCE_EXCEPT(allowed). Quiescing has no way out: the
 * maintainer is closed afterwards. (It is not an XState final state because allowed operators
 * keep running in it.)
 *
 * Rules encoded (I21):
 * - While quiescing, an operator outside `allowed` is not admitted (ADD_OPERATOR rejected), not
 *   checked (STATUS ignored) and not scheduled; when the queue pops it, it leaves the queue and is
 *   never pushed back, but **stays in the operator map** and keeps holding back the minimum
 *   checkpoint (`minCheckpoint`) (§5.1 B25: no busy loop, no checkpoint advancing too far).
 * - Allowed operators (the DDL-trigger close) keep being checked, scheduled and finished.
 * - Node removal is a no-op while quiescing (no absent-marking, no OnNodeRemove).
 * - Empty IDs in `allowed` are ignored.
 *
 * Events in: ADD_OPERATOR {id, checkpointTs}, STATUS {id}, POLL {id}, OPERATOR_FINISHED {id},
 * NODE_REMOVED {node}, QUIESCE_EXCEPT {allowed}. Effects out: operator.started / rejected /
 * checked / scheduled / dequeued / finished, controller.nodeRemoved.
 *
 * Simplification: the source's admission lock (`admissionMu`) makes QuiesceExcept wait for an
 * in-flight Schedule or Start. An actor handles one event at a time, so every event is either
 * wholly before the quiesce or wholly after it; the model states that ordering instead of a lock.
 */
import { setup, emit, assign } from 'xstate';
import type { Uint64 } from './epoch.js';
import type { NodeId } from './protocol.js';
import { fromValidInput } from './boundary.js';

export interface QuiesceOperator {
  checkpointTs: Uint64;
  /** In the running queue (the heap); a frozen operator leaves it for good. */
  queued: boolean;
}

export interface QuiesceContext {
  operators: Record<string, QuiesceOperator>;
  allowed: string[];
}

export type QuiesceEvent =
  | { type: 'ADD_OPERATOR'; id: string; checkpointTs: Uint64 }
  | { type: 'STATUS'; id: string }
  | { type: 'POLL'; id: string }
  | { type: 'OPERATOR_FINISHED'; id: string }
  | { type: 'NODE_REMOVED'; node: NodeId }
  | { type: 'QUIESCE_EXCEPT'; allowed: string[] };

export type QuiesceEffect =
  | { type: `operator.${'started' | 'rejected' | 'checked' | 'scheduled' | 'dequeued' | 'finished'}`; id: string }
  | { type: 'controller.nodeRemoved'; node: NodeId };

const idOf = (e: QuiesceEvent) => ('id' in e ? e.id : '');
/**
 * Operator IDs are untrusted strings: look them up as own keys only, so `constructor` or
 * `toString` are operators like any other, never `Object.prototype`'s members.
 */
const has = (c: QuiesceContext, id: string) => Object.prototype.hasOwnProperty.call(c.operators, id);
const operatorOf = (c: QuiesceContext, id: string): QuiesceOperator | undefined => (has(c, id) ? c.operators[id] : undefined);

export const quiesceMachine = setup({
  types: { context: {} as QuiesceContext, events: {} as QuiesceEvent, emitted: {} as QuiesceEffect },
  guards: {
    exists: ({ context, event }) => has(context, idOf(event)),
    isNew: ({ context, event }) => !has(context, idOf(event)),
    isQueued: ({ context, event }) => operatorOf(context, idOf(event))?.queued === true,
    isAllowed: ({ context, event }) => context.allowed.includes(idOf(event)),
    isAllowedNew: ({ context, event }) => context.allowed.includes(idOf(event)) && !has(context, idOf(event)),
    isAllowedExisting: ({ context, event }) => context.allowed.includes(idOf(event)) && has(context, idOf(event)),
    isAllowedQueued: ({ context, event }) => context.allowed.includes(idOf(event)) && operatorOf(context, idOf(event))?.queued === true,
  },
  actions: {
    addOperator: assign({
      operators: ({ context, event }) =>
        event.type === 'ADD_OPERATOR' ? { ...context.operators, [event.id]: { checkpointTs: event.checkpointTs, queued: true } } : context.operators,
    }),
    dequeue: assign({
      operators: ({ context, event }) => ({ ...context.operators, [idOf(event)]: { ...context.operators[idOf(event)]!, queued: false } }),
    }),
    removeOperator: assign({
      operators: ({ context, event }) => Object.fromEntries(Object.entries(context.operators).filter(([id]) => id !== idOf(event))),
    }),
    setAllowed: assign({ allowed: ({ event }) => (event.type === 'QUIESCE_EXCEPT' ? event.allowed.filter((id) => id !== '') : []) }),
    started: emit(({ event }) => ({ type: 'operator.started' as const, id: idOf(event) })),
    rejected: emit(({ event }) => ({ type: 'operator.rejected' as const, id: idOf(event) })),
    checked: emit(({ event }) => ({ type: 'operator.checked' as const, id: idOf(event) })),
    scheduled: emit(({ event }) => ({ type: 'operator.scheduled' as const, id: idOf(event) })),
    dequeued: emit(({ event }) => ({ type: 'operator.dequeued' as const, id: idOf(event) })),
    finished: emit(({ event }) => ({ type: 'operator.finished' as const, id: idOf(event) })),
    nodeRemoved: emit(({ event }) => ({ type: 'controller.nodeRemoved' as const, node: event.type === 'NODE_REMOVED' ? event.node : '' })),
  },
}).createMachine({
  id: 'quiesce',
  context: fromValidInput('quiesce', () => ({ operators: {}, allowed: [] })),
  initial: 'Normal',
  states: {
    Normal: {
      on: {
        ADD_OPERATOR: { guard: 'isNew', actions: ['addOperator', 'started'] },
        STATUS: { guard: 'exists', actions: 'checked' },
        POLL: { guard: 'isQueued', actions: 'scheduled' },
        OPERATOR_FINISHED: { guard: 'exists', actions: ['removeOperator', 'finished'] },
        NODE_REMOVED: { actions: 'nodeRemoved' },
        QUIESCE_EXCEPT: { target: 'Quiescing', actions: 'setAllowed' },
      },
    },
    Quiescing: {
      on: {
        ADD_OPERATOR: [{ guard: 'isAllowedNew', actions: ['addOperator', 'started'] }, { guard: 'isNew', actions: 'rejected' }],
        STATUS: { guard: 'isAllowedExisting', actions: 'checked' },
        POLL: [{ guard: 'isAllowedQueued', actions: 'scheduled' }, { guard: 'isQueued', actions: ['dequeue', 'dequeued'] }],
        OPERATOR_FINISHED: { guard: 'isAllowedExisting', actions: ['removeOperator', 'finished'] },
        // Node removal is a no-op while quiescing.
        NODE_REMOVED: {},
      },
    },
  },
});

/** `GetMinCheckpointTs`: every operator in the map holds the checkpoint back, frozen ones too. */
export function minCheckpoint(context: QuiesceContext): Uint64 | undefined {
  const ts = Object.values(context.operators).map((o) => o.checkpointTs);
  return ts.length ? ts.reduce((a, b) => (b < a ? b : a)) : undefined;
}
