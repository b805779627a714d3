import { sshExecSchema } from '../../../src/config/schema';
import { CommandExecutor } from '../../../src/executors/command-executor';
import * as fs from '../../../src/executors/commands/filesystem';
import * as gluster from '../../../src/executors/commands/gluster';
import * as lvm from '../../../src/executors/commands/lvm';
import { ExecutorError, type BrickSpec } from '../../../src/executors/types';
import { nodeOutput } from './node-output';
import { failed, ok, ScriptedNode } from './scripted-node';

/**
 * CommandExecutor's decisions on LVM-backed flows, against a scripted node answering with outputs
 * captured on real LVM (UML lab). The same flows run for real in the lead's end-to-end suite on UML
 * nodes; the file system and gluster flows run for real in test/ssh/ over namespace hosts.
 */
const settings = sshExecSchema.parse({});
const HOST = 'node1.example.com';
const D1 = '0a1b2c3d4e5f60718293a4b5c6d7e8f1';
const D2 = '0a1b2c3d4e5f60718293a4b5c6d7e8f2';
const DISK = '/dev/ubdb';
const B1 = 'b1000000000000000000000000000001';
const capture = (name: string) => nodeOutput(name);

function setup(): { node: ScriptedNode; executor: CommandExecutor; warnings: string[] } {
  const node = new ScriptedNode();
  const warnings: string[] = [];
  const executor = new CommandExecutor(node, settings, { warn: (m) => warnings.push(m) });
  return { node, executor, warnings };
}

describe('deviceSetup', () => {
  test('a blank disk: checked, pvcreate + vgcreate, real sizes read back from vgdisplay', async () => {
    const { node, executor } = setup();
    node
      .answer(lvm.pvReport(settings, DISK), capture('pvs-json-not-a-pv'), capture('pvs-json'))
      .answer(lvm.listSignatures(DISK), capture('wipefs-list-blank'))
      .answer(lvm.pvCreate(settings, DISK), capture('pvcreate-31'))
      .answer(lvm.vgCreate(settings, D1, DISK), capture('vgcreate-31'))
      .answer(lvm.vgDisplay(settings, D1), capture('vgdisplay-empty'))
      .answer(lvm.udevSymlinks(DISK), capture('udevadm-symlinks'))
      .answer(lvm.lvSizes(settings, D1), capture('lvs-all-sizes-no-pool'));
    const report = await executor.deviceSetup(HOST, { id: D1, path: DISK, destroyData: false });
    expect(report).toEqual({
      totalKib: 10350592,
      freeKib: 10350592,
      usedKib: 0,
      extentKib: 4096,
      metadataSpareKib: 0,
      pvUuid: 'lHOF80-Wp9H-zuyP-wKTp-oRjQ-5BsW-bAUjYd',
      paths: ['/dev/disk/by-path/platform-uml-blkdev.1', '/dev/disk/by-diskseq/2', '/dev/disk/by-id/lvm-pv-uuid-lHOF80-Wp9H-zuyP-wKTp-oRjQ-5BsW-bAUjYd'],
    });
    expect(node.ran.map((r) => [r.command.split(' ').slice(0, 2).join(' '), r.idempotent])).toEqual([
      ['lvm pvs', true],
      ['wipefs --no-act', true],
      ['lvm pvcreate', false],
      ['lvm vgcreate', false],
      ['lvm vgdisplay', true],
      ['lvm pvs', true],
      ['udevadm info', true],
      ['lvm lvs', true],
    ]);
    expect(node.ran.every((r) => r.host === HOST && r.timeoutMs === 300_000)).toBe(true);
  });

  test('a disk with a filesystem is refused with Heketi\'s words, and nothing is written', async () => {
    const { node, executor } = setup();
    node.answer(lvm.pvReport(settings, DISK), capture('pvs-json-not-a-pv')).answer(lvm.listSignatures(DISK), capture('wipefs-list-fs'));
    const error = await executor.deviceSetup(HOST, { id: D1, path: DISK, destroyData: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutorError);
    expect(error).toMatchObject({
      host: HOST,
      step: 'device setup',
      transient: false,
      message: 'Initializing device /dev/ubdb failed (already initialized or contains data?): /dev/ubdb carries xfs (offset 0x0)',
    });
    expect(node.commands()).toEqual([lvm.pvReport(settings, DISK), lvm.listSignatures(DISK)]);
  });

  test('with destroyData the signatures are wiped first', async () => {
    const { node, executor } = setup();
    node
      .answer(lvm.pvReport(settings, DISK), capture('pvs-json-not-a-pv'), capture('pvs-json'))
      .answer(lvm.listSignatures(DISK), capture('wipefs-list-fs'))
      .answer(lvm.wipeSignatures(DISK), capture('wipefs-all'))
      .answer(lvm.pvCreate(settings, DISK), capture('pvcreate-31'))
      .answer(lvm.vgCreate(settings, D1, DISK), capture('vgcreate-31'))
      .answer(lvm.vgDisplay(settings, D1), capture('vgdisplay-empty'))
      .answer(lvm.udevSymlinks(DISK), failed('Unknown device "/dev/ubdb": No such device', 4))
      .answer(lvm.lvSizes(settings, D1), capture('lvs-all-sizes-no-pool'));
    const report = await executor.deviceSetup(HOST, { id: D1, path: DISK, destroyData: true });
    expect(report.paths).toEqual([]); // no udev is no error
    expect(node.commands().slice(1, 4)).toEqual([lvm.listSignatures(DISK), lvm.wipeSignatures(DISK), lvm.pvCreate(settings, DISK)]);
  });

  test('a PV of another VG is refused; with destroyData it is wiped', async () => {
    const { node, executor } = setup();
    node.answer(lvm.pvReport(settings, DISK), capture('pvs-json'));
    await expect(executor.deviceSetup(HOST, { id: D2, path: DISK, destroyData: false })).rejects.toThrow(
      `Initializing device /dev/ubdb failed (already initialized or contains data?): /dev/ubdb is already a physical volume of volume group vg_${D1}`,
    );
    expect(node.commands()).toEqual([lvm.pvReport(settings, DISK)]);

    const again = setup();
    again.node
      .answer(lvm.pvReport(settings, DISK), capture('pvs-json'))
      .answer(lvm.wipeSignatures(DISK), ok(`${DISK}: 8 bytes were erased at offset 0x00000218 (LVM2_member): 4c 56 4d 32 20 30 30 31`))
      .answer(lvm.pvCreate(settings, DISK), capture('pvcreate-31'))
      .answer(lvm.vgCreate(settings, D2, DISK), capture('vgcreate-32'))
      .answer(lvm.vgDisplay(settings, D2), capture('vgdisplay-empty'))
      .answer(lvm.udevSymlinks(DISK), capture('udevadm-symlinks'))
      .answer(lvm.lvSizes(settings, D2), capture('lvs-all-sizes-no-pool'));
    await again.executor.deviceSetup(HOST, { id: D2, path: DISK, destroyData: true });
    expect(again.node.commands().slice(0, 3)).toEqual([lvm.pvReport(settings, DISK), lvm.wipeSignatures(DISK), lvm.pvCreate(settings, DISK)]);
  });

  test('our own VG already on the disk (an earlier try got that far): only read back', async () => {
    const { node, executor } = setup();
    node
      .answer(lvm.pvReport(settings, DISK), capture('pvs-json'))
      .answer(lvm.vgDisplay(settings, D1), capture('vgdisplay-one-brick'))
      .answer(lvm.udevSymlinks(DISK), capture('udevadm-symlinks'))
      .answer(lvm.lvSizes(settings, D1), capture('lvs-all-sizes-spare'));
    const report = await executor.deviceSetup(HOST, { id: D1, path: DISK, destroyData: false });
    // LVM's pool metadata spare is reported apart: it is not in the free space
    expect(report).toMatchObject({ usedKib: 130 * 4096, freeKib: 2397 * 4096, metadataSpareKib: 8192 });
    expect(node.commands().some((c) => c.includes('pvcreate') || c.includes('vgcreate'))).toBe(false);
  });

  test('vgcreate failing removes the new PV, never a VG it did not create, and reports LVM\'s words', async () => {
    const { node, executor } = setup();
    node
      .answer(lvm.pvReport(settings, DISK), capture('pvs-json-not-a-pv'))
      .answer(lvm.listSignatures(DISK), capture('wipefs-list-blank'))
      .answer(lvm.pvCreate(settings, DISK), capture('pvcreate-31'))
      .answer(lvm.vgCreate(settings, D1, DISK), capture('vgcreate-again'))
      .answer(lvm.pvRemove(settings, DISK), capture('pvremove'));
    await expect(executor.deviceSetup(HOST, { id: D1, path: DISK, destroyData: false })).rejects.toMatchObject({
      step: 'vgcreate',
      message: `A volume group called vg_${D1} already exists.`,
    });
    expect(node.commands().at(-1)).toBe(lvm.pvRemove(settings, DISK));
    expect(node.commands().some((c) => c.includes('vgremove'))).toBe(false);
  });
});

describe('deviceTeardown', () => {
  test('VG and PV already gone count as removed', async () => {
    const { node, executor } = setup();
    node
      .answer(lvm.vgRemove(settings, D1), capture('vgremove-missing'))
      .answer(lvm.pvRemove(settings, DISK), capture('pvremove-not-a-pv'))
      .answer(fs.removeDirectory(fs.deviceMountParent(D1)), ok());
    await executor.deviceTeardown(HOST, { id: D1, path: DISK, destroyData: false });
    expect(node.ran.every((r) => r.idempotent)).toBe(true);
  });

  test('a VG still holding LVs is not forced away', async () => {
    const { node, executor } = setup();
    node.answer(lvm.vgRemove(settings, D1), capture('vgremove-with-lvs'));
    await expect(executor.deviceTeardown(HOST, { id: D1, path: DISK, destroyData: false })).rejects.toMatchObject({
      step: 'vgremove',
      message: expect.stringContaining('not removed'),
    });
  });
});

const brick: BrickSpec = { id: B1, deviceId: D1, sizeKib: 524288, tpSizeKib: 524288, poolMetadataKib: 4096, gid: 2001, arbiter: false };

function scriptDestroy(node: ScriptedNode, lvremove: string, thinCount: string, poolRemove?: string): void {
  node
    .answer(fs.unmountBrick(D1, B1), ok())
    .answer(fs.fstabRemove(settings, D1, B1), ok())
    .answer(lvm.brickLvRemove(settings, D1, B1), capture(lvremove))
    .answer(lvm.thinCount(settings, D1, B1), capture(thinCount))
    .answer(fs.removeDirectory(fs.brickMountPoint(D1, B1)), ok());
  if (poolRemove) node.answer(lvm.thinPoolRemove(settings, D1, B1), capture(poolRemove));
}

describe('brickDestroy', () => {
  test('the empty pool is removed after the LV', async () => {
    const { node, executor } = setup();
    scriptDestroy(node, 'lvremove-brick', 'lvs-thin-count-0', 'lvremove-pool');
    await expect(executor.brickDestroy(HOST, brick)).resolves.toEqual({ poolRemoved: true });
    expect(node.commands()).toEqual([
      fs.unmountBrick(D1, B1),
      fs.fstabRemove(settings, D1, B1),
      lvm.brickLvRemove(settings, D1, B1),
      lvm.thinCount(settings, D1, B1),
      lvm.thinPoolRemove(settings, D1, B1),
      fs.removeDirectory(fs.brickMountPoint(D1, B1)),
    ]);
  });

  test('a pool still used by another thin LV stays, and the space is not reported free', async () => {
    const { node, executor } = setup();
    scriptDestroy(node, 'lvremove-brick', 'lvs-thin-count-1');
    await expect(executor.brickDestroy(HOST, brick)).resolves.toEqual({ poolRemoved: false });
    expect(node.commands()).not.toContain(lvm.thinPoolRemove(settings, D1, B1));
  });

  test('LV and pool already gone: done, the pool counts as removed', async () => {
    const { node, executor } = setup();
    scriptDestroy(node, 'lvremove-missing', 'lvs-thin-count-missing');
    await expect(executor.brickDestroy(HOST, brick)).resolves.toEqual({ poolRemoved: true });
  });

  test('a brick that will not unmount: fstab line removed anyway, LVs left alone, umount\'s words reported', async () => {
    const { node, executor } = setup();
    node
      .answer(fs.unmountBrick(D1, B1), failed(`umount: ${fs.brickMountPoint(D1, B1)}: target is busy.`, 32))
      .answer(fs.fstabRemove(settings, D1, B1), ok());
    await expect(executor.brickDestroy(HOST, brick)).rejects.toMatchObject({ step: 'umount', message: expect.stringContaining('target is busy') });
    expect(node.commands()).toEqual([fs.unmountBrick(D1, B1), fs.fstabRemove(settings, D1, B1)]);
  });
});

describe('brickCreate', () => {
  const creates = (node: ScriptedNode): ScriptedNode =>
    node
      .answer(fs.makeDirectory(fs.brickMountPoint(D1, B1)), ok())
      .answer(lvm.brickLvExists(settings, D1, B1), capture('lvremove-missing'))
      .answer(lvm.thinLvCreate(settings, D1, B1, brick), capture('lvcreate-thin'));

  test('the whole sequence, with the group owner', async () => {
    const { node, executor } = setup();
    creates(node)
      .answer(fs.makeXfs(settings, D1, B1, false), capture('mkfs-xfs'))
      .answer(fs.fstabAdd(settings, D1, B1), ok())
      .answer(fs.mountBrick(settings, D1, B1), ok())
      .answer(fs.makeDirectory(fs.brickDirectory(D1, B1)), ok())
      .answer(fs.brickGroupOwner(fs.brickDirectory(D1, B1), 2001), ok())
      .answer(fs.brickGroupMode(fs.brickDirectory(D1, B1)), ok());
    await executor.brickCreate(HOST, brick);
    expect(node.ran.map((r) => [r.command.split(' ')[0], r.idempotent])).toEqual([
      ['mkdir', true],
      ['lvm', true],
      ['lvm', false],
      ['mkfs.xfs', false],
      ['flock', true],
      ['mountpoint', true],
      ['mkdir', true],
      ['chown', true],
      ['chmod', true],
    ]);
  });

  test('mkfs failing: what was made is destroyed again and mkfs\'s words are reported', async () => {
    const { node, executor, warnings } = setup();
    creates(node).answer(fs.makeXfs(settings, D1, B1, false), capture('mkfs-xfs-again'));
    scriptDestroy(node, 'lvremove-brick', 'lvs-thin-count-0', 'lvremove-pool');
    await expect(executor.brickCreate(HOST, brick)).rejects.toMatchObject({
      step: 'mkfs',
      message: expect.stringContaining('appears to contain an existing filesystem'),
    });
    expect(node.commands().slice(4)).toEqual([
      fs.unmountBrick(D1, B1),
      fs.fstabRemove(settings, D1, B1),
      lvm.brickLvRemove(settings, D1, B1),
      lvm.thinCount(settings, D1, B1),
      lvm.thinPoolRemove(settings, D1, B1),
      fs.removeDirectory(fs.brickMountPoint(D1, B1)),
    ]);
    expect(warnings).toEqual([]);
  });

  test('run again after an earlier try made the LV and the filesystem: neither is made twice', async () => {
    const { node, executor } = setup();
    node
      .answer(fs.makeDirectory(fs.brickMountPoint(D1, B1)), ok())
      .answer(lvm.brickLvExists(settings, D1, B1), capture('lvs-brick-exists'))
      .answer(fs.filesystemType(D1, B1), capture('blkid-type-xfs'))
      .answer(fs.fstabAdd(settings, D1, B1), ok())
      .answer(fs.mountBrick(settings, D1, B1), ok())
      .answer(fs.makeDirectory(fs.brickDirectory(D1, B1)), ok());
    await executor.brickCreate(HOST, { ...brick, gid: 0 });
    expect(node.commands().some((c) => c.includes('lvcreate') || c.startsWith('mkfs'))).toBe(false);
  });

  test('run again after the LV was made but not formatted: blkid finds nothing, mkfs runs', async () => {
    const { node, executor } = setup();
    node
      .answer(fs.makeDirectory(fs.brickMountPoint(D1, B1)), ok())
      .answer(lvm.brickLvExists(settings, D1, B1), capture('lvs-brick-exists'))
      .answer(fs.filesystemType(D1, B1), capture('blkid-type-blank-lv'))
      .answer(fs.makeXfs(settings, D1, B1, true), capture('mkfs-xfs'))
      .answer(fs.fstabAdd(settings, D1, B1), ok())
      .answer(fs.mountBrick(settings, D1, B1), ok())
      .answer(fs.makeDirectory(fs.brickDirectory(D1, B1)), ok());
    await executor.brickCreate(HOST, { ...brick, gid: 0, arbiter: true });
    expect(node.commands()).toContain(fs.makeXfs(settings, D1, B1, true));
  });
});

describe('gluster answers', () => {
  test('volumeInfo of a volume gluster does not know is null; volumeDestroy of it succeeds', async () => {
    const { node, executor } = setup();
    node
      .answer(gluster.volumeInfo(settings, 'vol_x'), capture('volume-info-missing-xml'))
      .answer(gluster.volumeStopForce(settings, 'vol_x'), capture('volume-stop-missing'))
      .answer(gluster.volumeDelete(settings, 'vol_x'), capture('volume-delete-missing'));
    await expect(executor.volumeInfo(HOST, 'vol_x')).resolves.toBeNull();
    await expect(executor.volumeDestroy(HOST, 'vol_x')).resolves.toBeUndefined();
    expect(node.ran.every((r) => r.timeoutMs === (600 + 30) * 1000)).toBe(true);
  });

  test('heal info: entries per brick, nothing for the brick that is down', async () => {
    const { node, executor } = setup();
    node.answer(gluster.healInfo(settings, 'v'), capture('heal-info-pending-xml'));
    const heal = await executor.healInfo(HOST, 'v');
    expect(Object.values(heal.entries)).toEqual([6, 6]);
    expect(Object.keys(heal.entries)[0]).toBe(`10.213.0.31:/var/lib/heketi/mounts/vg_${D1}/brick_${B1}/brick`);
  });

  test('heal info of a stopped volume is an error carrying gluster\'s words', async () => {
    const { node, executor } = setup();
    node.answer(gluster.healInfo(settings, 'v'), capture('heal-info-not-started-xml'));
    await expect(executor.healInfo(HOST, 'v')).rejects.toMatchObject({ step: 'heal info', message: expect.stringContaining('Not able to fetch volfile') });
  });

  test('expand run again after its add-brick went through: no add-brick twice, rebalance still started', async () => {
    const { node, executor, warnings } = setup();
    const VOL = 'vol_5e1f0c2a9b8d47e6a3c2b1d0e9f8a7b6';
    const added = [1, 2, 3].map((n) => ({
      host: `10.213.0.3${n}`,
      path: `/var/lib/heketi/mounts/vg_0a1b2c3d4e5f60718293a4b5c6d7e8f${n}/brick_e${n}00000000000000000000000000000${n}/brick`,
    }));
    node.answer(gluster.volumeInfo(settings, VOL), capture('volume-info-expanded-xml')).answer(gluster.rebalanceStart(settings, VOL), capture('rebalance-start'));
    await executor.volumeExpand(HOST, { name: VOL, durability: { type: 'replicate', replica: 3 }, arbiter: false, bricks: [], options: [] }, added);
    expect(node.commands()).toEqual([gluster.volumeInfo(settings, VOL), gluster.rebalanceStart(settings, VOL)]);
    expect(warnings).toEqual([]);
  });

  test('a volume create run again finds the volume made and started: nothing is created twice', async () => {
    const { node, executor } = setup();
    const VOL = 'vol_5e1f0c2a9b8d47e6a3c2b1d0e9f8a7b6';
    const bricks = [
      { host: '10.213.0.31', path: `/var/lib/heketi/mounts/vg_${D1}/brick_${B1}/brick` },
      { host: '10.213.0.32', path: `/var/lib/heketi/mounts/vg_${D2}/brick_b2000000000000000000000000000002/brick` },
      { host: '10.213.0.33', path: '/var/lib/heketi/mounts/vg_0a1b2c3d4e5f60718293a4b5c6d7e8f3/brick_b3000000000000000000000000000003/brick' },
    ];
    node
      .answer(gluster.volumeInfo(settings, VOL), capture('volume-info-started-xml'))
      .answer(gluster.volumeSet(settings, VOL, 'performance.readdir-ahead', 'on'), capture('volume-set'));
    await executor.volumeCreate(HOST, {
      name: VOL,
      durability: { type: 'replicate', replica: 3 },
      arbiter: false,
      bricks,
      options: [['performance.readdir-ahead', 'on']],
    });
    expect(node.commands()).toEqual([gluster.volumeInfo(settings, VOL), gluster.volumeSet(settings, VOL, 'performance.readdir-ahead', 'on')]);
  });

  test('invalid input never reaches the transport', async () => {
    const { node, executor } = setup();
    await expect(executor.volumeDestroy(HOST, 'v; reboot')).rejects.toThrow(/volume name/);
    await expect(executor.deviceSetup(HOST, { id: D1, path: '/dev/sdb`reboot`', destroyData: true })).rejects.toThrow(/device path/);
    await expect(executor.glusterdCheck('-oProxyCommand=x')).rejects.toThrow(/hostname/);
    expect(node.ran).toEqual([]);
  });
});
