/**
 * (a) The fencing kernel as the explorer sees it: the coordinator and three receivers are XState
 * machines held as hash-consed snapshot ids (explorer/machineTable.ts); the world around them —
 * store, network bag, fault budgets — is the glue below, and a world state is one small Int32Array:
 *
 *   word 0  coordinator id | persisted epoch << 16
 *   word 1  receiver ids of nodes 0, 1, 2 (10 bits each)
 *   word 2  loss budget left | duplication budget left << 8 | crashes left << 16 | messages in flight << 20
 *   word 3… the bag: one 4-bit count per message kind (ADD/REMOVE × node × epoch), 8 kinds a word
 *
 * Every field is a function of the model's state (bench/explorer/README.md), and the bag is a
 * multiset held as counts, so the encoding is canonical: equal states, equal words.
 * Machine steps go through the table; the glue caches what it derives from a step's effects.
 */
import { MachineTable } from '../../../explorer/machineTable.js';
import type { Invariant, Model } from '../../../explorer/index.js';
import { kernelCoordinatorMachine, KERNEL_NODES, type CoordinatorEffect, type CoordinatorContext } from './coordinator.js';
import { kernelReceiverMachine, type ReceiverContext } from './receiver.js';
import { kindCount, kindIndex, kindOf, type KernelSize } from './size.js';

/** Actions are small integers: 0–2 MOVE(dest), 3 SEND, 4 CRASH, 5 RESTART, then DELIVER, LOSE, DUP per kind. */
const MOVE = 0;
const SEND = 3;
const CRASH = 4;
const RESTART = 5;
const PER_KIND = 6;

export interface KernelWorld {
  model: Model<Int32Array, number>;
  invariants: Invariant<Int32Array, number>[];
  tables: { coordinator: MachineTable; receiver: MachineTable };
}

export function kernelWorld(size: KernelSize): KernelWorld {
  const K = kindCount(size);
  if (size.bagCapacity > 15) throw new RangeError('bag counts are 4 bits: capacity ≤ 15');
  if (size.maxEpoch > 255) throw new RangeError('maxEpoch ≤ 255');
  const words = 3 + Math.ceil(K / 8);
  const coord = new MachineTable(kernelCoordinatorMachine);
  const recv = new MachineTable(kernelReceiverMachine);

  // Interned events: MOVE(d), SEND, CRASH, RESTART(e) for the coordinator; ADD/REMOVE(e) per kind for receivers.
  const evMove = KERNEL_NODES.map((dest) => coord.internEvent({ type: 'MOVE', dest } as never));
  const evSend = coord.internEvent({ type: 'SEND' });
  const evCrash = coord.internEvent({ type: 'CRASH' });
  const evRestart = [-1];
  for (let e = 1; e <= size.maxEpoch; e++) evRestart.push(coord.internEvent({ type: 'RESTART', persistedEpoch: BigInt(e) } as never));
  const evKind: number[] = [];
  for (let k = 0; k < K; k++) {
    const { remove, epoch } = kindOf(size, k);
    evKind.push(recv.internEvent({ type: remove ? 'REMOVE' : 'ADD', epoch: BigInt(epoch) } as never));
  }

  /** What the glue derives from one coordinator step: -1 = not taken. */
  interface CoordStep {
    next: number;
    persist: number;
    sends: number[];
  }
  const coordCache: Array<Array<CoordStep | null | undefined>> = [];
  const coordStep = (id: number, ev: number): CoordStep | null => {
    const row = (coordCache[id] ??= []);
    const hit = row[ev];
    if (hit !== undefined) return hit;
    const r = coord.stepById(id, ev);
    let out: CoordStep | null = null;
    if (r.next !== id || r.effects.length > 0) {
      out = { next: r.next, persist: -1, sends: [] };
      for (const eff of r.effects as CoordinatorEffect[]) {
        if (eff.type === 'store.persist') out.persist = Number(eff.epoch);
        else out.sends.push(kindIndex(size, eff.kind === 'REMOVE', eff.to, Number(eff.epoch)));
      }
    }
    row[ev] = out;
    return out;
  };
  const recvNext: Int32Array[] = [];
  const recvStep = (id: number, k: number): number => {
    const row = (recvNext[id] ??= new Int32Array(K).fill(-1));
    if (row[k]! < 0) row[k] = recv.stepById(id, evKind[k]!).next;
    return row[k]!;
  };
  const recvCtx = (id: number) => recv.snapshot(id).context as ReceiverContext;
  const coordCtx = (id: number) => coord.snapshot(id).context as CoordinatorContext;
  const coordValue = (id: number) => coord.snapshot(id).value as string;
  const seenOf: number[] = [];
  const ownOf: number[] = [];
  const recvInfo = (id: number) => {
    if (seenOf[id] === undefined) {
      seenOf[id] = Number(recvCtx(id).seen);
      ownOf[id] = recv.snapshot(id).value === 'Owned' ? Number(recvCtx(id).epoch) : 0;
    }
  };

  const coordId = (s: Int32Array) => s[0]! & 0xffff;
  const persisted = (s: Int32Array) => s[0]! >>> 16;
  const recvId = (s: Int32Array, n: number) => (s[1]! >>> (10 * n)) & 0x3ff;
  const count = (s: Int32Array, k: number) => (s[3 + (k >> 3)]! >>> ((k & 7) * 4)) & 0xf;
  const inFlight = (s: Int32Array) => (s[2]! >>> 20) & 0xff;
  const loss = (s: Int32Array) => s[2]! & 0xff;
  const dup = (s: Int32Array) => (s[2]! >>> 8) & 0xff;
  const crashes = (s: Int32Array) => (s[2]! >>> 16) & 0xf;
  const addCount = (s: Int32Array, k: number, d: number) => {
    s[3 + (k >> 3)]! += d << ((k & 7) * 4);
    s[2]! += d << 20;
  };
  const setRecv = (s: Int32Array, n: number, id: number) => {
    if (id >= 1024) throw new RangeError('receiver ids are 10 bits');
    s[1] = (s[1]! & ~(0x3ff << (10 * n))) | (id << (10 * n));
  };

  const initial = (): Int32Array => {
    const s = new Int32Array(words);
    const c = coord.initial().next;
    const notOwned = recv.initial().next;
    // Node 0 starts as the owner at epoch 1: it has applied ADD(1).
    const owner = recv.stepById(notOwned, evKind[kindIndex(size, false, 0, 1)]!).next;
    s[0] = c | (1 << 16);
    setRecv(s, 0, owner);
    setRecv(s, 1, notOwned);
    setRecv(s, 2, notOwned);
    s[2] = size.lossBudget | (size.dupBudget << 8) | (1 << 16);
    return s;
  };

  const buffer: number[] = [];
  const actions = (s: Int32Array): number[] => {
    buffer.length = 0;
    const c = coordId(s);
    if (persisted(s) < size.maxEpoch) for (let d = 0; d < 3; d++) if (coordStep(c, evMove[d]!)) buffer.push(MOVE + d);
    const send = coordStep(c, evSend);
    if (send && inFlight(s) + send.sends.length <= size.bagCapacity) buffer.push(SEND);
    if (crashes(s) > 0 && coordStep(c, evCrash)) buffer.push(CRASH);
    if (coordStep(c, evRestart[persisted(s)]!)) buffer.push(RESTART);
    const room = inFlight(s) < size.bagCapacity;
    for (let k = 0; k < K; k++) {
      if (count(s, k) === 0) continue;
      buffer.push(PER_KIND + k);
      if (loss(s) > 0) buffer.push(PER_KIND + K + k);
      if (dup(s) > 0 && room) buffer.push(PER_KIND + 2 * K + k);
    }
    return buffer;
  };

  const apply = (s: Int32Array, a: number): Int32Array => {
    const t = new Int32Array(s);
    if (a < PER_KIND) {
      const ev = a < SEND ? evMove[a - MOVE]! : a === SEND ? evSend : a === CRASH ? evCrash : evRestart[persisted(s)]!;
      const step = coordStep(coordId(s), ev)!;
      t[0] = step.next | ((step.persist >= 0 ? step.persist : persisted(s)) << 16);
      for (const k of step.sends) addCount(t, k, 1);
      if (a === CRASH) t[2]! -= 1 << 16;
      return t;
    }
    const k = (a - PER_KIND) % K;
    const op = Math.floor((a - PER_KIND) / K);
    if (op === 0) {
      const node = kindOf(size, k).node;
      addCount(t, k, -1);
      setRecv(t, node, recvStep(recvId(s, node), k));
    } else if (op === 1) {
      addCount(t, k, -1);
      t[2]! -= 1;
    } else {
      addCount(t, k, 1);
      t[2]! -= 1 << 8;
    }
    return t;
  };

  const label = (s: Int32Array, a: number): string => {
    if (a < SEND) return `MOVE(${a})`;
    if (a === SEND) return 'SEND';
    if (a === CRASH) return 'CRASH';
    if (a === RESTART) return `RESTART(${persisted(s)})`;
    const k = (a - PER_KIND) % K;
    const m = kindOf(size, k);
    return `${['DELIVER', 'LOSE', 'DUP'][Math.floor((a - PER_KIND) / K)]} ${m.remove ? 'REMOVE' : 'ADD'}(${m.node}, ${m.epoch})`;
  };

  const invariants: Invariant<Int32Array, number>[] = [
    {
      name: 'no two nodes own with the same epoch',
      check: (s) => {
        const own = [0, 1, 2].map((n) => (recvInfo(recvId(s, n)), ownOf[recvId(s, n)]!));
        for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) if (own[i]! > 0 && own[i] === own[j]) return `nodes ${i} and ${j} own at epoch ${own[i]}`;
        return true;
      },
    },
    {
      name: 'no stale message applied',
      doc: 'a delivered command changes its receiver only if its epoch is newer (ADD) or not older (REMOVE) than every epoch the receiver has seen',
      check: (s, step) => {
        if (!step || step.action < PER_KIND || step.action >= PER_KIND + K) return true;
        const k = step.action - PER_KIND;
        const m = kindOf(size, k);
        const before = recvId(step.prev, m.node);
        if (recvId(s, m.node) === before) return true;
        recvInfo(before);
        const seen = seenOf[before]!;
        return (m.remove ? m.epoch >= seen : m.epoch > seen) || `${label(step.prev, step.action)} applied at node ${m.node} which had seen epoch ${seen}`;
      },
    },
  ];

  const model: Model<Int32Array, number> = {
    name: `fencing kernel (${size.name})`,
    initialStates: () => [initial()],
    actions,
    apply,
    encode: (s) => s,
    label,
  };
  void coordValue;
  return { model, invariants, tables: { coordinator: coord, receiver: recv } };
}
