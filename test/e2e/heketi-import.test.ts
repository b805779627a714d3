import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { HeketiDocument } from '../../src/app/heketi-import/document';
import { HeketiClient, type Json } from '../../src/client/heketi-client';
import { sshExecSchema } from '../../src/config/schema';
import { thinPoolSizes } from '../../src/domain/thin-pool';
import { CommandExecutor } from '../../src/executors/command-executor';
import { createSshTransport } from '../../src/executors/ssh';
import { assertCliBuilt, runCli } from '../cli/run-cli';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/server';
import { assertLabBlank, leaveLabBlank } from './support/blank-lab';
import { LAB_RUN, LAB_SSH_KEY, mustOnNode, readLab, type LabNode } from './support/lab';
import { MOUNT_ROOT, glusterVolume, glusterVolumeNames, nodeState, parseVgDisplayLine } from './support/node-state';
import { Timings } from './support/timings';

/**
 * A Heketi installation moving to Brickyard, on real storage nodes (the uml lab): the nodes are first given
 * what Heketi makes (its command sequences from heketi-commands.md, its names vg_<device>, tp_<brick>,
 * brick_<brick>, its brick paths, its fstab lines, gluster volumes with user.heketi.id) and a matching export
 * document; Brickyard imports it with --verify (the CLI against a real server on PostgreSQL with the ssh
 * executor), serves the volumes as Heketi did, expands and deletes them for real, and nothing is left.
 */
const lab = readLab();
const nodes = lab.nodes.slice(0, 3) as [LabNode, LabNode, LabNode];
const GIB_KIB = 1024 * 1024;
const sshConfig = sshExecSchema.parse({ keyfile: LAB_SSH_KEY, user: 'root', connect_timeout: 10 });
const executor = new CommandExecutor(createSshTransport(sshConfig), sshConfig, { kind: 'ssh' });
const timings = new Timings();
const workDir = mkdtempSync(join(tmpdir(), 'brickyard-heketi-e2e-'));
const E2E_OUT = process.env.E2E_OUT ?? `${LAB_RUN}/e2e`;
mkdirSync(E2E_OUT, { recursive: true });
const cliEnv = () => ({ HEKETI_CLI_SERVER: server.url, HEKETI_CLI_USER: 'admin', HEKETI_CLI_KEY: ADMIN_KEY });

let server: TestServer;
let c: HeketiClient;
const id = () => randomBytes(16).toString('hex');
const clusterId = id();
const nodeIds = nodes.map(() => id());
const deviceIds = nodes.map(() => id());
/** Drift planted in the export on node3's device, as Heketi's books sometimes have it. */
const DRIFT_KIB = 40 * 4096;
let doc: HeketiDocument;
/** The thin pool of heketi-dist's brick: not tp_<its brick id>, as in six bricks of the reference export. */
const OTHER_POOL = `tp_${id()}`;
let exportFile = '';

interface HeketiVolume {
  id: string;
  name: string;
  sizeGib: number;
  durability: HeketiDocument['volumeentries'][string]['Info']['durability'];
  gid: number;
  /** Indexes into `nodes`, one brick each. */
  on: number[];
  bricks: string[];
}

const volumes: HeketiVolume[] = [
  {
    id: id(),
    name: 'heketi-rep',
    sizeGib: 1,
    durability: { type: 'replicate', replicate: { replica: 3 }, disperse: { data: 4, redundancy: 2 } },
    gid: 2001,
    on: [0, 1, 2],
    bricks: [id(), id(), id()],
  },
  {
    id: id(),
    name: 'heketi-dist',
    sizeGib: 1,
    durability: { type: 'none', replicate: { replica: 3 }, disperse: { data: 4, redundancy: 2 } },
    gid: 0,
    on: [1],
    bricks: [id()],
  },
];

const mountDir = (dev: string, brick: string) => `${MOUNT_ROOT}/vg_${dev}/brick_${brick}`;
const devNode = (dev: string, brick: string) => `/dev/mapper/vg_${dev}-brick_${brick}`;

/** Heketi's device add on a node (heketi-commands.md "Device add"); answers vgdisplay -c of the new VG. */
async function heketiDeviceAdd(n: LabNode, dev: string) {
  const out = await mustOnNode(
    n.ip,
    [
      'set -e',
      `lvm pvcreate -qq --metadatasize=128M --dataalignment=256K '${n.disk}'`,
      `lvm vgcreate -qq --physicalextentsize=4M --autobackup=n vg_${dev} ${n.disk}`,
      `lvm vgdisplay -c vg_${dev}`,
    ].join('\n'),
  );
  return parseVgDisplayLine(out.trim().split('\n').pop()!);
}

/** Heketi's brick create (heketi-commands.md "Brick create"), one pool per brick. */
async function heketiBrickCreate(n: LabNode, dev: string, brick: string, sizeKib: number, gid: number, pool = `tp_${brick}`) {
  const { tpSizeKib, poolMetadataKib } = thinPoolSizes(sizeKib, 1);
  const dir = mountDir(dev, brick);
  await mustOnNode(
    n.ip,
    [
      'set -e',
      `mkdir -p ${dir}`,
      `lvm lvcreate -qq --autobackup=n --poolmetadatasize ${poolMetadataKib}K --chunksize 256K --size ${tpSizeKib}K --thin vg_${dev}/${pool} --virtualsize ${sizeKib}K --name brick_${brick}`,
      `mkfs.xfs -i size=512 -n size=8192 ${devNode(dev, brick)} >/dev/null`,
      `echo "${devNode(dev, brick)} ${dir} xfs rw,inode64,noatime,nouuid 1 2" >> /etc/fstab`,
      `mount -o rw,inode64,noatime,nouuid ${devNode(dev, brick)} ${dir}`,
      `mkdir ${dir}/brick`,
      ...(gid !== 0 ? [`chown :${gid} ${dir}/brick`, `chmod 2775 ${dir}/brick`] : []),
    ].join('\n'),
  );
  return { tpSizeKib, poolMetadataKib };
}


beforeAll(async () => {
  assertCliBuilt();
  await assertLabBlank(nodes);
  server = await startTestServer({
    db: 'postgres',
    executor,
    glusterfs: { executor: 'ssh', sshexec: { keyfile: LAB_SSH_KEY, user: 'root' }, zone_checking: 'strict' },
  });
  c = new HeketiClient(server.url, { user: 'admin', key: ADMIN_KEY, pollIntervalMs: 400, timeoutMs: 120_000 });
});

afterAll(async () => {
  timings.write(`${E2E_OUT}/heketi-import-timings.txt`);
  rmSync(workDir, { recursive: true, force: true });
  if (server) {
    try {
      for (const v of (await c.volumeList()).volumes as string[]) await c.volumeDelete(v);
    } catch {
      // reported by the test that failed; lab/reset.sh below removes what is left
    }
    await server.close();
  }
  await executor.close();
  await leaveLabBlank(nodes, 'heketi import e2e');
});

test("the nodes get what Heketi makes, with Heketi's commands and names, and a matching export document", async () => {
  await timings.time('Heketi setup on the nodes (peers, 3 devices, 4 bricks, 2 volumes)', async () => {
    for (const n of nodes.slice(1)) await mustOnNode(nodes[0].ip, `gluster --mode=script peer probe ${n.ip}`);
    const vgs: Array<ReturnType<typeof parseVgDisplayLine>> = [];
    for (const [i, n] of nodes.entries()) vgs.push(await heketiDeviceAdd(n, deviceIds[i]!));

    const brickEntries: HeketiDocument['brickentries'] = {};
    for (const v of volumes) {
      for (const [k, at] of v.on.entries()) {
        const sizeKib = v.sizeGib * GIB_KIB;
        // Heketi records each brick's pool; some in the reference export carry another id than their brick's
        const pool = v.name === 'heketi-dist' ? OTHER_POOL : `tp_${v.bricks[k]}`;
        const sizes = await heketiBrickCreate(nodes[at]!, deviceIds[at]!, v.bricks[k]!, sizeKib, v.gid, pool);
        brickEntries[v.bricks[k]!] = {
          Info: {
            id: v.bricks[k]!,
            path: `${mountDir(deviceIds[at]!, v.bricks[k]!)}/brick`,
            device: deviceIds[at]!,
            node: nodeIds[at]!,
            volume: v.id,
            size: sizeKib,
          },
          TpSize: sizes.tpSizeKib,
          PoolMetadataSize: sizes.poolMetadataKib,
          Pending: { Id: '' },
          LvmThinPool: pool,
          LvmLv: '',
          SubType: 1,
        };
      }
      const spec = v.on.map((at, k) => `${nodes[at]!.ip}:${brickEntries[v.bricks[k]!]!.Info.path}`).join(' ');
      const layout = v.durability.type === 'replicate' ? `replica ${v.durability.replicate.replica} ` : '';
      await mustOnNode(
        nodes[v.on[0]!]!.ip,
        [
          'set -e',
          `gluster --mode=script volume create ${v.name} ${layout}${spec}`,
          `gluster --mode=script volume set ${v.name} user.heketi.id ${v.id}`,
          `gluster --mode=script volume start ${v.name}`,
        ].join('\n'),
      );
    }

    // Heketi's records: ids sorted, mount hosts in node id order, device space from vgdisplay less the bricks
    const order = nodes.map((_, i) => i).sort((a, b) => nodeIds[a]!.localeCompare(nodeIds[b]!));
    const hosts = order.map((i) => nodes[i]!.ip);
    const held = (dev: string) =>
      Object.values(brickEntries)
        .filter((b) => b.Info.device === dev)
        .reduce((s, b) => s + b.TpSize + b.PoolMetadataSize, 0);
    doc = {
      clusterentries: {
        [clusterId]: {
          Info: { id: clusterId, nodes: [...nodeIds].sort(), volumes: volumes.map((v) => v.id).sort(), block: true, file: true, blockvolumes: [] },
        },
      },
      volumeentries: Object.fromEntries(
        volumes.map((v) => [
          v.id,
          {
            Info: {
              size: v.sizeGib,
              name: v.name,
              durability: v.durability,
              ...(v.gid ? { gid: v.gid } : {}),
              snapshot: { enable: false, factor: 1 },
              id: v.id,
              cluster: clusterId,
              mount: { glusterfs: { hosts, device: `${hosts[0]}:${v.name}`, options: { 'backup-volfile-servers': hosts.slice(1).join(',') } } },
              blockinfo: {},
            },
            Bricks: [...v.bricks].sort(),
            GlusterVolumeOptions: ['', ''],
            Pending: { Id: '' },
          },
        ]),
      ),
      brickentries: brickEntries,
      nodeentries: Object.fromEntries(
        nodes.map((n, i) => [
          nodeIds[i]!,
          {
            State: 'online',
            Info: { zone: i + 1, hostnames: { manage: [n.ip], storage: [n.ip] }, cluster: clusterId, id: nodeIds[i]! },
            Devices: [deviceIds[i]!],
          },
        ]),
      ),
      deviceentries: Object.fromEntries(
        nodes.map((n, i) => {
          const vg = vgs[i]!;
          const total = vg.totalExtents * vg.extentKib;
          const used = held(deviceIds[i]!) + (i === 2 ? DRIFT_KIB : 0);
          return [
            deviceIds[i]!,
            {
              State: 'online',
              Info: { name: n.disk, storage: { total, free: total - used, used }, id: deviceIds[i]! },
              Bricks: Object.values(brickEntries)
                .filter((b) => b.Info.device === deviceIds[i])
                .map((b) => b.Info.id)
                .sort(),
              NodeId: nodeIds[i]!,
              ExtentSize: vg.extentKib,
            },
          ];
        }),
      ),
      blockvolumeentries: {},
      dbattributeentries: Object.fromEntries(
        ['DB_BRICK_HAS_SUBTYPE_FIELD', 'DB_CLUSTER_HAS_FILE_BLOCK_FLAG', 'DB_DEVICE_HAS_ID_META', 'DB_HAS_PENDING_OPS_BUCKET'].map((k) => [
          k,
          { Key: k, Value: 'yes' },
        ]),
      ),
      pendingoperations: {},
    };
  });
  exportFile = join(workDir, 'heketi-export.json');
  writeFileSync(exportFile, JSON.stringify(doc, null, 4));
  expect(await glusterVolumeNames(nodes[0].ip)).toEqual(['heketi-dist', 'heketi-rep']);
});

test('--verify finds a brick that is not mounted and refuses; then finds everything and the import goes in', async () => {
  const rep = volumes[0]!;
  const dir = mountDir(deviceIds[2]!, rep.bricks[2]!);
  // gluster holds the brick open: the brick process stops with the volume, and starts again with it
  await mustOnNode(nodes[0].ip, `gluster --mode=script volume stop ${rep.name} force`);
  await mustOnNode(nodes[2].ip, `umount ${dir}`);
  try {
    const refused = await runCli(['db', 'import', `--heketi=${exportFile}`, '--verify'], cliEnv());
    expect(refused.code).toBe(255);
    expect(refused.stderr).toContain(`brick ${rep.bricks[2]} on ${nodes[2].ip}: no mount`);
    expect((await c.clusterList()).clusters).toEqual([]);
  } finally {
    await mustOnNode(nodes[2].ip, `mount ${dir}`);
    await mustOnNode(nodes[0].ip, `gluster --mode=script volume start ${rep.name}`);
  }

  const run = await timings.time('import --verify (CLI; 3 nodes, 4 bricks)', () =>
    runCli(['db', 'import', `--heketi=${exportFile}`, '--verify', '--json'], cliEnv()),
  );
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  const report = JSON.parse(run.stdout) as Json;
  expect(report).toMatchObject({
    changed: true,
    counts: { clusters: 1, nodes: 3, devices: 3, volumes: 2, bricks: 4 },
    verify: { nodes: 3, bricks: 4, differences: [] },
  });
  // the drift planted on node3's device is reported, and the recomputed figures are what is recorded
  expect(report.drift).toEqual([expect.objectContaining({ device: deviceIds[2], drift_kib: DRIFT_KIB })]);
  writeFileSync(`${E2E_OUT}/heketi-import-report.json`, `${JSON.stringify(report, null, 2)}\n`);

  const again = await runCli(['db', 'import', `--heketi=${exportFile}`], cliEnv());
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/already imported at .*nothing changed/);

  for (const v of volumes) {
    const info = await c.volumeInfo(v.id);
    expect(info.mount).toEqual(doc.volumeentries[v.id]!.Info.mount);
    expect([...(info.bricks as Json[])].sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [...v.bricks].sort().map((b) => doc.brickentries[b]!.Info),
    );
  }
  expect(await c.dbCheck()).toMatchObject({ ok: true });
});

test('Brickyard expands and deletes the imported volumes for real, and nothing is left on the nodes', async () => {
  const rep = volumes[0]!;
  const expanded = await timings.time('expand heketi-rep +1 GiB (3 new bricks)', () => c.volumeExpand(rep.id, 1));
  expect(expanded.size).toBe(2);
  expect(expanded.bricks).toHaveLength(6);
  const gv = await glusterVolume(nodes[0].ip, rep.name);
  expect(gv).toMatchObject({ status: 'Started', layout: '2 x 3 = 6' });
  for (const b of expanded.bricks as Json[]) {
    expect(gv!.bricks).toContain(`${(await c.nodeInfo(b.node)).hostnames.storage[0]}:${b.path}`);
  }
  const newBricks = (expanded.bricks as Json[]).filter((b) => !rep.bricks.includes(b.id));
  for (const b of newBricks) {
    const n = nodes[nodeIds.indexOf(b.node)]!;
    const state = await nodeState(n.ip);
    expect(state.lvs.map((l) => l.lv)).toEqual(expect.arrayContaining([`brick_${b.id}`, `tp_${b.id}`]));
    expect(state.mounts.map((m) => m.dir)).toContain(b.path.replace(/\/brick$/, ''));
  }

  await timings.time('delete both imported volumes', async () => {
    for (const v of volumes) await c.volumeDelete(v.id);
  });
  expect(await glusterVolumeNames(nodes[0].ip)).toEqual([]);
  for (const n of nodes) {
    const state = await nodeState(n.ip);
    expect({ node: n.name, lvs: state.lvs, mounts: state.mounts, fstab: state.fstab }).toEqual({ node: n.name, lvs: [], mounts: [], fstab: [] });
    expect(state.dirs.filter((d) => /brick_/.test(d))).toEqual([]);
  }
  for (const [i] of nodes.entries()) {
    const d = await c.deviceInfo(deviceIds[i]!);
    expect(d.bricks).toEqual([]);
  }

  // and the imported devices and nodes leave the way Brickyard's own do
  await timings.time('remove the imported devices, nodes and cluster', async () => {
    for (const [i] of nodes.entries()) {
      await c.deviceState(deviceIds[i]!, 'offline');
      await c.deviceState(deviceIds[i]!, 'failed');
      await c.deviceDelete(deviceIds[i]!);
      await c.nodeDelete(nodeIds[i]!);
    }
    await c.clusterDelete(clusterId);
  });
  await assertLabBlank(nodes);
  expect(await c.dbCheck()).toMatchObject({ ok: true, counts: { clusters: 0, volumes: 0, bricks: 0 } });
});
