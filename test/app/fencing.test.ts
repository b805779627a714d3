import { startVolumeCreate, startVolumeDelete, startVolumeExpand, startEviction } from '../../src/app/operations';
import { findOperation } from '../../src/db/repositories/operations';
import { MockExecutor } from '../../src/executors/mock';
import { appHarness, complete, expectBooksExact, freeByDevice, seedTopology, type AppHarness } from '../support/app-context';
import { Gate, gatedExecutor } from '../support/gated-executor';
import { createTestDatabase } from '../support/pg';

/**
 * Two servers on one PostgreSQL and one set of (mock) nodes. Server A stalls in the middle of an
 * operation (held at a gate, as a SIGSTOP or a long GC pause would), its lease lapses, server B takes the
 * operation over and settles it; then A resumes. A must not write anything for it again: the books stay
 * exact and the queue entry keeps B's truthful answer.
 */
let pg: Awaited<ReturnType<typeof createTestDatabase>>;
let a: AppHarness;
let b: AppHarness;
let mock: MockExecutor;

async function servers(step: Parameters<typeof gatedExecutor>[1], when: 'before' | 'after', leaseSeconds = 30) {
  pg = await createTestDatabase();
  mock = new MockExecutor({ device_size_gib: 100, device_sizes: {} });
  const gate = new Gate();
  a = await appHarness({ db: pg.url, instanceId: 'server-a', mock, executor: gatedExecutor(mock, step, when, gate), leaseSeconds });
  b = await appHarness({ db: pg.url, instanceId: 'server-b', mock, leaseSeconds });
  return gate;
}

afterEach(async () => {
  await a?.close();
  await b?.close();
  await pg?.drop();
});

/** A's lease lapses (as if the stall lasted past it) and B's recovery pass takes the operation over. */
async function takeOver(opId: string): Promise<void> {
  await b.db('operations').where({ id: opId }).update({ lease_expires_at: new Date(Date.now() - 1000) });
  expect(await b.runner.recoverAbandoned()).toBe(1);
  await b.runner.idle();
}

function bricksOnNodes(): number {
  let n = 0;
  for (let i = 0; i < 3; i += 1) n += mock.node(`node${i}.example.com`).bricks.size;
  return n;
}

test('a create stalled after its remote work is undone by the other server; the stalled one writes nothing after', async () => {
  const gate = await servers('volumeCreate', 'after');
  await seedTopology(a);
  const baseline = await freeByDevice(a.db);
  const { opId } = await startVolumeCreate(a.ctx, { ...volumeInput('stalled'), sizeGib: 5 }, 'admin');
  a.runner.submit(opId);
  await gate.reached; // bricks made and the gluster volume created; A holds the reply

  await takeOver(opId);
  expect(await findOperation(b.db, opId)).toMatchObject({ state: 'failed', owner: null, generation: 2 });
  expect(mock.volumeNames()).toEqual([]);
  expect(bricksOnNodes()).toBe(0);

  gate.release();
  await a.runner.idle();
  const op = await findOperation(a.db, opId);
  expect(op).toMatchObject({ state: 'failed', generation: 2 });
  expect(op!.error).toMatch(/interrupted/);
  expect(await a.db('volumes').count('* as n').first()).toEqual({ n: expect.anything() });
  expect(Number((await a.db('volumes').count('* as n').first())!.n)).toBe(0);
  await expectBooksExact(a.db, baseline);
});

test('a delete stalled while destroying bricks is finished once: its space is not credited twice', async () => {
  const gate = await servers('brickDestroy', 'after');
  await seedTopology(a);
  const baseline = await freeByDevice(a.db);
  await complete(b, startVolumeCreate(b.ctx, { ...volumeInput('doomed'), sizeGib: 5 }, 'admin'));
  const { opId } = await startVolumeDelete(a.ctx, (await a.db('volumes').first('id')).id, 'admin');
  a.runner.submit(opId);
  await gate.reached;

  await takeOver(opId);
  expect(await findOperation(b.db, opId)).toMatchObject({ state: 'succeeded' });
  await expectBooksExact(b.db, baseline);

  gate.release();
  await a.runner.idle();
  expect(await findOperation(a.db, opId)).toMatchObject({ state: 'succeeded', generation: 2 });
  await expectBooksExact(a.db, baseline);
  expect(bricksOnNodes()).toBe(0);
});

test('an expand stalled after add-brick is kept by the other server and recorded as succeeded, grown once', async () => {
  const gate = await servers('volumeExpand', 'after');
  await seedTopology(a);
  const baseline = await freeByDevice(a.db);
  await complete(b, startVolumeCreate(b.ctx, { ...volumeInput('growing'), sizeGib: 5 }, 'admin'));
  const volumeId = (await a.db('volumes').first('id')).id as string;
  const { opId } = await startVolumeExpand(a.ctx, volumeId, 3, 'admin');
  a.runner.submit(opId);
  await gate.reached;

  await takeOver(opId);
  expect(await findOperation(b.db, opId)).toMatchObject({ state: 'succeeded', resultPath: `/volumes/${volumeId}` });

  gate.release();
  await a.runner.idle();
  expect(Number((await a.db('volumes').where({ id: volumeId }).first('size_gib')).size_gib)).toBe(8);
  expect(mock.volume('growing')!.bricks.length).toBe(6);
  await expectBooksExact(a.db, baseline);
});

test('a stalled server whose lease ran out finds it lost the operation before its next remote step', async () => {
  const gate = await servers('brickCreate', 'before', 1);
  await seedTopology(a);
  const baseline = await freeByDevice(a.db);
  const { opId } = await startVolumeCreate(a.ctx, { ...volumeInput('late'), sizeGib: 5 }, 'admin');
  a.runner.submit(opId);
  await gate.reached; // A is about to send brickCreate, and stalls
  await new Promise((r) => setTimeout(r, 1500)); // past A's one-second lease
  await takeOver(opId);
  const createsBefore = mock.calls.filter((c) => c.step === 'brickCreate').length;

  gate.release();
  await a.runner.idle();
  // the three held brickCreates went to the node fence or the lease check, and none was carried out
  expect(bricksOnNodes()).toBe(0);
  expect(mock.calls.filter((c) => c.step === 'brickCreate').length).toBe(createsBefore);
  expect(await findOperation(a.db, opId)).toMatchObject({ state: 'failed' });
  await expectBooksExact(a.db, baseline);
});

test('an eviction stalled after replace-brick is settled by the other server: the brick moved once', async () => {
  const gate = await servers('replaceBrick', 'after');
  const topology = await seedTopology(a, 4);
  const baseline = await freeByDevice(a.db);
  await complete(b, startVolumeCreate(b.ctx, { ...volumeInput('moving'), sizeGib: 5 }, 'admin'));
  const brick = await a.db('bricks').first('device_id');
  const { opId } = await startEviction(a.ctx, { kind: 'device', id: brick.device_id }, 'admin');
  a.runner.submit(opId);
  await gate.reached;

  await takeOver(opId);
  gate.release();
  await a.runner.idle();
  // B finished the move in progress (gluster had switched), then undid the eviction: states restored
  const op = await findOperation(a.db, opId);
  expect(op!.state).toBe('failed');
  expect(await a.db('bricks').where({ device_id: brick.device_id }).count('* as n').first()).toMatchObject({ n: expect.anything() });
  expect(Number((await a.db('bricks').where({ device_id: brick.device_id }).count('* as n').first())!.n)).toBe(0);
  expect(Number((await a.db('bricks').count('* as n').first())!.n)).toBe(3);
  expect((await a.db('devices').where({ id: brick.device_id }).first('state')).state).toBe('online');
  expect(mock.volume('moving')!.bricks.length).toBe(3);
  expect(topology.deviceIds).toContain(brick.device_id);
  await expectBooksExact(a.db, baseline);
});

function volumeInput(name: string) {
  return {
    name,
    sizeGib: 1,
    durability: { type: 'replicate' as const, replica: 3 },
    gid: 0,
    snapshot: { enable: false, factor: 1 },
    glusterVolumeOptions: [],
    clusters: [],
  };
}
