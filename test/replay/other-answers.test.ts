import { RawConnection, requestBytes } from '../support/raw-http';
import { buildTopology, startTestServer, type TestServer } from '../support/server';
import { goClient, Replay } from './support';

/**
 * The "other answers observed" of real-clients.md: Heketi's status and text for each request. Not here yet,
 * because Brickyard still answers differently: POST /clusters with no body (Heketi 422, Brickyard 201) and
 * online -> failed directly on a device or node (Heketi: queue 500 "must be offline before remove", Brickyard
 * moves the bricks and answers 204).
 */
let server: TestServer;
let go: Replay;
beforeAll(async () => {
  server = await startTestServer({ db: 'postgres' });
  go = await Replay.open(server.port, goClient());
  await buildTopology(server.admin, { nodes: 3, zones: 3, devicesPerNode: 1 });
}, 300_000);
afterAll(async () => {
  go?.close();
  await server?.close();
});

test('expand_size 0: 400 validation failed: expand_size: cannot be blank.', async () => {
  const v = await go.async('POST', '/volumes', '{"size":1}');
  const id = JSON.parse(v.body).id as string;
  const r = await go.send('POST', `/volumes/${id}/expand`, '{"expand_size":0}');
  expect(r.status).toBe(400);
  expect(r.body).toBe('validation failed: expand_size: cannot be blank.\n');
  expect((await go.async('DELETE', `/volumes/${id}`)).status).toBe(204);
});

test('bearer garbage: 401 Invalid JWT token: token contains an invalid number of segments', async () => {
  const c = await RawConnection.open(server.port);
  try {
    await c.write(requestBytes('GET', '/clusters', { Authorization: 'bearer garbage' }));
    const r = await c.response();
    expect(r.status).toBe(401);
    expect(r.body).toBe('Invalid JWT token: token contains an invalid number of segments\n');
  } finally {
    c.close();
  }
});
