import { hostnameProblem, volumeNameProblem } from '../domain/names';

/**
 * Pure builders of the mount and umount command lines, as argv arrays run without a shell. Every host, volume
 * name and path is checked against a strict pattern first, so nothing a client sends can become an option.
 */
export class MountInputError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field} ${problem}`);
    this.name = 'MountInputError';
  }
}

export interface GlusterMountSpec {
  /** The first serves the volfile; the others become backup-volfile-servers. */
  servers: string[];
  volume: string;
  target: string;
  logFile?: string;
  readOnly?: boolean;
}

export const PATH_MAX = 4096;
/** Absolute paths of letters, digits and ._~+@:=/- (kubelet paths hold '~'); no spaces, commas or quotes. */
const SAFE_PATH = /^\/[A-Za-z0-9._~+@:=/-]*$/;

/** Returns the problem with a local path, or null when it is acceptable. */
export function mountPathProblem(path: string): string | null {
  if (path.length > PATH_MAX) return `must be at most ${PATH_MAX} characters`;
  if (!SAFE_PATH.test(path)) return 'must be an absolute path of letters, digits and ._~+@:=/-';
  if (path.split('/').some((part) => part === '..' || part === '.')) return 'must not contain . or .. components';
  if (path.includes('//')) return 'must not contain empty path components';
  return null;
}

export function checkMountPath(field: string, path: string): string {
  const problem = mountPathProblem(path);
  if (problem) throw new MountInputError(field, problem);
  return path.length > 1 ? path.replace(/\/$/, '') : path;
}

function checkServers(servers: readonly string[]): string[] {
  if (servers.length === 0) throw new MountInputError('servers', 'must name at least one server');
  return servers.map((host, i) => {
    const problem = hostnameProblem(host);
    if (problem) throw new MountInputError(`servers[${i}]`, `"${host.slice(0, 64)}" ${problem}`);
    return host;
  });
}

function checkVolume(volume: string): string {
  const problem = volumeNameProblem(volume);
  if (problem) throw new MountInputError('volume', problem);
  return volume;
}

/** The source argument mount.glusterfs takes: `host:volume`. */
export function glusterSource(server: string, volume: string): string {
  return `${checkServers([server])[0]}:${checkVolume(volume)}`;
}

/** `mount -t glusterfs -o backup-volfile-servers=b:c,log-file=/x[,ro] a:vol target` */
export function glusterMountArgs(spec: GlusterMountSpec): string[] {
  const [first, ...backups] = checkServers(spec.servers);
  const volume = checkVolume(spec.volume);
  const target = checkMountPath('target', spec.target);
  const options: string[] = [];
  // Duplicates of the volfile server add nothing to the backup list.
  const backupList = [...new Set(backups)].filter((h) => h !== first);
  if (backupList.length > 0) options.push(`backup-volfile-servers=${backupList.join(':')}`);
  if (spec.logFile !== undefined) options.push(`log-file=${checkMountPath('logFile', spec.logFile)}`);
  if (spec.readOnly) options.push('ro');
  const args = ['mount', '-t', 'glusterfs'];
  if (options.length > 0) args.push('-o', options.join(','));
  args.push(`${first}:${volume}`, target);
  return args;
}

/** A bind mount; read-only needs a second command (a bind mount ignores `ro` until it is remounted). */
export function bindMountArgs(source: string, target: string, readOnly: boolean): string[][] {
  const src = checkMountPath('source', source);
  const dst = checkMountPath('target', target);
  const commands = [['mount', '--bind', src, dst]];
  if (readOnly) commands.push(['mount', '-o', 'remount,bind,ro', dst]);
  return commands;
}

/** `umount target`; lazy (`-l`) detaches a mount whose FUSE daemon is gone. */
export function unmountArgs(target: string, options: { lazy?: boolean } = {}): string[] {
  const dst = checkMountPath('target', target);
  return options.lazy ? ['umount', '-l', dst] : ['umount', dst];
}
