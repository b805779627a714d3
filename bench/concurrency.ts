/**
 * Concurrent creates (issue 4): --clients clients create --volumes replica 3 volumes (seeded random 1-10 GiB)
 * as fast as the server lets them, on a real server in this process (auth on, MOCK executor whose every call
 * takes --latency-ms, to model real nodes), with the default max_inflight_operations (8) unless --inflight.
 *
 * Reports throughput (creates/s over the whole run), latency per create (POST to the volume's JSON), the 429
 * answers (the client's own retry is off and done by a counting wrapper: they should be 0, the server queues
 * while it has room), the longest waiting line seen, and then checks through the API that no device is
 * over-committed: every device's free >= 0 and used == the sum of its bricks' reservations (GET /devices/{id}
 * against GET /db/dump), GET /db/check has no problem, and the mock nodes agree with the database.
 *
 * Prints figures; never fails on timing (exit code 1 only if a create failed or the books do not balance).
 *
 * Run: npm run build && node dist/bench/concurrency.js [--db=postgres,pglite] [--latency-ms=0,50] ...
 */
import { cpus } from 'node:os';
import { dbFlag, intFlag, intListFlag, parseFlags, loadAverage, TOPOLOGY_FLAG_DEFAULTS, topologyFlags } from './support/args';
import { checkAccounting, deviceBaseline } from './support/check';
import { PG_ADMIN_URL, buildTopology, startBenchServer, type DbKind } from './support/server';
import { runClients } from './support/run-clients';
import { sampleServer } from './support/server-sampler';
import { ms, prng, summarize, table, type Summary } from './support/stats';

const USAGE = `node dist/bench/concurrency.js [flags]
  --db=postgres,pglite     databases to run on (pglite, postgres or both)
  --pglite=dir|memory      PGlite in a temporary directory (as deployed) or in memory
  --clients=32             concurrent clients
  --volumes=256            creates in all
  --latency-ms=0,50        mock executor latency per call; one run each
  --inflight=0             max_inflight_operations (0: the server's default, 8)
  --max-queued=0           max_queued_operations (0: the server's default, 1024); small values show the 429 path
  --poll-ms=5              queue poll interval of each client
  --poll-max-ms=0          when above --poll-ms: first poll after --poll-ms, then doubling up to this
  --nodes=9 --zones=3 --devices=2 --device-gib=2000   topology (mock devices)
  --min-gib=1 --max-gib=10 volume sizes`;

const flags = parseFlags(
  process.argv.slice(2),
  {
    db: 'postgres,pglite',
    pglite: 'dir',
    clients: '32',
    volumes: '256',
    'latency-ms': '0,50',
    inflight: '0',
    'max-queued': '0',
    'poll-ms': '5',
    'poll-max-ms': '0',
    ...TOPOLOGY_FLAG_DEFAULTS,
    'device-gib': '2000',
    'min-gib': '1',
    'max-gib': '10',
  },
  USAGE,
);
const CLIENTS = intFlag(flags, 'clients');
const VOLUMES = intFlag(flags, 'volumes');
const POLL_MS = intFlag(flags, 'poll-ms');
const POLL_MAX_MS = intFlag(flags, 'poll-max-ms');
const POLLING = POLL_MAX_MS > POLL_MS ? `polled after ${POLL_MS} ms, doubling up to ${POLL_MAX_MS} ms` : `polled every ${POLL_MS} ms`;
const INFLIGHT = intFlag(flags, 'inflight');
const MAX_QUEUED = intFlag(flags, 'max-queued');
const MIN_GIB = intFlag(flags, 'min-gib');
const MAX_GIB = intFlag(flags, 'max-gib');

interface RunResult {
  db: DbKind;
  latencyMs: number;
  inflight: number;
  perSecond: number;
  create: Summary;
  rejected: number;
  failed: number;
  pollsPerCreate: number;
  /** CPU time of the server's process (all its threads; PostgreSQL's own processes not included) per create. */
  serverCpuMsPerCreate: number;
  maxQueued: number;
  poolWaiters: number;
  lockWaiters: number;
  accounting: string;
  problems: string[];
}

async function runOnce(db: DbKind, latencyMs: number): Promise<RunResult> {
  const server = await startBenchServer({
    db,
    pglite: flags.pglite === 'memory' ? 'memory' : 'dir',
    glusterfs: {
      ...(INFLIGHT > 0 ? { max_inflight_operations: INFLIGHT } : {}),
      ...(MAX_QUEUED > 0 ? { max_queued_operations: MAX_QUEUED } : {}),
      mockexec: { device_size_gib: intFlag(flags, 'device-gib'), device_sizes: {} },
    },
  });
  try {
    const admin = server.client(POLL_MS);
    const topology = await buildTopology(admin, topologyFlags(flags));
    const baseline = await deviceBaseline(admin, server.mock, topology);
    const random = prng(3);
    const sizes = Array.from({ length: VOLUMES }, () => MIN_GIB + Math.floor(random() * (MAX_GIB - MIN_GIB + 1)));
    server.mock.latencyMs = latencyMs;

    const sampler = sampleServer(server.container, PG_ADMIN_URL);
    const cpuBefore = process.cpuUsage();
    const load = await runClients({ url: server.url, clients: CLIENTS, sizes, pollMs: POLL_MS, pollMaxMs: POLL_MAX_MS });
    const cpu = process.cpuUsage(cpuBefore);
    const sample = await sampler.stop();
    server.mock.latencyMs = 0;

    const report = await checkAccounting(admin, server.mock, topology, baseline);
    const problems = [...report.problems, ...load.errors.map((e) => `create failed: ${e}`)];
    if (report.volumes !== VOLUMES - load.failed) problems.push(`${report.volumes} volumes recorded, ${VOLUMES - load.failed} created`);
    return {
      db,
      latencyMs,
      inflight: server.container.config.glusterfs.max_inflight_operations,
      perSecond: (load.latencies.length / load.wallMs) * 1000,
      create: summarize(load.latencies),
      rejected: load.rejected,
      failed: load.failed,
      pollsPerCreate: load.polls / Math.max(1, load.latencies.length),
      serverCpuMsPerCreate: (cpu.user + cpu.system) / 1000 / Math.max(1, load.latencies.length),
      maxQueued: sample.maxQueued,
      poolWaiters: sample.meanPoolWaiters,
      lockWaiters: sample.meanLockWaiters,
      accounting:
        problems.length === 0
          ? `ok: ${report.devices} devices, ${report.bricks} bricks, min free ${(report.minFreeKib / 1048576).toFixed(0)} GiB`
          : `${problems.length} PROBLEMS`,
      problems,
    };
  } finally {
    await server.close();
  }
}

async function main(): Promise<void> {
  const latencies = intListFlag(flags, 'latency-ms');
  console.log(
    `concurrency: ${CLIENTS} clients create ${VOLUMES} replica 3 volumes of ${MIN_GIB}-${MAX_GIB} GiB; auth on; ` +
      `mock executor; queue ${POLLING}; latency = POST to volume JSON`,
  );
  console.log(`machine: ${cpus().length} cpus, load average ${loadAverage()}`);
  const results: RunResult[] = [];
  for (const db of dbFlag(flags)) {
    for (const latencyMs of latencies) {
      const r = await runOnce(db, latencyMs);
      results.push(r);
      console.log(
        `[${db}, executor ${latencyMs} ms/call] ${r.perSecond.toFixed(1)} creates/s, p50 ${ms(r.create.p50, 0)}, ` +
          `p95 ${ms(r.create.p95, 0)}, 429s ${r.rejected}, failed ${r.failed}, longest queue ${r.maxQueued}; ${r.accounting}`,
      );
      for (const p of r.problems.slice(0, 10)) console.log(`    ${p}`);
    }
  }
  console.log(
    `\n${table(
      [
        ...['db', 'executor/call', 'inflight', 'creates/s', 'p50', 'p95', 'max', '429s', 'failed', 'polls/create'],
        ...['server CPU/create', 'max queued', 'pool waits', 'lock waits', 'devices'],
      ],
      results.map((r) => [
        r.db,
        `${r.latencyMs} ms`,
        String(r.inflight),
        r.perSecond.toFixed(1),
        ms(r.create.p50, 0),
        ms(r.create.p95, 0),
        ms(r.create.max, 0),
        String(r.rejected),
        String(r.failed),
        r.pollsPerCreate.toFixed(1),
        ms(r.serverCpuMsPerCreate),
        String(r.maxQueued),
        Number.isNaN(r.poolWaiters) ? '-' : r.poolWaiters.toFixed(1),
        Number.isNaN(r.lockWaiters) ? '-' : r.lockWaiters.toFixed(1),
        r.problems.length === 0 ? 'ok' : 'PROBLEMS',
      ]),
    )}`,
  );
  console.log(
    "server CPU/create: CPU time of the server's process (PGlite included, PostgreSQL's processes not) per create\n" +
      'max queued: longest line of operations waiting for a slot\n' +
      'pool waits: mean callers waiting for a database connection; lock waits: mean PostgreSQL backends waiting for a row lock',
  );
  console.log('(Heketi: 58.6 creates/s, p95 2.76 s, 923 requests rejected with 429 and retried)');
  console.log(`load average at the end: ${loadAverage()}`);
  if (results.some((r) => r.problems.length > 0)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
