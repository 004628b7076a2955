/** Terminal conventions: colour only on a TTY and never with NO_COLOR; progress bars only on a TTY. */
import cliProgress from 'cli-progress';

export const useColor = (stream: NodeJS.WriteStream = process.stdout) =>
  Boolean(stream.isTTY) && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '');

const wrap = (code: number, reset: number) => (s: string) => (useColor() ? `\u001b[${code}m${s}\u001b[${reset}m` : s);
export const green = wrap(32, 39);
export const red = wrap(31, 39);
export const bold = wrap(1, 22);
export const dim = wrap(2, 22);

/** A progress bar on a TTY, nothing otherwise. */
export function progress(total: number, label: string) {
  if (!process.stdout.isTTY || total === 0) return { tick: (_name?: string) => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} {name}`, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { name: '' });
  return { tick: (name = '') => bar.increment(1, { name }), stop: () => bar.stop() };
}
