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

export function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
