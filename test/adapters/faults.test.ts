/**
 * Faults, not mocks (spec §3.2 guarantee, I1): a real etcd SIGKILLed and restarted under a loop of
 * bumps; 8 concurrent bumpers on one key against etcd, and against LMDB from 8 separate processes.
 * Every acknowledged bump is strictly greater than the one committed before it, no epoch is
 * returned twice, and every failure is typed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CasExhaustedError,
  EtcdEpochStore,
  LmdbEpochStore,
  StoreUnavailableError,
  type EpochStore,
  type Versioned,
  type ChangefeedInfo,
} from '../../adapters/index.js';
import { EtcdServer, etcdAvailable } from '../helpers/etcd.js';

const run = promisify(execFile);
const info = { epoch: 1n, state: 'normal' as const, error: null, config: {} };
const status = { checkpointTs: 1n, progress: 'None' as const };

/** Successes ordered by commit (revision) must have strictly increasing, distinct epochs. */
function expectCommitOrdered(acks: Array<{ epoch: bigint; revision: bigint }>) {
  const byCommit = [...acks].sort((a, b) => (a.revision < b.revision ? -1 : a.revision > b.revision ? 1 : 0));
  for (let i = 1; i < byCommit.length; i++) {
    expect(byCommit[i]!.revision > byCommit[i - 1]!.revision, 'two acks share a commit revision').toBe(true);
    expect(byCommit[i]!.epoch > byCommit[i - 1]!.epoch, `epoch ${byCommit[i]!.epoch} committed after ${byCommit[i - 1]!.epoch}`).toBe(true);
  }
  expect(new Set(acks.map((a) => a.epoch)).size).toBe(acks.length);
}

async function contend(store: EpochStore, bumpers: number, each: number) {
  const acks: Array<{ epoch: bigint; revision: bigint }> = [];
  const errors: unknown[] = [];
  await Promise.all(
    Array.from({ length: bumpers }, async () => {
      for (let i = 0; i < each; i++) {
        try {
          const r: Versioned<ChangefeedInfo> = await store.bumpEpoch('cf', 0n);
          acks.push({ epoch: r.value.epoch, revision: r.revision });
        } catch (e) {
          errors.push(e);
        }
      }
    }),
  );
  return { acks, errors };
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe.skipIf(!etcdAvailable)('etcd under faults', () => {
  let server: EtcdServer;
  afterAll(async () => server?.stop());

  it('SIGKILL and restart during a loop of bumps: acks strictly increase, no epoch twice, failures typed', async () => {
    server = await EtcdServer.start();
    const store = EtcdEpochStore.connect({ hosts: server.endpoint, callTimeoutMs: 800, policy: { casDelayMs: 5 } });
    await store.create('cf', info, status);
    const acks: bigint[] = [];
    const failures: unknown[] = [];
    let killedAt = -1;
    let restarted = false;
    for (let i = 0; acks.length < 60 || !restarted; i++) {
      if (acks.length === 20 && killedAt < 0) {
        killedAt = i;
        await server.kill();
        setTimeout(() => void server.launch().then(() => (restarted = true)), 1500);
      }
      try {
        acks.push((await store.bumpEpoch('cf', 0n)).value.epoch);
      } catch (e) {
        failures.push(e);
        await new Promise((r) => setTimeout(r, 50));
      }
      if (i > 5000) throw new Error('the loop did not recover after the restart');
    }
    await store.close();
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) {
      expect(f).toBeInstanceOf(StoreUnavailableError);
      expect(typeof (f as StoreUnavailableError).maybeApplied).toBe('boolean');
    }
    for (let i = 1; i < acks.length; i++) expect(acks[i]! > acks[i - 1]!).toBe(true);
    expect(new Set(acks).size).toBe(acks.length);
    // A maybe-applied bump may have moved the epoch past the last ack, never below it.
    const check = EtcdEpochStore.connect({ hosts: server.endpoint });
    const stored = (await check.get('cf')).info.value.epoch;
    expect(stored >= acks[acks.length - 1]!).toBe(true);
    // Every stored bump that was never acknowledged must have been reported as maybe applied.
    const applied = Number(stored - 1n);
    const maybe = failures.filter((f) => (f as StoreUnavailableError).maybeApplied).length;
    expect(applied - acks.length).toBeLessThanOrEqual(maybe);
    await check.close();
  }, 60_000);

  it('8 concurrent bumpers on one key: each call succeeds or reports CAS exhaustion; epochs distinct and commit-ordered', async () => {
    server ??= await EtcdServer.start();
    const store = EtcdEpochStore.connect({ hosts: server.endpoint, layout: { prefix: '/contend' } });
    await store.create('cf', info, status);
    const { acks, errors } = await contend(store, 8, 15);
    await store.close();
    for (const e of errors) expect(e).toBeInstanceOf(CasExhaustedError);
    expect(acks.length + errors.length).toBe(120);
    expect(acks.length).toBeGreaterThan(0);
    expectCommitOrdered(acks);
  }, 60_000);
});

describe('LMDB under contention', () => {
  it('8 separate processes bump one key: every call succeeds or reports CAS exhaustion; epochs distinct and commit-ordered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opcharts-lmdb-mp-'));
    dirs.push(dir);
    const setup = LmdbEpochStore.open(dir);
    await setup.create('cf', info, status);
    await setup.close();
    const bumper = join(import.meta.dirname, '..', 'helpers', 'lmdb-bumper.ts');
    const outs = await Promise.all(
      Array.from({ length: 8 }, () => run(process.execPath, ['--import', 'tsx', bumper, dir, 'cf', '25'], { cwd: join(import.meta.dirname, '..', '..') })),
    );
    const lines = outs.flatMap((o) => o.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>));
    expect(lines).toHaveLength(200);
    const acks = lines.filter((l) => l.epoch).map((l) => ({ epoch: BigInt(l.epoch!), revision: BigInt(l.revision!) }));
    for (const l of lines.filter((x) => x.error)) expect(l.error).toBe('CAS_EXHAUSTED');
    expect(acks.length).toBeGreaterThan(0);
    expectCommitOrdered(acks);
    const check = LmdbEpochStore.open(dir);
    const max = acks.reduce((m, a) => (a.epoch > m ? a.epoch : m), 0n);
    expect((await check.get('cf')).info.value.epoch).toBe(max);
    await check.close();
  }, 60_000);
});
