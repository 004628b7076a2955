/**
 * Embedding a machine in a host (README "Embedding a machine in a host"): a move operator driven
 * by a host's poll, transport, changefeed DB and membership. The part between the region markers
 * is the README's example, copied there by `opcharts docs`; around it, this file supplies a small
 * in-memory host (two simulated nodes that answer over a fake transport), so it runs to the end:
 *
 *   npx tsx examples/embed-move.ts
 *
 * test/examples.test.ts runs it and checks its output; test/readmeExample.test.ts type-checks the
 * README copy under strict options.
 */
import { formatUint64 } from 'opcharts';

// --- the simulated host: a transport to two nodes, a changefeed DB, membership, a log -----------
type Handler = (raw: unknown) => void;
const handlers: Handler[] = [];
const applied: string[] = [];
const transport = {
  send(to: string, message: unknown): void {
    const m = message as { type: string; maintainerEpoch: bigint };
    // n1 (the origin) stops when told to; n2 (the destination) bootstraps the new maintainer.
    const reply =
      m.type === 'RemoveMaintainerRequest'
        ? { type: 'STATUS', from: to, state: 'Stopped', bootstrapDone: true, maintainerEpoch: formatUint64(m.maintainerEpoch) }
        : { type: 'STATUS', from: to, state: 'Working', bootstrapDone: true, maintainerEpoch: formatUint64(m.maintainerEpoch) };
    console.log(`→ ${to}: ${m.type} epoch ${formatUint64(m.maintainerEpoch)}`);
    // Replies arrive later, as JSON from the wire: epochs as decimal strings.
    setImmediate(() => handlers.forEach((h) => h(JSON.parse(JSON.stringify(reply)))));
  },
  onMessage(handler: Handler): void {
    handlers.push(handler);
  },
};
const changefeedDb = { apply: (intent: { type: string }) => applied.push(intent.type) };
const log = { warn: (...args: unknown[]) => console.warn(...args) };
const membership = { onRemoved: (_handler: (node: string) => void) => {} };

// #region embedding
import { createActor } from 'xstate';
import { moveMaintainerMachine, parseEventWith, operatorEventSchemas } from 'opcharts';

// The coordinator constructs the move before the admission bump: originEpoch is what the origin owns.
const move = createActor(moveMaintainerMachine, {
  input: { changefeedId: 'cf-1', origin: 'n1', dest: 'n2', originEpoch: 41n, maintainerEpoch: 42n, checkpointTs: 100n },
});

move.on('*', (effect) => {
  switch (effect.type) {
    case 'RemoveMaintainerRequest':
    case 'AddMaintainerRequest':
      transport.send(effect.to, effect); // epochs are bigint: serialise them as decimal strings
      break;
    case 'db.bindChangefeedToNode':
    case 'db.markMaintainerAbsent':
    case 'db.markMaintainerReplicating':
    case 'db.markMaintainerScheduling':
      changefeedDb.apply(effect);
      break;
  }
});
move.start();

// The controller's 500 ms poll: (re)send the current command until the operator is done.
const poll = setInterval(() => move.send({ type: 'SCHEDULE' }), 500);
move.send({ type: 'SCHEDULE' });

// Untrusted input goes through the boundary: a typed event, or a typed error naming the bad field.
transport.onMessage((raw) => {
  const parsed = parseEventWith(operatorEventSchemas, raw);
  if (parsed.ok) move.send(parsed.event);
  else log.warn(parsed.error.code, parsed.error.field, parsed.error.message);
});
membership.onRemoved((node) => move.send({ type: 'NODE_REMOVED', node }));

move.subscribe((s) => {
  if (s.value === 'DoneSuccess' || s.value === 'DoneNoPostFinish') move.send({ type: 'POST_FINISH' });
  if (s.status === 'done') clearInterval(poll);
});
// #endregion embedding

move.subscribe((s) => {
  if (s.status === 'done') console.log(`done: ${String(s.value)}; changefeed DB: ${applied.join(', ')}`);
});
