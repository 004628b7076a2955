/** The kernel's bounds (bench/explorer/README.md): the same four numbers drive all three encodings. */
export interface KernelSize {
  name: string;
  /** Epochs run 1..maxEpoch: a move is enabled while the persisted epoch is below it. */
  maxEpoch: number;
  /** At most this many messages in flight (all kinds together). */
  bagCapacity: number;
  /** Messages the network may lose / duplicate over a whole run. */
  lossBudget: number;
  dupBudget: number;
}

/** Message kinds: ADD or REMOVE, to node 0..2, with epoch 1..maxEpoch; a kind's index in the bag. */
export const kindIndex = (size: KernelSize, remove: boolean, node: number, epoch: number) =>
  ((remove ? 3 : 0) + node) * size.maxEpoch + (epoch - 1);
export const kindCount = (size: KernelSize) => 6 * size.maxEpoch;
export const kindOf = (size: KernelSize, k: number) => ({
  remove: Math.floor(k / size.maxEpoch) >= 3,
  node: Math.floor(k / size.maxEpoch) % 3,
  epoch: (k % size.maxEpoch) + 1,
});
