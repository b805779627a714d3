/**
 * Side by side (issue 12): Brickyard on PGlite (the default) and on PostgreSQL, each started as deployed in its
 * own process (`node dist/src/main.js`, mock executor, auth on), and optionally a Heketi-compatible server
 * started elsewhere (--heketi-url, e.g. `heketi --config=heketi.json` with "executor": "mock"), measured in one
 * run by the same client, so the machine's load falls on all of them alike:
 *
 *  - --creates sequential replica 3 creates (seeded 1-10 GiB), one keep-alive client taking the servers in
 *    turn request by request; p50 and p95 per server (POST to the volume's JSON, queue polled every --poll-ms);
 *  - then as many deletes, the same way;
 *  - --clients clients x --volumes creates against one server at a time (clients in a child process):
 *    creates/s, 429 answers (counted, then retried), p95, and for Brickyard the server's CPU time per create;
 *  - with --baseline=DIR, another build of Brickyard (a checkout of the previous commit, built) runs beside this one
 *    on each database, so that a change is measured against what it replaces in the same run;
 *  - Brickyard's resident memory right after start, after the runs, and, for PGlite, the start-up time on the
 *    now existing data directory and the resident memory right after it; then a kill -9 check: a create that
 *    answered is there after the server is killed and started again.
 *
 * Every step runs --rounds times; the order of the servers turns each round. Prints figures, never fails on
 * timing (exit code 1 only if a create or delete failed, or a created volume was lost to kill -9).
 *
 * Run: npm run build && node dist/bench/side-by-side.js [--heketi-url=http://127.0.0.1:8080 --heketi-key=...]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dbFlag, intFlag, parseFlags, loadAverage, TOPOLOGY_FLAG_DEFAULTS, topologyFlags } from './support/args';
import { CountingClient, replica3 } from './support/counting-client';
import type { LoadResult } from './support/load-worker';
import { startProcessServer, type ProcessServer } from './support/process-server';
import { runClients } from './support/run-clients';
import { buildTopology, scratchDatabase } from './support/server';
import { ms, prng, since, summarize, table } from './support/stats';

const USAGE = `node dist/bench/side-by-side.js [flags]
  --heketi-url=URL         a Heketi-compatible server already running (mock executor); none: Brickyard only
  --heketi-user=admin --heketi-key=KEY   its admin credentials (use_auth)
  --db=pglite,postgres     Brickyard's databases
  --baseline=DIR           also run the Brickyard built in DIR (e.g. a worktree of the previous commit after
                           npm run build) on each database, beside this build
  --node-flags=F1,F2       node flags for this build's servers (e.g. --max-semi-space-size=4)
  --baseline-node-flags=F1,F2   the same for the baseline's servers
  --creates=200            sequential creates (then deletes) per server and round
  --clients=32 --volumes=256   the concurrent run
  --rounds=2               repeats of every step, server order turned each round
  --poll-ms=5              queue poll interval
  --nodes=9 --zones=3 --devices=2   topology built on each server through its API
  --fill=0                 after the rounds, fill each Brickyard to this many volumes through the API (16
                           clients) and measure its memory and restart there (issue 12: 10000)
  --device-gib=100000      Brickyard's mock device size
  --idle-s=65              after the runs (and after the fill), seconds of idleness before resident memory is
                           read again (V8 gives back heap it grew under load only after some idle time)`;

const flags = parseFlags(
  process.argv.slice(2),
  {
    'heketi-url': '',
    'heketi-user': 'admin',
    'heketi-key': '',
    db: 'pglite,postgres',
    baseline: '',
    'node-flags': '',
    'baseline-node-flags': '',
    creates: '200',
    clients: '32',
    volumes: '256',
    rounds: '2',
    'poll-ms': '5',
    ...TOPOLOGY_FLAG_DEFAULTS,
    fill: '0',
    'device-gib': '100000',
    'idle-s': '65',
  },
  USAGE,
);
const CREATES = intFlag(flags, 'creates');
const CLIENTS = intFlag(flags, 'clients');
const VOLUMES = intFlag(flags, 'volumes');
const ROUNDS = intFlag(flags, 'rounds');
const POLL_MS = intFlag(flags, 'poll-ms');
const FILL = intFlag(flags, 'fill');
const IDLE_MS = intFlag(flags, 'idle-s') * 1000;

/** Every Brickyard's resident memory after IDLE_MS without requests. */
async function rssAfterIdle(targets: Target[]): Promise<Map<Target, number>> {
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  return new Map(targets.filter((t) => t.server).map((t) => [t, t.server!.rssMb()]));
}
const nodeFlags = (name: string): string[] => (flags[name] ? flags[name].split(',') : []);

/** A build of Brickyard to start: this one, or the one in --baseline. */
interface Build {
  label: string;
  main?: string;
  nodeFlags: string[];
}

function builds(): Build[] {
  const own: Build = { label: 'Brickyard', nodeFlags: nodeFlags('node-flags') };
  if (!flags.baseline) return [own];
  const main = join(flags.baseline, 'dist', 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`--baseline: ${main} is missing (run npm run build in ${flags.baseline})`);
  let rev = flags.baseline;
  try {
    rev = execFileSync('git', ['-C', flags.baseline, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout: named by its directory
  }
  return [own, { label: `baseline ${rev}`, main, nodeFlags: nodeFlags('baseline-node-flags') }];
}

interface Target {
  name: string;
  url: string;
  credentials: { user: string; key: string };
  /** Brickyard only: its process, how to start it again, and how to remove its data. */
  server?: ProcessServer;
  build?: Build;
  db?: string;
  dbKind?: 'pglite' | 'postgres';
  remove?: () => Promise<void>;
  rssAfterStartMb?: number;
  createMs: number[][];
  deleteMs: number[][];
  load: Array<LoadResult & { cpuMsPerCreate?: number }>;
}

const adminCredentials = { user: 'admin', key: 'bench-admin-key' };

function startServer(build: Build, db: string, workDir: string): Promise<ProcessServer> {
  return startProcessServer({ db, workDir, glusterfs: glusterfsSettings(), main: build.main, nodeFlags: build.nodeFlags });
}

async function startBrickyard(build: Build, kind: 'pglite' | 'postgres', workDir: string): Promise<Target> {
  const { setting: db, remove } = await scratchDatabase({ db: kind }, workDir);
  const server = await startServer(build, db, workDir);
  const target: Target = {
    name: `${build.label}, ${kind === 'pglite' ? 'PGlite' : 'PostgreSQL'}`,
    url: server.url,
    credentials: adminCredentials,
    server,
    build,
    db,
    dbKind: kind,
    remove,
    rssAfterStartMb: server.rssMb(),
    createMs: [],
    deleteMs: [],
    load: [],
  };
  console.log(`${target.name}: started in ${(server.startupMs / 1000).toFixed(2)} s (new database), ${target.rssAfterStartMb!.toFixed(0)} MB resident`);
  return target;
}

function glusterfsSettings(): Record<string, unknown> {
  return { max_volumes_per_cluster: 100_000, mockexec: { device_size_gib: intFlag(flags, 'device-gib'), device_sizes: {} } };
}

const client = (t: Target): CountingClient => new CountingClient(t.url, POLL_MS, undefined, t.credentials);
const turned = <T>(items: T[], round: number): T[] => items.map((_, i) => items[(i + round) % items.length]!);

/** Sequential creates then deletes, the servers taken in turn request by request. */
async function sequential(targets: Target[], round: number): Promise<void> {
  const clients = new Map(targets.map((t) => [t, client(t)]));
  const random = prng(100 + round);
  const ids = new Map<Target, string[]>(targets.map((t) => [t, []]));
  const creates = new Map<Target, number[]>(targets.map((t) => [t, []]));
  const deletes = new Map<Target, number[]>(targets.map((t) => [t, []]));
  for (let i = 0; i < CREATES; i += 1) {
    const size = 1 + Math.floor(random() * 10);
    for (const t of turned(targets, i + round)) {
      const start = performance.now();
      const volume = await clients.get(t)!.volumeCreate(replica3(size));
      creates.get(t)!.push(since(start));
      ids.get(t)!.push(String(volume.id));
    }
  }
  for (let i = 0; i < CREATES; i += 1) {
    for (const t of turned(targets, i + round)) {
      const start = performance.now();
      await clients.get(t)!.volumeDelete(ids.get(t)![i]!);
      deletes.get(t)!.push(since(start));
    }
  }
  for (const t of targets) {
    t.createMs.push(creates.get(t)!);
    t.deleteMs.push(deletes.get(t)!);
  }
}

/** The concurrent run on each server in turn; its volumes are deleted afterwards (untimed, 16 at a time). */
async function concurrent(targets: Target[], round: number): Promise<void> {
  const random = prng(200 + round);
  const sizes = Array.from({ length: VOLUMES }, () => 1 + Math.floor(random() * 10));
  for (const t of turned(targets, round)) {
    const cpuBefore = t.server?.cpuMs();
    const result = await runClients({ url: t.url, clients: CLIENTS, sizes, pollMs: POLL_MS, pollMaxMs: 0, credentials: t.credentials });
    const cpuMsPerCreate = t.server ? (t.server.cpuMs() - cpuBefore!) / VOLUMES : undefined;
    t.load.push({ ...result, cpuMsPerCreate });
    const ids = ((await client(t).volumeList()).volumes as string[]).slice();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        const c = client(t);
        for (let id = ids.pop(); id !== undefined; id = ids.pop()) {
          // A volume listed while its failed create was being undone is gone by its delete: nothing to do.
          await c.volumeDelete(id).catch((err: { status?: number }) => {
            if (err.status !== 404) throw err;
          });
        }
      }),
    );
  }
}

/** PGlite: start-up on the existing data directory; every Brickyard: a create that answered survives kill -9. */
async function restartChecks(t: Target, workDir: string): Promise<{ startupMs: number; rssMb: number; survived: boolean }> {
  const c = client(t);
  const volume = await c.volumeCreate(replica3(1));
  await t.server!.kill9();
  t.server = await startServer(t.build!, t.db!, workDir);
  t.url = t.server.url;
  const startupMs = t.server.startupMs;
  const rssMb = t.server.rssMb();
  const listed = (await client(t).volumeList()).volumes as string[];
  return { startupMs, rssMb, survived: listed.includes(String(volume.id)) };
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'brickyard-side-'));
  const targets: Target[] = [];
  let failed = false;
  console.log(`side-by-side: replica 3 volumes of 1-10 GiB, mock executors, auth on, queue polled every ${POLL_MS} ms`);
  console.log(`machine: ${cpus().length} cpus (${cpus()[0]?.model ?? '?'}), load average ${loadAverage()}`);
  try {
    if (flags['heketi-url']) {
      targets.push({
        name: 'Heketi',
        url: flags['heketi-url'],
        credentials: { user: flags['heketi-user']!, key: flags['heketi-key']! },
        createMs: [],
        deleteMs: [],
        load: [],
      });
    } else {
      console.log('no --heketi-url: Brickyard only (no Heketi binary on this machine)');
    }
    const toStart = builds();
    for (const kind of dbFlag(flags)) for (const build of toStart) targets.push(await startBrickyard(build, kind, workDir));
    const shape = topologyFlags(flags);
    for (const t of targets) await buildTopology(client(t), shape);

    for (let round = 0; round < ROUNDS; round += 1) {
      await sequential(targets, round);
      await concurrent(targets, round);
      console.log(`round ${round + 1} of ${ROUNDS} done, load average ${loadAverage()}`);
    }
    const rssAfterRuns = new Map(targets.filter((t) => t.server).map((t) => [t, t.server!.rssMb()]));
    const rssIdleAfterRuns = await rssAfterIdle(targets);
    const filled = new Map<Target, { seconds: number; rssMb: number }>();
    for (const t of FILL > 0 ? targets.filter((x) => x.server) : []) {
      const random = prng(300);
      const sizes = Array.from({ length: FILL }, () => 1 + Math.floor(random() * 10));
      const start = performance.now();
      const result = await runClients({ url: t.url, clients: 16, sizes, pollMs: 20, pollMaxMs: 0, credentials: t.credentials });
      if (result.failed > 0) throw new Error(`${t.name}: ${result.failed} fill creates failed: ${result.errors.join('; ')}`);
      filled.set(t, { seconds: since(start) / 1000, rssMb: t.server!.rssMb() });
      console.log(`${t.name}: filled to ${FILL} volumes in ${filled.get(t)!.seconds.toFixed(0)} s, ${filled.get(t)!.rssMb.toFixed(0)} MB resident`);
    }
    const rssIdleAfterFill = FILL > 0 ? await rssAfterIdle(targets) : new Map<Target, number>();
    const restarts = new Map<Target, Awaited<ReturnType<typeof restartChecks>>>();
    for (const t of targets.filter((x) => x.server)) restarts.set(t, await restartChecks(t, workDir));

    const perRound = (values: string[]): string => values.join(' / ');
    const mb = (value: number | undefined): string => (value === undefined ? '-' : `${value.toFixed(0)} MB`);
    const rows: string[][] = [
      ['sequential creates, p50', ...targets.map((t) => perRound(t.createMs.map((m) => ms(summarize(m).p50))))],
      ['sequential creates, p95', ...targets.map((t) => perRound(t.createMs.map((m) => ms(summarize(m).p95))))],
      ['then deletes, p50', ...targets.map((t) => perRound(t.deleteMs.map((m) => ms(summarize(m).p50))))],
      [
        `${CLIENTS} clients, ${VOLUMES} creates: creates/s`,
        ...targets.map((t) => perRound(t.load.map((l) => ((1000 * l.latencies.length) / l.wallMs).toFixed(1)))),
      ],
      ['  429 answers', ...targets.map((t) => perRound(t.load.map((l) => String(l.rejected))))],
      ['  p95', ...targets.map((t) => perRound(t.load.map((l) => ms(summarize(l.latencies).p95, 0))))],
      ['  server CPU per create', ...targets.map((t) => perRound(t.load.map((l) => (l.cpuMsPerCreate === undefined ? '-' : ms(l.cpuMsPerCreate)))))],
      ['resident memory right after start', ...targets.map((t) => mb(t.rssAfterStartMb))],
      ['resident memory after the runs', ...targets.map((t) => mb(rssAfterRuns.get(t)))],
      [`  then after ${IDLE_MS / 1000} s idle`, ...targets.map((t) => mb(rssIdleAfterRuns.get(t)))],
      [`resident memory at ${FILL} volumes`, ...targets.map((t) => mb(filled.get(t)?.rssMb))],
      [`  then after ${IDLE_MS / 1000} s idle`, ...targets.map((t) => mb(rssIdleAfterFill.get(t)))],
      ['start-up on the existing database', ...targets.map((t) => (restarts.has(t) ? `${(restarts.get(t)!.startupMs / 1000).toFixed(2)} s` : '-'))],
      ['resident memory right after that start', ...targets.map((t) => mb(restarts.get(t)?.rssMb))],
      ['create that answered, after kill -9', ...targets.map((t) => (restarts.has(t) ? (restarts.get(t)!.survived ? 'kept' : 'LOST') : '-'))],
    ];
    console.log(`\n${table(['workload (one figure per round)', ...targets.map((t) => t.name)], rows)}`);
    for (const t of targets) {
      const failures = t.load.reduce((n, l) => n + l.failed, 0);
      if (failures > 0) {
        failed = true;
        console.log(`${t.name}: ${failures} concurrent creates failed: ${t.load.flatMap((l) => l.errors).slice(0, 3).join('; ')}`);
      }
      if (restarts.get(t)?.survived === false) failed = true;
    }
    console.log(`load average at the end: ${loadAverage()}`);
  } finally {
    for (const t of targets) {
      await t.server?.stop();
      await t.remove?.();
    }
    rmSync(workDir, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
