/**
 * The parallel check's portable encoding (cluster/checkWorker.ts `portableEncoder`) tells apart
 * every pair of worlds the single-threaded encoding tells apart: here, worlds that differ only in
 * a field outside the nodes, the store, the coordinator and the bag (failovers, store faults, PD,
 * API calls, retired epochs, a recorded panic, store calls in flight).
 */
import { describe, expect, it } from 'vitest';
import { startWorld, VariantStepper } from '../../cluster/check.js';
import { portableEncoder } from '../../cluster/checkWorker.js';
import { preset } from '../../cluster/configs.js';
import type { World } from '../../cluster/world.js';

describe('portable encoding (--workers N)', () => {
  const config = preset('coordinator');
  const w = startWorld(new VariantStepper(), config);
  const encode = portableEncoder(config.cluster);
  const changed: Array<[string, World]> = [
    ['failovers', { ...w, failovers: (w.failovers ?? 0) + 1 }],
    ['storeFaults', { ...w, storeFaults: (w.storeFaults ?? 0) + 1 }],
    ['pdAvailable', { ...w, pdAvailable: false, pdOutages: 0 }],
    ['apiCalls', { ...w, apiCalls: (w.apiCalls ?? 0) + 1 }],
    ['retiredEpochs', { ...w, retiredEpochs: { cf: 4n } }],
    ['coordinatorPanic', { ...w, coordinatorPanic: 'maintainer runs on multiple node' }],
    ['lastCoordinatorVersion', { ...w, lastCoordinatorVersion: 7n }],
    ['storeCalls', { ...w, storeCalls: [{ coordinatorVersion: 1n, changefeedId: 'cf', purpose: 'admission', op: { op: 'bump', candidate: 0n } }] }],
  ];
  for (const [field, other] of changed) {
    it(`a world differing only in ${field} encodes differently`, () => {
      expect(Array.from(encode(other))).not.toEqual(Array.from(encode(w)));
      // The same world encodes the same every time (the encoding is a function of the world).
      expect(Array.from(encode({ ...w }))).toEqual(Array.from(encode(w)));
    });
  }
});
