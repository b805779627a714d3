import { randomBytes } from 'node:crypto';

import { sshExecSchema } from '../../src/config/schema';
import { newId } from '../../src/domain/ids';
import { CommandExecutor } from '../../src/executors/command-executor';
import * as fs from '../../src/executors/commands/filesystem';
import { PinnedHostKeys, SshTransport } from '../../src/executors/ssh';
import type { BrickAddress, BrickSpec } from '../../src/executors/types';
import { NetnsHosts } from '../support/netns-sshd';

/**
 * CommandExecutor over the real ssh transport on three namespace hosts, each with its own sshd,
 * glusterd, /etc/fstab and three loop-device disks. Real here: pvcreate / vgcreate / vgdisplay / pvs /
 * wipefs, mkfs.xfs, mount, fstab, directories, and the whole gluster peer and volume life cycle.
 * Not possible here: thin LVs (this kernel has no device-mapper). Where a brick needs its LV, a symlink
 * /dev/mapper/vg_<dev>-brick_<brick> -> the host's loop disk stands in for it (a stand-in, named so below);
 * the LVM half of brick create/destroy runs for real in the lead's UML end-to-end suite.
 */
jest.setTimeout(90_000);

const settings = sshExecSchema.parse({});
let hosts: NetnsHosts;
let transport: SshTransport;
let executor: CommandExecutor;
const warnings: string[] = [];
const ip = (i: number): string => hosts.host(i).ip;
const disk = (i: number, k: number): string => hosts.host(i).disks[k - 1]!;
const sh = async (i: number, command: string): Promise<string> => (await hosts.enter(i, command)).stdout;
const run = (i: number, command: string) => transport.run(ip(i), command, { timeoutMs: 60_000, idempotent: true });

beforeAll(async () => {
  hosts = await NetnsHosts.start({ count: 3, glusterd: true, disks: 3 });
  transport = new SshTransport({
    user: 'root',
    privateKey: hosts.clientKey,
    port: 22,
    sudo: false,
    hostKeys: new PinnedHostKeys(''),
    maxChannels: 8,
    connectTimeoutMs: 5000,
  });
  executor = new CommandExecutor(transport, settings, { warn: (m) => warnings.push(m) });
});

afterAll(async () => {
  if (executor) await executor.close();
  if (hosts) await hosts.stop();
});

describe('devices (LVM without thin LVs)', () => {
  const device = { id: newId(), path: '', destroyData: false };
  beforeAll(() => {
    device.path = disk(1, 3);
  });

  test('setup of a blank disk reports the sizes LVM reports; a second setup only reads back', async () => {
    const report = await executor.deviceSetup(ip(1), device);
    const [size, free, uuid] = (await sh(1, `lvm vgs --noheadings --nosuffix --units k -o vg_size,vg_free vg_${device.id}; lvm pvs --noheadings -o pv_uuid ${device.path}`))
      .trim()
      .split(/\s+/);
    // no thin pool yet, so no metadata spare
    expect(report).toEqual({ totalKib: Number(size), freeKib: Number(free), usedKib: 0, extentKib: 4096, pvUuid: uuid, paths: [], metadataSpareKib: 0 });
    expect(report.totalKib).toBeGreaterThan(500 * 1024);
    await expect(executor.deviceSetup(ip(1), device)).resolves.toEqual(report);
    await expect(executor.deviceInfo(ip(1), device)).resolves.toEqual(report);
  });

  test('a brick cannot be made here (no device-mapper): lvcreate\'s words come back and nothing is left behind', async () => {
    const brick: BrickSpec = { id: newId(), deviceId: device.id, sizeKib: 65536, tpSizeKib: 65536, poolMetadataKib: 4096, gid: 0, arbiter: false };
    const fstabBefore = await sh(1, 'cat /etc/fstab');
    await expect(executor.brickCreate(ip(1), brick)).rejects.toMatchObject({
      host: ip(1),
      step: 'lvcreate',
      message: expect.stringContaining('device-mapper'),
    });
    expect(await sh(1, `ls -d ${fs.brickMountPoint(device.id, brick.id)} 2>&1 || true`)).toContain('No such file or directory');
    expect(await sh(1, 'cat /etc/fstab')).toBe(fstabBefore);
    expect(warnings).toEqual([]);
  });

  test('teardown removes VG, PV and the mount parent; a second teardown finds nothing to do', async () => {
    await executor.deviceTeardown(ip(1), device);
    expect(await sh(1, `lvm pvs ${device.path} 2>&1 || true`)).toContain('Failed to find physical volume');
    await expect(executor.deviceTeardown(ip(1), device)).resolves.toBeUndefined();
  });

  test('a disk with a filesystem is refused until destroyData, which wipes it', async () => {
    await sh(1, `mkfs.xfs -q -f ${device.path}`);
    const refused = { ...device, id: newId() };
    await expect(executor.deviceSetup(ip(1), refused)).rejects.toMatchObject({
      step: 'device setup',
      message: `Initializing device ${device.path} failed (already initialized or contains data?): ${device.path} carries xfs (offset 0x0)`,
    });
    expect((await sh(1, `blkid -p -o value -s TYPE ${device.path}`)).trim()).toBe('xfs');
    const report = await executor.deviceSetup(ip(1), { ...refused, destroyData: true });
    expect(report.freeKib).toBe(report.totalKib);
    await executor.deviceTeardown(ip(1), refused);
  });
});

describe('bricks and a gluster volume', () => {
  const volume = `vol_${randomBytes(6).toString('hex')}`;
  const deviceIds = [newId(), newId(), newId()];
  interface TestBrick {
    host: number;
    spec: BrickSpec;
    address: BrickAddress;
  }
  const bricks: TestBrick[] = [];

  /** The stand-in for a thin LV: /dev/mapper/vg_<dev>-brick_<brick> -> one of the host's loop disks. */
  async function brickOnDisk(host: number, diskNumber: number): Promise<TestBrick> {
    const spec: BrickSpec = { id: newId(), deviceId: deviceIds[host - 1]!, sizeKib: 600 * 1024, tpSizeKib: 600 * 1024, poolMetadataKib: 4096, gid: 2001, arbiter: false };
    await sh(host, `ln -s ${disk(host, diskNumber)} /dev/mapper/vg_${spec.deviceId}-brick_${spec.id}`);
    const brick = { host, spec, address: { host: ip(host), path: fs.brickDirectory(spec.deviceId, spec.id) } };
    bricks.push(brick);
    return brick;
  }

  /** The file system half of brickCreate, built by the same builders, run over ssh (twice: it must be repeatable). */
  async function formatAndMount(b: TestBrick): Promise<void> {
    const { deviceId, id, gid } = b.spec;
    const steps = [
      fs.makeDirectory(fs.brickMountPoint(deviceId, id)),
      fs.makeXfs(settings, deviceId, id, false),
      fs.fstabAdd(settings, deviceId, id),
      fs.mountBrick(settings, deviceId, id),
      fs.makeDirectory(fs.brickDirectory(deviceId, id)),
      fs.brickGroupOwner(fs.brickDirectory(deviceId, id), gid),
      fs.brickGroupMode(fs.brickDirectory(deviceId, id)),
    ];
    for (const step of steps) expect(await run(b.host, step)).toMatchObject({ exitCode: 0 });
    for (const step of steps.filter((s) => !s.startsWith('mkfs'))) expect(await run(b.host, step)).toMatchObject({ exitCode: 0 });
  }

  test('bricks: xfs with gluster\'s geometry, one fstab line, mounted once, group-owned setgid directory', async () => {
    for (const host of [1, 2, 3]) await formatAndMount(await brickOnDisk(host, 1));
    const b = bricks[0]!;
    const mountPoint = fs.brickMountPoint(b.spec.deviceId, b.spec.id);
    const [fsType, options] = (await sh(1, `findmnt -n -o FSTYPE,OPTIONS ${mountPoint}`)).trim().split(/\s+/);
    expect(fsType).toBe('xfs');
    expect(options!.split(',')).toEqual(expect.arrayContaining(['rw', 'noatime', 'inode64', 'nouuid']));
    expect(await sh(1, `xfs_info ${mountPoint} | grep -o 'isize=512' | head -1`)).toBe('isize=512\n');
    expect((await sh(1, `findmnt -n ${mountPoint} | wc -l`)).trim()).toBe('1');
    expect((await sh(1, `grep -c ' ${mountPoint} ' /etc/fstab`)).trim()).toBe('1');
    expect((await sh(1, `stat -c '%a %g' ${b.address.path}`)).trim()).toBe('2775 2001');
  });

  test('glusterd answers; peers probed (twice) from the first host', async () => {
    for (const host of [1, 2, 3]) await executor.glusterdCheck(ip(host));
    await executor.peerProbe(ip(1), ip(2));
    await executor.peerProbe(ip(1), ip(3));
    await executor.peerProbe(ip(1), ip(2));
    expect(await sh(1, 'gluster --mode=script peer status | grep -c "Peer in Cluster"')).toBe('2\n');
  });

  test('volume create: first set, options, start; gluster lists it as asked', async () => {
    await expect(executor.volumeInfo(ip(1), volume)).resolves.toBeNull();
    const spec = {
      name: volume,
      durability: { type: 'replicate', replica: 3 } as const,
      arbiter: false,
      bricks: bricks.map((b) => b.address),
      options: [
        ['performance.readdir-ahead', 'on'],
        ['user.heketi.id', 'abc123'],
      ] as Array<[string, string]>,
    };
    await executor.volumeCreate(ip(1), spec);
    const info = await executor.volumeInfo(ip(2), volume);
    expect(info).toMatchObject({ name: volume, status: 'Started', bricks: spec.bricks });
    expect(info!.options).toMatchObject({ 'performance.readdir-ahead': 'on', 'user.heketi.id': 'abc123' });
    // a retry of the whole create finds it done
    await executor.volumeCreate(ip(1), spec);
    // the same name with other bricks is someone else's volume: refused, untouched
    await expect(executor.volumeCreate(ip(1), { ...spec, bricks: [...spec.bricks].reverse() })).rejects.toThrow(/already exists with other bricks/);
    expect((await executor.volumeInfo(ip(1), volume))!.bricks).toEqual(spec.bricks);
  });

  test('heal info: every brick connected, nothing to heal', async () => {
    const heal = await executor.healInfo(ip(1), volume);
    expect(heal.entries).toEqual(Object.fromEntries(bricks.map((b) => [`${b.address.host}:${b.address.path}`, 0])));
  });

  test('expand by a second set, then rebalance', async () => {
    const firstSet = bricks.slice(0, 3).map((b) => b.address);
    const added: BrickAddress[] = [];
    for (const host of [1, 2, 3]) {
      const b = await brickOnDisk(host, 2);
      await formatAndMount(b);
      added.push(b.address);
    }
    const spec = { name: volume, durability: { type: 'replicate', replica: 3 } as const, arbiter: false, bricks: firstSet, options: [] };
    // (a retry of expand is covered against captured outputs in test/unit/commands: gluster's rebalance start
    // alone takes 5 s per node here)
    await executor.volumeExpand(ip(1), spec, added);
    expect((await executor.volumeInfo(ip(1), volume))!.bricks).toEqual([...firstSet, ...added]);
    expect(await sh(1, `gluster --mode=script volume rebalance ${volume} status | grep -c localhost`)).toBe('1\n');
  });

  test('replace-brick moves a brick to a new one; run again it is already done', async () => {
    const old = bricks[2]!;
    const replacement = await brickOnDisk(3, 3);
    await formatAndMount(replacement);
    await executor.replaceBrick(ip(1), volume, old.address, replacement.address);
    await executor.replaceBrick(ip(1), volume, old.address, replacement.address);
    const now = (await executor.volumeInfo(ip(1), volume))!.bricks;
    expect(now).toContainEqual(replacement.address);
    expect(now).not.toContainEqual(old.address);
  });

  test('volume destroy: stopped and deleted; destroying it again succeeds', async () => {
    await executor.volumeDestroy(ip(1), volume);
    await expect(executor.volumeInfo(ip(1), volume)).resolves.toBeNull();
    await executor.volumeDestroy(ip(1), volume);
  });

  test('brick destroy: unmounted, fstab line and directory gone; a second destroy finds nothing to do', async () => {
    for (const b of bricks) {
      // no VG on these disks: lvremove and thin_count say "not found", which counts as gone
      await expect(executor.brickDestroy(ip(b.host), b.spec)).resolves.toEqual({ poolRemoved: true });
      const mountPoint = fs.brickMountPoint(b.spec.deviceId, b.spec.id);
      expect(await sh(b.host, `findmnt -n ${mountPoint} || echo unmounted`)).toBe('unmounted\n');
      expect(await sh(b.host, `grep -c ' ${mountPoint} ' /etc/fstab || true`)).toBe('0\n');
      expect(await sh(b.host, `[ -e ${mountPoint} ] && echo present || echo absent`)).toBe('absent\n');
    }
    const again = bricks[0]!;
    await expect(executor.brickDestroy(ip(again.host), again.spec)).resolves.toEqual({ poolRemoved: true });
    expect(warnings).toEqual([]);
  });

  test('peers detached; detaching again succeeds', async () => {
    await executor.peerDetach(ip(1), ip(2));
    await executor.peerDetach(ip(1), ip(3));
    await executor.peerDetach(ip(1), ip(3));
    expect(await sh(1, 'gluster --mode=script peer status')).toContain('Number of Peers: 0');
  });
});
