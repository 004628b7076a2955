/**
 * A cluster trace as a Mermaid `sequenceDiagram`: one lifeline for the coordinator, one per node,
 * one for the store; a message is drawn when it is delivered (in-flight messages may be reordered),
 * a lost one as a cross, a duplicated one as a note, store calls as a round trip, and the violated
 * invariant as a note at the step where it breaks.
 */
import type { Message } from './node.js';

export type SequenceStep =
  | { kind: 'deliver'; message: Message }
  | { kind: 'lose'; message: Message }
  | { kind: 'duplicate'; message: Message }
  | { kind: 'store'; caller: string; call: string; result: string }
  | { kind: 'note'; over: string; text: string };

const FIELDS_SHOWN = ['changefeedId', 'maintainerEpoch', 'nodeEpoch', 'epoch', 'target', 'state', 'liveness', 'applied', 'cascade', 'removed', 'success', 'bootstrapDone', 'version', 'dispatcher', 'kind'];

/** Mermaid text is line-based and treats `;` and `#` specially: keep labels plain. */
const clean = (s: string) => s.replace(/[;#\n\r]/g, ' ').replace(/\s+/g, ' ').trim();

/** `Type(field=value, …)` with the fields a reader needs, uint64 values in decimal. */
export function messageLabel(m: Message): string {
  const parts = FIELDS_SHOWN.filter((f) => f in m && m[f] !== undefined && m[f] !== null).map((f) => `${f === 'changefeedId' ? 'cf' : f}=${String(m[f])}`);
  if ('error' in m && m.error !== null && m.error !== false && m.error !== undefined) parts.push('error');
  return clean(`${m.type}(${parts.join(', ')})`);
}

/** Participant IDs must be identifiers; the alias shows the real name. */
const pid = (name: string) => `p_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;

export function sequenceDiagram(participants: { coordinator: string; nodes: readonly string[] }, steps: readonly SequenceStep[], title?: string): string {
  const lines = ['sequenceDiagram'];
  if (title) lines.push(`  title ${clean(title)}`);
  lines.push(`  participant ${pid(participants.coordinator)} as ${clean(participants.coordinator)} (coordinator)`);
  for (const n of participants.nodes) if (n !== participants.coordinator) lines.push(`  participant ${pid(n)} as ${clean(n)}`);
  lines.push(`  participant ${pid('store')} as store`);
  steps.forEach((s, i) => {
    const n = i + 1;
    switch (s.kind) {
      case 'deliver':
        lines.push(`  ${pid(s.message.from)}->>${pid(s.message.to)}: ${n}. ${messageLabel(s.message)}`);
        break;
      case 'lose':
        lines.push(`  ${pid(s.message.from)}-x${pid(s.message.to)}: ${n}. lost: ${messageLabel(s.message)}`);
        break;
      case 'duplicate':
        lines.push(`  Note over ${pid(s.message.from)},${pid(s.message.to)}: ${n}. duplicated: ${messageLabel(s.message)}`);
        break;
      case 'store':
        lines.push(`  ${pid(s.caller)}->>${pid('store')}: ${n}. ${clean(s.call)}`);
        lines.push(`  ${pid('store')}-->>${pid(s.caller)}: ${clean(s.result)}`);
        break;
      case 'note':
        lines.push(`  Note over ${pid(s.over)}: ${n}. ${clean(s.text)}`);
        break;
    }
  });
  return lines.join('\n') + '\n';
}
