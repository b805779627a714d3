/**
 * Create and delete latency through the HTTP API as the number of existing volumes grows (issues 3 and 4).
 *
 * A real server in this process on a real socket: auth on (a fresh JWT per request, as Heketi's client
 * signs them), MOCK executor (no storage nodes, no latency), on a scratch PostgreSQL database and on PGlite
 * (a temporary directory, as deployed). One client creates replica 3 volumes one after the other (seeded
 * random 1-10 GiB), then deletes them; each create is timed from the POST to the volume's JSON (the 303
 * target), each delete from the DELETE to the queue's 204. The queue is polled every --poll-ms (5 ms, not the
 * Go client's 400 ms, so the figure is the server's time and not the poll interval's).
 *
 * Between levels the server is filled to 0, 2,000 and 10,000 existing volumes: by default through the API with
 * 16 concurrent clients (what real creates leave, operation rows and all), or with --fill=db through the
 * repositories in transactions of 500 (see bench/support/fill.ts; checked against the API's result first).
 *
 * Prints figures; never fails on timing (it stops only if the filled state is inconsistent).
 *
 * Run: npm run build && node dist/bench/api-latency.js [--db=postgres,pglite] [--levels=0,1000,10000] ...
 */
import { cpus } from 'node:os';
import { dbFlag, intFlag, intListFlag, parseFlags, loadAverage, TOPOLOGY_FLAG_DEFAULTS, topologyFlags } from './support/args';
import { checkAccounting, deviceBaseline, deviceStates, type DeviceBaseline } from './support/check';
import { fillThroughRepositories } from './support/fill';
import {
  buildTopology,
  replica3,
  startBenchServer,
  type BenchServer,
  type CountingClient,
  type DbKind,
  type Topology,
} from './support/server';
import { QueryStats } from './support/query-stats';
import { ms, prng, since, summarize, table, type Summary } from './support/stats';

const USAGE = `node dist/bench/api-latency.js [flags]
  --db=postgres,pglite     databases to run on (pglite, postgres or both)
  --pglite=dir|memory      PGlite in a temporary directory (as deployed) or in memory
  --levels=0,2000,10000    existing volumes at which to measure
  --samples=100            timed creates (then deletes) per level
  --warmup=30              untimed creates and deletes before each level
  --fill=api|db            how to reach a level: the API (the default, as issue 12 asks), or the repositories in big transactions
  --fill-clients=16        concurrent clients for --fill=api
  --check-fill=100         first create this many through the API and through the fill, and compare (0: skip)
  --poll-ms=5              queue poll interval of the timed client
  --nodes=9 --zones=3 --devices=2 --device-gib=100000   topology (mock devices)
  --min-gib=1 --max-gib=10 volume sizes
  --query-stats            also print, per level, the statements that took the most time per create`;

const flags = parseFlags(
  process.argv.slice(2),
  {
    db: 'postgres,pglite',
    pglite: 'dir',
    levels: '0,2000,10000',
    samples: '100',
    warmup: '30',
    fill: 'api',
    'fill-clients': '16',
    'check-fill': '100',
    'poll-ms': '5',
    ...TOPOLOGY_FLAG_DEFAULTS,
    'device-gib': '100000',
    'min-gib': '1',
    'max-gib': '10',
    'query-stats': 'false',
  },
  USAGE,
);
const LEVELS = intListFlag(flags, 'levels').sort((a, b) => a - b);
const SAMPLES = intFlag(flags, 'samples');
const WARMUP = intFlag(flags, 'warmup');
const POLL_MS = intFlag(flags, 'poll-ms');
const MIN_GIB = intFlag(flags, 'min-gib');
const MAX_GIB = intFlag(flags, 'max-gib');
const FILL = flags.fill;
if (FILL !== 'db' && FILL !== 'api') {
  console.error(`--fill takes db or api\n\n${USAGE}`);
  process.exit(2);
}

/** Heketi v10, mock executor, median create (from the issue). */
const HEKETI_MEDIAN_MS: Record<number, number> = { 0: 9, 1000: 77, 2000: 352 };

function sizeStream(seed: number): () => number {
  const random = prng(seed);
  return () => MIN_GIB + Math.floor(random() * (MAX_GIB - MIN_GIB + 1));
}

interface Timed {
  /** Request to answer, per operation. */
  ms: number[];
  /** Of that, time inside (mock) executor calls. */
  executorMs: number[];
}

async function timedCreates(
  server: BenchServer,
  client: CountingClient,
  count: number,
  size: () => number,
): Promise<Timed & { ids: string[] }> {
  const result = { ids: [] as string[], ms: [] as number[], executorMs: [] as number[] };
  for (let i = 0; i < count; i += 1) {
    const before = server.executorTimer.ms;
    const start = performance.now();
    const volume = await client.volumeCreate(replica3(size()));
    result.ms.push(since(start));
    result.executorMs.push(server.executorTimer.ms - before);
    result.ids.push(String(volume.id));
  }
  return result;
}

async function timedDeletes(server: BenchServer, client: CountingClient, ids: string[]): Promise<Timed> {
  const result = { ms: [] as number[], executorMs: [] as number[] };
  for (const id of ids) {
    const before = server.executorTimer.ms;
    const start = performance.now();
    await client.volumeDelete(id);
    result.ms.push(since(start));
    result.executorMs.push(server.executorTimer.ms - before);
  }
  return result;
}

/** Creates `count` volumes through the API with `clients` concurrent clients (polling every 20 ms). */
async function fillThroughApi(server: BenchServer, count: number, clients: number, size: () => number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const client = server.client(20);
      while (next < count) {
        next += 1;
        await client.volumeCreate(replica3(size()));
      }
    }),
  );
}

async function requireConsistent(server: BenchServer, topology: Topology, baseline: DeviceBaseline, what: string): Promise<void> {
  const report = await checkAccounting(server.client(POLL_MS), server.mock, topology, baseline);
  if (report.problems.length > 0) {
    throw new Error(`${what}: the state is inconsistent, figures would be meaningless:\n  ${report.problems.slice(0, 10).join('\n  ')}`);
  }
}

/**
 * The fill's promise, tested: `count` creates through the API and the same requests through the fill leave
 * identical devices (free KiB and bricks each), and volumes made by the fill delete cleanly through the API.
 */
async function checkFill(server: BenchServer, topology: Topology, baseline: DeviceBaseline, count: number): Promise<string> {
  const client = server.client(POLL_MS);
  const empty = await deviceStates(client, topology);
  const viaApi = await timedCreates(server, client, count, sizeStream(7));
  const apiStates = await deviceStates(client, topology);
  await timedDeletes(server, client, viaApi.ids);
  await fillThroughRepositories(server.container.app, server.mock, Array.from({ length: count }, sizeStream(7)));
  const fillStates = await deviceStates(client, topology);
  await requireConsistent(server, topology, baseline, 'fill check');
  const filled = (await client.volumeList()).volumes as string[];
  await timedDeletes(server, client, filled);
  const after = await deviceStates(client, topology);
  const same = apiStates.join() === fillStates.join();
  const back = after.join() === empty.join();
  if (!same || !back) {
    throw new Error(
      `fill check failed: API and fill ${same ? 'agree' : 'differ'}; empty again after deletes: ${back}\n` +
        `  api:  ${apiStates.join(' ')}\n  fill: ${fillStates.join(' ')}`,
    );
  }
  return (
    `fill check: ${count} creates through the API and through the repositories leave identical devices ` +
    `(free KiB and bricks on each of ${topology.deviceIds.length}); both delete back to empty`
  );
}

interface LevelResult {
  existing: number;
  create: Summary;
  delete: Summary;
  /** Median time per create / delete inside the mock executor. */
  createExecutorP50: number;
  deleteExecutorP50: number;
  /** Per create: time minus the time inside the mock executor; its median and 95th percentile. */
  createServer: Summary;
  fillSeconds: number;
}

function printQueries(db: DbKind, level: number, queries: QueryStats): void {
  const t = queries.totals(SAMPLES);
  console.log(
    `[${db}] ${level} existing: ${t.count.toFixed(1)} statements per create, ${ms(t.ms)} in the database ` +
      `(send to answer); most time:`,
  );
  for (const q of queries.top(SAMPLES)) console.log(`    ${ms(q.ms, 2).padStart(9)}  x${q.count.toFixed(1)}  ${q.sql}`);
}

async function runOn(db: DbKind): Promise<LevelResult[]> {
  const server = await startBenchServer({
    db,
    pglite: flags.pglite === 'memory' ? 'memory' : 'dir',
    glusterfs: {
      max_volumes_per_cluster: 1_000_000,
      mockexec: { device_size_gib: intFlag(flags, 'device-gib'), device_sizes: {} },
    },
  });
  const results: LevelResult[] = [];
  try {
    const client = server.client(POLL_MS);
    const topology = await buildTopology(client, topologyFlags(flags));
    const baseline = await deviceBaseline(client, server.mock, topology);
    const shape = `${topology.nodeIds.length} nodes, ${topology.deviceIds.length} devices`;
    console.log(`\n[${db}] ${server.container.database.description}; ${shape}`);
    const checkCount = intFlag(flags, 'check-fill');
    if (checkCount > 0 && FILL === 'db') console.log(`[${db}] ${await checkFill(server, topology, baseline, checkCount)}`);

    const fillSize = sizeStream(1);
    const timedSize = sizeStream(2);
    let existing = 0;
    for (const level of LEVELS) {
      const start = performance.now();
      let fillNote = '';
      if (level > existing) {
        if (FILL === 'db') {
          const t = await fillThroughRepositories(server.container.app, server.mock, Array.from({ length: level - existing }, fillSize));
          const s = (x: number) => (x / 1000).toFixed(1);
          fillNote = ` (placement ${s(t.placeMs)} s, mock nodes ${s(t.mockMs)} s, database ${s(t.databaseMs)} s)`;
        } else {
          await fillThroughApi(server, level - existing, intFlag(flags, 'fill-clients'), fillSize);
        }
        existing = level;
        await requireConsistent(server, topology, baseline, `after filling to ${level}`);
      }
      const fillSeconds = since(start) / 1000;
      const warm = await timedCreates(server, client, WARMUP, timedSize);
      await timedDeletes(server, client, warm.ids);
      const queries = flags['query-stats'] === 'true' ? new QueryStats(server.container.database.knex) : undefined;
      const created = await timedCreates(server, client, SAMPLES, timedSize);
      queries?.stop();
      const deleted = await timedDeletes(server, client, created.ids);
      const result: LevelResult = {
        existing: level,
        create: summarize(created.ms),
        delete: summarize(deleted.ms),
        createExecutorP50: summarize(created.executorMs).p50,
        createServer: summarize(created.ms.map((t, i) => t - created.executorMs[i]!)),
        deleteExecutorP50: summarize(deleted.executorMs).p50,
        fillSeconds,
      };
      results.push(result);
      if (queries) printQueries(db, level, queries);
      console.log(
        `[${db}] ${String(level).padStart(6)} existing: create p50 ${ms(result.create.p50)} p95 ${ms(result.create.p95)} ` +
          `(mock ${ms(result.createExecutorP50)}); delete p50 ${ms(result.delete.p50)} p95 ${ms(result.delete.p95)} ` +
          `(mock ${ms(result.deleteExecutorP50)})  [reached in ${fillSeconds.toFixed(1)} s${fillNote}]`,
      );
    }
    await requireConsistent(server, topology, baseline, 'at the end');
    if (client.rejected > 0) console.log(`[${db}] note: ${client.rejected} answers were 429`);
  } finally {
    await server.close();
  }
  return results;
}

async function main(): Promise<void> {
  const dbs = dbFlag(flags);
  console.log(
    `api-latency: replica 3 volumes of ${MIN_GIB}-${MAX_GIB} GiB, sequential, auth on, mock executor (0 ms), ` +
      `queue polled every ${POLL_MS} ms; ${SAMPLES} timed creates and deletes per level; fill: ${FILL === 'db' ? 'repositories' : 'API'}`,
  );
  console.log(`machine: ${cpus().length} cpus (${cpus()[0]?.model ?? '?'}), load average ${loadAverage()}`);
  const all = new Map<DbKind, LevelResult[]>();
  for (const db of dbs) all.set(db, await runOn(db));

  const rows: string[][] = [];
  for (const [db, results] of all) {
    const first = results.find((r) => r.existing === 0);
    const ratio = (value: number, base: number | undefined) => (base ? `${(value / base).toFixed(2)}x` : '-');
    for (const r of results) {
      rows.push([
        db,
        String(r.existing),
        ms(r.create.p50),
        ms(r.create.p95),
        ratio(r.create.p50, first?.create.p50),
        ms(r.createExecutorP50),
        ms(r.createServer.p50),
        ratio(r.createServer.p50, first?.createServer.p50),
        ms(r.delete.p50),
        ms(r.delete.p95),
        HEKETI_MEDIAN_MS[r.existing] !== undefined ? `${HEKETI_MEDIAN_MS[r.existing]} ms` : '-',
      ]);
    }
  }
  const header = ['db', 'existing', 'create p50', 'create p95', 'p50 vs 0', 'in mock', 'without mock', 'vs 0'];
  console.log(`\n${table([...header, 'delete p50', 'delete p95', 'Heketi p50'], rows)}`);
  console.log(
    `in mock: median time per create inside the mock executor's calls; without mock: median of (create - its time in the mock)`,
  );
  console.log(`(Heketi v10, mock executor: median create 9 ms empty, 77 ms at 1,000 volumes, 352 ms at 2,000)`);
  console.log(`load average at the end: ${loadAverage()}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
