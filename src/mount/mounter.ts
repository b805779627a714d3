import { execFile } from 'node:child_process';
import { mkdir, open, stat, statfs } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { summarizeClientLog } from './client-log';
import { bindMountArgs, checkMountPath, glusterMountArgs, glusterSource, unmountArgs, type GlusterMountSpec } from './commands';
import { findByMountPoint, GLUSTER_FUSE_TYPE, readMountTable, type MountEntry } from './mount-table';

/** Mounting as the Docker plugin and the CSI node service need it. */
export interface Mounter {
  /** Mounts a GlusterFS volume with the FUSE client; a target already holding that volume is left as it is. */
  mountGluster(spec: GlusterMountSpec): Promise<void>;
  bindMount(source: string, target: string, readOnly: boolean): Promise<void>;
  /** Idempotent: a target that is not mounted is fine; a dead FUSE mount is detached lazily. */
  unmount(target: string): Promise<void>;
  isMounted(target: string): Promise<boolean>;
}

/** A mount or umount that failed, with the reason the mount client gave (stderr and the log's last lines). */
export class MountError extends Error {
  constructor(
    message: string,
    readonly reason: string,
    readonly command: readonly string[],
  ) {
    super(reason ? `${message}: ${reason}` : message);
    this.name = 'MountError';
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one argv without a shell. */
export type CommandRunner = (argv: readonly string[], timeoutMs: number) => Promise<RunResult>;

export const execFileRunner: CommandRunner = (argv, timeoutMs) =>
  new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
      let code = 0;
      if (e) code = typeof e.code === 'number' ? e.code : -1;
      const extra = e && e.killed ? `\n(killed after ${timeoutMs} ms)` : e && typeof e.code === 'string' ? `\n${e.message}` : '';
      resolve({ code, stdout: String(stdout), stderr: String(stderr) + extra });
    });
  });

export interface SystemMounterOptions {
  /** Where log files go when a mount spec names none (default /var/log/glusterfs). */
  logDir?: string;
  /** Per command; a FUSE mount that cannot reach any server gives up on its own well before this. */
  timeoutMs?: number;
  run?: CommandRunner;
  mountTable?: () => Promise<MountEntry[]>;
  /** Lines of the client log put into a mount error. */
  logTailLines?: number;
}

const NOT_CONNECTED = /Transport endpoint is not connected|ENOTCONN/i;

export class SystemMounter implements Mounter {
  private readonly logDir: string;
  private readonly timeoutMs: number;
  private readonly run: CommandRunner;
  private readonly mountTable: () => Promise<MountEntry[]>;
  private readonly logTailLines: number;

  constructor(options: SystemMounterOptions = {}) {
    this.logDir = options.logDir ?? '/var/log/glusterfs';
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.run = options.run ?? execFileRunner;
    this.mountTable = options.mountTable ?? (() => readMountTable());
    this.logTailLines = options.logTailLines ?? 6;
  }

  /** The log file used for a spec without one: one per mount target, named after it. */
  defaultLogFile(spec: Pick<GlusterMountSpec, 'volume' | 'target'>): string {
    const target = checkMountPath('target', spec.target);
    return join(this.logDir, `${target.slice(1).replace(/\//g, '-') || basename(target)}.log`);
  }

  async mountGluster(spec: GlusterMountSpec): Promise<void> {
    const logFile = spec.logFile ?? this.defaultLogFile(spec);
    const argv = glusterMountArgs({ ...spec, logFile });
    const existing = findByMountPoint(await this.mountTable(), spec.target);
    if (existing) {
      if (existing.fsType !== GLUSTER_FUSE_TYPE || !sameVolume(existing.source, spec.volume)) {
        throw new MountError(`cannot mount ${spec.volume} on ${spec.target}`, `${existing.source} (${existing.fsType}) is already mounted there`, argv);
      }
      if (await fileSystemAnswers(spec.target)) return;
      // The same volume, but its client is gone: replace the dead mount.
      await this.unmount(spec.target);
    }
    await mkdir(spec.target, { recursive: true });
    await mkdir(join(logFile, '..'), { recursive: true });
    const logStart = await fileSize(logFile);
    const res = await this.run(argv, this.timeoutMs);
    if (res.code === 0 && (await this.isMounted(spec.target))) return;
    const reason = [res.stderr.trim() || res.stdout.trim(), await this.logTail(logFile, logStart)].filter((s) => s !== '').join('\n');
    throw new MountError(`mounting GlusterFS volume ${glusterSource(spec.servers[0]!, spec.volume)} on ${spec.target} failed`, reason || `exit status ${res.code}`, argv);
  }

  async bindMount(source: string, target: string, readOnly: boolean): Promise<void> {
    const commands = bindMountArgs(source, target, readOnly);
    for (const argv of commands) {
      const res = await this.run(argv, this.timeoutMs);
      if (res.code !== 0) {
        // Half a read-only bind (mounted, not yet read-only) must not stay behind.
        if (argv !== commands[0]) await this.run(unmountArgs(target), this.timeoutMs);
        throw new MountError(`bind mounting ${source} on ${target} failed`, res.stderr.trim() || `exit status ${res.code}`, argv);
      }
    }
  }

  async unmount(target: string): Promise<void> {
    const argv = unmountArgs(target);
    if (!(await this.isMounted(target))) return;
    const res = await this.run(argv, this.timeoutMs);
    if (res.code === 0 || !(await this.isMounted(target))) return;
    if (NOT_CONNECTED.test(res.stderr)) {
      // The FUSE daemon died: the kernel keeps the mount but nothing answers; detach it lazily.
      const lazy = unmountArgs(target, { lazy: true });
      const again = await this.run(lazy, this.timeoutMs);
      if (again.code === 0 || !(await this.isMounted(target))) return;
      throw new MountError(`unmounting ${target} failed`, again.stderr.trim() || `exit status ${again.code}`, lazy);
    }
    throw new MountError(`unmounting ${target} failed`, res.stderr.trim() || `exit status ${res.code}`, argv);
  }

  async isMounted(target: string): Promise<boolean> {
    return findByMountPoint(await this.mountTable(), checkMountPath('target', target)) !== undefined;
  }

  /** What the client wrote to its log since `from`, less the noise. */
  private async logTail(file: string, from: number): Promise<string> {
    try {
      const handle = await open(file, 'r');
      try {
        const size = (await handle.stat()).size;
        const start = Math.max(from, size - 64 * 1024);
        const buf = Buffer.alloc(size - start);
        await handle.read(buf, 0, buf.length, start);
        return summarizeClientLog(buf.toString('utf8'), this.logTailLines);
      } finally {
        await handle.close();
      }
    } catch {
      return '';
    }
  }
}

/** mountinfo shows a gluster source as host:volume or host:/volume. */
function sameVolume(source: string, volume: string): boolean {
  const name = source.slice(source.lastIndexOf(':') + 1).replace(/^\//, '');
  return name === volume;
}

/** False when the path's file system does not answer (a FUSE mount whose client died). */
export async function fileSystemAnswers(path: string): Promise<boolean> {
  try {
    // statfs always reaches the file system; stat may be answered from the kernel's attribute cache.
    await statfs(path);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOTCONN';
  }
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}
