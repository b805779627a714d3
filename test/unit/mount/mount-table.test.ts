import { findByMountPoint, isMounted, mountsUnder, normalizeMountPath, parseMountInfo, parseMountInfoLine, unescapeMountField } from '../../../src/mount/mount-table';

const SAMPLE = [
  '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard',
  '36 22 0:33 / /var/lib/brickyard-docker/mounts/shared rw,relatime shared:20 - fuse.glusterfs 10.222.0.31:shared rw,user_id=0,group_id=0,default_permissions,allow_other,max_read=131072',
  '37 22 0:34 / /mnt/with\\040space rw,nosuid master:3 - tmpfs tmp\\040fs rw,size=1024k',
  '38 22 254:0 /srv/data /mnt/bind ro,relatime - ext4 /dev/vda rw',
  '39 38 0:35 / /mnt/bind rw - tmpfs none rw',
  '40 22 0:36 / /var/lib/brickyard-docker/mounts/other rw - fuse.glusterfs h:/other rw',
  '41 22 0:37 / /var/lib/brickyard-docker/mountsx rw - tmpfs x rw',
].join('\n');

describe('mountinfo parser', () => {
  it('reads mount point, source, type and both option lists', () => {
    const entry = parseMountInfoLine(SAMPLE.split('\n')[1]!);
    expect(entry).toEqual({
      mountPoint: '/var/lib/brickyard-docker/mounts/shared',
      source: '10.222.0.31:shared',
      fsType: 'fuse.glusterfs',
      options: ['rw', 'relatime'],
      superOptions: ['rw', 'user_id=0', 'group_id=0', 'default_permissions', 'allow_other', 'max_read=131072'],
    });
  });

  it('skips any number of optional fields (shared:, master:) before the separator', () => {
    const line = '50 22 0:40 / /a rw shared:4 master:2 propagate_from:1 - xfs /dev/sdb rw,attr2';
    expect(parseMountInfoLine(line)).toMatchObject({ mountPoint: '/a', fsType: 'xfs', source: '/dev/sdb', options: ['rw'] });
    expect(parseMountInfoLine('50 22 0:40 / /a rw - xfs /dev/sdb')).toMatchObject({ superOptions: [] });
  });

  it('undoes the octal escapes of space, tab, newline and backslash', () => {
    expect(unescapeMountField('/mnt/a\\040b\\011c\\012d\\134e')).toBe('/mnt/a b\tc\nd\\e');
    expect(parseMountInfo(SAMPLE)[2]).toMatchObject({ mountPoint: '/mnt/with space', source: 'tmp fs' });
  });

  it('ignores blank and malformed lines', () => {
    expect(parseMountInfo(`\n${SAMPLE}\nnot a mountinfo line\n1 2 3 4 5 6 no-separator\n`)).toHaveLength(7);
    expect(parseMountInfoLine('1 2 3 4 /x rw -')).toBeNull();
  });

  it('finds the mount on top of a stacked mount point, with or without a trailing slash', () => {
    const entries = parseMountInfo(SAMPLE);
    expect(findByMountPoint(entries, '/mnt/bind/')?.fsType).toBe('tmpfs');
    expect(isMounted(entries, '/var/lib/brickyard-docker/mounts/shared')).toBe(true);
    expect(isMounted(entries, '/var/lib/brickyard-docker/mounts')).toBe(false);
    expect(isMounted(entries, '/var/lib/brickyard-docker/mounts/shared/sub')).toBe(false);
  });

  it('lists the mounts under a directory, not those of a sibling sharing its prefix', () => {
    const under = mountsUnder(parseMountInfo(SAMPLE), '/var/lib/brickyard-docker/mounts/');
    expect(under.map((e) => e.mountPoint)).toEqual(['/var/lib/brickyard-docker/mounts/shared', '/var/lib/brickyard-docker/mounts/other']);
  });

  it('normalizes paths as the kernel prints them', () => {
    expect(normalizeMountPath('/')).toBe('/');
    expect(normalizeMountPath('/a//b/')).toBe('/a/b');
  });
});
