import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { HeketiClient, HeketiError, type Json } from '../../src/client/heketi-client';
import { sshExecSchema } from '../../src/config/schema';
import { metadataSpareKib } from '../../src/domain/thin-pool';
import { CommandExecutor } from '../../src/executors/command-executor';
import { createSshTransport } from '../../src/executors/ssh';
import { assertCliBuilt, runCli } from '../cli/run-cli';
import { ADMIN_KEY, USER_KEY, startTestServer, type TestServer } from '../support/server';
import { freePort, startServerProcess, type ServerProcess } from '../support/server-process';
import { LAB_RUN, LAB_SSH_KEY, labNodePower, mustLocal, mustOnNode, onNode, readLab, runLocal, waitUntil, type LabNode } from './support/lab';
import { MOUNT_ROOT, glusterPool, glusterVolume, glusterVolumeNames, healInfo, nodeState, vgOf, type NodeState } from './support/node-state';
import { assertLabBlank, leaveLabBlank, teardownThroughApi } from './support/blank-lab';
import { RecordingTransport, formatTranscript } from './support/recording-transport';
import { Timings } from './support/timings';

/**
 * Brickyard against real storage nodes: the uml tier of the storage lab (three user-mode-linux kernels with
 * systemd, sshd, glusterd, LVM thin and XFS; lab/up.sh). A real server (PostgreSQL, the ssh executor over
 * ssh2, a real socket) is driven through its HTTP API and CLI, and every effect is checked on the nodes with
 * their own tools over the system's ssh client. The tests run in order and build on each other.
 */
const lab = readLab();
const [node1, node2, node3] = lab.nodes as [LabNode, LabNode, LabNode];
const GIB_KIB = 1024 * 1024;
const REPLICA3 = { type: 'replicate', replicate: { replica: 3 } };

const sshConfig = sshExecSchema.parse({ keyfile: LAB_SSH_KEY, user: 'root', connect_timeout: 10 });
const recorder = new RecordingTransport(createSshTransport(sshConfig));
const warnings: string[] = [];
const executor = new CommandExecutor(recorder, sshConfig, { kind: 'ssh', warn: (m) => warnings.push(m) });
const timings = new Timings();
const workDir = mkdtempSync(join(tmpdir(), 'brickyard-e2e-'));
/** Where the suite leaves its timings and command transcripts (lab/run-e2e.sh prints them). */
const E2E_OUT = process.env.E2E_OUT ?? `${LAB_RUN}/e2e`;
mkdirSync(E2E_OUT, { recursive: true });

let server: TestServer;
let c: HeketiClient;
let clusterId = '';
/** lab node name -> Brickyard node id, and the id of the device on its raw disk. */
const nodeIds: Record<string, string> = {};
const diskIds: Record<string, string> = {};
let volume: Json;
let clientMount = '';

const byIp = (ip: string): LabNode => lab.nodes.find((n) => n.ip === ip)!;
const nodeOfId = (id: string): LabNode => lab.nodes.find((n) => nodeIds[n.name] === id)!;
/** A brick's mount point: its path without the trailing /brick. */
const mountPointOf = (brickPath: string): string => brickPath.replace(/\/brick$/, '');

async function apiDevice(id: string): Promise<{ total: number; free: number; used: number }> {
  return (await c.deviceInfo(id)).storage;
}

async function clientMounted(): Promise<boolean> {
  const r = await runLocal('mountpoint', ['-q', clientMount]);
  return clientMount !== '' && r.code === 0;
}

/** Kilobytes of the client mount as df sees them. */
async function clientSizeKib(): Promise<number> {
  const out = await mustLocal('df', ['-k', '--output=size', clientMount]);
  return Number(out.trim().split('\n')[1]);
}

/** Everything Brickyard made on a node for one brick is gone. */
function expectNoTraceOfBrick(state: NodeState, brickId: string, brickPath: string): void {
  expect(state.lvs.filter((lv) => lv.lv.endsWith(brickId))).toEqual([]);
  expect(state.mounts.filter((m) => m.dir === mountPointOf(brickPath))).toEqual([]);
  expect(state.fstab.filter((l) => l.includes(brickId))).toEqual([]);
  expect(state.dirs.filter((d) => d.includes(brickId))).toEqual([]);
}

/** A node holding nothing of Brickyard's but, optionally, empty VGs of the devices it was given. */
function expectNoBricks(state: NodeState): void {
  expect(state.lvs).toEqual([]);
  expect(state.mounts).toEqual([]);
  expect(state.fstab).toEqual([]);
  expect(state.dirs.filter((d) => /\/brick_/.test(d))).toEqual([]);
}


beforeAll(async () => {
  assertCliBuilt();
  for (const n of lab.nodes) {
    const r = await onNode(n.ip, 'systemctl is-active glusterd', 20_000);
    if (r.code !== 0) throw new Error(`${n.name} (${n.ip}) does not answer over ssh or glusterd is not running: ${r.stdout}${r.stderr}`);
  }
  await assertLabBlank(lab.nodes);
  server = await timings.time('server start (PostgreSQL)', () =>
    startTestServer({
      db: 'postgres',
      executor,
      glusterfs: { executor: 'ssh', sshexec: { keyfile: LAB_SSH_KEY, user: 'root' }, zone_checking: 'strict' },
    }),
  );
  // Heketi's own client behaviour (fixed 400 ms polls), so operation times are what a real client sees.
  c = new HeketiClient(server.url, { user: 'admin', key: ADMIN_KEY, pollIntervalMs: 400, timeoutMs: 120_000 });
});

afterAll(async () => {
  // Best effort: whatever a failed test left behind is removed so that the lab can be used again.
  if (clientMount !== '') {
    if (await clientMounted()) await runLocal('umount', ['-l', clientMount]);
    rmSync(clientMount, { recursive: true, force: true });
  }
  for (const n of lab.nodes) await onNode(n.ip, 'systemctl start glusterd', 60_000).catch(() => undefined);
  if (server) {
    try {
      await teardownThroughApi(c);
    } catch {
      // reported by the test that failed; lab/reset.sh below removes what is left
    }
    await server.close();
  }
  await leaveLabBlank(lab.nodes, 'e2e');
  rmSync(workDir, { recursive: true, force: true });
  timings.write(`${E2E_OUT}/timings.txt`);
  process.stdout.write(`\ne2e timings:\n${timings.lines().join('\n')}\n`);
  if (warnings.length > 0) process.stdout.write(`executor warnings:\n${warnings.join('\n')}\n`);
});


test('topology load through the CLI adds the three nodes and their disks with the sizes the nodes report', async () => {
  expect(Object.keys(await glusterPool(node1.ip))).toEqual(['localhost']);
  const topology = {
    clusters: [
      {
        nodes: lab.nodes.map((n, i) => ({
          node: { hostnames: { manage: [n.ip], storage: [n.ip] }, zone: i + 1 },
          devices: [{ name: n.disk, destroydata: false }],
        })),
      },
    ],
  };
  const file = join(workDir, 'topology.json');
  writeFileSync(file, JSON.stringify(topology));
  const load = await timings.time('topology load (CLI: 3 nodes + 3 devices)', () =>
    runCli(['topology', 'load', `--json=${file}`], { HEKETI_CLI_SERVER: server.url, HEKETI_CLI_USER: 'admin', HEKETI_CLI_KEY: ADMIN_KEY }),
  );
  expect({ code: load.code, stderr: load.stderr }).toEqual({ code: 0, stderr: '' });
  expect(load.stdout).toMatch(/Added 1 cluster, 3 nodes and 3 devices/);

  const clusters = (await c.clusterList()).clusters as string[];
  expect(clusters).toHaveLength(1);
  clusterId = clusters[0]!;
  const cluster = await c.clusterInfo(clusterId);
  expect(cluster.nodes).toHaveLength(3);
  for (const nid of cluster.nodes as string[]) {
    const info = await c.nodeInfo(nid);
    const n = byIp(info.hostnames.manage[0]);
    expect(info.hostnames).toEqual({ manage: [n.ip], storage: [n.ip] });
    nodeIds[n.name] = nid;
    expect(info.devices).toHaveLength(1);
    const device = info.devices[0];
    expect(device.name).toBe(n.disk);
    diskIds[n.name] = device.id;
    // The size Brickyard keeps is the one LVM reports on the node for the VG it made on that disk.
    const state = await nodeState(n.ip);
    const vg = vgOf(state, `vg_${device.id}`);
    expect(state.pvs[n.disk]).toBe(`vg_${device.id}`);
    // The allowance for LVM's pool metadata spare is left out of total: an empty device shows used 0.
    expect(vg.sizeKib).toBe(vg.totalExtents * vg.extentKib);
    expect(device.storage.total).toBe(vg.sizeKib - metadataSpareKib(vg.sizeKib, vg.extentKib));
    expect(device.storage.free).toBeLessThanOrEqual(vg.freeExtents * vg.extentKib);
    expect(device.storage.free).toBeGreaterThan(device.storage.total - GIB_KIB);
    expect(device.storage.used).toBe(0);
    expect(device.storage.used + device.storage.free).toBe(device.storage.total);
  }
  // Node add probed each new node into node1's trusted pool.
  const pool = await waitUntil('node2 and node3 Connected in node1 pool list', 60_000, async () => {
    const p = await glusterPool(node1.ip);
    return p[node2.ip] === 'Connected' && p[node3.ip] === 'Connected' ? p : undefined;
  });
  expect(Object.keys(pool).sort()).toEqual([node2.ip, node3.ip, 'localhost'].sort());
});

test('a replica-3 volume made through the API has a thin pool, LV, XFS mount and fstab line on every node, and is Started', async () => {
  recorder.start();
  volume = await timings.time('volume create (2 GiB, replica 3)', () => c.volumeCreate({ size: 2, durability: REPLICA3 }));
  const transcript = recorder.stop();
  writeFileSync(`${E2E_OUT}/create-transcript.txt`, `${formatTranscript(transcript)}\n`);

  expect(volume.size).toBe(2);
  expect(volume.bricks).toHaveLength(3);
  expect(new Set((volume.bricks as Json[]).map((b) => b.node))).toEqual(new Set(Object.values(nodeIds)));
  for (const brick of volume.bricks as Json[]) {
    const n = nodeOfId(brick.node);
    expect(brick.device).toBe(diskIds[n.name]);
    const state = await nodeState(n.ip);
    const vg = `vg_${brick.device}`;
    // one thin pool per brick, holding the brick's thin LV
    expect(state.lvs.find((lv) => lv.lv === `tp_${brick.id}`)).toMatchObject({ vg, attr: expect.stringMatching(/^t/) });
    expect(state.lvs.find((lv) => lv.lv === `brick_${brick.id}`)).toMatchObject({ vg, pool: `tp_${brick.id}`, attr: expect.stringMatching(/^V/) });
    const mountPoint = mountPointOf(brick.path);
    expect(state.mounts).toContainEqual({ device: `/dev/mapper/${vg}-brick_${brick.id}`, dir: mountPoint, type: 'xfs' });
    expect(state.fstab).toContainEqual(expect.stringMatching(new RegExp(`^/dev/mapper/${vg}-brick_${brick.id}\\s+${mountPoint}\\s+xfs\\s`)));
    expect(state.dirs).toContain(mountPoint);
    await mustOnNode(n.ip, `test -d ${brick.path}`);
  }
  const info = await glusterVolume(node1.ip, volume.name);
  expect(info).toMatchObject({ name: volume.name, status: 'Started', layout: '1 x 3 = 3' });
  expect(info!.bricks).toEqual((volume.bricks as Json[]).map((b) => `${nodeOfId(b.node).ip}:${b.path}`));
  // every command the executor sent went to a node's manage address and ended
  expect(transcript.length).toBeGreaterThan(10);
  expect(new Set(transcript.map((t) => t.host))).toEqual(new Set(lab.nodes.map((n) => n.ip)));
  expect(transcript.every((t) => t.exitCode !== null)).toBe(true);
});

test('the host mounts the volume from its mount info and a file written there is on all three bricks', async () => {
  const mount = volume.mount.glusterfs;
  expect(mount.device).toBe(`${node1.ip}:${volume.name}`);
  clientMount = `${LAB_RUN}/mnt/${volume.name}`;
  mkdirSync(clientMount, { recursive: true });
  // VolumeInfo lists the backup servers comma-separated (as Heketi does); mount -o separates options with
  // commas, so mount.glusterfs takes them colon-separated.
  const options = Object.entries(mount.options as Record<string, string>).map(([k, v]) =>
    k === 'backup-volfile-servers' ? `${k}=${v.split(',').join(':')}` : `${k}=${v}`,
  );
  expect(mount.options['backup-volfile-servers']).toBe(`${node2.ip},${node3.ip}`);
  await timings.time('client mount -t glusterfs', () =>
    mustLocal('mount', ['-t', 'glusterfs', ...(options.length ? ['-o', options.join(',')] : []), mount.device, clientMount], 60_000),
  );
  const size = await clientSizeKib();
  expect(size).toBeGreaterThan(1.8 * GIB_KIB);
  expect(size).toBeLessThanOrEqual(2 * GIB_KIB);

  const text = `written through the client at ${new Date().toISOString()}\n`;
  writeFileSync(join(clientMount, 'hello.txt'), text);
  for (const brick of volume.bricks as Json[]) {
    expect(await mustOnNode(nodeOfId(brick.node).ip, `cat ${brick.path}/hello.txt`)).toBe(text);
  }
});

test('a node restart brings its brick back mounted from fstab and the volume heals what it missed', async () => {
  const brick = (volume.bricks as Json[]).find((b) => nodeOfId(b.node) === node3)!;
  const address3 = `${node3.ip}:${brick.path}`;
  const address1 = `${node1.ip}:${(volume.bricks as Json[]).find((b) => nodeOfId(b.node) === node1)!.path}`;
  const started = Date.now();
  const stopped = await timings.time('node restart: poweroff until the node has halted', () => labNodePower('stop', node3));
  process.stdout.write(`${node3.name} stopped: ${stopped}\n`);
  await waitUntil('node3 brick to drop out of the volume', 120_000, async () => {
    const heal = await healInfo(node1.ip, volume.name);
    return heal.find((h) => h.brick === address3)?.status !== 'Connected' ? true : undefined;
  });

  const text = `written while ${node3.name} was down\n`;
  writeFileSync(join(clientMount, 'during-restart.txt'), text);
  // node3 missed the write: the other bricks hold it as pending heal
  const pending = await healInfo(node1.ip, volume.name);
  expect(pending.find((h) => h.brick === address3)?.status).not.toBe('Connected');
  expect(pending.find((h) => h.brick === address1)?.entries).toBeGreaterThan(0);

  await timings.time('node restart: boot until ssh and glusterd answer', () => labNodePower('start', node3));
  const state = await nodeState(node3.ip);
  expect(state.mounts).toContainEqual({ device: `/dev/mapper/vg_${brick.device}-brick_${brick.id}`, dir: mountPointOf(brick.path), type: 'xfs' });
  expect(state.fstab.filter((l) => l.includes(brick.id))).toHaveLength(1);

  const healed = await timings.time('node restart: ssh until heal info shows 0 entries', () =>
    waitUntil(
      'heal info: all bricks Connected with 0 entries',
      300_000,
      async () => {
        const heal = await healInfo(node1.ip, volume.name);
        return heal.length === 3 && heal.every((h) => h.status === 'Connected' && h.entries === 0) ? heal : undefined;
      },
      2000,
    ),
  );
  expect(healed.map((h) => h.brick)).toEqual((volume.bricks as Json[]).map((b) => `${nodeOfId(b.node).ip}:${b.path}`));
  expect(await mustOnNode(node3.ip, `cat ${brick.path}/during-restart.txt`)).toBe(text);
  expect(await mustOnNode(node3.ip, `cat ${brick.path}/hello.txt`)).toMatch(/^written through the client/);
  process.stdout.write(`node restart to healed: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
});

test('expand adds a brick set on every node and the mounted size grows', async () => {
  const before = await clientSizeKib();
  const expanded = await timings.time('volume expand (+2 GiB, one more replica-3 set)', () => c.volumeExpand(volume.id, 2));
  expect(expanded.size).toBe(4);
  expect(expanded.bricks).toHaveLength(6);
  const oldIds = new Set((volume.bricks as Json[]).map((b) => b.id));
  const added = (expanded.bricks as Json[]).filter((b) => !oldIds.has(b.id));
  expect(new Set(added.map((b) => b.node))).toEqual(new Set(Object.values(nodeIds)));
  for (const brick of added) {
    const state = await nodeState(nodeOfId(brick.node).ip);
    expect(state.lvs.find((lv) => lv.lv === `brick_${brick.id}`)).toMatchObject({ pool: `tp_${brick.id}` });
    expect(state.mounts.map((m) => m.dir)).toContain(mountPointOf(brick.path));
    expect(state.fstab.filter((l) => l.includes(brick.id))).toHaveLength(1);
  }
  const info = await glusterVolume(node1.ip, volume.name);
  expect(info).toMatchObject({ status: 'Started', layout: '2 x 3 = 6' });
  expect(info!.bricks.slice(3)).toEqual(added.map((b) => `${nodeOfId(b.node).ip}:${b.path}`));
  // the client picks up the new volume graph by itself
  const after = await waitUntil('the client mount to show the new size', 60_000, async () => {
    const s = await clientSizeKib();
    return s > before + 1.8 * GIB_KIB ? s : undefined;
  });
  expect(after).toBeLessThanOrEqual(4 * GIB_KIB);
  volume = expanded;
});

test('delete removes the gluster volume and every LV, pool, mount, fstab line and brick directory on every node', async () => {
  await mustLocal('umount', [clientMount]);
  rmSync(clientMount, { recursive: true, force: true });
  clientMount = '';
  expect(await timings.time('volume delete (6 bricks)', () => c.volumeDelete(volume.id))).toBeNull();

  expect((await c.volumeList()).volumes).toEqual([]);
  for (const n of lab.nodes) {
    expect(await glusterVolume(n.ip, volume.name)).toBeNull();
    const state = await nodeState(n.ip);
    for (const brick of (volume.bricks as Json[]).filter((b) => nodeOfId(b.node) === n)) expectNoTraceOfBrick(state, brick.id, brick.path);
    expectNoBricks(state);
    // the device's VG is whole again, and Brickyard's books say so too
    const vg = vgOf(state, `vg_${diskIds[n.name]}`);
    expect(vg.freeExtents).toBe(vg.totalExtents);
    expect(state.dirs).toEqual([`${MOUNT_ROOT}/vg_${diskIds[n.name]}`]);
    const storage = await apiDevice(diskIds[n.name]!);
    expect(storage.free + storage.used).toBe(storage.total);
    expect(storage.used).toBe(0);
  }
});

test('a create that fails mid-way (glusterd stopped on one node) leaves nothing on any node and frees exactly what it took', async () => {
  const freeBefore: Record<string, number> = {};
  const extentsBefore: Record<string, number> = {};
  for (const n of lab.nodes) {
    freeBefore[n.name] = (await apiDevice(diskIds[n.name]!)).free;
    extentsBefore[n.name] = vgOf(await nodeState(n.ip), `vg_${diskIds[n.name]}`).freeExtents;
  }
  await mustOnNode(node3.ip, 'systemctl stop glusterd');
  try {
    recorder.start();
    const failure = await c.volumeCreate({ size: 1, durability: REPLICA3 }).then(
      () => null,
      (err: unknown) => err,
    );
    const transcript = recorder.stop();
    writeFileSync(`${E2E_OUT}/failed-create-transcript.txt`, `${formatTranscript(transcript)}\n`);
    expect(failure).toBeInstanceOf(HeketiError);
    expect((failure as HeketiError).message).toMatch(/10\.213\.0\.33|glusterd|not connected/i);
    // the bricks were really made on the nodes before gluster refused, and then undone
    for (const n of lab.nodes) {
      const sent = transcript.filter((t) => t.host === n.ip).map((t) => t.command);
      expect(sent.some((s) => /lvm lvcreate/.test(s))).toBe(true);
      expect(sent.some((s) => /lvm lvremove/.test(s))).toBe(true);
    }
  } finally {
    await mustOnNode(node3.ip, 'systemctl start glusterd');
  }
  expect((await c.volumeList()).volumes).toEqual([]);
  expect(await glusterVolumeNames(node1.ip)).toEqual([]);
  for (const n of lab.nodes) {
    const state = await nodeState(n.ip);
    expectNoBricks(state);
    expect(state.dirs).toEqual([`${MOUNT_ROOT}/vg_${diskIds[n.name]}`]);
    expect(vgOf(state, `vg_${diskIds[n.name]}`).freeExtents).toBe(extentsBefore[n.name]);
    expect((await apiDevice(diskIds[n.name]!)).free).toBe(freeBefore[n.name]);
  }
  await waitUntil('node3 Connected again in node1 pool list', 120_000, async () =>
    (await glusterPool(node1.ip))[node3.ip] === 'Connected' ? true : undefined,
  );
  // and the cluster works again
  const ok = await c.volumeCreate({ size: 1, durability: REPLICA3 });
  expect((await glusterVolume(node1.ip, ok.name))?.status).toBe('Started');
  expect(await c.volumeDelete(ok.id)).toBeNull();
});

/** A `gluster` ahead of the real one on PATH that holds every `volume create` for SLOW_CREATE_S first. */
const SLOW_CREATE_S = 60;
const SLOW_GLUSTER = `cat > /usr/local/sbin/gluster <<'WRAP'
#!/bin/bash
case " $* " in
  *" volume create "*)
    touch /run/e2e-slow-create.started
    sleep ${SLOW_CREATE_S}
    /usr/sbin/gluster "$@"; rc=$?
    # the CLI may die of SIGPIPE answering a session that is gone: what counts is whether glusterd made it
    if /usr/sbin/gluster --mode=script volume list 2>/dev/null | grep -qx slowcreate; then echo created; else echo "absent $rc"; fi > /run/e2e-slow-create.done
    exit $rc ;;
esac
exec /usr/sbin/gluster "$@"
WRAP
chmod 755 /usr/local/sbin/gluster; rm -f /run/e2e-slow-create.*
[ "$(command -v gluster)" = /usr/local/sbin/gluster ]`;

test('a create whose server is killed while its gluster volume create still runs on a slow node leaves nothing once recovery is done', async () => {
  const freeBefore: Record<string, number> = {};
  const extentsBefore: Record<string, number> = {};
  for (const n of lab.nodes) {
    freeBefore[n.name] = (await apiDevice(diskIds[n.name]!)).free;
    extentsBefore[n.name] = vgOf(await nodeState(n.ip), `vg_${diskIds[n.name]}`).freeExtents;
  }
  // A second server on the same database: it takes the create, and is killed in the middle of it. The suite's
  // own server (lease 30 s) then finds the lapsed lease and recovers the create.
  const dir = mkdtempSync(join(tmpdir(), 'brickyard-e2e-killed-'));
  const config = join(dir, 'heketi.json');
  writeFileSync(
    config,
    JSON.stringify({
      use_auth: true,
      jwt: { admin: { key: ADMIN_KEY }, user: { key: USER_KEY } },
      glusterfs: {
        executor: 'ssh',
        db: server.db,
        sshexec: { keyfile: LAB_SSH_KEY, user: 'root', connect_timeout: 10 },
        zone_checking: 'strict',
        operation_lease_seconds: 10,
        loglevel: 'info',
      },
    }),
  );
  let doomed: ServerProcess | undefined;
  try {
    for (const n of lab.nodes) await mustOnNode(n.ip, SLOW_GLUSTER);
    doomed = startServerProcess(['--config', config], { port: await freePort() });
    await doomed.listening();
    const other = new HeketiClient(`http://127.0.0.1:${doomed.port}`, { user: 'admin', key: ADMIN_KEY, pollIntervalMs: 400 });
    const accepted = await other.raw('POST', '/volumes', { size: 1, name: 'slowcreate', durability: REPLICA3 });
    expect(accepted.status).toBe(202);
    const queue = accepted.headers.get('Location')!;
    const slowNode = await waitUntil('a node to start the slow gluster volume create', 600_000, async () => {
      for (const n of lab.nodes) if ((await onNode(n.ip, 'test -e /run/e2e-slow-create.started')).code === 0) return n;
      return undefined;
    });
    expect(await doomed.stop('SIGKILL')).toBeNull();

    // the create's queue entry answers on the surviving server, and ends as what really happened: undone
    const ending = await timings.time('recovery of a create killed during gluster volume create', () =>
      waitUntil('the surviving server to recover the killed create', 900_000, async () => {
        const answer = await c.raw('GET', queue);
        return answer.status === 200 ? undefined : answer;
      }, 2000),
    );
    expect(ending.status).toBe(500);
    expect(ending.text).toMatch(/undone|interrupted/i);
    // the dead server's command outlived it and did create the volume on the node; recovery waited for it
    expect((await mustOnNode(slowNode.ip, 'cat /run/e2e-slow-create.done')).trim()).toBe('created');
  } finally {
    if (doomed && doomed.child.exitCode === null && doomed.child.signalCode === null) await doomed.stop('SIGKILL');
    for (const n of lab.nodes) await onNode(n.ip, 'rm -f /usr/local/sbin/gluster /run/e2e-slow-create.*');
    rmSync(dir, { recursive: true, force: true });
  }
  expect((await c.volumeList()).volumes).toEqual([]);
  for (const n of lab.nodes) {
    expect(await glusterVolumeNames(n.ip)).toEqual([]);
    const state = await nodeState(n.ip);
    expectNoBricks(state);
    expect(state.dirs).toEqual([`${MOUNT_ROOT}/vg_${diskIds[n.name]}`]);
    expect(vgOf(state, `vg_${diskIds[n.name]}`).freeExtents).toBe(extentsBefore[n.name]);
    expect((await apiDevice(diskIds[n.name]!)).free).toBe(freeBefore[n.name]);
  }
  expect(await c.raw('GET', '/db/check').then((r) => JSON.parse(r.text))).toMatchObject({ ok: true });
});

test('device add refuses a disk with a filesystem on it unless destroydata, and device delete gives the disk back blank', async () => {
  const nid = nodeIds[node1.name]!;
  await mustOnNode(node1.ip, `mkfs.xfs -q -f ${node1.spare}`);
  const refused = await c.deviceAdd({ node: nid, name: node1.spare }).then(
    () => null,
    (err: unknown) => err,
  );
  expect(refused).toBeInstanceOf(HeketiError);
  expect((refused as HeketiError).message).toMatch(/contains data|already initialized/);
  expect((refused as HeketiError).message).toMatch(/xfs/);
  // nothing changed: no device in the books, the filesystem still there, no PV
  expect((await c.nodeInfo(nid)).devices).toHaveLength(1);
  expect(await mustOnNode(node1.ip, `wipefs --no-act --noheadings --output TYPE ${node1.spare}`)).toBe('xfs\n');
  expect((await nodeState(node1.ip)).pvs[node1.spare]).toBeUndefined();

  expect(await timings.time('device add (destroydata)', () => c.deviceAdd({ node: nid, name: node1.spare, destroydata: true }))).toBeNull();
  const device = ((await c.nodeInfo(nid)).devices as Json[]).find((d) => d.name === node1.spare)!;
  const state = await nodeState(node1.ip);
  expect(state.pvs[node1.spare]).toBe(`vg_${device.id}`);
  const spareVg = vgOf(state, `vg_${device.id}`);
  expect(device.storage.total).toBe(spareVg.sizeKib - metadataSpareKib(spareVg.sizeKib, spareVg.extentKib));
  expect(await mustOnNode(node1.ip, `wipefs --no-act --noheadings --output TYPE ${node1.spare}`)).toBe('LVM2_member\n');

  await c.deviceState(device.id, 'offline');
  await c.deviceState(device.id, 'failed');
  expect(await c.deviceDelete(device.id)).toBeNull();
  const after = await nodeState(node1.ip);
  expect(after.pvs[node1.spare]).toBeUndefined();
  expect(after.vgs.map((g) => g.vg)).toEqual([`vg_${diskIds[node1.name]}`]);
  expect(after.dirs).toEqual([`${MOUNT_ROOT}/vg_${diskIds[node1.name]}`]);
});

test('node delete detaches the peer; node add probes it back into the pool', async () => {
  const nid = nodeIds[node3.name]!;
  const did = diskIds[node3.name]!;
  await c.deviceState(did, 'offline');
  await c.deviceState(did, 'failed');
  expect(await c.deviceDelete(did)).toBeNull();
  expect((await nodeState(node3.ip)).vgs).toEqual([]);
  expect(await c.nodeDelete(nid)).toBeNull();
  expect(Object.keys(await glusterPool(node1.ip)).sort()).toEqual([node2.ip, 'localhost'].sort());

  const added = await timings.time('node add (peer probe)', () =>
    c.nodeAdd({ zone: 3, cluster: clusterId, hostnames: { manage: [node3.ip], storage: [node3.ip] } }),
  );
  nodeIds[node3.name] = added!.id;
  await waitUntil('node3 Connected in node1 pool list', 60_000, async () =>
    (await glusterPool(node1.ip))[node3.ip] === 'Connected' ? true : undefined,
  );
  // node3 sees the others too: it really joined the pool
  const pool3 = await glusterPool(node3.ip);
  expect(Object.keys(pool3)).toHaveLength(3);
  expect(await c.deviceAdd({ node: added!.id, name: node3.disk })).toBeNull();
  const device = (await c.nodeInfo(added!.id)).devices[0];
  diskIds[node3.name] = device.id;
  const vg3 = vgOf(await nodeState(node3.ip), `vg_${device.id}`);
  expect(device.storage.total).toBe(vg3.sizeKib - metadataSpareKib(vg3.sizeKib, vg3.extentKib));
});

test('teardown through the API leaves every node blank', async () => {
  await timings.time('teardown (3 devices, 3 nodes, cluster)', () => teardownThroughApi(c));
  expect((await c.clusterList()).clusters).toEqual([]);
  for (const n of lab.nodes) {
    const state = await nodeState(n.ip);
    expect(state.vgs).toEqual([]);
    expect(state.pvs).toEqual({});
    expect(state.dirs).toEqual([]);
  }
  // the last node's pool still lists itself only
  for (const n of lab.nodes) expect(Object.keys(await glusterPool(n.ip))).toEqual(['localhost']);
});
