import { access, readFile, stat, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { startCsi } from '../../src/csi/main';
import type { RunningCsiServer } from '../../src/csi/server';
import { readMountTable, SystemMounter } from '../../src/mount';
import { runLocal } from '../e2e/support/lab';
import { csiClient, grpc, MOUNT_CAP, scratchDir, type CsiClient } from './csi-client';
import { nsLab, onNode, ssh, type NsLab } from './ns-lab';

/**
 * The node service with real mounts, over a real unix socket, as kubelet calls it: a replica 3 GlusterFS
 * volume made directly with the gluster CLI on the lab's namespace nodes (glusterd, XFS bricks on loop
 * devices, no LVM), FUSE-mounted on this host. Needs root (mounting), as the node plugin does.
 */
const { status } = grpc;
const VOLUME = 'csinode';
const BRICK_ROOT = '/var/lib/heketi/csi-brick';

let lab: NsLab;
let scratch: ReturnType<typeof scratchDir>;
let driver: RunningCsiServer;
let csi: CsiClient;
let context: Record<string, string>;

jest.setTimeout(180_000);

async function glusterVolume(): Promise<void> {
  const [first, ...others] = lab.nodes;
  await Promise.all(
    lab.nodes.map((n) =>
      onNode(n.ip, `set -e; umount ${BRICK_ROOT} 2>/dev/null || true; mkfs.xfs -f -q -i size=512 ${n.disk}; mkdir -p ${BRICK_ROOT}; mount ${n.disk} ${BRICK_ROOT}; mkdir -p ${BRICK_ROOT}/b`),
    ),
  );
  for (const n of others) await onNode(first!.ip, `gluster --mode=script peer probe ${n.ip}`);
  for (let i = 0; ; i += 1) {
    const pool = await onNode(first!.ip, 'gluster --mode=script pool list');
    if ((pool.match(/\bConnected\b/g) ?? []).length >= lab.nodes.length) break;
    if (i > 60) throw new Error(`peers not connected: ${pool}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const bricks = lab.nodes.map((n) => `${n.ip}:${BRICK_ROOT}/b`).join(' ');
  await onNode(first!.ip, `gluster --mode=script volume create ${VOLUME} replica 3 ${bricks}`);
  await onNode(first!.ip, `gluster --mode=script volume start ${VOLUME}`);
}

async function removeGlusterVolume(): Promise<void> {
  const first = lab.nodes[0]!;
  await ssh(first.ip, `gluster --mode=script volume stop ${VOLUME} force; gluster --mode=script volume delete ${VOLUME}`);
  await Promise.all(lab.nodes.map((n) => ssh(n.ip, `umount ${BRICK_ROOT}; rmdir ${BRICK_ROOT}; wipefs -a -q ${n.disk}`)));
}

/** Mount points under the test's scratch directory (what the node service may have left behind). */
async function mountsUnderScratch(): Promise<string[]> {
  return (await readMountTable()).map((m) => m.mountPoint).filter((p) => p.startsWith(`${scratch.dir}/`));
}

beforeAll(async () => {
  lab = await nsLab();
  await glusterVolume();
  scratch = scratchDir('csi-node-');
  driver = await startCsi({
    mode: 'node',
    endpoint: `unix://${scratch.dir}/csi.sock`,
    version: 'test',
    nodeId: 'node-under-test',
    logDir: join(scratch.dir, 'logs'),
    mounter: () => new SystemMounter(),
    log: pino({ level: 'silent' }),
  });
  csi = csiClient(driver.endpoint);
  const [first, ...rest] = lab.nodes.map((n) => n.ip);
  // what the controller puts into volume_context
  context = { server: first!, backupServers: rest.join(':'), volume: VOLUME, source: `${first}:${VOLUME}` };
}, 600_000);

afterAll(async () => {
  const mounter = new SystemMounter();
  if (scratch) for (const p of (await mountsUnderScratch()).reverse()) await mounter.unmount(p).catch(() => undefined);
  csi?.close();
  await driver?.close();
  if (lab) {
    await removeGlusterVolume().catch(() => undefined);
    await lab.close();
  }
  scratch?.remove();
}, 600_000);

const stage = (staging: string, volumeId = 'vol-a') =>
  csi.call('Node', 'NodeStageVolume', { volume_id: volumeId, staging_target_path: staging, volume_capability: MOUNT_CAP, volume_context: context });
const publish = (staging: string, target: string, readonly = false) =>
  csi.call('Node', 'NodePublishVolume', { volume_id: 'vol-a', staging_target_path: staging, target_path: target, volume_capability: MOUNT_CAP, readonly });
const unpublish = (target: string) => csi.call('Node', 'NodeUnpublishVolume', { volume_id: 'vol-a', target_path: target });
const unstage = (staging: string) => csi.call('Node', 'NodeUnstageVolume', { volume_id: 'vol-a', staging_target_path: staging });

/** SIGKILLs the GlusterFS client serving a mount point and waits until it is gone. */
async function killClient(mountPoint: string): Promise<void> {
  const ps = await runLocal('ps', ['-eo', 'pid,args']);
  const line = ps.stdout.split('\n').find((l) => l.includes('glusterfs') && l.trim().endsWith(mountPoint));
  if (!line) throw new Error(`no glusterfs client for ${mountPoint}`);
  const pid = Number(line.trim().split(/\s+/)[0]);
  process.kill(pid, 'SIGKILL');
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function onAllBricks(file: string): Promise<string[]> {
  return Promise.all(lab.nodes.map((n) => onNode(n.ip, `cat ${BRICK_ROOT}/b/${file}`)));
}

test('identity and node information', async () => {
  expect(await csi.call('Identity', 'Probe')).toEqual({ ready: { value: true } });
  expect(await csi.call('Node', 'NodeGetInfo')).toMatchObject({ node_id: 'node-under-test' });
  const caps = await csi.call('Node', 'NodeGetCapabilities');
  expect(caps.capabilities.map((c: { rpc: { type: string } }) => c.rpc.type)).toEqual(['STAGE_UNSTAGE_VOLUME', 'GET_VOLUME_STATS', 'VOLUME_CONDITION']);
  expect((await csi.fail('Controller', 'CreateVolume', { name: 'x' })).code).toBe(status.UNIMPLEMENTED);
});

test('stage, publish, write, read back, unpublish, unstage; every call twice', async () => {
  for (let round = 1; round <= 2; round += 1) {
    const staging = join(scratch.dir, `r${round}`, 'staging');
    const target = join(scratch.dir, `r${round}`, 'pods', 'mount');
    const readonlyTarget = join(scratch.dir, `r${round}`, 'pods', 'ro');
    const t0 = Date.now();
    await stage(staging);
    const stageMs = Date.now() - t0;
    await stage(staging);
    const mount = (await readMountTable()).find((m) => m.mountPoint === staging);
    expect(mount).toMatchObject({ fsType: 'fuse.glusterfs' });
    expect(mount!.source).toContain(VOLUME);
    // the client was started with every server: the backups as a colon list
    const ps = await runLocal('ps', ['-eo', 'args']);
    const client = ps.stdout.split('\n').find((l) => l.includes('glusterfs') && l.trim().endsWith(staging));
    expect(client).toBeDefined();
    for (const ip of lab.nodes.map((n) => n.ip)) expect(client).toContain(ip);
    await access(join(scratch.dir, 'logs', 'vol-a.log'));

    await publish(staging, target);
    await publish(staging, target);
    await publish(staging, readonlyTarget, true);
    await publish(staging, readonlyTarget, true);
    const file = `round-${round}-${process.pid}.txt`;
    await writeFile(join(target, file), `written through the pod's target path, round ${round}\n`);
    expect(await readFile(join(readonlyTarget, file), 'utf8')).toBe(`written through the pod's target path, round ${round}\n`);
    await expect(writeFile(join(readonlyTarget, 'nope'), 'x')).rejects.toMatchObject({ code: 'EROFS' });
    expect(await onAllBricks(file)).toEqual(Array(3).fill(`written through the pod's target path, round ${round}\n`));

    const stats = await csi.call('Node', 'NodeGetVolumeStats', { volume_id: 'vol-a', volume_path: target });
    expect(stats.volume_condition).toEqual({ abnormal: false, message: 'mounted and answering' });
    const bytes = stats.usage.find((u: { unit: string }) => u.unit === 'BYTES');
    const inodes = stats.usage.find((u: { unit: string }) => u.unit === 'INODES');
    expect(Number(bytes.total)).toBeGreaterThan(3 * 1024 ** 3); // the 4 GiB XFS bricks, replicated
    expect(Number(bytes.used)).toBeGreaterThan(0);
    expect(Number(bytes.available)).toBeLessThanOrEqual(Number(bytes.total));
    expect(Number(inodes.total)).toBeGreaterThan(0);

    for (const t of [target, readonlyTarget]) {
      await unpublish(t);
      await unpublish(t);
      await expect(stat(t)).rejects.toMatchObject({ code: 'ENOENT' });
    }
    await unstage(staging);
    await unstage(staging);
    expect(await mountsUnderScratch()).toEqual([]);
    console.log(`round ${round}: NodeStageVolume took ${stageMs} ms`);
  }
});

test('after the client was killed underneath: abnormal stats, then unpublish and unstage clean up, and it stages again', async () => {
  const staging = join(scratch.dir, 'killed', 'staging');
  const target = join(scratch.dir, 'killed', 'pods', 'mount');
  await stage(staging);
  await publish(staging, target);
  await killClient(staging);
  await expect(statfs(target)).rejects.toMatchObject({ code: 'ENOTCONN' });

  const stats = await csi.call('Node', 'NodeGetVolumeStats', { volume_id: 'vol-a', volume_path: target });
  expect(stats.usage).toEqual([]);
  expect(stats.volume_condition.abnormal).toBe(true);
  expect(stats.volume_condition.message).toMatch(/ENOTCONN/);

  // kubelet restaging and republishing a volume whose client died: both mounts are replaced
  await stage(staging);
  await publish(staging, target);
  await writeFile(join(target, 'after-kill.txt'), 'again\n');
  expect(await onAllBricks('after-kill.txt')).toEqual(Array(3).fill('again\n'));

  // and killed again, then torn down: nothing left behind
  await killClient(staging);
  await unpublish(target);
  await unpublish(target);
  await unstage(staging);
  await unstage(staging);
  expect(await mountsUnderScratch()).toEqual([]);
});

test('a mount that fails says why and leaves nothing mounted', async () => {
  const staging = join(scratch.dir, 'bad', 'staging');
  const e = await csi.fail('Node', 'NodeStageVolume', {
    volume_id: 'vol-missing',
    staging_target_path: staging,
    volume_capability: MOUNT_CAP,
    volume_context: { ...context, volume: 'no-such-volume' },
  });
  expect(e.code).toBe(status.INTERNAL);
  expect(e.details).toMatch(/staging volume vol-missing \(.*:no-such-volume\) at .*: mounting GlusterFS volume .* failed/);
  expect(await mountsUnderScratch()).toEqual([]);
});

test('errors: missing fields, no volume_context, not staged, a path that does not exist', async () => {
  const staging = join(scratch.dir, 'err', 'staging');
  const target = join(scratch.dir, 'err', 'target');
  const cases: Array<[string, object, RegExp]> = [
    ['NodeStageVolume', { staging_target_path: staging, volume_capability: MOUNT_CAP, volume_context: context }, /^volume_id: is required$/],
    ['NodeStageVolume', { volume_id: 'v', volume_capability: MOUNT_CAP, volume_context: context }, /^staging_target_path: is required$/],
    ['NodeStageVolume', { volume_id: 'v', staging_target_path: staging, volume_context: context }, /^volume_capability: is required$/],
    ['NodeStageVolume', { volume_id: 'v', staging_target_path: 'relative', volume_capability: MOUNT_CAP, volume_context: context }, /must be an absolute path/],
    ['NodeStageVolume', { volume_id: 'v', staging_target_path: staging, volume_capability: MOUNT_CAP }, /^volume_context.server: is required/],
    ['NodeStageVolume', { volume_id: 'v', staging_target_path: staging, volume_capability: MOUNT_CAP, volume_context: { ...context, server: '-oexec' } }, /server "-oexec" must be a DNS name/],
    ['NodeStageVolume', { volume_id: 'v', staging_target_path: staging, volume_capability: { block: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } }, volume_context: context }, /raw block access is not supported/],
    ['NodePublishVolume', { volume_id: 'v', staging_target_path: staging, volume_capability: MOUNT_CAP }, /^target_path: is required$/],
    ['NodeUnpublishVolume', { volume_id: 'v' }, /^target_path: is required$/],
    ['NodeUnstageVolume', { volume_id: 'v' }, /^staging_target_path: is required$/],
    ['NodeGetVolumeStats', { volume_id: 'v' }, /^volume_path: is required$/],
  ];
  for (const [method, request, message] of cases) {
    const e = await csi.fail('Node', method, request);
    expect([method, e.code]).toEqual([method, status.INVALID_ARGUMENT]);
    expect(e.details).toMatch(message);
  }
  const notStaged = await csi.fail('Node', 'NodePublishVolume', { volume_id: 'v', staging_target_path: staging, target_path: target, volume_capability: MOUNT_CAP });
  expect(notStaged.code).toBe(status.FAILED_PRECONDITION);
  const missingPath = await csi.fail('Node', 'NodeGetVolumeStats', { volume_id: 'v', volume_path: join(scratch.dir, 'nowhere') });
  expect(missingPath.code).toBe(status.NOT_FOUND);
  // unpublishing and unstaging what was never there is success
  expect(await csi.call('Node', 'NodeUnpublishVolume', { volume_id: 'v', target_path: target })).toEqual({});
  expect(await csi.call('Node', 'NodeUnstageVolume', { volume_id: 'v', staging_target_path: staging })).toEqual({});
  expect(await mountsUnderScratch()).toEqual([]);
});
