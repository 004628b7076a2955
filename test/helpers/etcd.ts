/**
 * A real etcd for tests: Debian's /usr/bin/etcd on free 127.0.0.1 ports with a temporary data
 * directory, ready when /health answers, stopped by its PID (also on process exit). Can be
 * killed with SIGKILL and restarted on the same ports and data, for fault tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd';
export const etcdAvailable = existsSync(ETCD_BIN);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();
function killAll(): void {
  for (const p of running) p.kill('SIGKILL');
}
// Never leave an etcd behind: on a normal exit, and when the test process is told to stop.
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    // Keep the signal's meaning: terminate, unless someone else handles it.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

export class EtcdServer {
  private proc: ChildProcess | undefined;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'opcharts-etcd-'));
  private constructor(
    readonly clientPort: number,
    readonly peerPort: number,
    readonly metricsPort: number,
  ) {}

  static async start(): Promise<EtcdServer> {
    const s = new EtcdServer(await freePort(), await freePort(), await freePort());
    await s.launch();
    return s;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  async launch(): Promise<void> {
    const c = `http://127.0.0.1:${this.clientPort}`;
    const p = `http://127.0.0.1:${this.peerPort}`;
    const proc = spawn(
      ETCD_BIN,
      [
        '--name', 't', '--data-dir', this.dataDir,
        '--listen-client-urls', c, '--advertise-client-urls', c,
        '--listen-peer-urls', p, '--initial-advertise-peer-urls', p,
        '--initial-cluster', `t=${p}`, '--initial-cluster-state', 'new',
        '--listen-metrics-urls', `http://127.0.0.1:${this.metricsPort}`,
      ],
      { stdio: 'ignore' },
    );
    this.proc = proc;
    running.add(proc);
    let exited: number | string | null = null;
    proc.on('exit', (code, signal) => {
      running.delete(proc);
      exited = code ?? signal;
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (exited !== null) throw new Error(`etcd exited (${exited}) before it became healthy on ${c}`);
      try {
        const r = await fetch(`${c}/health`);
        if ((await r.json()).health === 'true') return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`etcd did not become healthy on ${c}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGKILL, as a crash: no clean shutdown. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
