import { buildTopology, startTestServer, type TestServer } from '../support/server';

/**
 * Every request body and id is validated: 422 for unparsable JSON, 400 `validation failed: <field>: <reason>`
 * for bad values, 404 for unknown ids, 409 for conflicts, and a rejected request changes nothing.
 */
let server: TestServer;
let clusterId: string;
let nodeIds: string[];
let deviceIds: string[];

beforeAll(async () => {
  server = await startTestServer();
  ({ clusterId, nodeIds, deviceIds } = await buildTopology(server.admin, { nodes: 3, zones: 3, devicesPerNode: 1 }));
});
afterAll(async () => {
  await server.close();
});

async function send(method: string, path: string, body?: string | object) {
  return server.admin.raw(method, path, typeof body === 'string' ? JSON.parse(JSON.stringify(body)) : body);
}

/** Sends a raw (possibly broken) body string. */
async function sendText(method: string, path: string, text: string) {
  const res = await fetch(server.url + path, {
    method,
    headers: { Authorization: `bearer ${server.admin.token(method, path)}`, 'Content-Type': 'application/json' },
    body: text,
  });
  return { status: res.status, text: await res.text() };
}

async function snapshot() {
  return server.admin.dbDump();
}

describe('unparsable bodies', () => {
  test.each([
    ['POST', '/volumes'],
    ['POST', '/nodes'],
    ['POST', '/devices'],
    ['POST', '/clusters/00000000000000000000000000000000/flags'],
  ])('%s %s with broken JSON is 422', async (method, path) => {
    const r = await sendText(method, path, '{"size": 10,');
    expect(r.status).toBe(422);
    expect(r.text).toBe('request unable to be parsed\n');
  });

  test('a JSON array is not an object', async () => {
    const r = await sendText('POST', '/volumes', '[1,2]');
    expect(r.status).toBe(400);
    expect(r.text).toBe('validation failed: body: must be a JSON object\n');
  });
});

describe('volume create', () => {
  const cases: Array<[string, object, RegExp]> = [
    ['size missing', {}, /^validation failed: size: cannot be blank\.\n$/],
    ['size zero (Heketi: the zero value is blank)', { size: 0 }, /^validation failed: size: cannot be blank\.\n$/],
    ['size negative', { size: -5 }, /^validation failed: size: must be no less than 1/],
    ['size fractional', { size: 1.5 }, /^validation failed: size: must be an integer/],
    ['size a string', { size: '10' }, /^validation failed: size: must be a number/],
    ['name with a space', { size: 1, name: 'my vol' }, /^validation failed: name: must start with a letter or digit/],
    ['name starting with -', { size: 1, name: '-rf' }, /^validation failed: name: must start with a letter or digit/],
    ['name with shell characters', { size: 1, name: 'a;rm' }, /^validation failed: name:/],
    ['name null', { size: 1, name: null }, /^validation failed: name: must be a string/],
    ['snapshot factor 0.5 without enable', { size: 1, snapshot: { enable: false, factor: 0.5 } }, /^validation failed: snapshot\.factor: must be no less than 1/],
    ['replica 0 given as a string', { size: 1, durability: { type: 'replicate', replicate: { replica: '0' } } }, /^validation failed: durability\.replicate\.replica:/],
    ['name too long', { size: 1, name: 'a'.repeat(256) }, /^validation failed: name: must be at most 255 characters/],
    ['unknown durability type', { size: 1, durability: { type: 'mirror' } }, /^Unknown durability type\n$/],
    ['replica 4', { size: 1, durability: { type: 'replicate', replicate: { replica: 4 } } }, /^Invalid replica value 4: replica must be 1, 2 or 3\n$/],
    ['disperse 3+1', { size: 1, durability: { type: 'disperse', disperse: { data: 3, redundancy: 1 } } }, /^Invalid dispersion combination: 3\+1; allowed: 2\+1, 4\+2, 8\+3, 8\+4\n$/],
    ['gid negative', { size: 1, gid: -1 }, /^validation failed: gid: must be no less than 0/],
    ['gid too large', { size: 1, gid: 2 ** 31 }, /^validation failed: gid: must be no greater than/],
    ['snapshot factor 0.5', { size: 1, snapshot: { enable: true, factor: 0.5 } }, /^validation failed: snapshot\.factor: must be no less than 1/],
    ['snapshot factor 101', { size: 1, snapshot: { enable: true, factor: 101 } }, /^validation failed: snapshot\.factor: must be no greater than 100/],
    ['cluster id not hex', { size: 1, clusters: ['zz'] }, /^validation failed: clusters\.0: must be a 32 character hex id/],
    ['unknown cluster', { size: 1, clusters: ['0123456789abcdef0123456789abcdef'] }, /^Cluster id 0123456789abcdef0123456789abcdef not found\n$/],
    ['option key starting with -', { size: 1, glustervolumeoptions: ['--mode=script x'] }, /^validation failed: glustervolumeoptions\.0: option key "--mode=script" must start with a letter or digit/],
    ['option without value', { size: 1, glustervolumeoptions: ['performance.readdir-ahead'] }, /needs a value/],
    ['option value starting with -', { size: 1, glustervolumeoptions: ['a.b -x'] }, /must not start with -/],
    ['option value with a newline', { size: 1, glustervolumeoptions: ['a.b on\nrm -rf /'] }, /control characters/],
    ['bad zone-checking option', { size: 1, glustervolumeoptions: ['user.heketi.zone-checking sometimes'] }, /^validation failed: glustervolumeoptions/],
    ['block volumes', { size: 1, block: true }, /^validation failed: block: block volumes are not supported/],
  ];
  test.each(cases)('%s', async (_name, body, expected) => {
    const before = await snapshot();
    const r = await send('POST', '/volumes', body);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(expected);
    expect(await snapshot()).toEqual(before);
  });

  test('expand needs a positive whole size and a known volume', async () => {
    const vol = await server.admin.volumeCreate({ size: 1 });
    const bad = await send('POST', `/volumes/${vol.id}/expand`, { expand_size: 0 });
    expect(bad.status).toBe(400);
    expect(bad.text).toBe('validation failed: expand_size: cannot be blank.\n');
    const negative = await send('POST', `/volumes/${vol.id}/expand`, { expand_size: -1 });
    expect(negative.status).toBe(400);
    expect(negative.text).toBe('validation failed: expand_size: must be no less than 1\n');
    const missing = await send('POST', `/volumes/${'f'.repeat(32)}/expand`, { expand_size: 1 });
    expect(missing.status).toBe(404);
    expect(missing.text).toBe('Id not found\n');
    await server.admin.volumeDelete(vol.id);
  });
});

describe('nodes', () => {
  const base = () => ({ zone: 1, cluster: clusterId, hostnames: { manage: ['newnode.example.com'], storage: ['10.9.9.9'] } });
  const cases: Array<[string, (b: ReturnType<typeof base>) => object, number, RegExp]> = [
    ['zone missing', ({ zone: _z, ...rest }) => rest, 400, /^validation failed: zone: Zone cannot be zero or value is missing\n$/],
    ['zone zero', (b) => ({ ...b, zone: 0 }), 400, /Zone cannot be zero or value is missing/],
    ['cluster not hex', (b) => ({ ...b, cluster: 'abc' }), 400, /^validation failed: cluster: must be a 32 character hex id/],
    ['unknown cluster', (b) => ({ ...b, cluster: 'a'.repeat(32) }), 404, /^Cluster id a{32} not found\n$/],
    ['manage hostname with a space', (b) => ({ ...b, hostnames: { ...b.hostnames, manage: ['bad host'] } }), 400, /^validation failed: hostnames\.manage\.0: "bad host" must be a DNS name or an IP address/],
    ['storage hostname starting with -', (b) => ({ ...b, hostnames: { ...b.hostnames, storage: ['-oProxyCommand=x'] } }), 400, /^validation failed: hostnames\.storage\.0:/],
    ['hostname with $()', (b) => ({ ...b, hostnames: { ...b.hostnames, manage: ['$(reboot)'] } }), 400, /^validation failed: hostnames\.manage\.0:/],
    ['no storage hostnames', (b) => ({ ...b, hostnames: { ...b.hostnames, storage: [] } }), 400, /^validation failed: hostnames\.storage: cannot be blank/],
    ['bad tag key', (b) => ({ ...b, tags: { '-x': 'y' } }), 400, /^validation failed: tags: tag key "-x"/],
    ['manage hostname already used', (b) => ({ ...b, hostnames: { ...b.hostnames, manage: ['node0.example.com'] } }), 409, /^Hostname node0\.example\.com already used by node with id [0-9a-f]{32}\n$/],
    ['storage hostname already used', (b) => ({ ...b, hostnames: { ...b.hostnames, storage: ['10.1.0.1'] } }), 409, /^Hostname 10\.1\.0\.1 already used by node with id/],
  ];
  test.each(cases)('%s', async (_name, make, status, expected) => {
    const before = await snapshot();
    const r = await send('POST', '/nodes', make(base()));
    expect(r.status).toBe(status);
    expect(r.text).toMatch(expected);
    expect(await snapshot()).toEqual(before);
  });

  test('state and tags are validated', async () => {
    const state = await send('POST', `/nodes/${nodeIds[0]}/state`, { state: 'broken' });
    expect(state.status).toBe(400);
    expect(state.text).toBe('validation failed: state: must be one of online, offline, failed\n');
    const tags = await send('POST', `/nodes/${nodeIds[0]}/tags`, { change_type: 'replace', tags: {} });
    expect(tags.status).toBe(400);
    expect(tags.text).toBe('validation failed: change_type: must be one of set, update, delete\n');
    const value = await send('POST', `/nodes/${nodeIds[0]}/tags`, { change_type: 'set', tags: { rack: 'a b' } });
    expect(value.status).toBe(400);
    expect(value.text).toMatch(/^validation failed: tags: tag "rack" value must be/);
  });

  test('deleting a node with devices is a conflict', async () => {
    const r = await send('DELETE', `/nodes/${nodeIds[0]}`);
    expect(r.status).toBe(409);
    expect(r.text).toBe(`Unable to delete node [${nodeIds[0]}] because it contains devices\n`);
  });
});

describe('devices', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['relative path', 'sdb', /^validation failed: name: must be an absolute \/dev\/ path/],
    ['outside /dev', '/etc/passwd', /must be an absolute \/dev\/ path/],
    ['with ..', '/dev/../etc/shadow', /must not contain \. or \.\. components/],
    ['with a space', '/dev/sd b', /must be an absolute \/dev\/ path/],
    ['with a quote', "/dev/sdb'", /must be an absolute \/dev\/ path/],
    ['with $()', '/dev/$(reboot)', /must be an absolute \/dev\/ path/],
    ['too long', `/dev/${'a'.repeat(300)}`, /must be at most 255 characters/],
    ['missing', undefined, /^validation failed: name: cannot be blank\./],
  ];
  test.each(cases)('device name %s', async (_n, name, expected) => {
    const before = await snapshot();
    const r = await send('POST', '/devices', { node: nodeIds[0], name });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(expected);
    expect(await snapshot()).toEqual(before);
  });

  test('unknown node is 404, the same device twice is 409', async () => {
    const unknown = await send('POST', '/devices', { node: 'b'.repeat(32), name: '/dev/sdz' });
    expect(unknown.status).toBe(404);
    expect(unknown.text).toBe(`Node id ${'b'.repeat(32)} not found\n`);
    const dup = await send('POST', '/devices', { node: nodeIds[0], name: '/dev/sdb' });
    expect(dup.status).toBe(409);
    expect(dup.text).toMatch(/^Device \/dev\/sdb already used by device with id [0-9a-f]{32}/);
  });

  test('deleting an online device: not in failed state', async () => {
    const r = await send('DELETE', `/devices/${deviceIds[0]}`);
    expect(r.status).toBe(400);
    expect(r.text).toBe(`device: ${deviceIds[0]} is not in failed state\n`);
  });
});

describe('ids and routes', () => {
  test.each([
    ['GET', '/volumes/not-hex'],
    ['GET', '/nodes/ABCDEF0123456789ABCDEF0123456789'],
    ['GET', '/devices/123'],
    ['GET', '/nosuchthing'],
  ])('%s %s is 404 Invalid path or request', async (method, path) => {
    const r = await send(method, path);
    expect(r.status).toBe(404);
    expect(r.text).toBe('Invalid path or request\n');
  });

  test.each([
    ['/clusters/', 'cluster'],
    ['/nodes/', 'node'],
    ['/devices/', 'device'],
    ['/volumes/', 'volume'],
    ['/queue/', 'queue'],
  ])('unknown id under %s is 404 Id not found', async (prefix) => {
    const r = await send('GET', `${prefix}${'c'.repeat(32)}`);
    expect(r.status).toBe(404);
    expect(r.text).toBe('Id not found\n');
  });

  test('wrong method on a known path is 405', async () => {
    const r = await send('PUT', '/clusters');
    expect(r.status).toBe(405);
  });

  test('deleting a cluster with nodes is a conflict', async () => {
    const r = await send('DELETE', `/clusters/${clusterId}`);
    expect(r.status).toBe(409);
    expect(r.text).toBe(`Unable to delete cluster [${clusterId}] because it contains volumes and/or nodes\n`);
  });
});
