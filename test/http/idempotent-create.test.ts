import { buildTopology, startTestServer, type TestServer } from '../support/server';

/** A retried create (same name and parameters) must never make a second volume. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ db: 'postgres' });
  await buildTopology(server.admin, { nodes: 3, zones: 3, devicesPerNode: 1 });
});
afterAll(async () => {
  await server.close();
});

const request = { size: 2, name: 'pvc_claim1', durability: { type: 'replicate', replicate: { replica: 3 } } };

test('the same request again returns the same volume', async () => {
  const first = await server.admin.volumeCreate(request);
  const second = await server.admin.volumeCreate(request);
  expect(second.id).toBe(first.id);
  expect((await server.admin.volumeList()).volumes).toEqual([first.id]);
  expect(server.mock.volumeNames()).toEqual(['pvc_claim1']);
});

test('a retry while the first is still running gets the same queue entry', async () => {
  server.mock.latencyMs = 100;
  try {
    const a = await server.admin.raw('POST', '/volumes', { ...request, name: 'pvc_claim2' });
    const b = await server.admin.raw('POST', '/volumes', { ...request, name: 'pvc_claim2' });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.headers.get('Location')).toBe(a.headers.get('Location'));
    await server.container.runner.idle();
    // the operation ran once, not once per request that was handed its queue entry
    const creates = server.mock.calls.filter((c) => c.step === 'volumeCreate' && c.detail === 'pvc_claim2');
    expect(creates).toHaveLength(1);
  } finally {
    server.mock.latencyMs = 0;
  }
});

test('parallel identical creates make exactly one volume', async () => {
  const results = await Promise.all(
    Array.from({ length: 8 }, () => server.admin.volumeCreate({ ...request, name: 'pvc_claim3' })),
  );
  expect(new Set(results.map((r) => r.id)).size).toBe(1);
  expect(server.mock.volumeNames().filter((n) => n === 'pvc_claim3')).toHaveLength(1);
  expect((await server.admin.dbCheck()).problems).toEqual([]);
});

test('a different request under the same name is a conflict and changes nothing', async () => {
  const before = await server.admin.dbDump();
  const r = await server.admin.raw('POST', '/volumes', { ...request, size: 3 });
  expect(r.status).toBe(409);
  expect(r.text).toMatch(/^Volume name pvc_claim1 is already in use by volume [0-9a-f]{32}\n$/);
  expect(await server.admin.dbDump()).toEqual(before);
});

test('a disperse retry is the same request too (durability read back from jsonb has its keys reordered)', async () => {
  const topo = await startTestServer({ db: 'postgres' });
  try {
    await buildTopology(topo.admin, { nodes: 6, zones: 3, devicesPerNode: 1 });
    const disperse = { size: 4, name: 'pvc_disperse', durability: { type: 'disperse', disperse: { data: 4, redundancy: 2 } } };
    const first = await topo.admin.volumeCreate(disperse);
    expect((await topo.admin.volumeCreate(disperse)).id).toBe(first.id);
  } finally {
    await topo.close();
  }
});
