import { startTestServer, type TestServer } from '../support/server';
import { goClient, Replay } from './support';

/**
 * heketi-cli v10.4.1 and the Kubernetes provisioner, replayed byte for byte (real-clients.md): every request
 * body is the captured one, every answer is checked against what Heketi answered.
 */
let server: TestServer;
let go: Replay;
let clusterId: string;
const ID = /^[0-9a-f]{32}$/;

beforeAll(async () => {
  server = await startTestServer({ db: 'postgres' });
  go = await Replay.open(server.port, goClient());
  // the topology as heketi-cli builds it: cluster, node add and device add bodies as captured
  const cluster = await go.send('POST', '/clusters', '{"file":true,"block":true}');
  expect(cluster.status).toBe(201);
  clusterId = JSON.parse(cluster.body).id;
  for (let i = 1; i <= 6; i += 1) {
    const zone = ((i - 1) % 3) + 1;
    const node = await go.async('POST', '/nodes', `{"zone":${zone},"hostnames":{"manage":["node${i}.example.com"],"storage":["10.0.0.${i}"]},"cluster":"${clusterId}"}`);
    expect(node.status).toBe(200);
    const nodeId = JSON.parse(node.body).id;
    for (const dev of ['/dev/sdb', '/dev/sdc']) {
      const added = await go.async('POST', '/devices', `{"name":"${dev}","node":"${nodeId}"}`);
      expect(added.status).toBe(204);
    }
  }
}, 300_000);
afterAll(async () => {
  go?.close();
  await server?.close();
});

async function removeVolume(id: string) {
  expect((await go.async('DELETE', `/volumes/${id}`)).status).toBe(204);
}

test('heketi-cli volume create with no flags: name "" -> vol_<id>, snapshot factor 0 -> no reserve', async () => {
  const v = await go.async(
    'POST',
    '/volumes',
    '{"size":10,"name":"","durability":{"type":"replicate","replicate":{"replica":3},"disperse":{"data":4,"redundancy":2}},"snapshot":{"enable":false,"factor":0}}',
  );
  expect(v.status).toBe(200);
  const volume = JSON.parse(v.body);
  expect(volume.name).toBe(`vol_${volume.id}`);
  expect(volume).toMatchObject({ size: 10, durability: { type: 'replicate', replicate: { replica: 3 } }, snapshot: { enable: false, factor: 1 } });
  expect(volume.bricks).toHaveLength(3);
  expect(server.mock.volume(volume.name)).toBeDefined();
  // no snapshot reserve: thin pools are the size of the bricks
  const dump = await server.admin.dbDump();
  for (const b of volume.bricks) expect(dump.brickentries[b.id].tpSizeKib).toBe(dump.brickentries[b.id].sizeKib);
  await removeVolume(volume.id);
});

test.each([
  ['disperse', '"type":"disperse"', { type: 'disperse', disperse: { data: 4, redundancy: 2 } }, 6],
  ['none', '"type":"none"', { type: 'none' }, 1],
])('heketi-cli --durability=%s: both sub-objects present, the type decides', async (_name, type, durability, bricks) => {
  const v = await go.async(
    'POST',
    '/volumes',
    `{"size":8,"name":"","durability":{${type},"replicate":{"replica":3},"disperse":{"data":4,"redundancy":2}},"snapshot":{"enable":false,"factor":0}}`,
  );
  expect(v.status).toBe(200);
  const volume = JSON.parse(v.body);
  expect(volume.durability).toMatchObject(durability);
  expect(volume.bricks).toHaveLength(bricks);
  await removeVolume(volume.id);
});

test('heketi-cli --name=pvc-demo --snapshot-factor=1.5 --gluster-volume-options', async () => {
  const v = await go.async(
    'POST',
    '/volumes',
    '{"size":10,"name":"pvc-demo","durability":{"type":"replicate","replicate":{"replica":3},"disperse":{"data":4,"redundancy":2}},"snapshot":{"enable":true,"factor":1.5},"glustervolumeoptions":["performance.readdir-ahead off"]}',
  );
  expect(v.status).toBe(200);
  const volume = JSON.parse(v.body);
  expect(volume).toMatchObject({ name: 'pvc-demo', snapshot: { enable: true, factor: 1.5 } });
  expect(server.mock.volume('pvc-demo')!.options['performance.readdir-ahead']).toBe('off');
  await removeVolume(volume.id);
});

test('a non-empty name is still held to the pattern', async () => {
  const r = await go.send('POST', '/volumes', '{"size":1,"name":"-rf x","durability":{"type":"none","replicate":{"replica":3},"disperse":{"data":4,"redundancy":2}},"snapshot":{"enable":false,"factor":0}}');
  expect(r.status).toBe(400);
  expect(r.body).toMatch(/^validation failed: name: must start with a letter or digit/);
});

test("heketi-cli's whole sequence: create, info, expand, delete", async () => {
  const started = await go.send(
    'POST',
    '/volumes',
    '{"size":10,"name":"","durability":{"type":"replicate","replicate":{"replica":3},"disperse":{"data":4,"redundancy":2}},"snapshot":{"enable":false,"factor":0}}',
  );
  expect(started.status).toBe(202);
  expect(started.body).toBe('');
  const queue = started.headers.location!;
  let poll = await go.send('GET', queue);
  while (poll.status === 200) poll = await go.send('GET', queue);
  expect(poll.status).toBe(303);
  expect(poll.headers.location).toMatch(/^\/volumes\/[0-9a-f]{32}$/);
  const created = JSON.parse((await go.send('GET', poll.headers.location!)).body);
  expect(created.id).toMatch(ID);

  const info = await go.send('GET', `/volumes/${created.id}`);
  expect(info.status).toBe(200);
  expect(info.headers['content-type']).toMatch(/^application\/json/);
  expect(JSON.parse(info.body)).toMatchObject({ id: created.id, name: `vol_${created.id}`, size: 10, cluster: clusterId });

  const expanded = await go.async('POST', `/volumes/${created.id}/expand`, '{"expand_size":5}');
  expect(expanded.status).toBe(200);
  expect(JSON.parse(expanded.body)).toMatchObject({ id: created.id, size: 15 });
  expect(JSON.parse(expanded.body).bricks).toHaveLength(6);

  const deleted = await go.send('DELETE', `/volumes/${created.id}`);
  expect(deleted.status).toBe(202);
  let end = await go.send('GET', deleted.headers.location!);
  while (end.status === 200) end = await go.send('GET', deleted.headers.location!);
  expect(end.status).toBe(204);
  expect((await go.send('GET', `/volumes/${created.id}`)).status).toBe(404);
  expect(server.mock.volumeNames()).toEqual([]);
});

test('the Kubernetes provisioner, StorageClass without volumenameprefix', async () => {
  const v = await go.async(
    'POST',
    '/volumes',
    `{"size":1,"name":"","clusters":["${clusterId}"],"durability":{"type":"replicate","replicate":{"replica":3},"disperse":{}},"gid":2000,"snapshot":{"enable":true,"factor":1}}`,
  );
  expect(v.status).toBe(200);
  const volume = JSON.parse(v.body);
  expect(volume).toMatchObject({ name: `vol_${volume.id}`, cluster: clusterId, gid: 2000, snapshot: { enable: true, factor: 1 } });
  expect(volume.durability).toMatchObject({ type: 'replicate', replicate: { replica: 3 } });
  await removeVolume(volume.id);
});

test('Go zero values: replicate {} (replica 0) is the default replica 3', async () => {
  const v = await go.async('POST', '/volumes', '{"size":1,"durability":{"type":"replicate","replicate":{}}}');
  expect(v.status).toBe(200);
  const volume = JSON.parse(v.body);
  expect(volume.durability).toMatchObject({ type: 'replicate', replicate: { replica: 3 } });
  expect(volume.bricks).toHaveLength(3);
  await removeVolume(volume.id);
});

test('a size no device can hold: 500 Failed to allocate new volume: No space, nothing recorded', async () => {
  const r = await go.send('POST', '/volumes', '{"size":2000000,"durability":{"type":"replicate","replicate":{"replica":3}}}');
  expect(r.status).toBe(500);
  expect(r.body).toMatch(/^Failed to allocate new volume: No space/);
  expect(JSON.parse((await go.send('GET', '/volumes')).body)).toEqual({ volumes: [] });
});
