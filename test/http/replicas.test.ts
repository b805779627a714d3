import pino from 'pino';
import { createContainer, type Container } from '../../src/container';
import { MockExecutor } from '../../src/executors/mock';
import { HeketiClient } from '../../src/client/heketi-client';
import { createTestDatabase } from '../support/pg';
import { ADMIN_KEY, USER_KEY, buildTopology, testConfig } from '../support/server';

/**
 * Two servers on one PostgreSQL and one set of nodes. The same named create sent to both at the same
 * moment, sized so that only one volume of that size fits: both callers get 303 to the same, only volume,
 * whichever reached which server (the one that lost the race finds the volume after its placement failed,
 * not only after a unique-key violation). Repeated with a user token on one side.
 */
let pg: Awaited<ReturnType<typeof createTestDatabase>>;
const containers: Container[] = [];
const mock = new MockExecutor({ device_size_gib: 100, device_sizes: {} });

async function server(): Promise<{ admin: HeketiClient; user: HeketiClient }> {
  const container = await createContainer(testConfig(pg.url), { executor: mock, log: pino({ level: 'silent' }) });
  const url = `http://127.0.0.1:${await container.listen(0, '127.0.0.1')}`;
  containers.push(container);
  return {
    admin: new HeketiClient(url, { user: 'admin', key: ADMIN_KEY, pollIntervalMs: 20 }),
    user: new HeketiClient(url, { user: 'user', key: USER_KEY, pollIntervalMs: 20 }),
  };
}

beforeAll(async () => {
  pg = await createTestDatabase();
});
afterAll(async () => {
  for (const c of containers) await c.close(1000);
  await pg.drop();
});

/** POST /volumes, then follow the queue to the end; the status of the end and where it points. */
async function createAndWait(client: HeketiClient, name: string): Promise<{ status: number; location?: string; text: string }> {
  const accepted = await client.raw('POST', '/volumes', { size: 60, name, durability: { type: 'replicate', replicate: { replica: 3 } } });
  if (accepted.status !== 202) return { status: accepted.status, text: accepted.text };
  const queue = accepted.headers.get('Location')!;
  for (;;) {
    const answer = await client.raw('GET', queue);
    if (answer.status !== 200) return { status: answer.status, location: answer.headers.get('Location') ?? undefined, text: answer.text };
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('the same named create on two servers at once ends in one volume and the same answer for both', async () => {
  const one = await server();
  const two = await server();
  await buildTopology(one.admin, { nodes: 3, zones: 3, devicesPerNode: 1 });
  const rounds = 4;
  for (let round = 0; round < rounds; round += 1) {
    const name = `shared_${round}`;
    // odd rounds: a user token on the second server
    const [a, b] = await Promise.all([createAndWait(one.admin, name), createAndWait(round % 2 ? two.user : two.admin, name)]);
    expect({ round, a: a.status, b: b.status }).toEqual({ round, a: 303, b: 303 });
    expect(b.location).toBe(a.location);
    const volumes = (await one.admin.volumeList()).volumes;
    expect(volumes).toHaveLength(1);
    expect(a.location).toBe(`/volumes/${volumes[0]}`);
    await one.admin.volumeDelete(volumes[0]!);
  }
  expect((await two.admin.dbCheck()).problems).toEqual([]);
}, 900_000);
