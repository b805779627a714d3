import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import knex from 'knex';
import { HeketiClient, type RawResponse } from '../../src/client/heketi-client';
import { createTestDatabase } from '../support/pg';
import { freePort, startServerProcess, type ServerProcess } from '../support/server-process';

/**
 * Issue 11's stall test: two real server processes on one PostgreSQL database (the mock executor keeps its
 * nodes there, so both see the same nodes). Server A is stopped (SIGSTOP) past its lease while it holds a
 * create, an expand, a delete and a device removal (eviction) in turn; server B takes each over and finishes or
 * undoes it; then A is continued (SIGCONT) and must find it lost the operation without writing for it again:
 * not in the database (fenced by owner and generation) and not on the nodes (the node-side fence refuses the
 * remote step A was in the middle of).
 * After each: the books are exact, /db/check is clean on both servers and every queue entry tells the truth.
 */
const BOUND = 3_600_000;
/** Waits on events are bounded generously: a loaded machine makes them slow, not wrong. */
const EVENT_BOUND_MS = 300_000;
const LEASE_SECONDS = 5;
/** A's remote steps take this long, so an operation is in flight long enough to be stopped in the middle. */
const A_LATENCY_MS = 1500;
const B_LATENCY_MS = 100;
const DEVICE_GIB = 100;

let pg: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Knex;
const servers: ServerProcess[] = [];
let a: { server: ServerProcess; client: HeketiClient };
let b: { server: ServerProcess; client: HeketiClient };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it answers true; fails with `what` after the bound. */
async function until(what: string, probe: () => Promise<boolean>, boundMs = EVENT_BOUND_MS): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`not within ${boundMs} ms: ${what}`);
    await sleep(50);
  }
}

async function serve(name: string, latencyMs: number): Promise<{ server: ServerProcess; client: HeketiClient }> {
  const dir = mkdtempSync(join(tmpdir(), `brickyard-stall-${name}-`));
  const url = new URL(pg.url);
  url.searchParams.set('application_name', `stall_${name}`); // tells A's database sessions from B's
  const config = join(dir, 'heketi.json');
  writeFileSync(
    config,
    JSON.stringify({
      use_auth: false,
      glusterfs: {
        executor: 'mock',
        db: url.toString(),
        loglevel: 'debug',
        operation_lease_seconds: LEASE_SECONDS,
        mockexec: { latency_ms: latencyMs, device_size_gib: DEVICE_GIB },
      },
    }),
  );
  const server = startServerProcess(['--config', config], { port: await freePort() });
  servers.push(server);
  await server.listening();
  return { server, client: new HeketiClient(`http://127.0.0.1:${server.port}`, { pollIntervalMs: 50 }) };
}

interface OperationRow {
  id: string;
  kind: string;
  state: string;
  owner: string | null;
  generation: number;
  cleanup_pending: boolean;
  target_id: string | null;
}

async function operation(id: string): Promise<OperationRow> {
  return (await db('operations').where({ id }).first()) as OperationRow;
}

const ownedBy = (op: OperationRow, s: ServerProcess) => (op.owner ?? '').includes(`-${s.child.pid}-`);

/** Per device: used space and brick count as counted, against the brick rows. */
async function books(): Promise<{ used: number; reserved: number; problems: string[] }> {
  const devices = await db('devices').select('id', 'total_kib', 'free_kib', 'used_kib', 'brick_count');
  const rows: Array<{ device_id: string; kib: string; n: string }> = (
    await db.raw('select device_id, sum(reserved_kib) as kib, count(*) as n from bricks group by device_id')
  ).rows;
  const byDevice = new Map(rows.map((r) => [r.device_id, { kib: Number(r.kib), n: Number(r.n) }]));
  const problems: string[] = [];
  let used = 0;
  let reserved = 0;
  for (const d of devices) {
    const r = byDevice.get(d.id) ?? { kib: 0, n: 0 };
    used += Number(d.used_kib);
    reserved += r.kib;
    if (Number(d.used_kib) !== r.kib) problems.push(`device ${d.id}: used ${d.used_kib} KiB, bricks reserve ${r.kib} KiB`);
    if (Number(d.brick_count) !== r.n) problems.push(`device ${d.id}: brick_count ${d.brick_count}, ${r.n} brick rows`);
    if (Number(d.free_kib) + Number(d.used_kib) !== Number(d.total_kib)) {
      problems.push(`device ${d.id}: free ${d.free_kib} + used ${d.used_kib} != total ${d.total_kib}`);
    }
  }
  for (const id of byDevice.keys()) if (!devices.some((d) => d.id === id)) problems.push(`bricks on missing device ${id}`);
  return { used, reserved, problems };
}

/** The mock nodes against the records: brick LVs and gluster volumes with no row, rows with nothing on a node. */
async function nodesVersusRecords(): Promise<{ strayBricks: number; missingBricks: number; strayVolumes: number; missingVolumes: number }> {
  const [onNodes, rows, mockVolumes, volumes] = await Promise.all([
    db('mock_bricks').pluck('id'),
    db('bricks').pluck('id'),
    db('mock_volumes').pluck('name'),
    db('volumes').pluck('name'),
  ]);
  return {
    strayBricks: onNodes.filter((id: string) => !rows.includes(id)).length,
    missingBricks: rows.filter((id: string) => !onNodes.includes(id)).length,
    strayVolumes: mockVolumes.filter((n: string) => !volumes.includes(n)).length,
    missingVolumes: volumes.filter((n: string) => !mockVolumes.includes(n)).length,
  };
}

/** A's sessions with the database and whether any is inside a transaction. */
async function sessionsOf(name: string): Promise<Array<{ state: string | null; waiting: boolean; in_transaction: boolean }>> {
  return (
    await db.raw(
      `select state, wait_event_type = 'Lock' as waiting, xact_start is not null as in_transaction
         from pg_stat_activity where datname = ? and application_name = ?`,
      [pg.name, `stall_${name}`],
    )
  ).rows;
}

/**
 * SIGSTOP A where a real stall leaves an operation: between database transactions (a process stopped inside
 * one keeps its row locks, and then nobody can take the operation over until it continues). Stopped inside
 * one, it is continued and stopped again once that transaction has ended.
 */
async function stopOutsideTransaction(): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    a.server.child.kill('SIGSTOP');
    // a statement A sent before it stopped completes on its own (unless it waits for a lock, perhaps one A
    // holds itself); then its sessions show where A stopped
    await until('A sessions settled', async () => (await sessionsOf('a')).every((s) => s.state !== 'active' || s.waiting));
    if ((await sessionsOf('a')).every((s) => !s.in_transaction)) return;
    a.server.child.kill('SIGCONT');
    if (attempt >= 50) throw new Error('A kept stopping inside a transaction');
    await until('A outside a transaction', async () => (await sessionsOf('a')).every((s) => !s.in_transaction));
  }
}

interface Truth {
  status: number;
  location?: string;
}

async function queueAnswer(client: HeketiClient, opId: string): Promise<Truth> {
  const res = await client.raw('GET', `/queue/${opId}`);
  return { status: res.status, ...(res.headers.get('Location') ? { location: res.headers.get('Location')! } : {}) };
}

/** Both servers answer the queue entry alike, and its operation row agrees with the answer. */
async function settledAnswer(opId: string): Promise<Truth> {
  const [fromA, fromB] = await Promise.all([queueAnswer(a.client, opId), queueAnswer(b.client, opId)]);
  expect(fromA).toEqual(fromB);
  const op = await operation(opId);
  expect({ status: fromA.status, state: op.state, cleanup: op.cleanup_pending }).toEqual({
    status: fromA.status,
    state: fromA.status === 500 ? 'failed' : 'succeeded',
    cleanup: false,
  });
  return fromA;
}

async function status(client: HeketiClient, path: string): Promise<number> {
  return (await client.raw('GET', path)).status;
}

async function dbCheckClean(): Promise<void> {
  expect((await a.client.dbCheck()).problems).toEqual([]);
  expect((await b.client.dbCheck()).problems).toEqual([]);
}

interface Figures {
  scenario: string;
  stoppedMs: number;
  finishedBy: string;
  aAfterResume: string[];
  outcome: string;
  usedBefore: number;
  usedAfter: number;
  reservedAfter: number;
  strayBricks: number;
  strayVolumes: number;
}
const figures: Figures[] = [];
/** Every queue entry answered so far, with the answer it gave: entries never change their answer. */
const answered = new Map<string, Truth>();

/**
 * Sends the request to A, waits until A runs it and has finished the remote step `stopAfter` (so it is in
 * the middle of its remote work), stops A, waits until B has taken the operation over and settled it,
 * continues A and waits until A says it lost the operation. Returns the operation id and its answer.
 */
async function stall(scenario: string, send: () => Promise<RawResponse>, stopAfter: string): Promise<{ opId: string; truth: Truth; op: OperationRow }> {
  const usedBefore = (await books()).used;
  const accepted = await send();
  expect(accepted.status).toBe(202);
  const opId = accepted.headers.get('Location')!.split('/').pop()!;

  await until(`${scenario}: A runs ${opId}`, async () => {
    const op = await operation(opId);
    return op.state === 'running' && ownedBy(op, a.server);
  });
  const stepDone = new RegExp(`"op":"${opId}"[^\\n]*"step":"${stopAfter}"[^\\n]*"msg":"executor step"`);
  await a.server.waitFor(stepDone, EVENT_BOUND_MS);
  const held = await operation(opId);
  expect(ownedBy(held, a.server)).toBe(true);

  await stopOutsideTransaction();
  const stoppedAt = Date.now();
  await until(`${scenario}: B takes ${opId} over and settles it`, async () => {
    const op = await operation(opId);
    return op.generation > held.generation && (op.state === 'succeeded' || op.state === 'failed') && !op.cleanup_pending;
  });
  const mark = a.server.output().length;
  a.server.child.kill('SIGCONT');
  const stoppedMs = Date.now() - stoppedAt;
  await a.server.waitFor(new RegExp(`"op":"${opId}"[^\\n]*"msg":"operation lost to another server; stopped"`), EVENT_BOUND_MS);
  // what A still did for the operation once continued: the remote step it was in, and how it ended
  const afterResume = a.server
    .output()
    .slice(mark)
    .split('\n')
    .filter((l) => l.includes(`"op":"${opId}"`) && /"msg":"executor step( failed)?"/.test(l))
    .map((l) => {
      const line = JSON.parse(l) as { step: string; error?: string };
      return line.error ? `${line.step} failed (${line.error})` : `${line.step} ok`;
    });


  // B took it over (it logs that just after recording the outcome); A, stopped the whole time, did not
  const recovered = new RegExp(`"op":"${opId}"[^\\n]*"msg":"operation recovered: ([a-z ]+)"`);
  await b.server.waitFor(recovered, EVENT_BOUND_MS);
  const byB = recovered.exec(b.server.output());
  expect(recovered.exec(a.server.output())).toBeNull();

  const truth = await settledAnswer(opId);
  answered.set(opId, truth);
  const after = await books();
  expect(after.problems).toEqual([]);
  await dbCheckClean();
  // and the nodes agree with the records: a step of A that reached a node after B's barrier was refused there
  // (A's log may still show a step that ended on the node before A stopped, logged once it continued)
  const nodes = await nodesVersusRecords();
  expect({ scenario, ...nodes }).toEqual({ scenario, strayBricks: 0, missingBricks: 0, strayVolumes: 0, missingVolumes: 0 });
  figures.push({
    scenario,
    stoppedMs,
    finishedBy: `B (${byB![1]})`,
    aAfterResume: afterResume,
    outcome: `${truth.status}${truth.location ? ` ${truth.location}` : ''}`,
    usedBefore,
    usedAfter: after.used,
    reservedAfter: after.reserved,
    strayBricks: nodes.strayBricks,
    strayVolumes: nodes.strayVolumes,
  });
  return { opId, truth, op: await operation(opId) };
}

const replica3 = { durability: { type: 'replicate', replicate: { replica: 3 } } };

beforeAll(async () => {
  pg = await createTestDatabase();
  db = knex({ client: 'pg', connection: pg.url, pool: { min: 0, max: 2 } });
  [a, b] = await Promise.all([serve('a', A_LATENCY_MS), serve('b', B_LATENCY_MS)]);
}, BOUND);

afterAll(async () => {
  // nothing may be left stopped: continue before ending
  for (const s of servers) {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGCONT');
  }
  await Promise.all(servers.map((s) => s.stop('SIGKILL')));
  await db?.destroy();
  await pg?.drop();
}, BOUND);

test('a server stopped past its lease during a create, an expand, a delete and an eviction: books exact, entries truthful', async () => {
  // six nodes, two per zone: every brick of a replica 3 volume has a node in its own zone to move to
  const cluster = await b.client.clusterCreate();
  const deviceOf = new Map<string, string>();
  for (let i = 0; i < 6; i += 1) {
    const node = await b.client.nodeAdd({
      zone: (i % 3) + 1,
      cluster: cluster.id as string,
      hostnames: { manage: [`stall${i}.example.com`], storage: [`10.2.0.${i + 1}`] },
    });
    await b.client.deviceAdd({ node: node!.id as string, name: '/dev/sdb' });
    const info = await b.client.nodeInfo(node!.id as string);
    deviceOf.set(node!.id as string, (info.devices as Array<{ id: string }>)[0]!.id);
  }
  const base = await b.client.volumeCreate({ size: 10, name: 'stall_base', ...replica3 });
  const kept = await b.client.volumeCreate({ size: 10, name: 'stall_kept', ...replica3 });
  expect((await books()).problems).toEqual([]);

  // create: stopped after its bricks were made, around `gluster volume create`
  const create = await stall('create', () => a.client.raw('POST', '/volumes', { size: 10, name: 'stall_create', ...replica3 }), 'brickCreate');
  if (create.truth.status === 303) {
    expect(create.truth.location).toBe(`/volumes/${create.op.target_id}`);
    expect(await status(a.client, create.truth.location!)).toBe(200);
    expect(((await b.client.volumeInfo(create.op.target_id!)).bricks as unknown[]).length).toBe(3);
  } else {
    expect(create.truth.status).toBe(500);
    expect(await status(a.client, `/volumes/${create.op.target_id}`)).toBe(404);
    expect(await status(b.client, `/volumes/${create.op.target_id}`)).toBe(404);
  }

  // expand: stopped after the new bricks were made, around add-brick
  const expand = await stall('expand', () => a.client.raw('POST', `/volumes/${base!.id}/expand`, { expand_size: 10 }), 'brickCreate');
  const grown = await b.client.volumeInfo(base!.id as string);
  if (expand.truth.status === 303) {
    expect(expand.truth.location).toBe(`/volumes/${base!.id}`);
    expect({ size: grown.size, bricks: (grown.bricks as unknown[]).length }).toEqual({ size: 20, bricks: 6 });
  } else {
    expect(expand.truth.status).toBe(500);
    expect({ size: grown.size, bricks: (grown.bricks as unknown[]).length }).toEqual({ size: 10, bricks: 3 });
  }

  // delete: stopped after the gluster volume was deleted, while its bricks are destroyed
  const del = await stall('delete', () => a.client.raw('DELETE', `/volumes/${base!.id}`), 'volumeDestroy');
  if (del.truth.status === 204) {
    expect(await status(a.client, `/volumes/${base!.id}`)).toBe(404);
    expect(await status(b.client, `/volumes/${base!.id}`)).toBe(404);
  } else {
    expect(del.truth.status).toBe(500);
    expect(await status(b.client, `/volumes/${base!.id}`)).toBe(200);
  }

  // device removal: failing a device moves its bricks away (eviction); stopped while a brick is moved
  const brick = (kept!.bricks as Array<{ id: string; device: string; node: string }>)[0]!;
  const evicted = brick.device;
  const eviction = await stall('device removal (eviction)', () => a.client.raw('POST', `/devices/${evicted}/state`, { state: 'failed' }), 'brickCreate');
  const device = await b.client.deviceInfo(evicted);
  if (eviction.truth.status === 204) {
    expect({ state: device.state, bricks: (device.bricks as unknown[]).length }).toEqual({ state: 'failed', bricks: 0 });
  } else {
    expect(eviction.truth.status).toBe(500);
    expect(device.state).toBe('online'); // its state before the eviction
    // finished moves stay; nothing else changed hands
    const bricks = (await b.client.volumeInfo(kept!.id as string)).bricks as Array<{ device: string }>;
    expect(bricks).toHaveLength(3);
    // then the removal is done again, unstalled, by B
    await b.client.deviceState(evicted, 'failed');
  }
  expect(((await b.client.deviceInfo(evicted)).bricks as unknown[]).length).toBe(0);
  await b.client.deviceDelete(evicted);
  expect(await status(a.client, `/devices/${evicted}`)).toBe(404);
  expect(((await b.client.volumeInfo(kept!.id as string)).bricks as Array<{ device: string }>).map((x) => x.device)).not.toContain(evicted);

  // every queue entry still gives the answer it gave, on both servers; the books and checks hold at the end
  for (const [opId, truth] of answered) {
    expect(await queueAnswer(a.client, opId)).toEqual(truth);
    expect(await queueAnswer(b.client, opId)).toEqual(truth);
  }
  expect((await books()).problems).toEqual([]);
  await dbCheckClean();
  // A stays a working server: it serves a create of its own after all this
  const after = await a.client.volumeCreate({ size: 5, name: 'stall_after', ...replica3 });
  expect(((await b.client.volumeInfo(after!.id as string)).bricks as unknown[]).length).toBe(3);
  expect((await books()).problems).toEqual([]);
  await dbCheckClean();

  const end = await nodesVersusRecords();
  console.log(
    [
      `stall figures (lease ${LEASE_SECONDS} s, A's remote steps ${A_LATENCY_MS} ms):`,
      ...figures.map(
        (f) =>
          `  ${f.scenario}: A stopped ${f.stoppedMs} ms; finished by ${f.finishedBy}; ` +
          `A once continued: ${f.aAfterResume.join(', ') || 'no remote step'}, then lost it; queue ${f.outcome}; ` +
          `devices used ${f.usedBefore} -> ${f.usedAfter} KiB (bricks reserve ${f.reservedAfter} KiB); ` +
          `mock nodes: ${f.strayBricks} stray brick(s), ${f.strayVolumes} stray volume(s)`,
      ),
      `  at the end: ${end.strayBricks} stray brick(s), ${end.missingBricks} missing brick(s), ${end.strayVolumes} stray and ${end.missingVolumes} missing volume(s) on the mock nodes`,
    ].join('\n'),
  );
}, BOUND);
