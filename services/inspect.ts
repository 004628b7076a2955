/**
 * Watching a live actor in an inspector (the Stately inspector, `@statelyai/inspect`, or any XState
 * inspection observer) without losing uint64 precision: JSON has no bigint, and inspectors turn one
 * into a float, so 2^64−2 and 2^64−1 look the same. `withUint64Strings(observer)` hands the
 * observer copies of XState's inspection events in which every bigint is a decimal string with an
 * `n` suffix ("18446744073709551615n"), everything else unchanged.
 *
 * ```ts
 * import { createBrowserInspector } from '@statelyai/inspect'; // or createSkyInspector, …
 * const inspector = createBrowserInspector();
 * const actor = createActor(moveMaintainerMachine, { input, inspect: withUint64Strings(inspector.inspect) });
 * ```
 */
import type { InspectionEvent, Observer } from 'xstate';

/** A copy of `value` with every bigint as `"<decimal>n"`; cycles and class instances are kept as they are. */
export function uint64Strings(value: unknown, seen = new WeakMap<object, unknown>()): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const v of value) out.push(uint64Strings(v, seen));
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value; // actors, snapshots' methods: left alone
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [k, v] of Object.entries(value)) out[k] = uint64Strings(v, seen);
  return out;
}

/** The inspection events XState passes to an observer, with the parts an inspector shows made uint64-safe. */
function safeEvent(e: InspectionEvent): InspectionEvent {
  const copy: Record<string, unknown> = { ...e };
  if ('event' in e) copy.event = uint64Strings(e.event);
  if ('snapshot' in e && e.snapshot && typeof e.snapshot === 'object') {
    const s = e.snapshot as unknown as Record<string, unknown>;
    copy.snapshot = { ...s, context: uint64Strings(s.context), ...('output' in s ? { output: uint64Strings(s.output) } : {}) };
  }
  return copy as unknown as InspectionEvent;
}

/** Wraps an inspection observer (a function or an `{ next }` observer) so that it sees uint64 as strings. */
export function withUint64Strings(observer: ((e: InspectionEvent) => void) | Observer<InspectionEvent>): (e: InspectionEvent) => void {
  const next = typeof observer === 'function' ? observer : (e: InspectionEvent) => observer.next?.(e);
  return (e) => next(safeEvent(e));
}
