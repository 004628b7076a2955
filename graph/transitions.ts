/**
 * Introspection of a machine's definition: its state nodes and its transitions, where a
 * transition is one (source state, event, guard branch) of the config, targetless ones included.
 * This is the denominator of coverage, the content of the `npm start` table, and the edges of the
 * generated diagrams.
 */
import type { AnyStateMachine, AnyStateNode, AnyMachineSnapshot, EventObject } from 'xstate';

export interface TransitionInfo {
  /** Stable ID: `<source state id>|<event>|<branch index>`. */
  id: string;
  source: string;
  event: string;
  branch: number;
  guard: string | undefined;
  targets: string[];
  actions: string[];
  /** One line: `Source --EVENT [guard] / actions--> Target`. */
  label: string;
}

export interface StateInfo {
  id: string;
  /** Path below the root, dot-separated, e.g. `Sending` or `Observed.Fresh`. */
  path: string;
  type: string;
}

type TransitionDef = {
  eventType: string;
  guard?: unknown;
  target?: readonly AnyStateNode[];
  actions: readonly unknown[];
};

export function guardName(guard: unknown): string | undefined {
  if (guard === undefined || guard === null) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    // XState's higher-order guards (and / or / not) carry their operands and their check function.
    const g = guard as { guards?: unknown[]; check?: { name?: string } };
    if (Array.isArray(g.guards)) {
      const parts = g.guards.map((x) => guardName(x) ?? 'inline');
      if (g.check?.name === 'checkNot') return parts.map((p) => `not ${p}`).join(' and ');
      return parts.join(g.check?.name === 'checkOr' ? ' or ' : ' and ');
    }
    return guard.name || 'inline';
  }
  if (typeof guard === 'object' && 'type' in guard) return String((guard as { type: unknown }).type);
  return 'inline';
}

export function actionName(action: unknown): string {
  if (typeof action === 'string') return action;
  if (typeof action === 'function') return (action as { type?: string }).type ?? (action.name || 'inline');
  if (action && typeof action === 'object' && 'type' in action) {
    const a = action as { type: unknown; params?: unknown };
    const params = a.params && typeof a.params === 'object' ? Object.values(a.params as object).join(',') : '';
    return params ? `${String(a.type)}(${params})` : String(a.type);
  }
  return 'inline';
}

function relPath(node: AnyStateNode): string {
  return node.path.join('.');
}

function allNodes(root: AnyStateNode): AnyStateNode[] {
  const out: AnyStateNode[] = [root];
  for (const child of Object.values(root.states) as AnyStateNode[]) out.push(...allNodes(child));
  return out;
}

/** Every state node below the root. */
export function listStates(machine: AnyStateMachine): StateInfo[] {
  return allNodes(machine.root)
    .filter((n) => n !== machine.root)
    .map((n) => ({ id: n.id, path: relPath(n), type: n.type }));
}

const transitionIds = new WeakMap<object, string>();

/** Every (source, event, branch) of the definition, in definition order. */
export function listTransitions(machine: AnyStateMachine): TransitionInfo[] {
  const out: TransitionInfo[] = [];
  for (const node of allNodes(machine.root)) {
    for (const [event, defs] of node.transitions as Map<string, TransitionDef[]>) {
      defs.forEach((def, branch) => {
        const source = node === machine.root ? '(any)' : relPath(node);
        const targets = (def.target ?? []).map(relPath);
        const guard = guardName(def.guard);
        const actions = def.actions.map(actionName);
        const id = `${node.id}|${event}|${branch}`;
        transitionIds.set(def, id);
        const label =
          `${source} --${event}${guard ? ` [${guard}]` : ''}${actions.length ? ` / ${actions.join(', ')}` : ''}--> ` +
          (targets.length ? targets.join(', ') : '(stays)');
        out.push({ id, source, event, branch, guard, targets, actions, label });
      });
    }
  }
  return out;
}

/**
 * The IDs of the transitions the machine takes for `event` in `snapshot` (none if the event is
 * ignored). Uses the machine's own transition selection, so guards are evaluated as at run time.
 */
export function takenTransitions(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, event: EventObject): string[] {
  if (!transitionIds.has(machine.root)) {
    listTransitions(machine);
    transitionIds.set(machine.root, 'indexed');
  }
  const defs = machine.getTransitionData(snapshot as never, event as never) as unknown as object[];
  return defs.map((d) => transitionIds.get(d) ?? '(unknown)');
}

/** The IDs of the state nodes active in `snapshot`, root excluded. */
export function activeStates(machine: AnyStateMachine, snapshot: AnyMachineSnapshot): string[] {
  return (snapshot._nodes as AnyStateNode[]).filter((n) => n !== machine.root).map((n) => n.id);
}

/** The distinct event types a machine's definition handles. */
export function listEventTypes(machine: AnyStateMachine): string[] {
  return [...new Set(listTransitions(machine).map((t) => t.event))];
}
