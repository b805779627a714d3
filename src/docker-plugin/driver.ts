import { join } from 'node:path';
import { KeyedLock } from '../mount/keyed-lock';
import { MountError, type Mounter } from '../mount/mounter';
import type { RefCounts } from '../mount/ref-counts';
import type { BrickyardVolumes, VolumeSummary } from './brickyard';
import { PluginError } from './errors';
import { checkVolumeName, createRequest, type VolumeOptions } from './options';

/** Docker's view of one volume (VolumeDriver.Get / List). */
export interface DockerVolume {
  Name: string;
  Mountpoint?: string;
  Status?: Record<string, unknown>;
}

export interface DriverSettings {
  /** Mounts go to <mountRoot>/<volume name>. */
  mountRoot: string;
  /** Client logs go to <logDir>/<volume name>.log. */
  logDir: string;
  defaults: VolumeOptions;
  /** Remove forgets the volume on this host but leaves the Brickyard volume and its data. */
  keepOnRemove: boolean;
  /** How long Remove may take before it answers (default REMOVE_BUDGET_MS). */
  removeBudgetMs?: number;
}

/**
 * dockerd gives VolumeDriver.Remove one minute, then fails `docker volume rm` with "context deadline exceeded"
 * whatever the plugin does after. A delete on a busy cluster can take longer (77 s measured on the lab), so
 * Remove answers within this budget and leaves a delete still running to Brickyard, where it is durable.
 */
export const REMOVE_BUDGET_MS = 45_000;

export interface DriverLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/**
 * The VolumeDriver semantics, apart from HTTP: Brickyard makes and deletes volumes; this host mounts each
 * volume once (the first container's Mount) and unmounts it after the last container's Unmount, counting
 * Docker's mount ids in RefCounts, which survive a plugin restart. Operations on one volume run one at a time.
 */
export class VolumeDriver {
  private readonly lock = new KeyedLock();

  constructor(
    private readonly volumes: BrickyardVolumes,
    private readonly mounter: Mounter,
    private readonly refs: RefCounts,
    private readonly settings: DriverSettings,
    private readonly log: DriverLog,
  ) {}

  mountPointOf(name: string): string {
    return join(this.settings.mountRoot, name);
  }

  async create(name: unknown, opts: unknown): Promise<void> {
    const request = createRequest(checkVolumeName(name), opts, this.settings.defaults);
    await this.lock.run(request.name, async () => {
      const started = Date.now();
      const volume = await this.volumes.create(request);
      this.log.info('volume created', { name: volume.name, id: volume.id, ms: Date.now() - started });
    });
  }

  async remove(name: unknown): Promise<void> {
    const volume = checkVolumeName(name);
    const started = Date.now();
    await this.lock.run(volume, async () => {
      const held = this.refs.get(volume);
      if (held && held.holders.length > 0) {
        throw new PluginError(
          `volume ${volume} is still mounted on this host for ${held.holders.length} container(s); stop them (docker ps --filter volume=${volume}) and remove it again`,
        );
      }
      await this.unmountHere(volume);
      if (this.settings.keepOnRemove) {
        this.log.info('volume removed from this host; Brickyard volume kept (keepOnRemove)', { name: volume });
        return;
      }
      const found = await this.volumes.find(volume);
      if (!found) return; // already gone: what was asked for
      const budget = this.settings.removeBudgetMs ?? REMOVE_BUDGET_MS;
      const progress = await this.volumes.delete(found, Math.max(0, budget - (Date.now() - started)));
      const deleted = () => this.log.info('volume deleted', { name: volume, id: found.id, ms: Date.now() - started });
      if (progress.finished) return deleted();
      this.log.info('volume delete still running on Brickyard; Docker answered before its deadline', { name: volume, id: found.id, ms: Date.now() - started });
      progress.done.then(deleted, (err: unknown) =>
        this.log.warn('volume delete failed on Brickyard; the volume is offered to Docker again', { name: volume, id: found.id, error: (err as Error).message }),
      );
    });
  }

  async mount(name: unknown, id: unknown): Promise<string> {
    const volume = checkVolumeName(name);
    const holder = checkMountId(id);
    return this.lock.run(volume, async () => {
      const target = this.mountPointOf(volume);
      // Already mounted here: no need to ask Brickyard (a later container starts even while it is down).
      if (!(await this.mounter.isMounted(target))) {
        const found = await this.volumes.find(volume);
        if (!found) throw new PluginError(`there is no Brickyard volume named ${volume} (docker volume create -d brickyard -o size=N ${volume} makes one)`);
        await this.mountHere(found, target);
      }
      const count = await this.refs.add(volume, holder, target);
      this.log.info('mounted', { name: volume, id: holder, holders: count, target });
      return target;
    });
  }

  async unmount(name: unknown, id: unknown): Promise<void> {
    const volume = checkVolumeName(name);
    const holder = checkMountId(id);
    await this.lock.run(volume, async () => {
      const left = await this.refs.remove(volume, holder);
      this.log.info('unmount requested', { name: volume, id: holder, holders: left });
      if (left === 0) await this.unmountHere(volume);
    });
  }

  async path(name: unknown): Promise<string> {
    const volume = checkVolumeName(name);
    const target = this.mountPointOf(volume);
    return (await this.mounter.isMounted(target)) ? target : '';
  }

  async get(name: unknown): Promise<DockerVolume> {
    const volume = checkVolumeName(name);
    const found = await this.volumes.find(volume);
    if (!found) throw new PluginError(`there is no Brickyard volume named ${volume}`);
    const mountpoint = await this.path(volume);
    return { Name: volume, Mountpoint: mountpoint, Status: this.status(found, mountpoint) };
  }

  async list(): Promise<DockerVolume[]> {
    const all = await this.volumes.all();
    return Promise.all(all.map(async (v) => ({ Name: v.name, Mountpoint: await this.path(v.name) })));
  }

  /** What `docker volume inspect` shows under Status. */
  private status(v: VolumeSummary, mountpoint: string): Record<string, unknown> {
    return {
      brickyardId: v.id,
      brickyardServer: this.volumes.server,
      cluster: v.cluster,
      size: `${v.sizeGib} GiB`,
      durability: v.durability,
      bricks: v.bricks,
      volfileServers: v.servers.join(','),
      mountedHere: mountpoint !== '',
      containersHere: this.refs.count(v.name),
    };
  }

  private async mountHere(volume: VolumeSummary, target: string): Promise<void> {
    if (volume.servers.length === 0) throw new PluginError(`Brickyard did not say which servers serve volume ${volume.name}`);
    const started = Date.now();
    try {
      await this.mounter.mountGluster({ servers: volume.servers, volume: volume.name, target, logFile: join(this.settings.logDir, `${volume.name}.log`) });
    } catch (err) {
      if (err instanceof MountError) throw new PluginError(`mounting volume ${volume.name} failed: ${err.reason}`);
      throw err;
    }
    this.log.info('FUSE mount made', { name: volume.name, target, servers: volume.servers, ms: Date.now() - started });
  }

  private async unmountHere(volume: string): Promise<void> {
    const target = this.refs.get(volume)?.mountPoint ?? this.mountPointOf(volume);
    try {
      await this.mounter.unmount(target);
    } catch (err) {
      if (err instanceof MountError) throw new PluginError(`unmounting volume ${volume} from ${target} failed: ${err.reason}`);
      throw err;
    }
    await this.refs.forget(volume);
  }
}

/** Docker's mount ids are 64 hex characters; anything printable and short is accepted, nothing else. */
function checkMountId(id: unknown): string {
  if (typeof id !== 'string' || !/^[A-Za-z0-9._:-]{1,128}$/.test(id)) throw new PluginError('the request needs the mount ID Docker gives each container mount');
  return id;
}
