/**
 * Inspecting a live actor with uint64 intact (services/inspect.ts): the observer sees epochs as
 * exact decimal strings, so 2^64−2 and 2^64−1 stay distinct, and the actor itself is unchanged.
 */
import { describe, expect, it } from 'vitest';
import { createActor, type InspectionEvent } from 'xstate';
import { MAX_UINT64, moveMaintainerMachine, uint64Strings, withUint64Strings } from 'opcharts';

describe('withUint64Strings', () => {
  it('an inspector sees 2^64−2 and 2^64−1 as different strings; the actor keeps bigints', () => {
    const seen: InspectionEvent[] = [];
    const actor = createActor(moveMaintainerMachine, {
      input: { changefeedId: 'cf', origin: 'n1', dest: 'n2', originEpoch: MAX_UINT64 - 1n, maintainerEpoch: MAX_UINT64, checkpointTs: 1n },
      inspect: withUint64Strings((e) => seen.push(e)),
    });
    actor.start();
    actor.send({ type: 'STATUS', from: 'n1', state: 'Stopped', bootstrapDone: true, maintainerEpoch: MAX_UINT64 - 1n });
    const snapshots = seen.filter((e) => e.type === '@xstate.snapshot') as unknown as Array<{ snapshot: { context: Record<string, unknown> } }>;
    const last = snapshots.at(-1)!.snapshot.context;
    expect(last.originEpoch).toBe('18446744073709551614n');
    expect(last.maintainerEpoch).toBe('18446744073709551615n');
    // What an inspector does next: JSON. Precision survives.
    expect(JSON.parse(JSON.stringify(last)).originEpoch).not.toBe(JSON.parse(JSON.stringify(last)).maintainerEpoch);
    const events = seen.filter((e) => e.type === '@xstate.event') as unknown as Array<{ event: Record<string, unknown> }>;
    expect(events.some((e) => e.event.maintainerEpoch === '18446744073709551614n')).toBe(true);
    expect(actor.getSnapshot().context.maintainerEpoch).toBe(MAX_UINT64);
  });

  it('uint64Strings copies plain data only, and keeps cycles', () => {
    const a: Record<string, unknown> = { e: 1n, list: [2n, 'x'] };
    a.self = a;
    const out = uint64Strings(a) as Record<string, unknown>;
    expect(out.e).toBe('1n');
    expect(out.list).toEqual(['2n', 'x']);
    expect(out.self).toBe(out);
    expect(a.e).toBe(1n);
  });
});
