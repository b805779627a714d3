import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { HeketiClient, type Json } from '../../src/client/heketi-client';
import { sshExecSchema } from '../../src/config/schema';
import { startCsi } from '../../src/csi/main';
import type { RunningCsiServer } from '../../src/csi/server';
import { CommandExecutor } from '../../src/executors/command-executor';
import { createSshTransport } from '../../src/executors/ssh';
import { readMountTable, SystemMounter } from '../../src/mount';
import { csiClient, type CsiClient } from '../csi/csi-client';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/server';
import { LAB_RUN, LAB_SSH_KEY, mustLocal, mustOnNode, onNode, readLab, runLocal, type LabNode } from './support/lab';
import { assertLabBlank, leaveLabBlank, teardownThroughApi } from './support/blank-lab';
import { glusterVolumeNames, nodeState } from './support/node-state';
import { Timings } from './support/timings';

/**
 * The CSI driver end to end on the real-LVM lab (uml tier): a Brickyard server with the ssh executor on the
 * three nodes, the CSI controller talking to it over HTTP with the JWT client, and the CSI node service on
 * this host mounting with the GlusterFS FUSE client; every RPC over a real unix socket, as the sidecars and
 * kubelet call them. Effects are checked on the nodes with their own tools.
 */
const lab = readLab();
const GIB = 1024 ** 3;
const MOUNT_CAP = { mount: {}, access_mode: { mode: 'MULTI_NODE_MULTI_WRITER' } };
const E2E_OUT = process.env.E2E_OUT ?? `${LAB_RUN}/e2e`;
mkdirSync(E2E_OUT, { recursive: true });

const sshConfig = sshExecSchema.parse({ keyfile: LAB_SSH_KEY, user: 'root', connect_timeout: 10 });
const executor = new CommandExecutor(createSshTransport(sshConfig), sshConfig, { kind: 'ssh', warn: () => undefined });
const timings = new Timings();
const workDir = mkdtempSync(join(tmpdir(), 'brickyard-e2e-csi-'));
const staging = join(workDir, 'plugins/kubernetes.io/csi/brickyard.gluster.io/globalmount');
const target = join(workDir, 'pods/pod-a/volumes/kubernetes.io~csi/pvc-e2e/mount');

let server: TestServer;
let c: HeketiClient;
let controller: RunningCsiServer;
let node: RunningCsiServer;
let ctl: CsiClient;
let nd: CsiClient;
let volumeId = '';
let volumeContext: Record<string, string> = {};

async function mountsUnderWorkDir(): Promise<string[]> {
  return (await readMountTable()).map((m) => m.mountPoint).filter((p) => p.startsWith(`${workDir}/`));
}

/** The lab address of the node holding a brick. */
async function brickHost(brick: Json): Promise<string> {
  const ip = (await c.nodeInfo(brick.node)).hostnames.manage[0] as string;
  expect(lab.nodes.map((n: LabNode) => n.ip)).toContain(ip);
  return ip;
}

async function dfKib(path: string): Promise<number> {
  const out = await mustLocal('df', ['-k', '--output=size', path]);
  return Number(out.trim().split('\n')[1]);
}

beforeAll(async () => {
  await assertLabBlank(lab.nodes);
  server = await startTestServer({
    db: 'postgres',
    executor,
    glusterfs: { executor: 'ssh', sshexec: { keyfile: LAB_SSH_KEY, user: 'root' }, zone_checking: 'strict' },
  });
  c = new HeketiClient(server.url, { user: 'admin', key: ADMIN_KEY, pollIntervalMs: 400, timeoutMs: 120_000 });
  const cluster = await c.clusterCreate();
  for (const [i, n] of lab.nodes.entries()) {
    const added = await c.nodeAdd({ zone: i + 1, cluster: cluster.id, hostnames: { manage: [n.ip], storage: [n.ip] } });
    await c.deviceAdd({ node: added!.id, name: n.disk });
  }
  const log = pino({ level: 'silent' });
  controller = await startCsi({ mode: 'controller', endpoint: `unix://${workDir}/controller.sock`, version: 'e2e', server: server.url, user: 'admin', key: ADMIN_KEY, log });
  node = await startCsi({
    mode: 'node',
    endpoint: `unix://${workDir}/node.sock`,
    version: 'e2e',
    nodeId: 'e2e-host',
    logDir: join(workDir, 'logs'),
    mounter: () => new SystemMounter(),
    log,
  });
  ctl = csiClient(controller.endpoint);
  nd = csiClient(node.endpoint);
}, 600_000);

afterAll(async () => {
  const mounter = new SystemMounter();
  for (const p of (await mountsUnderWorkDir()).reverse()) await mounter.unmount(p).catch(() => runLocal('umount', ['-l', p]));
  ctl?.close();
  nd?.close();
  await controller?.close();
  await node?.close();
  if (server) {
    // leave the lab blank for the other suites
    try {
      await teardownThroughApi(c);
    } catch (err) {
      process.stderr.write(`csi e2e cleanup through the API failed: ${(err as Error).message}\n`);
    }
    await server.close();
  }
  await leaveLabBlank(lab.nodes, 'csi e2e');
  rmSync(workDir, { recursive: true, force: true });
  timings.write(`${E2E_OUT}/csi-timings.txt`);
  process.stdout.write(`\nCSI e2e timings:\n${timings.lines().join('\n')}\n`);
}, 600_000);

test('CreateVolume through the controller makes real bricks on the three nodes', async () => {
  const res = await timings.time('CSI CreateVolume (2 GiB replica 3, through Brickyard)', () =>
    ctl.call('Controller', 'CreateVolume', {
      name: 'pvc-e2e',
      capacity_range: { required_bytes: String(2 * GIB) },
      volume_capabilities: [MOUNT_CAP],
      parameters: { volumetype: 'replicate:3' },
    }),
  );
  volumeId = res.volume.volume_id;
  volumeContext = res.volume.volume_context;
  expect(res.volume.capacity_bytes).toBe(String(2 * GIB));
  const v = await c.volumeInfo(volumeId);
  expect(v.name).toBe('pvc-e2e');
  expect(volumeContext).toMatchObject({ volume: 'pvc-e2e', server: v.mount.glusterfs.hosts[0] });
  expect(v.bricks).toHaveLength(3);
  for (const brick of v.bricks as Json[]) {
    const state = await nodeState(await brickHost(brick));
    expect(state.lvs.map((lv) => lv.lv)).toContain(`brick_${brick.id}`);
  }
  expect(await mustOnNode(lab.nodes[0]!.ip, 'gluster --mode=script volume info pvc-e2e | grep ^Status')).toMatch(/Started/);
  // a retry (the provisioner timed out) is the same volume
  const again = await ctl.call('Controller', 'CreateVolume', { name: 'pvc-e2e', capacity_range: { required_bytes: String(2 * GIB) }, volume_capabilities: [MOUNT_CAP], parameters: { volumetype: 'replicate:3' } });
  expect(again.volume).toEqual(res.volume);
});

test('NodeStage and NodePublish on this host; a file written through the target path is on all three bricks', async () => {
  await timings.time('CSI NodeStageVolume (GlusterFS FUSE mount)', () =>
    nd.call('Node', 'NodeStageVolume', { volume_id: volumeId, staging_target_path: staging, volume_capability: MOUNT_CAP, volume_context: volumeContext }),
  );
  await timings.time('CSI NodePublishVolume (bind mount)', () =>
    nd.call('Node', 'NodePublishVolume', { volume_id: volumeId, staging_target_path: staging, target_path: target, volume_capability: MOUNT_CAP, readonly: false }),
  );
  await writeFile(join(target, 'hello.txt'), 'written by a pod through the CSI target path\n');
  expect(await readFile(join(target, 'hello.txt'), 'utf8')).toBe('written by a pod through the CSI target path\n');
  const v = await c.volumeInfo(volumeId);
  for (const brick of v.bricks as Json[]) {
    expect(await mustOnNode(await brickHost(brick), `cat ${brick.path}/hello.txt`)).toBe('written by a pod through the CSI target path\n');
  }
  const stats = await nd.call('Node', 'NodeGetVolumeStats', { volume_id: volumeId, volume_path: target });
  expect(stats.volume_condition.abnormal).toBe(false);
  expect(Number(stats.usage[0].total)).toBeGreaterThan(1.5 * GIB);
});

test('ControllerExpandVolume grows df on the published path', async () => {
  const before = await dfKib(target);
  const res = await timings.time('CSI ControllerExpandVolume (+2 GiB)', () =>
    ctl.call('Controller', 'ControllerExpandVolume', { volume_id: volumeId, capacity_range: { required_bytes: String(4 * GIB) } }),
  );
  expect(res).toEqual({ capacity_bytes: String(4 * GIB), node_expansion_required: false });
  const after = await dfKib(target);
  expect(after - before).toBeGreaterThan(1.5 * 1024 * 1024);
  expect(after - before).toBeLessThan(2.5 * 1024 * 1024);
});

test('unpublish, unstage and DeleteVolume leave no mount, LV or Gluster volume', async () => {
  const bricks = (await c.volumeInfo(volumeId)).bricks as Json[];
  await nd.call('Node', 'NodeUnpublishVolume', { volume_id: volumeId, target_path: target });
  await nd.call('Node', 'NodeUnpublishVolume', { volume_id: volumeId, target_path: target });
  await expect(stat(target)).rejects.toMatchObject({ code: 'ENOENT' });
  await nd.call('Node', 'NodeUnstageVolume', { volume_id: volumeId, staging_target_path: staging });
  await nd.call('Node', 'NodeUnstageVolume', { volume_id: volumeId, staging_target_path: staging });
  expect(await mountsUnderWorkDir()).toEqual([]);
  await timings.time('CSI DeleteVolume', () => ctl.call('Controller', 'DeleteVolume', { volume_id: volumeId }));
  expect(await ctl.call('Controller', 'DeleteVolume', { volume_id: volumeId })).toEqual({});
  for (const n of lab.nodes) {
    const state = await nodeState(n.ip);
    expect(state.lvs.filter((lv) => bricks.some((b) => lv.lv.endsWith(b.id)))).toEqual([]);
    expect(state.lvs).toEqual([]);
    expect(state.mounts).toEqual([]);
    expect(await glusterVolumeNames(n.ip)).toEqual([]);
  }
  expect((await onNode(lab.nodes[0]!.ip, 'gluster --mode=script volume info pvc-e2e')).code).not.toBe(0);
});
