import type { MockStep } from '../../src/executors/mock';
import { buildTopology, startTestServer, type TestServer } from '../support/server';

/**
 * An executor error at any step of a create leaves no half-made volume behind: no brick on any node, no
 * record, every device's free space exactly as before, and the queue says 500 with the node's words.
 */
let server: TestServer;
let deviceIds: string[];

beforeAll(async () => {
  // Bricks of at most 10 GiB, so a 20 GiB replica-3 volume is two sets of three.
  server = await startTestServer({ db: 'postgres', glusterfs: { brick_max_size_gb: 10 } });
  ({ deviceIds } = await buildTopology(server.admin, { nodes: 6, zones: 3, devicesPerNode: 1 }));
});
afterAll(async () => {
  await server.close();
});

async function freeSpace(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const id of deviceIds) out[id] = (await server.admin.deviceInfo(id)).storage.free;
  return out;
}

function bricksOnNodes(): number {
  let n = 0;
  for (let i = 0; i < 6; i += 1) n += server.mock.node(`node${i}.example.com`).bricks.size;
  return n;
}

const cases: Array<[string, MockStep, number]> = [
  ['the first brick', 'brickCreate', 0],
  ['the third brick', 'brickCreate', 2],
  ['the fifth brick (second set)', 'brickCreate', 4],
  ['gluster volume create', 'volumeCreate', 0],
];

test.each(cases)('failure at %s', async (_name, step, skip) => {
  const before = await freeSpace();
  server.mock.failAt(step, { skip, message: `injected: ${step} failed on purpose` });
  const err = await server.admin
    .volumeCreate({ size: 20, durability: { type: 'replicate', replicate: { replica: 3 } }, name: `fail_${step}_${skip}` })
    .catch((e: Error & { status?: number }) => e);
  server.mock.clearFaults();
  expect(err).toMatchObject({ status: 500, message: `injected: ${step} failed on purpose` });
  expect(bricksOnNodes()).toBe(0);
  expect(server.mock.volumeNames()).toEqual([]);
  expect(await freeSpace()).toEqual(before);
  expect((await server.admin.volumeList()).volumes).toEqual([]);
  const check = await server.admin.dbCheck();
  expect(check.problems).toEqual([]);
  expect(check.counts.bricks).toBe(0);
});

test('an undo that cannot reach a node is retried until it finishes, and only then is space credited', async () => {
  const before = await freeSpace();
  server.mock.failAt('volumeCreate', { message: 'injected: create failed' });
  server.mock.failAt('brickDestroy', { times: 1, message: 'injected: node unreachable' });
  const err = await server.admin.volumeCreate({ size: 3, durability: { type: 'replicate' } }).catch((e: Error) => e);
  expect(err).toMatchObject({ status: 500, message: 'injected: create failed' });
  // One brick could not be destroyed: its record and its reservation stay until the cleaner succeeds.
  const stuck = await server.container.app.db('operations').where({ cleanup_pending: true });
  expect(stuck).toHaveLength(1);
  expect(bricksOnNodes()).toBe(1);
  const now = await freeSpace();
  expect(Object.values(now).filter((v, i) => v !== Object.values(before)[i])).toHaveLength(1);
  expect((await server.admin.dbCheck()).counts.bricks).toBe(1);

  // Once its lease lapses the recovery scan takes it again and finishes the undo.
  await server.container.app.db('operations').where({ id: stuck[0].id }).update({ lease_expires_at: new Date(0) });
  expect(await server.container.runner.recoverAbandoned()).toBe(1);
  await server.container.runner.idle();
  expect(bricksOnNodes()).toBe(0);
  expect(await freeSpace()).toEqual(before);
  expect(await server.container.app.db('operations').where({ cleanup_pending: true })).toHaveLength(0);
  const check = await server.admin.dbCheck();
  expect(check.problems).toEqual([]);
  expect(check.counts.volumes).toBe(0);
});
