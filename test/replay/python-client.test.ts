import { startTestServer, type TestServer } from '../support/server';
import { pythonClient, Replay } from './support';

/**
 * Heketi's Python client: json.dumps bodies (a space after each colon) and one-second tokens (exp = iat + 1).
 * Heketi accepts such a token during the second its exp names; every call here must succeed.
 */
let server: TestServer;
let py: Replay;
beforeAll(async () => {
  server = await startTestServer({ db: 'postgres' });
  py = await Replay.open(server.port, pythonClient());
}, 300_000);
afterAll(async () => {
  py?.close();
  await server?.close();
});

test('cluster, nodes, devices, volume_create({"size": 1}) -> a none volume, expand, delete', async () => {
  const cluster = await py.send('POST', '/clusters', '{}');
  expect(cluster.status).toBe(201);
  const clusterId = JSON.parse(cluster.body).id as string;
  const node = await py.async('POST', '/nodes', `{"zone": 1, "hostnames": {"manage": ["py1.example.com"], "storage": ["10.2.0.1"]}, "cluster": "${clusterId}"}`);
  expect(node.status).toBe(200);
  const nodeId = JSON.parse(node.body).id as string;
  expect((await py.async('POST', '/devices', `{"name": "/dev/sdb", "node": "${nodeId}"}`)).status).toBe(204);

  const created = await py.async('POST', '/volumes', '{"size": 1}');
  expect(created.status).toBe(200);
  const volume = JSON.parse(created.body);
  expect(volume).toMatchObject({ size: 1, name: `vol_${volume.id}`, durability: { type: 'none' } });
  expect(volume.bricks).toHaveLength(1);
  expect(JSON.parse((await py.send('GET', '/volumes')).body)).toEqual({ volumes: [volume.id] });
  const expanded = await py.async('POST', `/volumes/${volume.id}/expand`, '{"expand_size": 1}');
  expect(JSON.parse(expanded.body)).toMatchObject({ id: volume.id, size: 2 });
  expect((await py.async('DELETE', `/volumes/${volume.id}`)).status).toBe(204);
});

test('one-second tokens: 60 calls in a row all answered 200', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 60; i += 1) statuses.push((await py.send('GET', '/clusters')).status);
  expect(statuses.filter((s) => s !== 200)).toEqual([]);
});

test('a one-second token during the second its exp names is valid, the second after it is expired', async () => {
  const clock = jest.spyOn(Date, 'now');
  try {
    const minted = Math.floor(Date.now() / 1000);
    clock.mockReturnValue(minted * 1000);
    const style = pythonClient();
    const token = style.token('GET', '/clusters');
    const call = async () => {
      const res = await fetch(`${server.url}/clusters`, { headers: { Authorization: `bearer ${token}` } });
      return { status: res.status, text: await res.text() };
    };
    clock.mockReturnValue((minted + 1) * 1000 + 999);
    expect((await call()).status).toBe(200);
    clock.mockReturnValue((minted + 2) * 1000);
    expect(await call()).toEqual({ status: 401, text: 'Invalid JWT token: token is expired\n' });
  } finally {
    clock.mockRestore();
  }
});
