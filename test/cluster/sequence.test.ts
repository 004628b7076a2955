// @vitest-environment jsdom
/**
 * Cluster traces as Mermaid sequence diagrams (cluster/sequence.ts): a real exchange between two
 * nodes and a coordinator parses with mermaid's own parser and shows every step, in order.
 */
import { describe, expect, it } from 'vitest';
import { messageLabel, sequenceDiagram, type SequenceStep } from '../../cluster/sequence.js';
import { receive, startNode, type Message } from '../../cluster/node.js';
import { pureStepper as S } from '../../cluster/stepper.js';

describe('cluster sequence diagrams', () => {
  it('an add and its bootstrap, with a lost message, a store call and a violation note, parse and keep their order', async () => {
    let n1 = startNode(S, 'n1', 11n, ['cf'], ['n1']);
    const steps: SequenceStep[] = [{ kind: 'store', caller: 'coord', call: 'bump(cf, candidate=0)', result: 'ok epoch=5' }];
    const queue: Message[] = [
      { type: 'CoordinatorBootstrap', from: 'coord', to: 'n1', version: 1n },
      { type: 'AddMaintainerRequest', from: 'coord', to: 'n1', changefeedId: 'cf', maintainerEpoch: 5n, checkpointTs: 1n, isNew: true },
    ];
    while (queue.length) {
      const m = queue.shift()!;
      if (m.to !== 'n1') {
        steps.push({ kind: 'lose', message: m });
        continue;
      }
      steps.push({ kind: 'deliver', message: m });
      const r = receive(S, n1, m);
      n1 = r.node;
      queue.push(...r.out);
    }
    steps.push({ kind: 'note', over: 'n1', text: 'I5 violated: cf at epoch 5 is owned by n1 and n2' });
    const src = sequenceDiagram({ coordinator: 'coord', nodes: ['n1'] }, steps, 'an add');
    const mermaid = (await import('mermaid')).default as unknown as { parse(t: string): Promise<unknown> };
    await expect(mermaid.parse(src)).resolves.toBeTruthy();
    const arrows = src.split('\n').filter((l) => /->>|-x|Note over/.test(l));
    expect(arrows[0]).toContain('1. bump(cf, candidate=0)');
    expect(arrows.some((l) => l.includes('p_coord->>p_n1: 3. AddMaintainerRequest(cf=cf, maintainerEpoch=5)'))).toBe(true);
    expect(arrows.some((l) => l.includes('p_n1->>p_n1:') && l.includes('MaintainerBootstrapRequest'))).toBe(true);
    expect(arrows.some((l) => l.includes('p_n1-xp_coord') && l.includes('lost: NodeHeartbeat'))).toBe(true);
    expect(arrows.at(-1)).toContain('I5 violated');
    // Numbers run in step order.
    const numbers = arrows.map((l) => Number(/: (\d+)\./.exec(l)?.[1])).filter((x) => !Number.isNaN(x));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  });

  it('labels show uint64 exactly and strip what Mermaid would misread', () => {
    expect(messageLabel({ type: 'X', from: 'a', to: 'b', maintainerEpoch: 18446744073709551615n, changefeedId: 'c;f#1' })).toBe('X(cf=c f 1, maintainerEpoch=18446744073709551615)');
  });
});
