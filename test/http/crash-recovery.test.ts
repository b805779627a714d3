import pino from 'pino';
import { createContainer, type Container } from '../../src/container';
import { MockExecutor } from '../../src/executors/mock';
import { HeketiClient } from '../../src/client/heketi-client';
import { createTestDatabase } from '../support/pg';
import { ADMIN_KEY, buildTopology, testConfig } from '../support/server';

/**
 * A server that dies in the middle of remote work leaves its operations recorded; the next server (after
 * the lease lapses) undoes creates and finishes deletes, on the same nodes, and the books balance again.
 */
let pg: Awaited<ReturnType<typeof createTestDatabase>>;
const mock = new MockExecutor({ device_size_gib: 100, device_sizes: {} });
const live: Container[] = [];
const crashed: Container[] = [];

async function start(): Promise<{ container: Container; client: HeketiClient }> {
  const config = testConfig(pg.url, { glusterfs: { operation_lease_seconds: 1 } });
  const container = await createContainer(config, { executor: mock, log: pino({ level: 'silent' }) });
  const port = await container.listen(0, '127.0.0.1');
  live.push(container);
  return { container, client: new HeketiClient(`http://127.0.0.1:${port}`, { user: 'admin', key: ADMIN_KEY, pollIntervalMs: 20 }) };
}

/** What a kill -9 leaves: no more lease renewals, no more answers; the database is as it was. */
async function crash(container: Container): Promise<void> {
  void container.runner.stop(0);
  live.splice(live.indexOf(container), 1);
  crashed.push(container);
}

function bricksOnNodes(): number {
  let n = 0;
  for (let i = 0; i < 3; i += 1) n += mock.node(`node${i}.example.com`).bricks.size;
  return n;
}

beforeAll(async () => {
  pg = await createTestDatabase();
});
afterAll(async () => {
  for (const c of live) await c.close(1000);
  // Their hung calls never finish; close sockets and pools so jest can exit.
  for (const c of crashed) await c.close(10);
  await pg.drop();
});

test('a create interrupted after some bricks were made is rolled back by the next server', async () => {
  const first = await start();
  const { deviceIds } = await buildTopology(first.client, { nodes: 3, zones: 3, devicesPerNode: 1 });
  const freeBefore = await Promise.all(deviceIds.map(async (id) => (await first.client.deviceInfo(id)).storage.free));

  mock.hangAt('brickCreate', { skip: 2 }); // two bricks made, the third never answers
  const accepted = await first.client.raw('POST', '/volumes', { size: 5, durability: { type: 'replicate' } });
  expect(accepted.status).toBe(202);
  const location = accepted.headers.get('Location')!;
  while (bricksOnNodes() < 2) await new Promise((r) => setTimeout(r, 10));
  await crash(first.container);
  mock.clearFaults();

  const second = await start();
  let answer = await second.client.raw('GET', location);
  expect(answer.status).toBe(200); // still pending: the dead owner's lease has not lapsed yet
  await new Promise((r) => setTimeout(r, 1100));
  await second.container.runner.recoverAbandoned();
  await second.container.runner.idle();

  answer = await second.client.raw('GET', location);
  expect(answer.status).toBe(500);
  expect(answer.text).toMatch(/interrupted/);
  expect(bricksOnNodes()).toBe(0);
  expect(mock.volumeNames()).toEqual([]);
  const freeAfter = await Promise.all(deviceIds.map(async (id) => (await second.client.deviceInfo(id)).storage.free));
  expect(freeAfter).toEqual(freeBefore);
  expect((await second.client.dbCheck()).problems).toEqual([]);
});

test('a delete interrupted after gluster deleted the volume is finished by the next server', async () => {
  const { client, container } = await start();
  const vol = await client.volumeCreate({ size: 2, durability: { type: 'replicate' }, name: 'halfgone' });
  mock.hangAt('brickDestroy', { skip: 1 });
  const accepted = await client.raw('DELETE', `/volumes/${vol.id}`);
  while (mock.volume('halfgone') || bricksOnNodes() > 2) await new Promise((r) => setTimeout(r, 10));
  await crash(container);
  mock.clearFaults();

  const next = await start();
  await new Promise((r) => setTimeout(r, 1100));
  await next.container.runner.recoverAbandoned();
  await next.container.runner.idle();
  const answer = await next.client.raw('GET', accepted.headers.get('Location')!);
  expect(answer.status).toBe(204);
  expect(bricksOnNodes()).toBe(0);
  expect((await next.client.volumeList()).volumes).toEqual([]);
  expect((await next.client.dbCheck()).problems).toEqual([]);
});
