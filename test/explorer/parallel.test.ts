/**
 * The parallel explorer (worker threads over a shared hash-compaction table) agrees with the
 * sequential one: same states and transitions, shortest counterexamples, bounds.
 */
import { describe, expect, it } from 'vitest';
import { explore, exploreParallel } from '../../explorer/index.js';
import { boundedSum, counters } from './fixtures/models.js';

const moduleUrl = new URL('./fixtures/models.ts', import.meta.url).href;

describe('exploreParallel', () => {
  it('two workers find the same states and transitions as the sequential search, and say they may miss states', async () => {
    const config = { k: 3, n: 30 };
    const seq = explore(counters(config).model);
    const par = await exploreParallel({ moduleUrl, exportName: 'counters', config, workers: 2 });
    expect(par).toMatchObject({ states: seq.states, transitions: seq.transitions, depth: seq.depth, stopReason: 'complete', mayMissStates: true });
    expect(par.states).toBe(31 ** 3);
  });

  it('a violation comes with a shortest trace, rebuilt on the main thread', async () => {
    const par = await exploreParallel({ moduleUrl, exportName: 'boundedSum', config: { k: 3, n: 9, limit: 7 }, workers: 2 });
    expect(par.stopReason).toBe('violation');
    expect(par.violations).toHaveLength(1);
    expect(par.violations[0]).toMatchObject({ kind: 'invariant', name: 'sum below limit', message: 'sum=7' });
    expect(par.violations[0]!.trace.steps).toHaveLength(7);
  });

  it('a full table stops the search with maxStates', async () => {
    const par = await exploreParallel({ moduleUrl, exportName: 'counters', config: { k: 3, n: 30 }, workers: 2, maxStates: 5000 });
    expect(par.stopReason).toBe('maxStates');
    expect(par.states).toBe(5000);
  });

  it('a model without decode: each worker keeps its own frontier, and the search finds the same states, transitions and shortest traces', async () => {
    const config = { k: 3, n: 30 };
    const seq = explore(counters(config).model);
    const par = await exploreParallel({ moduleUrl, exportName: 'countersLocal', config, workers: 2 });
    expect(par).toMatchObject({ states: seq.states, transitions: seq.transitions, depth: seq.depth, stopReason: 'complete', mayMissStates: true });
    const bad = await exploreParallel({ moduleUrl, exportName: 'boundedSumLocal', config: { k: 3, n: 9, limit: 7 }, workers: 2 });
    expect(bad.violations[0]).toMatchObject({ kind: 'invariant', name: 'sum below limit', message: 'sum=7' });
    expect(bad.violations[0]!.trace.steps).toHaveLength(7);
  });

  it('refuses a module without the named factory', async () => {
    await expect(exploreParallel({ moduleUrl, exportName: 'nope', workers: 2 })).rejects.toThrow(/no export nope/);
  });
});
