/**
 * Mermaid generated from the machine definitions, never drawn by hand:
 * - `stateDiagram-v2` from `machine.root` (the StateNode tree): nesting, parallel regions, initial
 *   and final states, every transition labelled `EVENT [guard] / actions`, targetless ones as
 *   self-loops, and entry actions as state descriptions. XState tries the branches of one event in
 *   definition order and takes the first whose guard holds, so where a state has several branches
 *   for an event each is numbered, `EVENT (2) [guard]`, and an unguarded last one reads `[else]`;
 * - `sequenceDiagram` for a replayed path: the host, the machine and the nodes it messages, with
 *   the branch each step took.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import type { Replay } from './paths.js';
import { actionName, guardName, listTransitions, type TransitionInfo } from './transitions.js';
import { formatEvent, stableStringify } from './serialize.js';

type TransitionDef = {
  eventType: string;
  guard?: unknown;
  target?: readonly AnyStateNode[];
  actions: readonly unknown[];
};

const idOf = (node: AnyStateNode) => node.path.join('_') || 'root';

/** Mermaid transition text: no `:` (separator), `;` or `#` (entity codes), kept on one line. */
function clean(text: string): string {
  return text.replace(/[:;#]/g, ' ').replace(/\s+/g, ' ').trim();
}

/** `(n)` when the event has several branches here, 1-based in XState's evaluation order. */
function branchTag(branch: number, branches: number): string {
  return branches > 1 ? ` (${branch + 1})` : '';
}

function guardTag(guard: string | undefined, branch: number, branches: number): string {
  if (guard) return ` [${guard}]`;
  return branches > 1 && branch > 0 ? ' [else]' : '';
}

function transitionLabel(t: TransitionDef, branch: number, branches: number): string {
  const actions = t.actions.map(actionName);
  return clean(
    `${t.eventType}${branchTag(branch, branches)}${guardTag(guardName(t.guard), branch, branches)}${actions.length ? ` / ${actions.join(', ')}` : ''}`,
  );
}

/** Every labelled edge `stateDiagram` draws, as its label text (what the rendered SVG must show). */
export function transitionLabels(machine: AnyStateMachine): string[] {
  return [...stateDiagram(machine).matchAll(/^\s*\S+ --> \S+ : (.*)$/gm)].map((m) => m[1]!);
}

function children(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states) as AnyStateNode[];
}

function renderNode(node: AnyStateNode, indent: string, lines: string[]): void {
  const kids = children(node);
  if (node.type === 'parallel') {
    lines.push(`${indent}state ${idOf(node)} {`);
    kids.forEach((k, i) => {
      if (i > 0) lines.push(`${indent}  --`);
      renderNode(k, `${indent}  `, lines);
    });
    lines.push(`${indent}}`);
    return;
  }
  if (kids.length) {
    lines.push(`${indent}state ${idOf(node)} {`);
    renderScope(node, `${indent}  `, lines);
    lines.push(`${indent}}`);
  }
}

/** Initial arrow, child declarations, finals, and the transitions whose source is in this scope. */
function renderScope(scope: AnyStateNode, indent: string, lines: string[]): void {
  const kids = children(scope);
  for (const k of kids) {
    // Atomic states are declared with their name as label: without it, a state with an entry
    // description is drawn with the description only. Compound ones are declared by their block.
    if (!children(k).length) lines.push(`${indent}state "${k.key}" as ${idOf(k)}`);
  }
  const initial = (scope.initial as unknown as { target?: readonly AnyStateNode[] } | undefined)?.target?.[0];
  if (initial) lines.push(`${indent}[*] --> ${idOf(initial)}`);
  for (const k of kids) {
    renderNode(k, indent, lines);
    const entry = (k.entry as unknown[]).map(actionName);
    if (entry.length) lines.push(`${indent}${idOf(k)} : entry / ${clean(entry.join(', '))}`);
    if (k.type === 'final') lines.push(`${indent}${idOf(k)} --> [*]`);
  }
  for (const k of kids) {
    for (const defs of (k.transitions as Map<string, TransitionDef[]>).values()) {
      defs.forEach((t, branch) => {
        const targets = t.target?.length ? t.target : [k];
        for (const target of targets) lines.push(`${indent}${idOf(k)} --> ${idOf(target)} : ${transitionLabel(t, branch, defs.length)}`);
      });
    }
  }
}

/**
 * A `stateDiagram-v2` of the machine. Transitions declared on the root apply in every state; they
 * are drawn from each top-level state that is not final.
 */
export function stateDiagram(machine: AnyStateMachine): string {
  const lines = ['stateDiagram-v2'];
  const root = machine.root as AnyStateNode;
  renderScope(root, '  ', lines);
  const rootEntry = (root.entry as unknown[]).map(actionName);
  if (rootEntry.length) lines.push(`  note right of ${idOf(children(root)[0]!)} : machine entry / ${clean(rootEntry.join(', '))}`);
  for (const defs of (root.transitions as Map<string, TransitionDef[]>).values()) {
    defs.forEach((t, branch) => {
      for (const source of children(root).filter((k) => k.type !== 'final')) {
        const targets = t.target?.length ? t.target : [source];
        for (const target of targets) lines.push(`  ${idOf(source)} --> ${idOf(target)} : ${transitionLabel(t, branch, defs.length)}`);
      }
    });
  }
  return lines.join('\n') + '\n';
}

type Fx = { type: string } & Record<string, unknown>;

const participantId = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '_');

/** The effect's fields; `to` is left out only when the arrow already points at that node. */
function describeEffect(e: Fx, shownAsArrowTo?: string): string {
  if (shownAsArrowTo === undefined || e.to !== shownAsArrowTo) return clean(formatEvent(e));
  const { type, to: _to, ...rest } = e;
  void _to;
  return clean(formatEvent({ type, ...rest }));
}

/** ` ▸ (2) [guard]`: which branch the step took, when there was a choice; ` ▸ ignored` when none. */
function branchTaken(taken: readonly string[], byId: Map<string, TransitionInfo>, branchesOf: (t: TransitionInfo) => number): string {
  if (!taken.length) return ' ▸ ignored';
  const parts = taken.flatMap((id) => {
    const t = byId.get(id);
    if (!t) return [];
    const n = branchesOf(t);
    const tag = `${branchTag(t.branch, n)}${guardTag(t.guard, t.branch, n)}`.trim();
    return tag ? [tag] : [];
  });
  return parts.length ? ` ▸ ${parts.join(', ')}` : '';
}

/**
 * A `sequenceDiagram` of a replayed path: events arrive from the node they name (`from`) or from
 * the host; messages go to their `to` node; changefeed-DB and store intents go back to the host.
 * A note marks each state change.
 */
export function sequenceDiagram(
  machineName: string,
  r: Replay,
  peerOf?: (e: Fx) => string | undefined,
  /** The machine of the replay: with it, each event arrow says which guard branch was taken. */
  machine?: AnyStateMachine,
): string {
  const m = participantId(machineName);
  const infos = machine ? listTransitions(machine) : [];
  const byId = new Map(infos.map((t) => [t.id, t]));
  const branchCount = new Map<string, number>();
  for (const t of infos) branchCount.set(`${t.source}|${t.event}`, (branchCount.get(`${t.source}|${t.event}`) ?? 0) + 1);
  const branchesOf = (t: TransitionInfo) => branchCount.get(`${t.source}|${t.event}`) ?? 1;
  const peers = new Set<string>();
  const body: string[] = [];
  body.push(`  Note over ${m}: ${clean(stableStringify(r.snapshots[0]!.value).replace(/"/g, ''))}`);
  r.steps.forEach((step) => {
    const from = typeof step.event.from === 'string' ? step.event.from : undefined;
    const source = from ? participantId(from) : 'Host';
    if (from) peers.add(from);
    const took = machine ? branchTaken(step.taken, byId, branchesOf) : '';
    body.push(`  ${source}->>${m}: ${clean(formatEvent(step.event))}${took}`);
    for (const e of step.effects as Fx[]) {
      // Messages (`AddMaintainerRequest`, ...) go to their node; intents (`db.*`, `store.*`) to the host.
      const to = peerOf?.(e) ?? (!e.type.includes('.') && typeof e.to === 'string' && e.to ? e.to : undefined);
      if (to) {
        peers.add(to);
        body.push(`  ${m}->>${participantId(to)}: ${describeEffect(e, to)}`);
      } else {
        body.push(`  ${m}-->>Host: ${describeEffect(e)}`);
      }
    }
    if (stableStringify(step.prev.value) !== stableStringify(step.next.value)) {
      body.push(`  Note over ${m}: ${clean(stableStringify(step.next.value).replace(/"/g, ''))}`);
    }
  });
  const header = ['sequenceDiagram', '  participant Host', `  participant ${m} as ${machineName}`];
  for (const p of [...peers].sort()) header.push(`  participant ${participantId(p)} as ${p}`);
  return [...header, ...body].join('\n') + '\n';
}
