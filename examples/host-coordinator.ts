/**
 * A coordinator host end to end (spec §2.0–§2.4): the operator controller with the add, move and
 * stop operators and admission over a real epoch store, driven by a host that owns the clock and
 * the transport. Two simulated nodes answer over a JSON wire (epochs as decimal strings), and their
 * replies enter through the input boundary. The changefeed is added on n1, moved to n2, then
 * removed; every admission bumps the persisted epoch first.
 *
 *   npx tsx examples/host-coordinator.ts            # memory store
 *   npx tsx examples/host-coordinator.ts lmdb:/tmp/x # an LMDB store at that path
 *
 * No timers: the host's loop calls `poll(nowMs)` on a virtual clock, 500 ms apart, as the
 * coordinator's timer would. test/examples.test.ts runs it and checks its output.
 */
import {
  CoordinatorHost,
  EpochClock,
  formatUint64,
  openEpochStore,
  operatorEventSchemas,
  parseEventWith,
  NotFoundError,
  type OutgoingMessage,
} from 'opcharts';

const store = openEpochStore(process.argv[2] ?? 'memory');
const print = (line: string) => console.log(line);

// The simulated nodes: n1 and n2 answer each command with the status a real maintainer manager
// would report, on the wire as JSON.
const wire: string[] = [];
function node(message: OutgoingMessage): void {
  if (message.type !== 'AddMaintainerRequest' && message.type !== 'RemoveMaintainerRequest') return;
  const reply = {
    type: 'STATUS',
    changefeedId: message.changefeedId,
    from: message.to,
    state: message.type === 'AddMaintainerRequest' ? 'Working' : 'Stopped',
    bootstrapDone: true,
    maintainerEpoch: formatUint64(message.maintainerEpoch),
  };
  wire.push(JSON.stringify(reply));
}

// Epoch candidates from a fixed local clock so the output is reproducible; a real host uses PD.
const host = new CoordinatorHost({
  selfNode: 'coord',
  aliveNodes: ['coord', 'n1', 'n2'],
  store,
  clock: new EpochClock({ tso: null, nowNanos: () => 1_000n }),
  send: (m) => {
    if (m.type === 'AddMaintainerRequest' || m.type === 'RemoveMaintainerRequest') {
      print(`  → ${m.to}: ${m.type} epoch ${formatUint64(m.maintainerEpoch)}${m.type === 'RemoveMaintainerRequest' ? ` cascade=${m.cascade} removed=${m.removed}` : ''}`);
    }
    node(m);
  },
  onEffect: (e) => {
    if (e.type.startsWith('db.') || e.type.startsWith('store.')) print(`  ${e.type}`);
  },
  onStoreError: (error, intent) => print(`  store write ${intent.type} failed: ${String(error)}`),
});

let now = 0;
/** The host's timer: poll, deliver the nodes' replies through the boundary, until the slot is free. */
async function runUntilIdle(changefeedId: string): Promise<void> {
  for (let round = 0; round < 20 && host.state.operators.has(changefeedId); round++) {
    host.poll(now);
    now += 500;
    for (const raw of wire.splice(0)) {
      const message = JSON.parse(raw) as { changefeedId?: unknown };
      const parsed = parseEventWith(operatorEventSchemas, message);
      if (!parsed.ok || typeof message.changefeedId !== 'string') throw new Error(`bad reply ${raw}`);
      if (parsed.event.type === 'STATUS') host.onStatus(message.changefeedId, parsed.event.from, parsed.event);
    }
  }
  await host.idle();
  if (host.state.operators.has(changefeedId)) throw new Error(`operator for ${changefeedId} did not finish`);
}

const place = (cf: string) => {
  const e = host.state.db.get(cf);
  return e ? `${e.stopped ? 'Stopped' : e.bucket}${e.nodeId ? ` on ${e.nodeId}` : ''}` : 'gone';
};

try {
  await store.create('cf-1', { epoch: 5n, state: 'normal', error: null, config: {} }, { checkpointTs: 100n, progress: 'None' });
  await host.loadChangefeed('cf-1');
  print(`cf-1 created at epoch 5: ${place('cf-1')}`);

  const add = await host.addOperator('add', 'cf-1', 'n1');
  print(`add to n1: ${add.accepted ? `accepted, epoch bumped to ${formatUint64(add.epoch!)}` : `rejected (${add.reason})`}`);
  await runUntilIdle('cf-1');
  print(`cf-1: ${place('cf-1')}`);

  const move = await host.addOperator('move', 'cf-1', 'n2');
  print(`move n1 → n2: ${move.accepted ? `accepted, epoch bumped to ${formatUint64(move.epoch!)}` : `rejected (${move.reason})`}`);
  await runUntilIdle('cf-1');
  print(`cf-1: ${place('cf-1')}`);

  host.stopChangefeed('cf-1', true);
  print('remove cf-1');
  await runUntilIdle('cf-1');
  const persisted = await store.get('cf-1').then(
    () => 'still persisted',
    (e: unknown) => (e instanceof NotFoundError ? 'deleted from the store' : `store error ${String(e)}`),
  );
  print(`cf-1: ${place('cf-1')}, ${persisted}`);
} finally {
  await store.close();
}
