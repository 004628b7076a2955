/**
 * Saving and restoring an actor, and control-plane messages on the wire (issue 10 §4): a move is
 * saved half-way (as a coordinator would before a restart), a hand-edited copy of the save is
 * refused with the path of the bad field, the saved move is restored and finished, and every
 * message it sends crosses a text transport with exact uint64 epochs (here 2^64−2 and 2^64−1,
 * which a JSON number cannot tell apart):
 *
 *   npx tsx examples/persist-move.ts
 *
 * test/examplesPersist.test.ts runs it and checks its output.
 */
import {
  InvalidSnapshotError,
  decodeMessage,
  encodeMessage,
  moveMaintainerMachine,
  restoreActor,
  serializeSnapshot,
  type MoveMaintainerEffect,
} from 'opcharts';
import { createActor } from 'xstate';

const wire: string[] = []; // the transport: message texts, uint64 as decimal strings
const send = (effect: MoveMaintainerEffect) => {
  if (effect.type === 'RemoveMaintainerRequest' || effect.type === 'AddMaintainerRequest') wire.push(encodeMessage(effect));
};

const originEpoch = 2n ** 64n - 2n;
const maintainerEpoch = 2n ** 64n - 1n;
const move = createActor(moveMaintainerMachine, {
  input: { changefeedId: 'cf-1', origin: 'n1', dest: 'n2', originEpoch, maintainerEpoch, checkpointTs: 100n },
});
move.on('*', send);
move.start();
move.send({ type: 'SCHEDULE' }); // → n1: RemoveMaintainerRequest at the origin's epoch
move.send({ type: 'STATUS', from: 'n1', state: 'Stopped', bootstrapDone: true, maintainerEpoch: originEpoch });

// Save (the coordinator is about to restart); the text is plain JSON.
const saved = serializeSnapshot(move);
move.stop();
console.log(`saved in ${String(move.getSnapshot().value)}: ${saved.length} characters`);

// A copy whose epoch was edited into a JSON number is refused: a typed error, no actor.
try {
  restoreActor(moveMaintainerMachine, saved.replace('"18446744073709551615"', '18446744073709551615'));
} catch (e) {
  if (!(e instanceof InvalidSnapshotError)) throw e;
  console.log(`refused: ${e.field}: ${e.code}`);
}

// Restore after the restart and finish the move with the same events the original would get.
const restored = restoreActor(moveMaintainerMachine, saved);
restored.on('*', send);
restored.start();
restored.send({ type: 'SCHEDULE' }); // → n2: AddMaintainerRequest at the new epoch
restored.send({ type: 'STATUS', from: 'n2', state: 'Working', bootstrapDone: true, maintainerEpoch });
restored.send({ type: 'POST_FINISH' });
console.log(`restored move ended in ${String(restored.getSnapshot().value)}`);

// The receiving side decodes each text back into a typed message, epochs as exact bigint.
for (const text of wire) {
  const m = decodeMessage(text);
  if (m.type === 'RemoveMaintainerRequest' || m.type === 'AddMaintainerRequest') console.log(`→ ${m.to}: ${m.type} epoch ${m.maintainerEpoch}`);
}
