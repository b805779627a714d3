import { sshExecSchema, type CommandSettings } from '../../../src/config/schema';
import { DomainError } from '../../../src/domain/errors';
import * as fs from '../../../src/executors/commands/filesystem';
import * as gluster from '../../../src/executors/commands/gluster';
import * as lvm from '../../../src/executors/commands/lvm';

const defaults: CommandSettings = sshExecSchema.parse({});
const D = '0a1b2c3d4e5f60718293a4b5c6d7e8f1';
const B = 'b1000000000000000000000000000001';
const MOUNT = `/var/lib/heketi/mounts/vg_${D}/brick_${B}`;
const DEVNODE = `/dev/mapper/vg_${D}-brick_${B}`;
const G = 'gluster --mode=script --timeout=600';

describe('device commands', () => {
  test('pvcreate / vgcreate with Heketi flags and the configured alignment and extent size', () => {
    expect(lvm.pvCreate(defaults, '/dev/sdb')).toBe('lvm pvcreate -qq --metadatasize=128M --dataalignment=256K /dev/sdb');
    expect(lvm.vgCreate(defaults, D, '/dev/sdb')).toBe(`lvm vgcreate -qq --physicalextentsize=4M --autobackup=n vg_${D} /dev/sdb`);
    const tuned = { ...defaults, pv_data_alignment: '1M', vg_physicalextentsize: '8M', backup_lvm_metadata: true };
    expect(lvm.pvCreate(tuned, '/dev/sdb')).toBe('lvm pvcreate -qq --metadatasize=128M --dataalignment=1M /dev/sdb');
    expect(lvm.vgCreate(tuned, D, '/dev/sdb')).toBe(`lvm vgcreate -qq --physicalextentsize=8M --autobackup=y vg_${D} /dev/sdb`);
  });

  test('read-back, signature and removal commands', () => {
    expect(lvm.pvReport(defaults, '/dev/sdb')).toBe('lvm pvs -o pv_name,pv_uuid,vg_name --reportformat=json /dev/sdb');
    expect(lvm.vgDisplay(defaults, D)).toBe(`lvm vgdisplay -c vg_${D}`);
    expect(lvm.lvSizes(defaults, D)).toBe(`lvm lvs -a --noheadings --units k --nosuffix -o lv_name,lv_size vg_${D}`);
    expect(() => lvm.lvSizes(defaults, 'x; rm -rf /')).toThrow();
    expect(lvm.udevSymlinks('/dev/sdb')).toBe('udevadm info --query=symlink --name=/dev/sdb');
    expect(lvm.listSignatures('/dev/sdb')).toBe('wipefs --no-act --noheadings --output TYPE,OFFSET /dev/sdb');
    expect(lvm.wipeSignatures('/dev/sdb')).toBe('wipefs --all /dev/sdb');
    expect(lvm.vgRemove(defaults, D)).toBe(`lvm vgremove -qq vg_${D}`);
    expect(lvm.pvRemove(defaults, '/dev/disk/by-id/wwn-0x5000c500a1b2c3d4')).toBe('lvm pvremove -qq /dev/disk/by-id/wwn-0x5000c500a1b2c3d4');
    expect(fs.removeDirectory(fs.deviceMountParent(D))).toBe(
      `if [ -d /var/lib/heketi/mounts/vg_${D} ]; then rmdir /var/lib/heketi/mounts/vg_${D}; fi`,
    );
  });

  test('lvm_wrapper goes in front of every lvm call, each of its words quoted', () => {
    const wrapped = { ...defaults, lvm_wrapper: '/usr/sbin/exec-on-host' };
    expect(lvm.vgDisplay(wrapped, D)).toBe(`/usr/sbin/exec-on-host lvm vgdisplay -c vg_${D}`);
    const withArgs = { ...defaults, lvm_wrapper: " nsenter --target 1 --mount  it's " };
    expect(lvm.pvRemove(withArgs, '/dev/sdb')).toBe(`nsenter --target 1 --mount 'it'\\''s' lvm pvremove -qq /dev/sdb`);
  });

  test.each([
    ['-rf', 'starts with something other than /dev/'],
    ['/dev/sdb; rm -rf /', 'has a shell metacharacter'],
    ['/dev/../etc/passwd', 'climbs out of /dev'],
    ["/dev/sd'b", 'has a quote'],
    ['/dev/sdb ', 'has a space'],
    ['/dev/$(reboot)', 'has a command substitution'],
  ])('a device path that %s (%s) is refused, not built', (path) => {
    expect(() => lvm.pvCreate(defaults, path)).toThrow(DomainError);
    expect(() => lvm.listSignatures(path)).toThrow(/validation failed: device path/);
    expect(() => lvm.wipeSignatures(path)).toThrow(DomainError);
  });

  test('ids must be 32 hex characters', () => {
    expect(() => lvm.vgCreate(defaults, 'vg0; reboot', '/dev/sdb')).toThrow(/device id/);
    expect(() => lvm.thinCount(defaults, D, B.toUpperCase())).toThrow(/brick id/);
  });
});

describe('brick commands', () => {
  const sizes = { sizeKib: 2097152, tpSizeKib: 2097152, poolMetadataKib: 12288 };

  test('thin pool and thin LV in one lvcreate, sizes in KiB, chunk size from settings', () => {
    expect(lvm.thinLvCreate(defaults, D, B, sizes)).toBe(
      `lvm lvcreate -qq --autobackup=n --poolmetadatasize 12288K --chunksize 256K --size 2097152K --thin vg_${D}/tp_${B} --virtualsize 2097152K --name brick_${B}`,
    );
    expect(lvm.thinLvCreate({ ...defaults, lv_chunksize: '1M' }, D, B, sizes)).toContain('--chunksize 1M ');
    expect(() => lvm.thinLvCreate(defaults, D, B, { ...sizes, sizeKib: 1.5 })).toThrow(/brick size/);
    expect(() => lvm.thinLvCreate(defaults, D, B, { ...sizes, tpSizeKib: 0 })).toThrow(/thin pool size/);
  });

  test('mkfs.xfs: Heketi geometry; arbiter inodes may fill the disk; su/sw only when both are set', () => {
    expect(fs.makeXfs(defaults, D, B, false)).toBe(`mkfs.xfs -i size=512 -n size=8192 ${DEVNODE}`);
    expect(fs.makeXfs(defaults, D, B, true)).toBe(`mkfs.xfs -i size=512 -n size=8192 -i maxpct=100 ${DEVNODE}`);
    expect(fs.makeXfs({ ...defaults, xfs_su: 128, xfs_sw: 4 }, D, B, false)).toBe(
      `mkfs.xfs -i size=512 -n size=8192 -d su=128k,sw=4 ${DEVNODE}`,
    );
    expect(fs.makeXfs({ ...defaults, xfs_su: 128, xfs_sw: 0 }, D, B, false)).toBe(`mkfs.xfs -i size=512 -n size=8192 ${DEVNODE}`);
  });

  test('fstab line added only when no line mounts on the brick mount point', () => {
    expect(fs.fstabLine(defaults, D, B)).toBe(`${DEVNODE} ${MOUNT} xfs rw,inode64,noatime,nouuid 1 2`);
    // run under a lock on fstab's directory, as /bin/sh -c with the script quoted once more
    expect(fs.fstabAdd(defaults, D, B)).toBe(
      `flock -w 120 /etc /bin/sh -c 'if ! awk -v d=${MOUNT} '\\''$1 !~ /^#/ && $2 == d { found = 1 } END { exit !found }'\\'' /etc/fstab 2>/dev/null; then ` +
        `{ if [ -s /etc/fstab ] && [ -n "$(tail -c 1 /etc/fstab)" ]; then echo; fi; printf '\\''%s\\n'\\'' '\\''${DEVNODE} ${MOUNT} xfs rw,inode64,noatime,nouuid 1 2'\\''; } >> /etc/fstab; fi'`,
    );
  });

  test('fstab line removal matches the mount point field, escaped for sed', () => {
    expect(fs.fstabRemove({ ...defaults, fstab: '/etc/my fstab' }, D, B)).toBe(
      `flock -w 120 /etc /bin/sh -c 'if [ -e '\\''/etc/my fstab'\\'' ]; then sed -i -e '\\''\\|^[[:space:]]*[^#[:space:]][^[:space:]]*[[:space:]]\\+/var/lib/heketi/mounts/vg_${D}/brick_${B}[[:space:]]|d'\\'' '\\''/etc/my fstab'\\''; fi'`,
    );
  });

  test('mount and umount only act when needed', () => {
    expect(fs.mountBrick(defaults, D, B)).toBe(`mountpoint -q ${MOUNT} || mount -o rw,inode64,noatime,nouuid ${DEVNODE} ${MOUNT}`);
    expect(fs.unmountBrick(D, B)).toBe(`if mountpoint -q ${MOUNT}; then umount ${MOUNT}; fi`);
  });

  test('directories, group owner and setgid mode', () => {
    expect(fs.makeDirectory(fs.brickMountPoint(D, B))).toBe(`mkdir -p ${MOUNT}`);
    expect(fs.makeDirectory(fs.brickDirectory(D, B))).toBe(`mkdir -p ${MOUNT}/brick`);
    expect(fs.brickGroupOwner(fs.brickDirectory(D, B), 2001)).toBe(`chown :2001 ${MOUNT}/brick`);
    expect(fs.brickGroupMode(fs.brickDirectory(D, B))).toBe(`chmod 2775 ${MOUNT}/brick`);
    expect(fs.removeDirectory(MOUNT)).toBe(`if [ -d ${MOUNT} ]; then rmdir ${MOUNT}; fi`);
    expect(() => fs.brickGroupOwner(MOUNT, -1)).toThrow(/gid/);
    expect(() => fs.makeDirectory('/var/lib/../../etc')).toThrow(/brick path/);
  });

  test('destroy: lvremove of the LV and of the pool, thin_count, blkid', () => {
    expect(lvm.brickLvRemove(defaults, D, B)).toBe(`lvm lvremove -qq -f --autobackup=n vg_${D}/brick_${B}`);
    expect(lvm.thinPoolRemove(defaults, D, B)).toBe(`lvm lvremove -qq -f --autobackup=n vg_${D}/tp_${B}`);
    expect(lvm.thinCount(defaults, D, B)).toBe(`lvm lvs --noheadings -o thin_count vg_${D}/tp_${B}`);
    expect(lvm.brickLvExists(defaults, D, B)).toBe(`lvm lvs --noheadings -o lv_name vg_${D}/brick_${B}`);
    expect(fs.filesystemType(D, B)).toBe(`blkid -p -o value -s TYPE ${DEVNODE}`);
  });
});

describe('gluster commands', () => {
  const bricks = [1, 2, 3, 4, 5, 6].map((i) => ({ host: `node${i}.example.com`, path: `/bricks/b${i}/brick` }));
  const replica3 = { type: 'replicate', replica: 3 } as const;

  test('create with the first set, in every layout', () => {
    expect(gluster.volumeCreate(defaults, 'vol_1', replica3, false, bricks.slice(0, 3))).toBe(
      `${G} volume create vol_1 replica 3 node1.example.com:/bricks/b1/brick node2.example.com:/bricks/b2/brick node3.example.com:/bricks/b3/brick`,
    );
    expect(gluster.volumeCreate(defaults, 'vol_1', replica3, true, bricks.slice(0, 3))).toContain(' volume create vol_1 replica 3 arbiter 1 node1');
    expect(gluster.volumeCreate(defaults, 'vol_1', { type: 'none' }, false, bricks.slice(0, 1))).toBe(
      `${G} volume create vol_1 node1.example.com:/bricks/b1/brick`,
    );
    expect(gluster.volumeCreate({ ...defaults, gluster_cli_timeout: 120 }, 'v', { type: 'disperse', data: 2, redundancy: 1 }, false, bricks.slice(0, 3))).toBe(
      'gluster --mode=script --timeout=120 volume create v disperse-data 2 redundancy 1 node1.example.com:/bricks/b1/brick node2.example.com:/bricks/b2/brick node3.example.com:/bricks/b3/brick',
    );
    expect(() => gluster.volumeCreate(defaults, 'v', replica3, false, bricks.slice(0, 2))).toThrow(/one set of 3 bricks/);
  });

  test('add-brick in chunks of whole sets: 5 replica sets, 1 disperse set, 15 plain bricks per call', () => {
    const many = Array.from({ length: 36 }, (_, i) => ({ host: `10.0.0.${i + 1}`, path: `/b/${i}` }));
    const replicaCalls = gluster.volumeAddBricks(defaults, 'v', replica3, many.slice(0, 33));
    expect(replicaCalls.map((c) => c.split(' ').length - 6)).toEqual([15, 15, 3]);
    expect(replicaCalls[0]).toBe(`${G} volume add-brick v ${many.slice(0, 15).map((b) => `${b.host}:${b.path}`).join(' ')}`);
    expect(replicaCalls[2]).toBe(`${G} volume add-brick v 10.0.0.31:/b/30 10.0.0.32:/b/31 10.0.0.33:/b/32`);
    expect(gluster.volumeAddBricks(defaults, 'v', { type: 'disperse', data: 4, redundancy: 2 }, many.slice(0, 12))).toHaveLength(2);
    expect(gluster.volumeAddBricks(defaults, 'v', { type: 'none' }, many.slice(0, 31)).map((c) => c.split(' ').length - 6)).toEqual([15, 15, 1]);
    expect(gluster.volumeAddBricks(defaults, 'v', replica3, [])).toEqual([]);
    expect(() => gluster.volumeAddBricks(defaults, 'v', replica3, many.slice(0, 4))).toThrow(/whole sets of 3/);
  });

  test('set / start / stop / delete / info / rebalance / replace-brick / heal / peers', () => {
    expect(gluster.volumeSet(defaults, 'v', 'performance.readdir-ahead', 'on')).toBe(`${G} volume set v performance.readdir-ahead on`);
    expect(gluster.volumeSet(defaults, 'v', 'user.heketi.device-tag-match', 'disk=ssd')).toBe(
      `${G} volume set v user.heketi.device-tag-match disk=ssd`,
    );
    expect(gluster.volumeSet(defaults, 'v', 'auth.allow', '10.0.0.1, 10.0.0.2')).toBe(`${G} volume set v auth.allow '10.0.0.1, 10.0.0.2'`);
    expect(gluster.volumeStart(defaults, 'v')).toBe(`${G} volume start v`);
    expect(gluster.volumeStopForce(defaults, 'v')).toBe(`${G} volume stop v force`);
    expect(gluster.volumeDelete(defaults, 'v')).toBe(`${G} volume delete v`);
    expect(gluster.volumeInfo(defaults, 'v')).toBe(`${G} volume info v --xml`);
    expect(gluster.rebalanceStart(defaults, 'v')).toBe(`${G} volume rebalance v start`);
    expect(gluster.replaceBrick(defaults, 'v', bricks[0]!, bricks[1]!)).toBe(
      `${G} volume replace-brick v node1.example.com:/bricks/b1/brick node2.example.com:/bricks/b2/brick commit force`,
    );
    expect(gluster.healInfo(defaults, 'v')).toBe(`${G} volume heal v info --xml`);
    expect(gluster.peerProbe(defaults, '10.213.0.32')).toBe(`${G} peer probe 10.213.0.32`);
    expect(gluster.peerDetach(defaults, 'node2.example.com')).toBe(`${G} peer detach node2.example.com`);
    expect(gluster.glusterdCheck(defaults)).toBe(`${G} pool list`);
    expect(gluster.peerStatus(defaults)).toBe(`${G} peer status`);
  });

  test.each([
    ['volume name with a space', () => gluster.volumeStart(defaults, 'my vol'), /volume name/],
    ['volume name that is an option', () => gluster.volumeDelete(defaults, '--help'), /volume name/],
    ['volume name with a substitution', () => gluster.volumeInfo(defaults, 'v$(id)'), /volume name/],
    ['option key with a quote', () => gluster.volumeSet(defaults, 'v', "a'b", 'on'), /option key/],
    ['option value that is an option', () => gluster.volumeSet(defaults, 'v', 'k', '--force'), /must not start with -/],
    ['option value with a newline', () => gluster.volumeSet(defaults, 'v', 'k', 'a\nb'), /control characters/],
    ['empty option value', () => gluster.volumeSet(defaults, 'v', 'k', ''), /needs a value/],
    ['brick host that is an option', () => gluster.peerProbe(defaults, '-h'), /hostname/],
    ['brick host with a semicolon', () => gluster.replaceBrick(defaults, 'v', { host: 'a;b', path: '/x' }, { host: 'c', path: '/y' }), /hostname/],
    ['brick path with ..', () => gluster.replaceBrick(defaults, 'v', { host: 'a', path: '/x/../y' }, { host: 'c', path: '/y' }), /brick path/],
    ['relative brick path', () => gluster.replaceBrick(defaults, 'v', { host: 'a', path: 'x' }, { host: 'c', path: '/y' }), /brick path/],
  ])('%s is refused', (_what, build, message) => {
    expect(build).toThrow(message);
  });
});
