/**
 * bench/runtime compares the XState operator actors with a hand-written baseline
 * (bench/runtime/handwritten.ts); the ratio means something only if both do the same thing. Here
 * the same seeded event sequences (bench/runtime/workload.ts) go to a real actor of each operator
 * machine (spec §2.1 add, §2.2 move, §2.3 stop) and to its hand-written twin, and after every event
 * the state name and the effects emitted by that event must be equal. The sequences must also
 * reach every state of each machine, so that equality is not vacuous.
 */
import { describe, expect, it } from 'vitest';
import type { Effect } from '../../machines/protocol.js';
import { KINDS, lifecycle, machineOf, newHandOperator, newSlot, startActor, stepSlot, type Lifecycle, type OperatorKindName } from '../../bench/runtime/workload.js';

interface Step {
  state: string;
  effects: Effect[];
}

function actorTrace(l: Lifecycle): Step[] {
  let effects: Effect[] = [];
  const actor = startActor(l.op, (e) => effects.push(e));
  const steps: Step[] = [{ state: String(actor.getSnapshot().value), effects }];
  for (const e of l.events) {
    if (actor.getSnapshot().status === 'done') break;
    effects = [];
    actor.send(e);
    steps.push({ state: String(actor.getSnapshot().value), effects });
  }
  return steps;
}

function handTrace(l: Lifecycle): Step[] {
  let effects: Effect[] = [];
  const op = newHandOperator(l.op, (e) => effects.push(e));
  const steps: Step[] = [{ state: op.stateName, effects }];
  for (const e of l.events) {
    if (op.done) break;
    effects = [];
    op.send(e);
    steps.push({ state: op.stateName, effects });
  }
  return steps;
}

/** The controller's way (bench/runtime/run.ts measures it too): a stored slot and pure `transition`. */
function slotTrace(l: Lifecycle): Step[] {
  let effects: Effect[] = [];
  let slot = newSlot(l.op, (e) => effects.push(e));
  const steps: Step[] = [{ state: slot.value, effects }];
  for (const e of l.events) {
    if (slot.value === 'Disposed') break;
    effects = [];
    slot = stepSlot(slot, e, (x) => effects.push(x));
    steps.push({ state: slot.value, effects });
  }
  return steps;
}

const SEEDS = 1500;

/** Every state name of a flat machine. */
function statesOf(kind: OperatorKindName): string[] {
  return Object.keys(machineOf(kind).root.states);
}

describe('bench/runtime baseline: hand-written operators equal the machines (§2.1–§2.3)', () => {
  for (const kind of KINDS) {
    it(`${kind}: ${SEEDS} seeded sequences give equal states and effects after every event (actor, hand-written, pure transition)`, () => {
      const visited = new Set<string>();
      const effectTypes = new Set<string>();
      for (let seed = 1; seed <= SEEDS; seed++) {
        const l = lifecycle(kind, seed);
        const a = actorTrace(l);
        const h = handTrace(l);
        expect(h, `${kind} seed ${seed}`).toEqual(a);
        expect(slotTrace(l), `${kind} seed ${seed} (pure transition)`).toEqual(a);
        for (const s of a) {
          visited.add(s.state);
          for (const e of s.effects) effectTypes.add(e.type);
        }
      }
      // Not vacuous: the sequences reach every state the machine has.
      expect([...visited].sort()).toEqual(statesOf(kind).sort());
      const expectedEffects = {
        add: ['AddMaintainerRequest', 'db.bindChangefeedToNode', 'db.markMaintainerAbsent', 'db.markMaintainerReplicating'],
        move: ['AddMaintainerRequest', 'RemoveMaintainerRequest', 'db.bindChangefeedToNode', 'db.markMaintainerAbsent', 'db.markMaintainerReplicating', 'db.markMaintainerScheduling'],
        stop: ['RemoveMaintainerRequest', 'store.deleteChangefeed', 'store.setChangefeedProgress'],
      }[kind];
      expect([...effectTypes].sort()).toEqual(expectedEffects);
    });
  }

  it('the comparison can fail: a baseline fed a different epoch than the actor differs on some seed', () => {
    let differing = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const l = lifecycle('add', seed);
      if (l.op.kind !== 'add') throw new Error('expected an add lifecycle');
      const skewed: Lifecycle = { ...l, op: { kind: 'add', input: { ...l.op.input, maintainerEpoch: 7n } } };
      if (JSON.stringify(handTrace(skewed), (_k, v) => (typeof v === 'bigint' ? `${v}` : v)) !== JSON.stringify(actorTrace(l), (_k, v) => (typeof v === 'bigint' ? `${v}` : v))) differing++;
    }
    expect(differing).toBeGreaterThan(0);
  });
});
