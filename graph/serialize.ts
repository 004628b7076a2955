/**
 * Stable, bigint-safe serialisation for state keys and event labels. `JSON.stringify` throws on a
 * bigint, and every epoch in opcharts is one.
 */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    }
    return v;
  });
}

/** `TYPE (field=value, ...)` with uint64 in decimal, for path listings and test names. */
export function formatEvent(event: { type: string } & Record<string, unknown>): string {
  const fields = Object.entries(event)
    .filter(([k]) => k !== 'type')
    .map(([k, v]) => `${k}=${typeof v === 'bigint' ? v.toString() : typeof v === 'string' ? v : toJson(v)}`);
  return fields.length ? `${event.type}(${fields.join(', ')})` : event.type;
}

/** JSON for machine readers: uint64 as decimal strings (never numbers), keys in stable order. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString(10) : v));
}
