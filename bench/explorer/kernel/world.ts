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
import type { AnyStateMachine } from 'xstate';
import { MachineTable } from '../../../explorer/machineTable.js';
import type { Invariant, Model } from '../../../explorer/index.js';
import { kernelCoordinatorMachine, KERNEL_NODES, type CoordinatorEffect } from './coordinator.js';
import { kernelReceiverMachine, type ReceiverContext } from './receiver.js';
import { kindCount, kindIndex, kindOf, type KernelSize } from './size.js';

/** Actions are small integers: 0–2 MOVE(dest), 3 SEND, 4 CRASH, 5 RESTART, then DELIVER, LOSE, DUP per kind. */
const MOVE = 0;
const SEND = 3;
const CRASH = 4;
const RESTART = 5;
const PER_KIND = 6;

export interface KernelWorld {
  model: Model<number, number>;
  invariants: Invariant<number, number>[];
  tables: { coordinator: MachineTable; receiver: MachineTable };
}

/**
 * `machines` replaces a component machine (e.g. a receiver without fencing, to show that the
 * invariants can fail); by default the kernel's own.
 */
export function kernelWorld(size: KernelSize, machines: { coordinator?: AnyStateMachine; receiver?: AnyStateMachine } = {}): KernelWorld {
  const K = kindCount(size);
  if (size.bagCapacity > 15) throw new RangeError('bag counts are 4 bits: capacity ≤ 15');
  if (size.maxEpoch > 255) throw new RangeError('maxEpoch ≤ 255');
  const words = 3 + Math.ceil(K / 8);
  const coord = new MachineTable(machines.coordinator ?? kernelCoordinatorMachine);
  const recv = new MachineTable(machines.receiver ?? kernelReceiverMachine);

  // Interned events: MOVE(d), SEND, CRASH, RESTART(e) for the coordinator; ADD/REMOVE(e) per kind for receivers.
  const evMove = KERNEL_NODES.map((dest) => coord.internEvent({ type: 'MOVE', dest } as never));
  const evSend = coord.internEvent({ type: 'SEND' });
  const evCrash = coord.internEvent({ type: 'CRASH' });
  const evRestart = [-1];
  for (let e = 1; e <= size.maxEpoch; e++) evRestart.push(coord.internEvent({ type: 'RESTART', persistedEpoch: BigInt(e) } as never));
  const evKind: number[] = [];
  // Per message kind, precomputed for the hot loop: its node, epoch, and whether it is a REMOVE.
  const kindNode = new Int32Array(K);
  const kindEpoch = new Int32Array(K);
  const kindRemove = new Uint8Array(K);
  for (let k = 0; k < K; k++) {
    const { remove, epoch, node } = kindOf(size, k);
    evKind.push(recv.internEvent({ type: remove ? 'REMOVE' : 'ADD', epoch: BigInt(epoch) } as never));
    kindNode[k] = node;
    kindEpoch[k] = epoch;
    kindRemove[k] = remove ? 1 : 0;
  }

  /** What the glue derives from one coordinator step (null when the machine does not take the event). */
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
  const seenOf: number[] = [];
  const ownOf: number[] = [];
  const recvInfo = (id: number) => {
    if (seenOf[id] === undefined) {
      seenOf[id] = Number(recvCtx(id).seen);
      ownOf[id] = recv.snapshot(id).value === 'Owned' ? Number(recvCtx(id).epoch) : 0;
    }
  };

  // World states are handles into two arenas of W-word slots, used in turn by breadth-first levels:
  // the successors of level g go to the arena level g-1 used, which is free again by then (the
  // explorer only holds the frontier being expanded and the next). So no typed array is allocated
  // per state. A handle is slot * 2 + arena; negative handles index a persistent arena used by
  // every later `initialStates()` call (trace replay), which must outlive the search's levels.
  const W = words;
  const arenas = [new Int32Array(W * 4096), new Int32Array(W * 4096)];
  const used = [0, 0];
  let persistent = new Int32Array(W * 64);
  let persistentUsed = 0;
  let searchStarted = false;
  let expanding = -1;
  /** Two one-entry caches of decoded words: the state being expanded, and the latest successor. */
  const parentWords = new Int32Array(W);
  let parentHandle: number | null = null;
  const scratch = new Int32Array(W);
  let scratchHandle: number | null = null;
  const copyOut = (h: number, into: Int32Array) => {
    const a = h >= 0 ? arenas[h & 1]! : persistent;
    const o = (h >= 0 ? h >>> 1 : -h - 1) * W;
    for (let i = 0; i < W; i++) into[i] = a[o + i]!;
  };
  /** The words of handle h, in a buffer valid until the next `load`. */
  const load = (h: number): Int32Array => {
    if (h !== scratchHandle) {
      copyOut(h, scratch);
      scratchHandle = h;
    }
    return scratch;
  };
  /** The words of the state being expanded (actions, apply and the step invariant all read it). */
  const loadParent = (h: number): Int32Array => {
    if (h !== parentHandle) {
      copyOut(h, parentWords);
      parentHandle = h;
    }
    return parentWords;
  };
  /** Stores `words` as a new state next to `parent` (or persistently), returning its handle. */
  const storeNear = (parent: number | null, words: Int32Array): number => {
    if (parent === null ? searchStarted : parent < 0) {
      if ((persistentUsed + 1) * W > persistent.length) {
        const grown = new Int32Array(persistent.length * 2);
        grown.set(persistent);
        persistent = grown;
      }
      persistent.set(words, persistentUsed * W);
      scratch.set(words);
      return (scratchHandle = -(++persistentUsed));
    }
    const arena = parent === null ? 0 : 1 - (parent & 1);
    const slot = used[arena]!++;
    // A reset arena hands out old handles again: forget what the caches hold for this one.
    if (parentHandle === slot * 2 + arena) parentHandle = null;
    if ((slot + 1) * W > arenas[arena]!.length) {
      const grown = new Int32Array(arenas[arena]!.length * 2);
      grown.set(arenas[arena]!);
      arenas[arena] = grown;
    }
    arenas[arena]!.set(words, slot * W);
    scratch.set(words);
    return (scratchHandle = slot * 2 + arena);
  };

  const coordId = (s: Int32Array) => s[0]! & 0xffff;
  const persisted = (s: Int32Array) => s[0]! >>> 16;
  const recvId = (s: Int32Array, n: number) => (s[1]! >>> (10 * n)) & 0x3ff;
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

  const initial = (): number => {
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
    const h = storeNear(null, s);
    searchStarted = true;
    return h;
  };

  const buffer: number[] = [];
  const actions = (h: number): number[] => {
    if (h >= 0 && (h & 1) !== expanding) {
      // A new level: the arena of the level before the one now expanded is free.
      expanding = h & 1;
      used[1 - expanding] = 0;
    }
    const s = loadParent(h);
    buffer.length = 0;
    const c = coordId(s);
    if (persisted(s) < size.maxEpoch) for (let d = 0; d < 3; d++) if (coordStep(c, evMove[d]!)) buffer.push(MOVE + d);
    const send = coordStep(c, evSend);
    if (send && inFlight(s) + send.sends.length <= size.bagCapacity) buffer.push(SEND);
    if (crashes(s) > 0 && coordStep(c, evCrash)) buffer.push(CRASH);
    if (coordStep(c, evRestart[persisted(s)]!)) buffer.push(RESTART);
    const room = inFlight(s) < size.bagCapacity;
    const canLose = loss(s) > 0;
    const canDup = dup(s) > 0 && room;
    for (let w = 3; w < W; w++) {
      const bits = s[w]!;
      if (bits === 0) continue;
      const first = (w - 3) * 8;
      for (let j = 0; j < 8; j++) {
        if (((bits >>> (4 * j)) & 0xf) === 0) continue;
        const k = first + j;
        buffer.push(PER_KIND + k);
        if (canLose) buffer.push(PER_KIND + K + k);
        if (canDup) buffer.push(PER_KIND + 2 * K + k);
      }
    }
    return buffer;
  };

  const next = new Int32Array(W);
  const apply = (h: number, a: number): number => {
    const s = loadParent(h);
    const t = next;
    t.set(s);
    if (a < PER_KIND) {
      const ev = a < SEND ? evMove[a - MOVE]! : a === SEND ? evSend : a === CRASH ? evCrash : evRestart[persisted(s)]!;
      const step = coordStep(coordId(s), ev)!;
      if (step.next > 0xffff) throw new RangeError('coordinator ids are 16 bits');
      t[0] = step.next | ((step.persist >= 0 ? step.persist : persisted(s)) << 16);
      for (const k of step.sends) addCount(t, k, 1);
      if (a === CRASH) t[2]! -= 1 << 16;
      return storeNear(h, t);
    }
    const k = (a - PER_KIND) % K;
    const op = Math.floor((a - PER_KIND) / K);
    if (op === 0) {
      const node = kindNode[k]!;
      addCount(t, k, -1);
      setRecv(t, node, recvStep(recvId(s, node), k));
    } else if (op === 1) {
      addCount(t, k, -1);
      t[2]! -= 1;
    } else {
      addCount(t, k, 1);
      t[2]! -= 1 << 8;
    }
    return storeNear(h, t);
  };

  const label = (h: number, a: number): string => {
    const s = load(h);
    if (a < SEND) return `MOVE(${a})`;
    if (a === SEND) return 'SEND';
    if (a === CRASH) return 'CRASH';
    if (a === RESTART) return `RESTART(${persisted(s)})`;
    const k = (a - PER_KIND) % K;
    const m = kindOf(size, k);
    return `${['DELIVER', 'LOSE', 'DUP'][Math.floor((a - PER_KIND) / K)]} ${m.remove ? 'REMOVE' : 'ADD'}(${m.node}, ${m.epoch})`;
  };

  const invariants: Invariant<number, number>[] = [
    {
      name: 'no two nodes own with the same epoch',
      check: (h) => {
        const s = load(h);
        for (let i = 0; i < 3; i++) {
          recvInfo(recvId(s, i));
          const own = ownOf[recvId(s, i)]!;
          if (own === 0) continue;
          for (let j = i + 1; j < 3; j++) {
            recvInfo(recvId(s, j));
            if (ownOf[recvId(s, j)] === own) return `nodes ${i} and ${j} own at epoch ${own}`;
          }
        }
        return true;
      },
    },
    {
      name: 'no stale message applied',
      doc: 'a delivered command changes its receiver only if its epoch is newer (ADD) or not older (REMOVE) than every epoch the receiver has seen',
      check: (h, step) => {
        if (!step || step.action < PER_KIND || step.action >= PER_KIND + K) return true;
        const k = step.action - PER_KIND;
        const node = kindNode[k]!;
        const epoch = kindEpoch[k]!;
        const after = recvId(load(h), node);
        const before = recvId(loadParent(step.prev), node);
        if (after === before) return true;
        recvInfo(before);
        const seen = seenOf[before]!;
        return (kindRemove[k] ? epoch >= seen : epoch > seen) || `${label(step.prev, step.action)} applied at node ${node} which had seen epoch ${seen}`;
      },
    },
  ];

  const model: Model<number, number> = {
    name: `fencing kernel (${size.name})`,
    initialStates: () => [initial()],
    actions,
    apply,
    // The explorer is done with the words before it calls the model again, so a scratch buffer will do.
    encode: (h) => load(h),
    label,
  };
  return { model, invariants, tables: { coordinator: coord, receiver: recv } };
}
