/**
 * machines/pureStep.ts against XState's own pure functions: on seeded random walks over every
 * machine's model (inputs and event domain), `pureInitialTransition` / `pureTransition` give the
 * same snapshots (status, value, context) and the same actions, in order, as `initialTransition` /
 * `transition`, whose throwaway actor per call they replace.
 */
import { initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import { describe, expect, it } from 'vitest';
import { pureInitialTransition, pureTransition } from '../machines/pureStep.js';
import { models } from '../models/index.js';
import { stableStringify } from '../graph/serialize.js';
import { mulberry32 } from '../simulator/schedule.js';

const view = (s: AnyMachineSnapshot) => stableStringify({ status: s.status, value: s.value, context: s.context });
const acts = (a: ReadonlyArray<{ type: string; params?: unknown }>) => stableStringify(a.map((x) => ({ type: x.type, params: x.params })));

describe('pureTransition is XState transition() with a reused scope', () => {
  for (const m of models) {
    it(`${m.name}: 40 seeded walks of up to 12 events agree step by step`, () => {
      const random = mulberry32(0x5eed ^ m.name.length);
      let steps = 0;
      for (let walk = 0; walk < 40; walk++) {
        const input = m.inputs[walk % m.inputs.length]!.input;
        const [a0, aa] = initialTransition(m.machine, input as never);
        const [b0, ba] = pureInitialTransition(m.machine, input);
        expect(view(b0)).toBe(view(a0));
        expect(acts(ba)).toBe(acts(aa as never));
        let a = a0 as AnyMachineSnapshot;
        let b = b0;
        for (let i = 0; i < 12 && a.status === 'active'; i++) {
          const events = m.events(a);
          if (events.length === 0) break;
          const e = events[Math.floor(random() * events.length)]!;
          const [an, aActs] = transition(m.machine, a as never, e as never);
          const [bn, bActs] = pureTransition(m.machine, b, e);
          expect(view(bn), `${m.name} walk ${walk} step ${i}`).toBe(view(an as AnyMachineSnapshot));
          expect(acts(bActs)).toBe(acts(aActs as never));
          a = an as AnyMachineSnapshot;
          b = bn;
          steps++;
        }
      }
      expect(steps).toBeGreaterThan(40);
    });
  }
});
