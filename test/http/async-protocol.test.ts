import { buildTopology, startTestServer, type TestServer } from '../support/server';

/** 202 -> /queue: 200 + X-Pending while running, then 303 / 204 / 500; entries live in the database. */
let server: TestServer;
beforeAll(async () => {
  // polls answer at once here, so "pending" is seen however slowly this machine runs (the wait: below)
  server = await startTestServer({ glusterfs: { queue_wait_ms: 0 } });
  await buildTopology(server.admin, { nodes: 3, zones: 3, devicesPerNode: 1 });
});
afterAll(async () => {
  await server.close();
});

async function poll(location: string) {
  for (;;) {
    const r = await server.admin.raw('GET', location);
    if (!(r.status === 200 && r.headers.get('X-Pending') === 'true')) return r;
    await new Promise((res) => setTimeout(res, 10));
  }
}

test('create: 202 with Location, pending while the nodes work, then 303 to the volume', async () => {
  server.mock.latencyMs = 150;
  try {
    const accepted = await server.admin.raw('POST', '/volumes', { size: 1, name: 'slow' });
    expect(accepted.status).toBe(202);
    expect(accepted.text).toBe('');
    const location = accepted.headers.get('Location')!;
    expect(location).toMatch(/^\/queue\/[0-9a-f]{32}$/);
    const pending = await server.admin.raw('GET', location);
    expect(pending.status).toBe(200);
    expect(pending.headers.get('X-Pending')).toBe('true');
    // not visible until it is real
    expect((await server.admin.volumeList()).volumes).toEqual([]);
    const done = await poll(location);
    expect(done.status).toBe(303);
    expect(done.headers.get('Location')).toMatch(/^\/volumes\/[0-9a-f]{32}$/);
    // Brickyard keeps finished entries: a second read gives the same answer.
    const again = await server.admin.raw('GET', location);
    expect(again.status).toBe(303);
    expect(again.headers.get('Location')).toBe(done.headers.get('Location'));
  } finally {
    server.mock.latencyMs = 0;
  }
});

test('delete: 204 when done with no result', async () => {
  const vol = await server.admin.volumeCreate({ size: 1 });
  const accepted = await server.admin.raw('DELETE', `/volumes/${vol.id}`);
  expect(accepted.status).toBe(202);
  const done = await poll(accepted.headers.get('Location')!);
  expect(done.status).toBe(204);
  expect(done.text).toBe('');
});

test('failure: 500 with the reason as text', async () => {
  server.mock.failAt('volumeCreate', { message: 'volume create: boom: failed: Commit failed on localhost' });
  const accepted = await server.admin.raw('POST', '/volumes', { size: 1 });
  expect(accepted.status).toBe(202);
  const done = await poll(accepted.headers.get('Location')!);
  expect(done.status).toBe(500);
  expect(done.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  expect(done.text).toBe('volume create: boom: failed: Commit failed on localhost\n');
});

test('no space is answered at once, before any remote work', async () => {
  const calls = server.mock.callCount;
  const r = await server.admin.raw('POST', '/volumes', { size: 100000, durability: { type: 'replicate' } });
  expect(r.status).toBe(500);
  expect(r.text).toMatch(/^Failed to allocate new volume: No space/);
  expect(server.mock.callCount).toBe(calls);
});

test('a DELETE repeated while the first still runs gets the same queue entry', async () => {
  const vol = await server.admin.volumeCreate({ size: 1 });
  server.mock.latencyMs = 100;
  try {
    const first = await server.admin.raw('DELETE', `/volumes/${vol.id}`);
    const again = await server.admin.raw('DELETE', `/volumes/${vol.id}`);
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.headers.get('Location')).toBe(first.headers.get('Location'));
    const done = await poll(first.headers.get('Location')!);
    expect(done.text).toBe('');
    expect(done.status).toBe(204);
  } finally {
    server.mock.latencyMs = 0;
  }
});

describe('a poll of an operation this server is running waits for its end, up to queue_wait_ms', () => {
  async function withServer(waitMs: number, fn: (s: TestServer) => Promise<void>) {
    const s = await startTestServer({ glusterfs: { queue_wait_ms: waitMs } });
    try {
      await buildTopology(s.admin, { nodes: 3, zones: 3, devicesPerNode: 1 });
      await fn(s);
    } finally {
      await s.close();
    }
  }

  test('an operation that ends within the wait: the first poll answers its result', async () => {
    await withServer(10_000, async (s) => {
      s.mock.latencyMs = 100;
      const accepted = await s.admin.raw('POST', '/volumes', { size: 1, name: 'waited' });
      expect(accepted.status).toBe(202);
      const first = await s.admin.raw('GET', accepted.headers.get('Location')!);
      expect(first.status).toBe(303);
      expect(first.headers.get('Location')).toMatch(/^\/volumes\/[0-9a-f]{32}$/);
    });
  });

  test('an operation still running after the wait: the poll answers pending', async () => {
    await withServer(50, async (s) => {
      s.mock.hangAt('brickCreate');
      const accepted = await s.admin.raw('POST', '/volumes', { size: 1 });
      expect(accepted.status).toBe(202);
      const first = await s.admin.raw('GET', accepted.headers.get('Location')!);
      expect(first.status).toBe(200);
      expect(first.headers.get('X-Pending')).toBe('true');
    });
  });
});
