import {
  devicePathProblem,
  glusterOptionProblem,
  hostnameProblem,
  splitGlusterOption,
  tagProblem,
  volumeNameProblem,
} from '../../src/domain/names';

describe('strict patterns for anything that reaches a node', () => {
  test.each(['/dev/sdb', '/dev/disk/by-id/wwn-0x5000c500a1b2c3d4', '/dev/mapper/mpath_a', '/dev/nvme0n1', '/dev/disk/by-path/pci-0000:00:1f.2-ata-1'])(
    'device %s is accepted',
    (p) => expect(devicePathProblem(p)).toBeNull(),
  );
  test.each(['sdb', '/dev/', '/dev/../etc/passwd', '/dev/./sdb', '/dev//sdb', '/dev/sdb/', '/etc/sdb', "/dev/sd'b", '/dev/sd b', '/dev/$(x)', '/dev/sdb;rm', `/dev/${'x'.repeat(251)}`, '-/dev/sdb'])(
    'device %s is refused',
    (p) => expect(devicePathProblem(p)).not.toBeNull(),
  );

  test.each(['node1', 'node1.example.com', 'a-b.c', '10.0.0.1', '255.255.255.255', '::1', 'fe80::1', '2001:db8::8a2e:370:7334', '::ffff:10.0.0.1', 'example.com.'])(
    'host %s is accepted',
    (h) => expect(hostnameProblem(h)).toBeNull(),
  );
  test.each(['', '-node', 'node-', 'no de', 'a..b', 'node_1', '$(reboot)', 'x;y', '256.1.1.1', '1.2.3', '1:2:3:4:5:6:7:8:9', 'a'.repeat(64) + '.com', `${'a.'.repeat(127)}a`])(
    'host %s is refused',
    (h) => expect(hostnameProblem(h)).not.toBeNull(),
  );

  test.each(['vol_1', 'pvc_default_claim_1f2e', 'A1', 'a-b'])('volume name %s is accepted', (n) => expect(volumeNameProblem(n)).toBeNull());
  test.each(['', '-x', '_x', 'a b', 'a/b', 'a.b', 'a;b', 'x'.repeat(256)])('volume name %s is refused', (n) =>
    expect(volumeNameProblem(n)).not.toBeNull(),
  );

  test('gluster options: key and value checked, split on the first space', () => {
    expect(glusterOptionProblem('performance.readdir-ahead on')).toBeNull();
    expect(glusterOptionProblem('user.heketi.device-tag-match disk=ssd')).toBeNull();
    expect(splitGlusterOption('  diagnostics.brick-log-level   WARNING ')).toEqual(['diagnostics.brick-log-level', 'WARNING']);
    expect(splitGlusterOption('server.allow-insecure on off')).toEqual(['server.allow-insecure', 'on off']);
    expect(glusterOptionProblem('--force on')).toMatch(/option key/);
    expect(glusterOptionProblem('a;b on')).toMatch(/option key/);
    expect(glusterOptionProblem('key')).toMatch(/needs a value/);
    expect(glusterOptionProblem('key -v')).toMatch(/must not start with -/);
    expect(glusterOptionProblem('key a\u0000b')).toMatch(/control characters/);
  });

  test('tags', () => {
    expect(tagProblem('disk', 'ssd')).toBeNull();
    expect(tagProblem('arbiter', 'required')).toBeNull();
    expect(tagProblem('-k', 'v')).not.toBeNull();
    expect(tagProblem('k', 'a b')).not.toBeNull();
    expect(tagProblem('k'.repeat(65), 'v')).not.toBeNull();
  });
});
