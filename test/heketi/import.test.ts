import { metadataSpareKib } from '../../src/domain/thin-pool';
import type { HeketiDocument } from '../../src/app/heketi-import/document';
import { HeketiError, type HeketiClient } from '../../src/client/heketi-client';
import { referenceExport, referenceExportText, seedMockLikeHeketi } from '../support/heketi-nodes';
import { startTestServer, type TestServer } from '../support/server';

/**
 * Importing the database export Heketi v10.4.1 made (test/fixtures/heketi-export): every volume reads back as
 * Heketi answered it, the topology is the file's, device space is recomputed, and the imported volumes can be
 * expanded and deleted while new ones are placed around their bricks with exact accounting (MOCK executor
 * nodes seeded with what Heketi left on them).
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// Several servers and whole volume lifecycles per test, on a machine that may be busy.
jest.setTimeout(300_000);
/** PGlite's first start can take long on a loaded machine: wait for it rather than fail. */
const SLOW_START = { db_wait_seconds: 240 };

const ref = referenceExport();
const volumeIds = Object.keys(ref.volumeentries);
const byName = (name: string) => Object.values(ref.volumeentries).find((v) => v.Info.name === name)!;

/** The parts of GET /volumes/{id} that Heketi's Info in the file carries, as Heketi shows them. */
function volumeAsFileSaysIt(doc: HeketiDocument, id: string) {
  const v = doc.volumeentries[id]!;
  const d = v.Info.durability;
  return {
    id,
    name: v.Info.name,
    size: v.Info.size,
    cluster: v.Info.cluster,
    gid: v.Info.gid ?? 0,
    snapshot: v.Info.snapshot,
    durability: {
      type: d.type,
      ...(d.type === 'replicate' ? { replica: d.replicate.replica } : {}),
      ...(d.type === 'disperse' ? { data: d.disperse.data, redundancy: d.disperse.redundancy } : {}),
    },
    mount: v.Info.mount,
    bricks: v.Bricks.map((b) => doc.brickentries[b]!.Info).sort((a, b) => a.id.localeCompare(b.id)),
  };
}

function volumeAsApiSaysIt(v: Json) {
  const d = v.durability;
  return {
    id: v.id,
    name: v.name,
    size: v.size,
    cluster: v.cluster,
    gid: v.gid,
    snapshot: v.snapshot,
    durability: {
      type: d.type,
      ...(d.type === 'replicate' ? { replica: d.replicate.replica } : {}),
      ...(d.type === 'disperse' ? { data: d.disperse.data, redundancy: d.disperse.redundancy } : {}),
    },
    mount: v.mount,
    bricks: [...v.bricks].sort((a: Json, b: Json) => a.id.localeCompare(b.id)),
  };
}

/** Every answer a client can read, for comparing two servers. */
async function apiAnswers(c: HeketiClient): Promise<Json> {
  const clusters = (await c.clusterList()).clusters as string[];
  const out: Json = { clusters: {}, nodes: {}, devices: {}, volumes: {} };
  for (const id of clusters) {
    const cluster = await c.clusterInfo(id);
    // lists are in creation order: an import creates everything at once, so compare them as sets
    out.clusters[id] = { ...cluster, nodes: [...cluster.nodes].sort(), volumes: [...cluster.volumes].sort() };
    for (const n of cluster.nodes as string[]) {
      const node = await c.nodeInfo(n);
      out.nodes[n] = node;
      for (const d of node.devices as Json[]) out.devices[d.id] = await c.deviceInfo(d.id);
    }
  }
  // Heketi's document keeps brick ids sorted, not in set order: a volume's bricks are compared as a set
  const byId = (a: Json, b: Json) => String(a.id).localeCompare(String(b.id));
  for (const v of [...((await c.volumeList()).volumes as string[])].sort()) {
    const info = await c.volumeInfo(v);
    out.volumes[v] = { ...info, bricks: [...info.bricks].sort(byId) };
  }
  return out;
}

async function expectRefused(c: HeketiClient, text: string, status: number, ...fragments: RegExp[]) {
  const r = await fetch(`${c.server}/db/import`, {
    method: 'POST',
    headers: { Authorization: `bearer ${c.token('POST', '/db/import')}`, 'Content-Type': 'application/json' },
    body: text,
  });
  const body = await r.text();
  expect({ status: r.status, body }).toEqual({ status, body: expect.stringContaining('nothing was written') });
  for (const f of fragments) expect(body).toMatch(f);
  return body;
}

async function expectEmpty(server: TestServer) {
  const knex = server.container.database.knex;
  for (const table of ['clusters', 'nodes', 'node_hostnames', 'devices', 'volumes', 'bricks', 'heketi_imports']) {
    expect([table, Number((await knex(table).count('* as n').first())!.n)]).toEqual([table, 0]);
  }
}

describe.each(['pglite', 'postgres'] as const)('import of the reference export on %s', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db, glusterfs: SLOW_START });
  });
  afterAll(async () => {
    await server.close();
  });

  test('same ids, same volume answers, same topology, space recomputed, db check clean', async () => {
    const c = server.admin;
    const report = await c.dbImport(referenceExportText());
    expect(report).toMatchObject({
      changed: true,
      mode: 'empty',
      counts: { clusters: 1, nodes: 6, devices: 15, volumes: 6, bricks: 21 },
      drift: [],
    });
    for (const id of volumeIds) {
      expect(volumeAsApiSaysIt(await c.volumeInfo(id))).toEqual(volumeAsFileSaysIt(ref, id));
    }
    // the options Heketi recorded (its blank entries dropped), arbiter and snapshot volumes as made
    expect((await c.volumeInfo(byName('pvc-snap').Info.id)).glustervolumeoptions).toEqual(['performance.rmdir-optimize off']);

    const clusterId = Object.keys(ref.clusterentries)[0]!;
    const cluster = await c.clusterInfo(clusterId);
    expect({ ...cluster, nodes: [...cluster.nodes].sort(), volumes: [...cluster.volumes].sort() }).toEqual({
      ...ref.clusterentries[clusterId]!.Info,
      nodes: [...ref.clusterentries[clusterId]!.Info.nodes].sort(),
      volumes: [...ref.clusterentries[clusterId]!.Info.volumes].sort(),
    });
    for (const [id, n] of Object.entries(ref.nodeentries)) {
      const node = await c.nodeInfo(id);
      expect({ zone: node.zone, hostnames: node.hostnames, cluster: node.cluster, state: node.state, tags: node.tags }).toEqual({
        zone: n.Info.zone,
        hostnames: n.Info.hostnames,
        cluster: n.Info.cluster,
        state: n.State,
        tags: n.Info.tags,
      });
      expect((node.devices as Json[]).map((d) => d.id).sort()).toEqual([...n.Devices].sort());
    }
    for (const [id, d] of Object.entries(ref.deviceentries)) {
      const device = await c.deviceInfo(id);
      const held = d.Bricks.reduce((s, b) => s + ref.brickentries[b]!.TpSize + ref.brickentries[b]!.PoolMetadataSize, 0);
      // the file's used space is exactly its bricks (no drift); Brickyard's total leaves out the metadata spare
      expect(d.Info.storage.used).toBe(held);
      const total = d.Info.storage.total - metadataSpareKib(d.Info.storage.total);
      expect({ name: device.name, state: device.state, tags: device.tags, storage: device.storage }).toEqual({
        name: d.Info.name,
        state: d.State,
        tags: d.Info.tags,
        storage: { total, used: held, free: total - held },
      });
      expect((device.bricks as Json[]).map((b) => b.id).sort()).toEqual([...d.Bricks].sort());
    }
    expect(await c.dbCheck()).toMatchObject({ ok: true, problems: [] });
  });

  test('a second run of the same file changes nothing and says so; a different file into a full database is refused', async () => {
    const c = server.admin;
    const before = await c.dbDump('brickyard');
    // the same document with other spacing and key order is the same file
    const again = await c.dbImport(JSON.stringify(JSON.parse(referenceExportText())));
    expect(again).toMatchObject({ changed: false, message: expect.stringMatching(/already imported at .*nothing changed/) });
    expect(await c.dbDump('brickyard')).toEqual(before);

    const other = referenceExport();
    other.dbattributeentries.DB_GENERATION_ID!.Value = 'ffffffffffffffffffffffffffffffff';
    await expectRefused(c, JSON.stringify(other), 409, /database is not empty/, /1 clusters, 6 nodes, 15 devices, 6 volumes, 21 bricks/);
    await expectRefused(c, JSON.stringify(other) + ' ', 409);
    const merged = await fetch(`${server.url}/db/import?merge=true`, {
      method: 'POST',
      headers: { Authorization: `bearer ${c.token('POST', '/db/import')}` },
      body: JSON.stringify(other),
    });
    const text = await merged.text();
    expect(merged.status).toBe(409);
    expect(text).toMatch(/merge clashes/);
    expect(text).toContain(`volume ${volumeIds[0]} already exists`);
    expect(text).toContain('volume name app-data is already used');
    expect(text).toContain('manage hostname node1.example.com is already used');
    expect(await c.dbDump('brickyard')).toEqual(before);
  });

  test('imported volumes expand and delete; new volumes are placed around imported bricks with exact accounting', async () => {
    const c = server.admin;
    await seedMockLikeHeketi(server.mock, ref);
    const usedOf = async () => {
      const out = new Map<string, number>();
      for (const id of Object.keys(ref.deviceentries)) out.set(id, (await c.deviceInfo(id)).storage.used as number);
      return out;
    };
    const reservedOf = async (volumeId: string) => {
      const dump = await c.dbDump('brickyard');
      return (Object.values(dump.brickentries) as Json[]).filter((b) => b.volumeId === volumeId);
    };

    // expand app-data by 5 GiB: one more replica set, each new brick's pool taken from its device exactly
    const app = byName('app-data').Info.id;
    const beforeExpand = await usedOf();
    const expanded = await c.volumeExpand(app, 5);
    expect(expanded.size).toBe(20);
    expect(expanded.bricks).toHaveLength(9);
    const fresh = (await reservedOf(app)).filter((b) => !byName('app-data').Bricks.includes(b.id));
    expect(fresh).toHaveLength(3);
    const afterExpand = await usedOf();
    for (const [id, used] of afterExpand) {
      const added = fresh.filter((b) => b.deviceId === id).reduce((s, b) => s + b.reservedKib, 0);
      expect([id, used - beforeExpand.get(id)!]).toEqual([id, added]);
    }
    // the old bricks keep Heketi's paths, the new ones are made on the nodes under the same layout
    for (const b of expanded.bricks as Json[]) expect(b.path).toBe(`/var/lib/heketi/mounts/vg_${b.device}/brick_${b.id}/brick`);
    expect(server.mock.volume('app-data')!.bricks).toHaveLength(9);

    // delete scratch: its brick leaves the node and its device gets back exactly what it held
    const scratch = byName('scratch');
    const brick = ref.brickentries[scratch.Bricks[0]!]!;
    await c.volumeDelete(scratch.Info.id);
    const afterDelete = await usedOf();
    expect(afterDelete.get(brick.Info.device)).toBe(afterExpand.get(brick.Info.device)! - brick.TpSize - brick.PoolMetadataSize);
    expect(server.mock.node('node3.example.com').bricks.has(brick.Info.id)).toBe(false);
    expect(server.mock.volume('scratch')).toBeUndefined();

    // new volumes land around the imported bricks
    const beforeCreate = await usedOf();
    const created = await c.volumeCreate({ size: 20, durability: { type: 'replicate', replicate: { replica: 3 } }, name: 'after-import' });
    const createdBricks = await reservedOf(created.id);
    for (const [id, used] of await usedOf()) {
      const added = createdBricks.filter((b) => b.deviceId === id).reduce((s, b) => s + b.reservedKib, 0);
      expect([id, used - beforeCreate.get(id)!]).toEqual([id, added]);
    }
    const zones = new Set((created.bricks as Json[]).map((b) => ref.nodeentries[b.node]!.Info.zone));
    expect(zones.size).toBe(3);
    await c.volumeDelete(created.id);
    await c.volumeDelete(byName('arb').Info.id);
    expect(await c.dbCheck()).toMatchObject({ ok: true, problems: [] });
  });
});

describe('round trip, bad files, verify (PostgreSQL)', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    a = await startTestServer({ db: 'postgres', glusterfs: SLOW_START });
    b = await startTestServer({ db: 'postgres', glusterfs: SLOW_START });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  test('bad files are refused naming the entry and field, and nothing is written', async () => {
    const c = b.admin;
    const text = referenceExportText();
    const mutate = (change: (d: HeketiDocument) => void) => {
      const d = referenceExport();
      change(d);
      return JSON.stringify(d);
    };
    const aBrick = Object.keys(ref.brickentries)[0]!;
    const aVolume = byName('media').Info.id;
    const aNode = Object.keys(ref.nodeentries)[0]!;

    await expectRefused(c, text.slice(0, 5000), 400, /file: is not valid JSON/);
    await expectRefused(c, '[]', 400, /file: must be a JSON object/);
    await expectRefused(
      c,
      mutate((d) => {
        d.brickentries[aBrick]!.Info.device = '0123456789abcdef0123456789abcdef';
      }),
      400,
      new RegExp(`brickentries\\.${aBrick}\\.Info\\.device: device "0123456789abcdef0123456789abcdef" is not in deviceentries`),
    );
    await expectRefused(
      c,
      mutate((d) => {
        d.volumeentries[aVolume]!.Info.name = 'app-data';
      }),
      400,
      /volumeentries\.[0-9a-f]{32}\.Info\.name: name "app-data" is also used by volume [0-9a-f]{32}/,
    );
    await expectRefused(
      c,
      mutate((d) => {
        d.brickentries[aBrick]!.Info.path = `/var/lib/heketi/mounts/../../../etc/brick_${aBrick}/brick`;
      }),
      400,
      new RegExp(`brickentries\\.${aBrick}\\.Info\\.path: .* must not contain \\. or \\.\\. components`),
    );
    await expectRefused(
      c,
      mutate((d) => {
        d.volumeentries[aVolume]!.Info.name = 'media;rm -rf /';
      }),
      400,
      new RegExp(`volumeentries\\.${aVolume}\\.Info\\.name: "media;rm -rf /" must start with a letter or digit`),
    );
    await expectRefused(
      c,
      mutate((d) => {
        d.nodeentries[aNode]!.Info.hostnames.manage = ['$(reboot)'];
      }),
      400,
      new RegExp(`nodeentries\\.${aNode}\\.Info\\.hostnames\\.manage: "\\$\\(reboot\\)" must be a DNS name or an IP address`),
    );
    await expectRefused(
      c,
      mutate((d) => {
        d.volumeentries[aVolume]!.GlusterVolumeOptions = ['performance.x `id`', '--mode=script x'];
      }),
      400,
      new RegExp(`volumeentries\\.${aVolume}\\.GlusterVolumeOptions: option key "--mode=script"`),
    );
    const pending = await expectRefused(
      c,
      mutate((d) => {
        d.pendingoperations['aaaabbbbccccddddeeeeffff00001111'] = {
          Id: 'aaaabbbbccccddddeeeeffff00001111',
          Type: 1,
          Timestamp: 1700000000,
          Actions: [{ Change: 1, Id: aVolume }],
        };
        d.volumeentries[aVolume]!.Pending.Id = 'aaaabbbbccccddddeeeeffff00001111';
      }),
      409,
      /pending operations/,
      new RegExp(`pendingoperations\\.aaaabbbbccccddddeeeeffff00001111: volume create \\(type 1\\) on ${aVolume}`),
      new RegExp(`volumeentries\\.${aVolume} belongs to pending operation aaaabbbbccccddddeeeeffff00001111`),
    );
    expect(pending).not.toMatch(/Info\./); // refused for the operations, before the entries are judged
    await expectRefused(
      c,
      mutate((d) => {
        d.deviceentries[Object.keys(d.deviceentries)[0]!]!.Info.storage.total = 4096;
      }),
      400,
      /deviceentries\.[0-9a-f]{32}\.Info\.storage\.total: its bricks hold \d+ KiB, more than the device's 4096 KiB/,
    );
    await expectEmpty(b);
  });

  test("--verify looks for every brick on its node; a missing one refuses the import and nothing is written", async () => {
    const c = b.admin;
    await seedMockLikeHeketi(b.mock, ref);
    const gone = byName('scratch').Bricks[0]!;
    // the brick leaves its gluster volume first (the mock refuses to destroy a brick in use)
    await b.mock.volumeDestroy('node1.example.com', 'scratch');
    await b.mock.brickDestroy('node3.example.com', {
      id: gone,
      deviceId: ref.brickentries[gone]!.Info.device,
      sizeKib: 0,
      tpSizeKib: 0,
      poolMetadataKib: 0,
      gid: 0,
      arbiter: false,
    });
    const r = await fetch(`${b.url}/db/import?verify=true`, {
      method: 'POST',
      headers: { Authorization: `bearer ${c.token('POST', '/db/import')}` },
      body: referenceExportText(),
    });
    const text = await r.text();
    expect(r.status).toBe(409);
    expect(text).toContain(`brick ${gone} on node3.example.com: no thin LV, no thin pool, no mount, no fstab line`);
    expect(text.match(/^ {2}brick /gm)).toHaveLength(1);
    await expectEmpty(b);
  });

  test("round trip: Brickyard's Heketi-format dump, imported into a fresh Brickyard, gives identical answers", async () => {
    await a.admin.dbImport(referenceExportText());
    await seedMockLikeHeketi(a.mock, ref);
    await a.admin.volumeCreate({ size: 7, durability: { type: 'disperse', disperse: { data: 2, redundancy: 1 } }, name: 'made-here', gid: 3000 });
    const dump = (await a.admin.dbDump()) as HeketiDocument;

    // Heketi's document: the same top-level keys, entry shapes and field names as the reference export
    expect(Object.keys(dump)).toEqual(Object.keys(ref));
    const keysOf = (o: object) => Object.keys(o).sort();
    for (const kind of ['clusterentries', 'volumeentries', 'brickentries', 'nodeentries', 'deviceentries'] as const) {
      const theirs = new Set(Object.values(ref[kind] as Record<string, Json>).map((e) => `${keysOf(e)}|${keysOf(e.Info)}`));
      for (const e of Object.values(dump[kind] as Record<string, Json>)) expect(theirs).toContain(`${keysOf(e)}|${keysOf(e.Info)}`);
    }
    expect(Object.keys(dump.dbattributeentries)).toEqual(Object.keys(ref.dbattributeentries));
    expect(dump.dbattributeentries.DB_GENERATION_ID).toEqual(ref.dbattributeentries.DB_GENERATION_ID);
    for (const [id, e] of Object.entries(ref.brickentries)) expect(dump.brickentries[id]).toEqual(e);
    expect(dump.pendingoperations).toEqual({});
    // the CLI prints the same document (heketi-cli db dump)
    const { runCli } = await import('../cli/run-cli');
    const cli = await runCli(['db', 'dump'], { HEKETI_CLI_SERVER: a.url, HEKETI_CLI_USER: 'admin', HEKETI_CLI_KEY: 'admin-secret-for-tests' });
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual(dump);

    const report = await b.admin.dbImport(JSON.stringify(dump));
    expect(report).toMatchObject({ changed: true, counts: { volumes: 7 }, drift: [] });
    expect(await apiAnswers(b.admin)).toEqual(await apiAnswers(a.admin));
    expect(await b.admin.dbCheck()).toMatchObject({ ok: true });
  });

  test('only an admin may import or dump', async () => {
    await expect(a.user.dbImport(referenceExportText())).rejects.toThrow(HeketiError);
    await expect(a.user.dbDump()).rejects.toThrow(HeketiError);
  });
});
