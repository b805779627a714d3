/**
 * Server CPU per create and per delete (issue 12): figures that the machine's load distorts little.
 *
 * A real server in this process (auth on, MOCK executor answering at once, as bench/api-latency) on PostgreSQL
 * and on PGlite; ONE client in a child process creates --creates replica 3 volumes one after the other, then
 * deletes them, polling the queue every --poll-ms. For each phase: the server process's CPU time
 * (process.cpuUsage: PGlite included, PostgreSQL's own processes not), the SQL statements it sent (knex query
 * events; each is one round trip, BEGIN and COMMIT included), the HTTP requests it answered, and p50 latency
 * (wall clock, printed beside the load average). With --fill=N the cluster is first filled through the API
 * (16 concurrent clients) and the phases are measured again at N volumes.
 *
 * For a profile of the timed phases only: --profile=DIR writes DIR/<db>-<level>-<create|delete>.cpuprofile (the
 * server's process; the client's is not profiled); node dist/bench/profile-top.js FILE lists where the time went.
 *
 * Prints figures; never fails on timing.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { dbFlag, intFlag, intListFlag, parseFlags, loadAverage, TOPOLOGY_FLAG_DEFAULTS, topologyFlags } from './support/args';
import { checkAccounting, deviceBaseline } from './support/check';
import { buildTopology, replica3, startBenchServer, type BenchServer, type DbKind } from './support/server';
import type { SequentialRequest, SequentialResult } from './support/sequential-worker';
import { ms, prng, summarize, table } from './support/stats';

const USAGE = `node dist/bench/server-cpu.js [flags]
  --db=postgres,pglite     databases to run on
  --pglite=dir|memory      PGlite in a temporary directory (as deployed) or in memory
  --creates=200            timed creates (then as many deletes) per level
  --warmup=30              untimed creates and deletes first
  --levels=0               existing volumes at which to measure (filled through the API, 16 clients)
  --poll-ms=5              queue poll interval of the client
  --profile=DIR            write a CPU profile of each timed phase to DIR
  --statements             print each statement shape and its count per create / delete
  --nodes=9 --zones=3 --devices=2 --device-gib=100000   topology (mock devices)`;

const flags = parseFlags(
  process.argv.slice(2),
  {
    db: 'postgres,pglite',
    pglite: 'dir',
    creates: '200',
    warmup: '30',
    levels: '0',
    'poll-ms': '5',
    statements: 'false',
    profile: '',
    ...TOPOLOGY_FLAG_DEFAULTS,
    'device-gib': '100000',
  },
  USAGE,
);
const CREATES = intFlag(flags, 'creates');
const WARMUP = intFlag(flags, 'warmup');
const POLL_MS = intFlag(flags, 'poll-ms');

/** Statement shapes sent by the server (values' placeholders folded), counted. */
class StatementCounter {
  readonly shapes = new Map<string, number>();
  total = 0;
  private on = false;
  constructor(server: BenchServer) {
    server.container.database.knex.on('query', (q: { sql: string }) => {
      if (!this.on) return;
      this.total += 1;
      const shape = q.sql.replace(/\(\$\d+(, \$\d+)*\)/g, '(...)').replace(/\(\?(, \?)*\)/g, '(...)').replace(/\s+/g, ' ').slice(0, 140);
      this.shapes.set(shape, (this.shapes.get(shape) ?? 0) + 1);
    });
  }
  start(): void {
    this.shapes.clear();
    this.total = 0;
    this.on = true;
  }
  stop(): void {
    this.on = false;
  }
}

class Worker {
  private readonly child: ChildProcess;
  constructor() {
    // execArgv [] : a --cpu-prof of the benchmark profiles the server only
    this.child = fork(join(__dirname, 'support', 'sequential-worker.js'), [], { stdio: 'inherit', execArgv: [] });
  }
  run(req: SequentialRequest): Promise<SequentialResult> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`client process exited with ${code}`));
      this.child.once('exit', onExit);
      this.child.once('message', (m: SequentialResult) => {
        this.child.off('exit', onExit);
        if (m.error) reject(new Error(m.error));
        else resolve(m);
      });
      this.child.send(req);
    });
  }
  close(): void {
    this.child.disconnect();
  }
}

interface Phase {
  db: DbKind;
  existing: number;
  kind: 'create' | 'delete';
  n: number;
  cpuMs: number;
  statements: number;
  requests: number;
  p50: number;
  p95: number;
  polls: number;
  load: string;
  shapes: Map<string, number>;
}

async function measure(
  server: BenchServer,
  worker: Worker,
  statements: StatementCounter,
  req: SequentialRequest,
  existing: number,
): Promise<{ phase: Phase; result: SequentialResult }> {
  const n = req.kind === 'create' ? req.sizes.length : req.ids.length;
  const profiler = flags.profile ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  statements.start();
  const cpu = process.cpuUsage();
  const result = await worker.run(req);
  const used = process.cpuUsage(cpu);
  statements.stop();
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    mkdirSync(flags.profile!, { recursive: true });
    const file = join(flags.profile!, `${server.db}-${existing}-${req.kind}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    profiler.disconnect();
    console.log(`[${server.db}] profile of the ${req.kind}s: ${file}`);
  }
  const s = summarize(result.latencies);
  return {
    result,
    phase: {
      db: server.db,
      existing,
      kind: req.kind,
      n,
      cpuMs: (used.user + used.system) / 1000 / n,
      statements: statements.total / n,
      requests: result.requests / n,
      p50: s.p50,
      p95: s.p95,
      polls: result.polls / n,
      load: loadAverage(),
      shapes: new Map(statements.shapes),
    },
  };
}

async function fillThroughApi(server: BenchServer, count: number, size: () => number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      const client = server.client(20);
      while (next < count) {
        next += 1;
        await client.volumeCreate(replica3(size()));
      }
    }),
  );
}

async function runOn(db: DbKind): Promise<Phase[]> {
  const server = await startBenchServer({
    db,
    pglite: flags.pglite === 'memory' ? 'memory' : 'dir',
    glusterfs: { max_volumes_per_cluster: 1_000_000, mockexec: { device_size_gib: intFlag(flags, 'device-gib'), device_sizes: {} } },
  });
  const worker = new Worker();
  const phases: Phase[] = [];
  try {
    const admin = server.client(POLL_MS);
    const topology = await buildTopology(admin, topologyFlags(flags));
    const baseline = await deviceBaseline(admin, server.mock, topology);
    const statements = new StatementCounter(server);
    const random = prng(2);
    const sizes = (n: number) => Array.from({ length: n }, () => 1 + Math.floor(random() * 10));
    const fillRandom = prng(1);
    let existing = 0;
    for (const level of intListFlag(flags, 'levels').sort((a, b) => a - b)) {
      if (level > existing) {
        const t = performance.now();
        await fillThroughApi(server, level - existing, () => 1 + Math.floor(fillRandom() * 10));
        existing = level;
        console.log(`[${db}] filled to ${level} volumes through the API in ${((performance.now() - t) / 1000).toFixed(1)} s (load ${loadAverage()})`);
      }
      const base = { url: server.url, pollMs: POLL_MS };
      const warm = await worker.run({ ...base, kind: 'create', sizes: sizes(WARMUP) });
      await worker.run({ ...base, kind: 'delete', ids: warm.ids });
      const created = await measure(server, worker, statements, { ...base, kind: 'create', sizes: sizes(CREATES) }, level);
      const deleted = await measure(server, worker, statements, { ...base, kind: 'delete', ids: created.result.ids }, level);
      for (const p of [created.phase, deleted.phase]) {
        phases.push(p);
        console.log(
          `[${db}] ${level} existing, ${p.kind}: ${ms(p.cpuMs, 2)} server CPU, ${p.statements.toFixed(1)} statements, ` +
            `${p.requests.toFixed(1)} requests, p50 ${ms(p.p50)} p95 ${ms(p.p95)} (load ${p.load})`,
        );
        if (flags.statements === 'true') {
          for (const [shape, count] of [...p.shapes].sort((a, b) => b[1] - a[1])) {
            console.log(`    x${(count / p.n).toFixed(2).padStart(5)}  ${shape}`);
          }
        }
      }
    }
    const report = await checkAccounting(admin, server.mock, topology, baseline);
    if (report.problems.length > 0) {
      console.log(`[${db}] ACCOUNTING PROBLEMS:\n  ${report.problems.slice(0, 10).join('\n  ')}`);
      process.exitCode = 1;
    }
  } finally {
    worker.close();
    await server.close();
  }
  return phases;
}

async function main(): Promise<void> {
  console.log(
    `server-cpu: ${CREATES} sequential replica 3 creates, then deletes, one client in a child process, auth on, ` +
      `mock executor (0 ms), queue polled every ${POLL_MS} ms`,
  );
  console.log(`machine: ${cpus().length} cpus (${cpus()[0]?.model ?? '?'}), load average ${loadAverage()}`);
  const phases: Phase[] = [];
  for (const db of dbFlag(flags)) phases.push(...(await runOn(db)));
  console.log(
    `\n${table(
      ['db', 'existing', 'op', 'server CPU/op', 'statements/op', 'requests/op', 'polls/op', 'p50', 'p95', 'load average'],
      phases.map((p) => [
        p.db,
        String(p.existing),
        p.kind,
        ms(p.cpuMs, 2),
        p.statements.toFixed(1),
        p.requests.toFixed(1),
        p.polls.toFixed(2),
        ms(p.p50),
        ms(p.p95),
        p.load,
      ]),
    )}`,
  );
  console.log("server CPU: the benchmark process's CPU (server and PGlite; PostgreSQL's processes not), per operation");
  console.log(`load average at the end: ${loadAverage()}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
