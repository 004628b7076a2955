/**
 * The checker on one machine (graph/check.ts): every opcharts machine, explored in full under its
 * model's event domain, keeps every step property of its model on every (snapshot, event) pair —
 * a stronger check than the generated paths, which take every transition but not every pair.
 */
import { describe, expect, it } from 'vitest';
import { checkMachine } from '../graph/check.js';
import { models } from '../models/index.js';

describe('every machine explored in full keeps its properties', () => {
  for (const m of models) {
    it(`${m.name}: every reachable snapshot explored, no property broken`, () => {
      const r = checkMachine(m, { stopAtFirstViolation: false });
      expect(r.violations.map((v) => `${v.property}: ${v.message} after ${v.events.length} events`)).toEqual([]);
      expect(r.stopReason).toBe('complete');
      expect(r.states).toBeGreaterThan(1);
      expect(r.machineSteps).toBeGreaterThan(0);
    }, 60_000);
  }
});
