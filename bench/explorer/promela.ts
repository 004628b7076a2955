/**
 * (b) The fencing kernel in Promela, written from the model's prose (bench/explorer/README.md), not
 * from the XState machines: one process whose do-loop offers every action as one `d_step`, so each
 * SPIN state is exactly one world state (the process counter never leaves the loop head). The text
 * is generated per size only because Promela has no loops over the message kinds.
 *
 * Variables (all bytes): coordinator phase (0 Idle, 1 Moving, 2 Crashed), owner and dest (3 =
 * unknown/none), epoch; the persisted epoch; per node the owned epoch (0 = not owned) and the
 * highest epoch seen; the budgets; the messages in flight; the bag as one count per kind.
 */
import { kindCount, kindIndex, kindOf, type KernelSize } from './kernel/size.js';

export function kernelPromela(size: KernelSize): string {
  const E = size.maxEpoch;
  const C = size.bagCapacity;
  const K = kindCount(size);
  const L: string[] = [];
  const ownedPairsDistinct = '!(oep0 > 0 && oep0 == oep1) && !(oep0 > 0 && oep0 == oep2) && !(oep1 > 0 && oep1 == oep2)';
  L.push(`/* fencing kernel, size ${size.name}: maxEpoch ${E}, bag capacity ${C}, loss ${size.lossBudget}, dup ${size.dupBudget}, one crash */`);
  L.push('byte cphase = 0; byte cowner = 0; byte cepoch = 1; byte cdest = 3;');
  L.push('byte persisted = 1;');
  L.push('byte oep0 = 1; byte seen0 = 1; byte oep1 = 0; byte seen1 = 0; byte oep2 = 0; byte seen2 = 0;');
  L.push(`byte loss = ${size.lossBudget}; byte dup = ${size.dupBudget}; byte crash = 1; byte total = 0;`);
  L.push(`byte bag[${K}];`);
  L.push('');
  L.push('active proctype world() {');
  L.push('  do');
  // MOVE(d): persist the bumped epoch first; the commands go out in a later SEND.
  for (let d = 0; d < 3; d++)
    L.push(`  :: d_step { cphase == 0 && cowner != ${d} && persisted < ${E} -> cphase = 1; cdest = ${d}; cepoch = cepoch + 1; persisted = cepoch }`);
  // SEND: ADD(dest, epoch), REMOVE(origin, epoch-1), or REMOVE to both other nodes when the owner is unknown.
  for (let d = 0; d < 3; d++)
    for (let e = 2; e <= E; e++) {
      const add = kindIndex(size, false, d, e);
      const known = [0, 1, 2].filter((o) => o !== d);
      for (const o of known)
        L.push(
          `  :: d_step { cphase == 1 && cdest == ${d} && cepoch == ${e} && cowner == ${o} && total + 2 <= ${C} -> ` +
            `bag[${add}]++; bag[${kindIndex(size, true, o, e - 1)}]++; total = total + 2; cowner = ${d}; cdest = 3; cphase = 0 }`,
        );
      L.push(
        `  :: d_step { cphase == 1 && cdest == ${d} && cepoch == ${e} && cowner == 3 && total + 3 <= ${C} -> ` +
          `bag[${add}]++; ${known.map((o) => `bag[${kindIndex(size, true, o, e - 1)}]++; `).join('')}total = total + 3; cowner = ${d}; cdest = 3; cphase = 0 }`,
      );
    }
  L.push('  :: d_step { crash > 0 && cphase != 2 -> cphase = 2; cowner = 3; cepoch = 0; cdest = 3; crash-- }');
  L.push('  :: d_step { cphase == 2 -> cphase = 0; cowner = 3; cepoch = persisted }');
  for (let k = 0; k < K; k++) {
    const m = kindOf(size, k);
    const n = m.node;
    const apply = m.remove
      ? `if :: ${m.epoch} >= seen${n} -> assert(${m.epoch} >= seen${n}); oep${n} = 0; seen${n} = ${m.epoch} :: else -> skip fi`
      : `if :: ${m.epoch} > seen${n} -> assert(${m.epoch} > seen${n}); oep${n} = ${m.epoch}; seen${n} = ${m.epoch}; assert(${ownedPairsDistinct}) :: else -> skip fi`;
    L.push(`  :: d_step { bag[${k}] > 0 -> bag[${k}]--; total--; ${apply} }`);
    L.push(`  :: d_step { loss > 0 && bag[${k}] > 0 -> bag[${k}]--; total--; loss-- }`);
    L.push(`  :: d_step { dup > 0 && bag[${k}] > 0 && total < ${C} -> bag[${k}]++; total++; dup-- }`);
  }
  L.push('  od');
  L.push('}');
  return L.join('\n') + '\n';
}
