/**
 * Typed errors shared by the machines, the input boundary and the adapters.
 *
 * Every error carries a stable `code` so that a host (or a test) can branch on the kind of failure
 * without parsing messages; subclasses add the field, key or changefeed the failure concerns.
 */
export class OpchartsError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A value that should be a uint64 (epoch, checkpoint) is malformed or out of range. */
export class EpochRangeError extends OpchartsError {
  readonly field: string;
  readonly value: unknown;
  constructor(field: string, value: unknown, reason: string) {
    super('EPOCH_RANGE', `${field}: ${reason} (got ${describe(value)})`);
    this.field = field;
    this.value = value;
  }
}

/** `advance(candidate, current)` with current = 2^64-1: the epoch would wrap (spec §3.2 step 3). */
export class EpochOverflowError extends OpchartsError {
  readonly current: bigint;
  constructor(current: bigint, what = 'changefeed epoch') {
    super('EPOCH_OVERFLOW', `${what} overflow: current epoch is ${current}, the maximum uint64`);
    this.current = current;
  }
}

/** A raw message did not parse into a typed event; `field` names the offending field. */
export class InvalidEventError extends OpchartsError {
  readonly field: string;
  constructor(field: string, reason: string) {
    super('INVALID_EVENT', `${field}: ${reason}`);
    this.field = field;
  }
}

/**
 * A machine's input did not parse (see `parseInput` / `createValidatedActor` in boundary.ts);
 * `field` names the offending field (a path such as `coordinator.version` or `aliveNodes[2]`).
 */
export class InvalidInputError extends OpchartsError {
  readonly machine: string;
  readonly field: string;
  constructor(machine: string, field: string, reason: string) {
    super('INVALID_INPUT', `${machine} input: ${field}: ${reason}`);
    this.machine = machine;
    this.field = field;
  }
}

/** Longest rendering of a value in an error message; the rest is elided (a 1 MB epoch string stays out of logs). */
export const MAX_DESCRIBED_LENGTH = 64;

/**
 * A short, safe rendering of an untrusted value for an error message: truncated to
 * {@link MAX_DESCRIBED_LENGTH} characters, and never throwing (a Proxy, a throwing `toJSON` or
 * `toString` fall back to the value's type).
 */
export function describe(value: unknown): string {
  let text: string;
  try {
    if (typeof value === 'bigint') text = `${value}n`;
    else if (typeof value === 'string') text = JSON.stringify(value.length > 4 * MAX_DESCRIBED_LENGTH ? value.slice(0, 4 * MAX_DESCRIBED_LENGTH) : value);
    else if (value === undefined) text = 'undefined';
    else if (typeof value === 'function' || typeof value === 'symbol') text = typeof value;
    else text = JSON.stringify(value) ?? typeof value;
  } catch {
    text = value === null ? 'null' : `(${typeof value})`;
  }
  const length = typeof value === 'string' ? value.length : text.length;
  if (text.length <= MAX_DESCRIBED_LENGTH && length <= 4 * MAX_DESCRIBED_LENGTH) return text;
  const suffix = `… (${length} characters)`;
  return `${text.slice(0, MAX_DESCRIBED_LENGTH - suffix.length)}${suffix}`;
}

/**
 * A saved snapshot did not restore (see `restoreSnapshot` in services/snapshot.ts), or a live one
 * could not be saved: `field` is the path of the bad part (`context.session.epoch`, `value`,
 * `machine`), and nothing was built from it.
 */
export class InvalidSnapshotError extends OpchartsError {
  readonly machine: string;
  readonly field: string;
  constructor(machine: string, field: string, reason: string) {
    super('INVALID_SNAPSHOT', `${machine} snapshot: ${field}: ${reason}`);
    this.machine = machine;
    this.field = field;
  }
}

/** A wire message did not encode or decode (machines/wire.ts); `field` is the path of the bad field. */
export class InvalidMessageError extends OpchartsError {
  readonly field: string;
  constructor(field: string, reason: string) {
    super('INVALID_MESSAGE', `${field}: ${reason}`);
    this.field = field;
  }
}
