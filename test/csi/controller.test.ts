import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { startCsi } from '../../src/csi/main';
import type { RunningCsiServer } from '../../src/csi/server';
import { ADMIN_KEY, buildTopology, startTestServer, type TestServer } from '../support/server';
import { csiClient, GIB, grpc, MOUNT_CAP, scratchDir, type CsiClient } from './csi-client';

/**
 * The controller and identity services over a real unix socket, against a real Brickyard server (PGlite, mock
 * executor: the storage nodes are the named mock), as the external-provisioner and external-resizer call them.
 */
const { status } = grpc;
const VERSION = (JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;
const silent = pino({ level: 'silent' });

let brickyard: TestServer;
let clusterId: string;
let scratch: ReturnType<typeof scratchDir>;
let driver: RunningCsiServer;
let csi: CsiClient;

async function controllerFor(url: string, key = ADMIN_KEY, name = 'controller') {
  const server = await startCsi({ mode: 'controller', endpoint: `unix://${scratch.dir}/${name}.sock`, version: VERSION, server: url, user: 'admin', key, log: silent });
  return { server, client: csiClient(server.endpoint) };
}

beforeAll(async () => {
  scratch = scratchDir('csi-controller-');
  brickyard = await startTestServer({ db: 'postgres' });
  ({ clusterId } = await buildTopology(brickyard.admin, { nodes: 6, zones: 3, devicesPerNode: 1 }));
  ({ server: driver, client: csi } = await controllerFor(brickyard.url));
}, 120_000);
afterAll(async () => {
  csi?.close();
  await driver?.close();
  await brickyard?.close();
  scratch?.remove();
});

const create = (name: string, extra: object = {}) =>
  csi.call('Controller', 'CreateVolume', { name, volume_capabilities: [MOUNT_CAP], capacity_range: { required_bytes: 2 * GIB }, ...extra });

async function brickyardVolumeNamed(name: string) {
  for (const id of (await brickyard.admin.volumeList()).volumes) {
    const v = await brickyard.admin.volumeInfo(id);
    if (v.name === name) return v;
  }
  return undefined;
}

describe('identity', () => {
  test('plugin info, capabilities and probe', async () => {
    expect(await csi.call('Identity', 'GetPluginInfo')).toEqual({ name: 'brickyard.gluster.io', vendor_version: VERSION, manifest: {} });
    const caps = await csi.call('Identity', 'GetPluginCapabilities');
    expect(caps.capabilities).toEqual([
      { service: { type: 'CONTROLLER_SERVICE' }, type: 'service' },
      { volume_expansion: { type: 'ONLINE' }, type: 'volume_expansion' },
    ]);
    expect(await csi.call('Identity', 'Probe')).toEqual({ ready: { value: true } });
  });

  test('probe fails when Brickyard cannot be reached, and Brickyard calls are UNAVAILABLE', async () => {
    const { server, client } = await controllerFor('http://127.0.0.1:1', ADMIN_KEY, 'nowhere');
    try {
      const probe = await client.fail('Identity', 'Probe');
      expect(probe.code).toBe(status.FAILED_PRECONDITION);
      expect(probe.details).toMatch(/Unable to reach server http:\/\/127\.0\.0\.1:1/);
      const e = await client.fail('Controller', 'CreateVolume', { name: 'pvc-unreachable', volume_capabilities: [MOUNT_CAP] });
      expect(e.code).toBe(status.UNAVAILABLE);
      expect(e.details).toMatch(/creating volume pvc-unreachable: Unable to reach server/);
      expect((await client.fail('Controller', 'ListVolumes')).code).toBe(status.UNAVAILABLE);
    } finally {
      client.close();
      await server.close();
    }
  });

  test('a wrong key is UNAUTHENTICATED and says what to check', async () => {
    const { server, client } = await controllerFor(brickyard.url, 'not-the-key', 'badkey');
    try {
      const e = await client.fail('Controller', 'CreateVolume', { name: 'pvc-badkey', volume_capabilities: [MOUNT_CAP] });
      expect(e.code).toBe(status.UNAUTHENTICATED);
      expect(e.details).toMatch(/check the Brickyard user and key/);
      expect(await brickyardVolumeNamed('pvc-badkey')).toBeUndefined();
    } finally {
      client.close();
      await server.close();
    }
  });
});

test('controller capabilities', async () => {
  const res = await csi.call('Controller', 'ControllerGetCapabilities');
  expect(res.capabilities.map((c: { rpc: { type: string } }) => c.rpc.type)).toEqual(['CREATE_DELETE_VOLUME', 'LIST_VOLUMES', 'GET_CAPACITY', 'EXPAND_VOLUME']);
});

jest.setTimeout(60_000);

describe('CreateVolume', () => {
  test('makes a replica 3 volume named after the request; the context says how to mount it', async () => {
    const res = await create('pvc-create-1', { capacity_range: { required_bytes: String(1.5 * GIB) } });
    const v = await brickyard.admin.volumeInfo(res.volume.volume_id);
    expect(v).toMatchObject({ name: 'pvc-create-1', size: 2, durability: { type: 'replicate', replicate: { replica: 3 } }, gid: 0 });
    const [first, ...rest] = v.mount.glusterfs.hosts as string[];
    expect(res.volume).toMatchObject({
      capacity_bytes: String(2 * GIB),
      volume_id: v.id,
      volume_context: { server: first, backupServers: rest.join(':'), volume: 'pvc-create-1', source: `${first}:pvc-create-1` },
    });
    // every node of the cluster serves the volfile: the first, then the other five as backups
    expect(rest).toHaveLength(5);
  });

  test('is idempotent: the same call again returns the same volume and makes nothing', async () => {
    const a = await create('pvc-idem');
    const before = (await brickyard.admin.volumeList()).volumes.length;
    const b = await create('pvc-idem');
    const [c, d] = await Promise.all([create('pvc-idem'), create('pvc-idem')]);
    for (const r of [b, c, d]) expect(r.volume).toEqual(a.volume);
    expect((await brickyard.admin.volumeList()).volumes).toHaveLength(before);
    expect(brickyard.mock.volumeNames().filter((n) => n === 'pvc-idem')).toHaveLength(1);
  });

  test('the same name with other parameters is ALREADY_EXISTS and changes nothing', async () => {
    await create('pvc-taken');
    const before = await brickyard.admin.dbDump();
    const bigger = await csi.fail('Controller', 'CreateVolume', { name: 'pvc-taken', volume_capabilities: [MOUNT_CAP], capacity_range: { required_bytes: 4 * GIB } });
    expect(bigger.code).toBe(status.ALREADY_EXISTS);
    expect(bigger.details).toMatch(/Volume name pvc-taken is already in use by volume [0-9a-f]{32}/);
    const other = await csi.fail('Controller', 'CreateVolume', {
      name: 'pvc-taken',
      volume_capabilities: [MOUNT_CAP],
      capacity_range: { required_bytes: 2 * GIB },
      parameters: { volumeoptions: 'performance.readdir-ahead off' },
    });
    expect(other.code).toBe(status.ALREADY_EXISTS);
    expect(other.details).toMatch(/lacks the volume options performance.readdir-ahead off/);
    const disperse = await csi.fail('Controller', 'CreateVolume', {
      name: 'pvc-taken',
      volume_capabilities: [MOUNT_CAP],
      capacity_range: { required_bytes: 2 * GIB },
      parameters: { volumetype: 'disperse:4:2' },
    });
    expect(disperse.code).toBe(status.ALREADY_EXISTS);
    expect(await brickyard.admin.dbDump()).toEqual(before);
  });

  test('capacity_range rounds up to whole GiB and honours limit_bytes', async () => {
    const size = async (name: string, range: object | undefined) => {
      const res = await csi.call('Controller', 'CreateVolume', { name, volume_capabilities: [MOUNT_CAP], capacity_range: range });
      const v = await brickyard.admin.volumeInfo(res.volume.volume_id);
      expect(res.volume.capacity_bytes).toBe(String(v.size * GIB));
      return v.size;
    };
    expect(await size('pvc-round-1byte', { required_bytes: '1' })).toBe(1);
    expect(await size('pvc-round-exact', { required_bytes: String(3 * GIB) })).toBe(3);
    expect(await size('pvc-round-up', { required_bytes: String(3 * GIB + 1) })).toBe(4);
    expect(await size('pvc-round-none', undefined)).toBe(1);
    expect(await size('pvc-round-limit', { required_bytes: String(GIB + 5), limit_bytes: String(2 * GIB) })).toBe(2);
    expect(await size('pvc-round-onlylimit', { limit_bytes: String(5 * GIB) })).toBe(1);

    const tooTight = await csi.fail('Controller', 'CreateVolume', {
      name: 'pvc-round-tight',
      volume_capabilities: [MOUNT_CAP],
      capacity_range: { required_bytes: String(GIB + 1), limit_bytes: String(GIB + GIB / 2) },
    });
    expect(tooTight.code).toBe(status.OUT_OF_RANGE);
    expect(tooTight.details).toMatch(/whole GiB; the smallest size that can be given is 2 GiB/);
    const inverted = await csi.fail('Controller', 'CreateVolume', {
      name: 'pvc-round-inverted',
      volume_capabilities: [MOUNT_CAP],
      capacity_range: { required_bytes: String(3 * GIB), limit_bytes: String(2 * GIB) },
    });
    expect(inverted.code).toBe(status.INVALID_ARGUMENT);
    const negative = await csi.fail('Controller', 'CreateVolume', { name: 'pvc-round-neg', volume_capabilities: [MOUNT_CAP], capacity_range: { required_bytes: '-1' } });
    expect(negative.code).toBe(status.INVALID_ARGUMENT);
    expect(negative.details).toMatch(/capacity_range.required_bytes: must not be negative/);
    for (const name of ['pvc-round-tight', 'pvc-round-inverted', 'pvc-round-neg']) expect(await brickyardVolumeNamed(name)).toBeUndefined();
  });

  test('StorageClass parameters reach Brickyard', async () => {
    const res = await create('pvc-params', {
      capacity_range: { required_bytes: 4 * GIB },
      parameters: {
        volumetype: 'disperse:4:2',
        clusterid: clusterId,
        volumeoptions: 'performance.readdir-ahead off, performance.stat-prefetch on',
        gidMin: '40000',
        gidMax: '40010',
        snapfactor: '1.5',
        zonechecking: 'strict',
        'csi.storage.k8s.io/pv/name': 'ignored-by-the-driver',
      },
    });
    const v = await brickyard.admin.volumeInfo(res.volume.volume_id);
    expect(v).toMatchObject({
      cluster: clusterId,
      durability: { type: 'disperse', disperse: { data: 4, redundancy: 2 } },
      snapshot: { enable: true, factor: 1.5 },
    });
    expect(v.glustervolumeoptions).toEqual(
      expect.arrayContaining(['performance.readdir-ahead off', 'performance.stat-prefetch on', 'user.heketi.zone-checking strict']),
    );
    expect(v.gid).toBeGreaterThanOrEqual(40000);
    expect(v.gid).toBeLessThanOrEqual(40010);
    expect(res.volume.volume_context.gid).toBe(String(v.gid));
    expect(brickyard.mock.volume('pvc-params')!.options['performance.readdir-ahead']).toBe('off');
    // a second volume from the same range gets another gid; a retry keeps the first one's
    const second = await create('pvc-params-2', { parameters: { gidMin: '40000', gidMax: '40010' } });
    expect(second.volume.volume_context.gid).not.toBe(String(v.gid));
    const again = await create('pvc-params', {
      capacity_range: { required_bytes: 4 * GIB },
      parameters: { volumetype: 'disperse:4:2', clusterid: clusterId, volumeoptions: 'performance.readdir-ahead off, performance.stat-prefetch on', gidMin: '40000', gidMax: '40010', snapfactor: '1.5', zonechecking: 'strict' },
    });
    expect(again.volume).toEqual(res.volume);
  });

  test('volumetype none and replicate:2 as the old provisioner took them', async () => {
    const none = await create('pvc-none', { parameters: { volumetype: 'none' } });
    expect((await brickyard.admin.volumeInfo(none.volume.volume_id)).durability.type).toBe('none');
    const r2 = await create('pvc-r2', { parameters: { volumetype: 'replicate:2' } });
    expect((await brickyard.admin.volumeInfo(r2.volume.volume_id)).durability).toMatchObject({ type: 'replicate', replicate: { replica: 2 } });
  });

  test.each([
    [{ volume_capabilities: [MOUNT_CAP] }, /^name: is required$/],
    [{ name: 'pvc-nocaps' }, /^volume_capabilities: is required$/],
    [{ name: '-o rw', volume_capabilities: [MOUNT_CAP] }, /^name: "-o rw" must start with a letter or digit/],
    [{ name: 'pvc-block', volume_capabilities: [{ block: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } }] }, /raw block access is not supported/],
    [{ name: 'pvc-nomode', volume_capabilities: [{ mount: {} }] }, /access_mode is required/],
    [{ name: 'pvc-xfs', volume_capabilities: [{ mount: { fs_type: 'xfs' }, access_mode: { mode: 'SINGLE_NODE_WRITER' } }] }, /fs_type "xfs" is not supported/],
    [{ name: 'pvc-clone', volume_capabilities: [MOUNT_CAP], volume_content_source: { volume: { volume_id: 'x' } } }, /volume_content_source: volumes made from snapshots or other volumes are not supported/],
    [{ name: 'pvc-badtype', volume_capabilities: [MOUNT_CAP], parameters: { volumetype: 'mirror:2' } }, /^parameters.volumetype: "mirror:2" must be replicate/],
    [{ name: 'pvc-replica9', volume_capabilities: [MOUNT_CAP], parameters: { volumetype: 'replicate:9' } }, /replica count 9 must be 1, 2 or 3/],
    [{ name: 'pvc-unknown', volume_capabilities: [MOUNT_CAP], parameters: { colour: 'blue' } }, /^parameters.colour: unknown parameter/],
    [{ name: 'pvc-resturl', volume_capabilities: [MOUNT_CAP], parameters: { resturl: 'http://x' } }, /not StorageClass parameters for the CSI driver/],
    [{ name: 'pvc-badcluster', volume_capabilities: [MOUNT_CAP], parameters: { clusterid: 'abc' } }, /parameters.clusterid: "abc" is not a cluster id/],
    [{ name: 'pvc-badopt', volume_capabilities: [MOUNT_CAP], parameters: { volumeoptions: 'foo -x' } }, /parameters.volumeoptions: option "foo" value must not start with -/],
    [{ name: 'pvc-badgid', volume_capabilities: [MOUNT_CAP], parameters: { gidMin: '5000', gidMax: '4000' } }, /parameters.gidMin: 5000 is above gidMax 4000/],
    [{ name: 'pvc-badsnap', volume_capabilities: [MOUNT_CAP], parameters: { snapfactor: '0.5' } }, /parameters.snapfactor: "0.5" must be a number from 1 to 100/],
    [{ name: 'pvc-badzone', volume_capabilities: [MOUNT_CAP], parameters: { zonechecking: 'loose' } }, /parameters.zonechecking: "loose" must be strict, best-effort or none/],
  ])('bad request %# is INVALID_ARGUMENT naming the field, and makes nothing', async (request, message) => {
    const before = (await brickyard.admin.volumeList()).volumes.length;
    const e = await csi.fail('Controller', 'CreateVolume', request);
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(e.details).toMatch(message);
    expect((await brickyard.admin.volumeList()).volumes).toHaveLength(before);
  });

  test('no room is RESOURCE_EXHAUSTED with Brickyard\'s explanation', async () => {
    const before = await brickyard.admin.dbDump();
    const e = await csi.fail('Controller', 'CreateVolume', { name: 'pvc-huge', volume_capabilities: [MOUNT_CAP], capacity_range: { required_bytes: String(5000 * GIB) } });
    expect(e.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(e.details).toMatch(/creating volume pvc-huge: Brickyard answered: .*No space/);
    expect(await brickyard.admin.dbDump()).toEqual(before);
  });

  test('strict zone checking that cannot be met is RESOURCE_EXHAUSTED too', async () => {
    // disperse 8+3 needs 11 bricks on distinct nodes; there are 6
    const e = await csi.fail('Controller', 'CreateVolume', { name: 'pvc-8-3', volume_capabilities: [MOUNT_CAP], parameters: { volumetype: 'disperse:8:3' } });
    expect(e.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(e.details).toMatch(/No space/);
  });
});

describe('DeleteVolume', () => {
  test('deletes; an unknown or already deleted id is success; a missing id is INVALID_ARGUMENT', async () => {
    const res = await create('pvc-delete');
    expect(await csi.call('Controller', 'DeleteVolume', { volume_id: res.volume.volume_id })).toEqual({});
    await expect(brickyard.admin.volumeInfo(res.volume.volume_id)).rejects.toMatchObject({ status: 404 });
    expect(brickyard.mock.volumeNames()).not.toContain('pvc-delete');
    expect(await csi.call('Controller', 'DeleteVolume', { volume_id: res.volume.volume_id })).toEqual({});
    expect(await csi.call('Controller', 'DeleteVolume', { volume_id: '0123456789abcdef0123456789abcdef' })).toEqual({});
    expect(await csi.call('Controller', 'DeleteVolume', { volume_id: 'not-a-brickyard-id' })).toEqual({});
    const e = await csi.fail('Controller', 'DeleteVolume', {});
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(e.details).toBe('volume_id: is required');
  });
});

describe('ControllerExpandVolume', () => {
  test('grows the volume in whole GiB, idempotently; no node expansion', async () => {
    const res = await create('pvc-expand');
    const id = res.volume.volume_id;
    const grown = await csi.call('Controller', 'ControllerExpandVolume', { volume_id: id, capacity_range: { required_bytes: String(4 * GIB + 1) } });
    expect(grown).toEqual({ capacity_bytes: String(5 * GIB), node_expansion_required: false });
    expect((await brickyard.admin.volumeInfo(id)).size).toBe(5);
    const again = await csi.call('Controller', 'ControllerExpandVolume', { volume_id: id, capacity_range: { required_bytes: String(5 * GIB) } });
    expect(again).toEqual(grown);
    const smaller = await csi.call('Controller', 'ControllerExpandVolume', { volume_id: id, capacity_range: { required_bytes: String(3 * GIB) } });
    expect(smaller.capacity_bytes).toBe(String(5 * GIB));
    expect((await brickyard.admin.volumeInfo(id)).size).toBe(5);
  });

  test('errors', async () => {
    const unknown = await csi.fail('Controller', 'ControllerExpandVolume', { volume_id: '0123456789abcdef0123456789abcdef', capacity_range: { required_bytes: String(GIB) } });
    expect(unknown.code).toBe(status.NOT_FOUND);
    expect((await csi.fail('Controller', 'ControllerExpandVolume', { capacity_range: { required_bytes: String(GIB) } })).code).toBe(status.INVALID_ARGUMENT);
    const noRange = await csi.fail('Controller', 'ControllerExpandVolume', { volume_id: '0123456789abcdef0123456789abcdef' });
    expect(noRange.code).toBe(status.INVALID_ARGUMENT);
    expect(noRange.details).toBe('capacity_range: is required');
    const res = await create('pvc-expand-huge');
    const huge = await csi.fail('Controller', 'ControllerExpandVolume', { volume_id: res.volume.volume_id, capacity_range: { required_bytes: String(9000 * GIB) } });
    expect(huge.code).toBe(status.RESOURCE_EXHAUSTED);
    expect((await brickyard.admin.volumeInfo(res.volume.volume_id)).size).toBe(2);
  });
});

describe('ValidateVolumeCapabilities', () => {
  test('confirms mount access in every access mode', async () => {
    const res = await create('pvc-validate');
    const modes = ['SINGLE_NODE_WRITER', 'SINGLE_NODE_READER_ONLY', 'MULTI_NODE_READER_ONLY', 'MULTI_NODE_SINGLE_WRITER', 'MULTI_NODE_MULTI_WRITER', 'SINGLE_NODE_SINGLE_WRITER', 'SINGLE_NODE_MULTI_WRITER'];
    const caps = modes.map((mode) => ({ mount: { fs_type: '', mount_flags: [] }, access_mode: { mode } }));
    const ok = await csi.call('Controller', 'ValidateVolumeCapabilities', { volume_id: res.volume.volume_id, volume_capabilities: caps, volume_context: res.volume.volume_context });
    expect(ok.confirmed.volume_capabilities.map((c: { access_mode: { mode: string } }) => c.access_mode.mode)).toEqual(modes);
    expect(ok.confirmed.volume_context).toEqual(res.volume.volume_context);
    expect(ok.message).toBe('');
  });

  test('raw block is not confirmed and says why; unknown id NOT_FOUND; no capabilities INVALID_ARGUMENT', async () => {
    const res = await create('pvc-validate-2');
    const block = await csi.call('Controller', 'ValidateVolumeCapabilities', {
      volume_id: res.volume.volume_id,
      volume_capabilities: [{ block: {}, access_mode: { mode: 'MULTI_NODE_MULTI_WRITER' } }],
    });
    expect(block.confirmed).toBeNull();
    expect(block.message).toMatch(/raw block access is not supported/);
    const params = await csi.call('Controller', 'ValidateVolumeCapabilities', {
      volume_id: res.volume.volume_id,
      volume_capabilities: [MOUNT_CAP],
      parameters: { volumetype: 'none' },
    });
    expect(params.confirmed).toBeNull();
    expect(params.message).toMatch(/it is replicate:3, not none/);
    const unknown = await csi.fail('Controller', 'ValidateVolumeCapabilities', { volume_id: '0123456789abcdef0123456789abcdef', volume_capabilities: [MOUNT_CAP] });
    expect(unknown.code).toBe(status.NOT_FOUND);
    const none = await csi.fail('Controller', 'ValidateVolumeCapabilities', { volume_id: res.volume.volume_id });
    expect(none.code).toBe(status.INVALID_ARGUMENT);
    expect(none.details).toBe('volume_capabilities: is required');
  });
});

describe('ListVolumes', () => {
  test('pages with tokens through every volume exactly once', async () => {
    for (let i = 0; i < 5; i += 1) await create(`pvc-list-${i}`, { capacity_range: { required_bytes: GIB } });
    const all = (await brickyard.admin.volumeList()).volumes as string[];
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await csi.call('Controller', 'ListVolumes', { max_entries: 2, starting_token: token });
      expect(page.entries.length).toBeLessThanOrEqual(2);
      for (const e of page.entries) {
        seen.push(e.volume.volume_id);
        expect(e.volume.volume_context.volume).toBe((await brickyard.admin.volumeInfo(e.volume.volume_id)).name);
      }
      token = page.next_token;
      pages += 1;
    } while (token);
    expect(seen.slice().sort()).toEqual(all.slice().sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBe(Math.ceil(all.length / 2));
    const whole = await csi.call('Controller', 'ListVolumes', {});
    expect(whole.entries).toHaveLength(all.length);
    expect(whole.next_token).toBe('');
  });

  test('a volume deleted between pages does not disturb paging; a bad token is ABORTED', async () => {
    const first = await csi.call('Controller', 'ListVolumes', { max_entries: 3 });
    const rest = await csi.call('Controller', 'ListVolumes', { max_entries: 1000, starting_token: first.next_token });
    await csi.call('Controller', 'DeleteVolume', { volume_id: first.entries[2].volume.volume_id });
    const after = await csi.call('Controller', 'ListVolumes', { max_entries: 1000, starting_token: first.next_token });
    expect(after.entries).toEqual(rest.entries);
    const bad = await csi.fail('Controller', 'ListVolumes', { starting_token: 'page-2' });
    expect(bad.code).toBe(status.ABORTED);
    const negative = await csi.fail('Controller', 'ListVolumes', { max_entries: -1 });
    expect(negative.code).toBe(status.INVALID_ARGUMENT);
  });
});

describe('GetCapacity', () => {
  test('is the largest volume creatable now, per volumetype', async () => {
    const capacity = await brickyard.admin.clusterCapacity(clusterId);
    const r3 = await csi.call('Controller', 'GetCapacity', { volume_capabilities: [MOUNT_CAP], parameters: {} });
    expect(r3.available_capacity).toBe(String(capacity.largest_volume_gib['replicate:3'] * GIB));
    expect(r3.maximum_volume_size).toEqual({ value: r3.available_capacity });
    const d42 = await csi.call('Controller', 'GetCapacity', { parameters: { volumetype: 'disperse:4:2', clusterid: clusterId } });
    expect(d42.available_capacity).toBe(String(capacity.largest_volume_gib['disperse:4:2'] * GIB));
    // not in the capacity answer: found by dry runs; that size plans, one GiB more does not
    const none = await csi.call('Controller', 'GetCapacity', { parameters: { volumetype: 'none' } });
    const gib = Number(BigInt(none.available_capacity) / BigInt(GIB));
    expect(gib).toBeGreaterThan(0);
    await expect(brickyard.admin.volumePlan({ size: gib, durability: { type: 'none' } })).resolves.toBeTruthy();
    await expect(brickyard.admin.volumePlan({ size: gib + 1, durability: { type: 'none' } })).rejects.toMatchObject({ message: expect.stringMatching(/No space/) });
  });

  test('bad parameters and unknown clusters are INVALID_ARGUMENT', async () => {
    const e = await csi.fail('Controller', 'GetCapacity', { parameters: { clusterid: '0123456789abcdef0123456789abcdef' } });
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(e.details).toMatch(/cluster 0123456789abcdef0123456789abcdef does not exist/);
    expect((await csi.fail('Controller', 'GetCapacity', { parameters: { volumetype: 'x' } })).code).toBe(status.INVALID_ARGUMENT);
  });
});

test('RPCs the driver does not serve are UNIMPLEMENTED', async () => {
  // Node calls on the controller's socket
  const e = await csi.fail('Node', 'NodeGetInfo');
  expect(e.code).toBe(status.UNIMPLEMENTED);
});
