import { HeketiClient } from '../../src/client/heketi-client';
import { MockExecutor } from '../../src/executors/mock';
import { Gate, gatedExecutor } from '../support/gated-executor';
import { ADMIN_KEY, buildTopology, startTestServer, type TestServer } from '../support/server';

/**
 * Operations wait for a slot instead of failing; only when the waiting line is full is a request refused
 * with Heketi's 429, and requests arriving together cannot overfill the line.
 */
let server: TestServer;
/** Holds the first create's bricks until every answer of the burst is in, however slowly the requests arrive. */
const gate = new Gate();
beforeAll(async () => {
  const executor = gatedExecutor(new MockExecutor({ device_size_gib: 500, device_sizes: {} }), 'brickCreate', 'before', gate);
  server = await startTestServer({ executor, glusterfs: { max_inflight_operations: 1, max_queued_operations: 2 } });
  await buildTopology(server.admin, { nodes: 3, zones: 3, devicesPerNode: 1 });
});
afterAll(async () => {
  await server.close();
});

test('one running, two waiting, the rest 429 with Retry-After; all admitted ones finish', async () => {
  const noRetry = new HeketiClient(server.url, { user: 'admin', key: ADMIN_KEY, maxRetries: 0 });
  const answers = await Promise.all(
    Array.from({ length: 10 }, (_, i) => noRetry.raw('POST', '/volumes', { size: 1, name: `q${i}` })),
  );
  await gate.reached;
  gate.release();
  const accepted = answers.filter((a) => a.status === 202);
  const busy = answers.filter((a) => a.status === 429);
  expect(accepted).toHaveLength(3);
  expect(busy).toHaveLength(7);
  for (const b of busy) {
    expect(b.text).toBe('Server busy. Retry operation later.\n');
    expect(b.headers.get('Retry-After')).toBe('1');
  }
  await server.container.runner.idle();
  for (const a of accepted) {
    expect((await server.admin.raw('GET', a.headers.get('Location')!)).status).toBe(303);
  }
  // refused requests changed nothing
  expect((await server.admin.volumeList()).volumes).toHaveLength(3);
  expect((await server.admin.dbCheck()).problems).toEqual([]);
});

test('the Go-client behaviour: a 429 is retried, so every create of a burst succeeds', async () => {
  const created = await Promise.all(Array.from({ length: 6 }, (_, i) => server.admin.volumeCreate({ size: 1, name: `r${i}` })));
  expect(new Set(created.map((v) => v.id)).size).toBe(6);
});
