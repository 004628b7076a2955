/**
 * Generated path tests: for every machine's test model (models/), the paths generated with
 * `xstate/graph` are replayed step by step on a fresh actor, and every step must satisfy the
 * model's step properties. Coverage of states and of (source, event, guard branch) transitions is
 * measured on those replays and must be 100%: a machine that gains an unreachable state, or a
 * transition no generated path takes, fails here with the transition named.
 *
 * Machines and specs: every model in models/index.ts; each names its spec sections and properties.
 */
import { describe, expect, it } from 'vitest';
import { models } from '../models/index.js';
import { emit, setup } from 'xstate';
import { checkProperties, edgePaths, generate, replay } from '../graph/paths.js';
import { resolveStateName, selectPaths, StateNameError, UnknownStepError } from '../graph/select.js';
import type { MachineModel } from '../graph/model.js';

for (const model of models) {
  describe(`${model.name} (${model.spec})`, () => {
    const generated = generate(model);

    it('reaches every state and takes every transition of the definition', () => {
      const { coverage } = generated;
      expect(coverage.missingStates, `unreachable states of ${model.name}`).toEqual([]);
      expect(coverage.missingTransitions, `transitions of ${model.name} that no generated path takes`).toEqual([]);
      expect(coverage.statesReached).toBe(coverage.statesDefined);
      expect(coverage.transitionsTaken).toBe(coverage.transitionsDefined);
    });

    it('generates at least one path per transition target and replays each to the same final state', () => {
      expect(generated.paths.length).toBeGreaterThan(0);
      for (const r of generated.replays.slice(0, 5)) {
        // Replaying the recorded concrete events again gives the same end: paths are deterministic.
        expect(replay(model, r.path.variant, r.path.events).path.finalState).toBe(r.path.finalState);
      }
    });

    it('every edge of the explored graph (each reachable state × each domain event) satisfies the properties', () => {
      const edges = edgePaths(model, generated);
      expect(edges.length).toBeGreaterThan(generated.paths.length);
      const violations = edges.flatMap((r) => checkProperties(model, r).map((v) => `${r.path.name}: ${v}`));
      expect(violations).toEqual([]);
    });

    it.each(generated.replays.map((r, i) => [`path ${i + 1} [${r.path.variant}]: ${r.path.name}`, r] as const))(
      '%s',
      (_name, r) => {
        expect(checkProperties(model, r)).toEqual([]);
      },
    );
  });
}

describe('choosing paths for a reader (opcharts paths --to --via)', () => {
  // A pings-then-goes machine: the shortest path to Done skips the PING loop, so a reader who asks
  // for a Done path that pings needs the search.
  const pinger = setup({ types: { events: {} as { type: 'PING' } | { type: 'GO' } } }).createMachine({
    id: 'pinger',
    initial: 'Idle',
    states: {
      Idle: { on: { PING: { actions: emit({ type: 'Pong' }) }, GO: 'Busy' } },
      Busy: { initial: 'Done', states: { Done: { type: 'final' } } },
      Other: { initial: 'Done', states: { Done: {} } },
    },
  });
  const model: MachineModel = {
    name: 'pinger',
    machine: pinger,
    spec: '-',
    summary: 'test',
    inputs: [{ label: 'only', input: undefined }],
    events: () => [{ type: 'PING' }, { type: 'GO' }],
    properties: [],
  };

  it('a unique leaf name resolves to its full path; an ambiguous or unknown one is a typed error', () => {
    const move = models.find((m) => m.name === 'moveMaintainer')!;
    expect(resolveStateName(move.machine, 'DoneSuccess')).toBe('DoneSuccess');
    expect(() => resolveStateName(pinger, 'Done')).toThrow(StateNameError);
    expect(() => resolveStateName(pinger, 'Done')).toThrow(/Busy\.Done, Other\.Done/);
    expect(resolveStateName(pinger, 'Busy.Done')).toBe('Busy.Done');
    expect(() => resolveStateName(pinger, 'Nowhere')).toThrow(StateNameError);
  });

  it('--to cuts paths at the state; --via finds a path with the event or effect when no generated one has it', () => {
    const toDone = selectPaths(model, { to: 'Busy.Done' });
    expect(toDone.map((r) => r.path.events.map((e) => e.type))).toEqual([['GO']]);
    const viaPong = selectPaths(model, { to: 'Busy.Done', via: 'Pong' });
    expect(viaPong.map((r) => r.path.events.map((e) => e.type))).toEqual([['PING', 'GO']]);
    expect(viaPong[0]!.steps[0]!.effects).toEqual([{ type: 'Pong' }]);
    expect(selectPaths(model, { to: 'Other.Done', via: 'PING' })).toEqual([]);
    // A name that is neither an event nor an emitted effect is refused before any search.
    expect(() => selectPaths(model, { to: 'Busy.Done', via: 'Ping' })).toThrow(UnknownStepError);
    expect(() => selectPaths(model, { via: 'Ping' })).toThrow(/one of: GO, PING, Pong/);
  });
});
