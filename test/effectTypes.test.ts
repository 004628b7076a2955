/**
 * Effects are typed per machine (issue 10 §4): a host's switch over one operator's effects is
 * exhaustive over exactly what that operator emits. Checked by the compiler (npm test runs tsc),
 * and at run time by the effects each operator's generated paths actually emit.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { createActor, type EmittedFrom } from 'xstate';
import { addMaintainerMachine, drainNodeMachine, moveMaintainerMachine, stopChangefeedMachine } from 'opcharts';
import { edgePaths, findModel, generate } from 'opcharts/graph';

describe('effects typed per operator machine', () => {
  it('the emitted types are exactly each machine’s own', () => {
    expectTypeOf<EmittedFrom<typeof moveMaintainerMachine>['type']>().toEqualTypeOf<
      'AddMaintainerRequest' | 'RemoveMaintainerRequest' | 'db.bindChangefeedToNode' | 'db.markMaintainerScheduling' | 'db.markMaintainerReplicating' | 'db.markMaintainerAbsent'
    >();
    expectTypeOf<EmittedFrom<typeof addMaintainerMachine>['type']>().toEqualTypeOf<
      'AddMaintainerRequest' | 'db.bindChangefeedToNode' | 'db.markMaintainerReplicating' | 'db.markMaintainerAbsent'
    >();
    expectTypeOf<EmittedFrom<typeof stopChangefeedMachine>['type']>().toEqualTypeOf<'RemoveMaintainerRequest' | 'store.deleteChangefeed' | 'store.setChangefeedProgress'>();
    expectTypeOf<EmittedFrom<typeof drainNodeMachine>['type']>().toEqualTypeOf<'SetNodeLivenessRequest'>();
  });

  it.each([
    ['moveMaintainer', ['AddMaintainerRequest', 'RemoveMaintainerRequest', 'db.bindChangefeedToNode', 'db.markMaintainerAbsent', 'db.markMaintainerReplicating', 'db.markMaintainerScheduling']],
    ['addMaintainer', ['AddMaintainerRequest', 'db.bindChangefeedToNode', 'db.markMaintainerAbsent', 'db.markMaintainerReplicating']],
    ['stopChangefeed', ['RemoveMaintainerRequest', 'store.deleteChangefeed', 'store.setChangefeedProgress']],
    ['drainNode', ['SetNodeLivenessRequest']],
  ])('%s emits exactly its declared effect types at start and on its generated paths and explored edges', (name, types) => {
    const model = findModel(name)!;
    const g = generate(model);
    const seen = new Set([...g.replays, ...edgePaths(model, g)].flatMap((r) => r.steps.flatMap((s) => s.effects.map((e) => e.type))));
    // Entry actions emit when the actor starts, before any step.
    for (const { input } of model.inputs) {
      const actor = createActor(model.machine, { input } as never);
      actor.on('*', (e: { type: string }) => seen.add(e.type));
      actor.start();
      actor.stop();
    }
    expect([...seen].sort()).toEqual([...types].sort());
  });
});
