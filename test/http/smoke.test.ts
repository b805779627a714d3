import { buildTopology, startTestServer, type TestServer } from '../support/server';

describe.each(['pglite', 'postgres'] as const)('lifecycle on %s', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  test('replica 3 volume create, info, delete', async () => {
    await buildTopology(server.admin, { nodes: 3, zones: 3, devicesPerNode: 1 });
    const vol = await server.admin.volumeCreate({ size: 10, durability: { type: 'replicate', replicate: { replica: 3 } } });
    expect(vol.size).toBe(10);
    expect(vol.bricks).toHaveLength(3);
    await server.admin.volumeDelete(vol.id);
    expect((await server.admin.volumeList()).volumes).toEqual([]);
    expect((await server.admin.dbCheck()).ok).toBe(true);
  });
});
