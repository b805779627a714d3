import { bindMountArgs, glusterMountArgs, glusterSource, mountPathProblem, MountInputError, unmountArgs } from '../../../src/mount/commands';

describe('mount command builders', () => {
  it('mounts with the first server as volfile server and the rest as backups, a log file and ro', () => {
    expect(
      glusterMountArgs({ servers: ['10.0.0.1', 'node2.example', 'node3'], volume: 'vol_1', target: '/var/lib/x/vol_1', logFile: '/var/log/glusterfs/x.log', readOnly: true }),
    ).toEqual(['mount', '-t', 'glusterfs', '-o', 'backup-volfile-servers=node2.example:node3,log-file=/var/log/glusterfs/x.log,ro', '10.0.0.1:vol_1', '/var/lib/x/vol_1']);
  });

  it('leaves out -o when there is nothing to say, and drops the volfile server from its backups', () => {
    expect(glusterMountArgs({ servers: ['h1'], volume: 'v', target: '/m/' })).toEqual(['mount', '-t', 'glusterfs', 'h1:v', '/m']);
    expect(glusterMountArgs({ servers: ['h1', 'h1', 'h2', 'h2'], volume: 'v', target: '/m' })).toEqual(['mount', '-t', 'glusterfs', '-o', 'backup-volfile-servers=h2', 'h1:v', '/m']);
  });

  it('accepts kubelet target paths (with ~) and IPv6 servers', () => {
    const target = '/var/lib/kubelet/pods/0f1e/volumes/kubernetes.io~csi/pv-1/mount';
    expect(glusterMountArgs({ servers: ['fd00::1'], volume: 'v', target }).slice(-2)).toEqual(['fd00::1:v', target]);
  });

  it.each([
    [{ servers: [], volume: 'v', target: '/m' }, 'servers must name at least one server'],
    [{ servers: ['-oexec'], volume: 'v', target: '/m' }, 'servers[0] "-oexec" must be a DNS name or an IP address'],
    [{ servers: ['h', 'a b'], volume: 'v', target: '/m' }, 'servers[1]'],
    [{ servers: ['h'], volume: '-v', target: '/m' }, 'volume must start with a letter or digit'],
    [{ servers: ['h'], volume: 'v;rm', target: '/m' }, 'volume must start'],
    [{ servers: ['h'], volume: 'v', target: 'relative' }, 'target must be an absolute path'],
    [{ servers: ['h'], volume: 'v', target: '/m/../etc' }, 'target must not contain . or .. components'],
    [{ servers: ['h'], volume: 'v', target: '/m', logFile: '/l,exec' }, 'logFile must be an absolute path'],
    [{ servers: ['h'], volume: 'v', target: '/m', logFile: '/l og' }, 'logFile must be an absolute path'],
  ])('refuses %j naming the field', (spec, message) => {
    expect(() => glusterMountArgs(spec)).toThrow(MountInputError);
    expect(() => glusterMountArgs(spec)).toThrow(message);
  });

  it('binds read-only with a second, remounting command', () => {
    expect(bindMountArgs('/a', '/b', false)).toEqual([['mount', '--bind', '/a', '/b']]);
    expect(bindMountArgs('/a', '/b', true)).toEqual([
      ['mount', '--bind', '/a', '/b'],
      ['mount', '-o', 'remount,bind,ro', '/b'],
    ]);
    expect(() => bindMountArgs('-o', '/b', false)).toThrow('source must be an absolute path');
  });

  it('unmounts, lazily when asked', () => {
    expect(unmountArgs('/m')).toEqual(['umount', '/m']);
    expect(unmountArgs('/m', { lazy: true })).toEqual(['umount', '-l', '/m']);
    expect(() => unmountArgs('/m//x')).toThrow('target must not contain empty path components');
  });

  it('names the source as host:volume', () => {
    expect(glusterSource('h', 'v')).toBe('h:v');
    expect(mountPathProblem('/' + 'a'.repeat(5000))).toMatch(/at most 4096/);
  });
});
