import type { CommandSettings } from '../config/schema';
import { setWidth } from '../domain/durability';
import { vgName } from '../domain/model';
import * as fs from './commands/filesystem';
import * as gluster from './commands/gluster';
import { parseHealInfoXml, parseVolumeInfoXml } from './commands/gluster-parsers';
import * as lvm from './commands/lvm';
import { parsePvReport, parseSignatures, parseMetadataSpareKib, parseThinCount, parseUdevSymlinks, parseVgDisplay, type PhysicalVolume } from './commands/lvm-parsers';
import {
  saysAlreadyStarted,
  saysLvMissing,
  saysNotAPeer,
  saysNotAPv,
  saysVgMissing,
  saysVolumeExists,
  saysVolumeMissing,
} from './commands/node-messages';
import { FENCED_EXIT, FENCED_MESSAGE, operationBarrier, underOperationLock } from './commands/operation-lock';
import { checkDevicePath, checkHostname, checkId, checkVolumeName } from './commands/validate';
import type { CommandResult, Transport } from './transport';
import {
  ExecutorError,
  type BrickAddress,
  type BrickCheck,
  type BrickSpec,
  type DeviceReport,
  type DeviceSpec,
  type GlusterVolumeInfo,
  type GlusterVolumeSpec,
  type HealInfo,
  type OperationScope,
  type StorageExecutor,
} from './types';

export interface CommandExecutorOptions {
  kind?: 'ssh' | 'kubernetes';
  /** Hears about problems that do not fail the call (a rebalance that did not start, a cleanup that failed). */
  warn?: (message: string, details: Record<string, unknown>) => void;
  /** Commands run under this operation's node-side lock (see commands/operation-lock.ts). */
  scope?: OperationScope;
}

/** How long a command waits for its operation's shared lock (only a barrier holds it exclusively). */
const OPERATION_LOCK_WAIT_S = 30;

interface StepOptions {
  /** Safe for the transport to run again after a dropped connection. */
  idempotent: boolean;
  /** A gluster CLI call: its timeout follows gluster_cli_timeout. */
  gluster?: boolean;
}

/** Seconds a gluster call may take beyond the CLI's own --timeout before the transport gives up on it. */
const GLUSTER_TIMEOUT_MARGIN_S = 30;

const address = (b: BrickAddress): string => `${b.host}:${b.path}`;

/** What a node said about a failed command, for the error message. */
function nodeWords(step: string, result: CommandResult): string {
  const said = result.stderr.trim() || result.stdout.trim();
  return said !== '' ? said : `${step} exited with code ${result.exitCode}`;
}

/**
 * The StorageExecutor of real nodes: each storage action as a sequence of command lines from
 * ./commands, run over a Transport (ssh or kubernetes exec), knowing nothing of how they travel.
 * Actions are written to be run again after a crash or a lost connection: every step first looks at
 * what is already there or accepts "already done / already gone" answers.
 */
export class CommandExecutor implements StorageExecutor {
  readonly kind: 'ssh' | 'kubernetes';
  private readonly warn: NonNullable<CommandExecutorOptions['warn']>;

  constructor(
    private readonly transport: Transport,
    private readonly settings: CommandSettings,
    private readonly options: CommandExecutorOptions = {},
  ) {
    this.kind = options.kind ?? 'ssh';
    this.warn = options.warn ?? (() => undefined);
  }

  get operationId(): string | undefined {
    return this.options.scope?.id;
  }

  forOperation(scope: OperationScope): StorageExecutor {
    return new CommandExecutor(this.transport, this.settings, { ...this.options, scope });
  }

  /** Waits as long as the longest command may run (a gluster call), so the previous holder's has ended. */
  async barrier(host: string, scope: OperationScope): Promise<void> {
    checkHostname(host);
    const waitS = this.settings.gluster_cli_timeout + GLUSTER_TIMEOUT_MARGIN_S;
    const result = await this.transport.run(host, operationBarrier(scope.id, scope.generation, waitS), {
      timeoutMs: (waitS + GLUSTER_TIMEOUT_MARGIN_S) * 1000,
      idempotent: true,
    });
    if (result.exitCode !== 0) throw new ExecutorError(host, 'operation barrier', nodeWords('operation barrier', result));
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  // ---- running steps ----------------------------------------------------------------------------

  /** Runs one command line; transport failures come back as ExecutorErrors naming the step. */
  private async run(host: string, step: string, command: string, options: StepOptions): Promise<CommandResult> {
    const seconds = options.gluster ? this.settings.gluster_cli_timeout + GLUSTER_TIMEOUT_MARGIN_S : this.settings.command_timeout;
    const scope = this.options.scope;
    const line = scope ? underOperationLock(scope.id, scope.generation, command, OPERATION_LOCK_WAIT_S) : command;
    try {
      const result = await this.transport.run(host, line, {
        timeoutMs: (seconds + (scope ? OPERATION_LOCK_WAIT_S : 0)) * 1000,
        idempotent: options.idempotent,
      });
      if (scope && result.exitCode === FENCED_EXIT && result.stderr.includes(FENCED_MESSAGE)) {
        throw new ExecutorError(host, step, `${step}: ${FENCED_MESSAGE}`, false, true);
      }
      return result;
    } catch (err) {
      if (err instanceof ExecutorError && err.fenced) throw err;
      if (err instanceof ExecutorError) {
        const wrapped = new ExecutorError(host, step, `${step}: ${err.message}`, err.transient);
        (wrapped as Error & { cause?: unknown }).cause = err;
        throw wrapped;
      }
      throw err;
    }
  }

  /** Runs one command line that has to succeed; returns what it printed. */
  private async must(host: string, step: string, command: string, options: StepOptions): Promise<string> {
    const result = await this.run(host, step, command, options);
    if (result.exitCode !== 0) throw new ExecutorError(host, step, nodeWords(step, result));
    return result.stdout;
  }

  /** Runs cleanup work whose failure must not hide the error that made it necessary. */
  private async quietly(host: string, what: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.warn(`${what} on ${host} failed`, { host, error: (err as Error).message });
    }
  }

  // ---- peers --------------------------------------------------------------------------------------

  async glusterdCheck(host: string): Promise<void> {
    checkHostname(host);
    await this.must(host, 'glusterd check', gluster.glusterdCheck(this.settings), { idempotent: true, gluster: true });
  }

  async peerProbe(host: string, newStorageHost: string): Promise<void> {
    checkHostname(host);
    // Probing a member again answers "already in peer list" with success.
    await this.must(host, 'peer probe', gluster.peerProbe(this.settings, newStorageHost), { idempotent: true, gluster: true });
  }

  async peerDetach(host: string, storageHost: string): Promise<void> {
    checkHostname(host);
    const result = await this.run(host, 'peer detach', gluster.peerDetach(this.settings, storageHost), { idempotent: true, gluster: true });
    if (result.exitCode !== 0 && !saysNotAPeer(result.stderr + result.stdout))
      throw new ExecutorError(host, 'peer detach', nodeWords('peer detach', result));
  }

  // ---- devices ------------------------------------------------------------------------------------

  async deviceSetup(host: string, device: DeviceSpec): Promise<DeviceReport> {
    checkHostname(host);
    checkId('device id', device.id);
    const path = checkDevicePath(device.path);
    const pv = await this.findPv(host, path);
    // Our own VG already on this disk: an earlier try got this far.
    if (pv !== null && pv.vgName === vgName(device.id)) return this.deviceInfo(host, device);

    const found =
      pv !== null
        ? `${path} is already a physical volume${pv.vgName ? ` of volume group ${pv.vgName}` : ''}`
        : await this.signaturesOn(host, path);
    if (found !== null) {
      if (!device.destroyData)
        throw new ExecutorError(host, 'device setup', `Initializing device ${path} failed (already initialized or contains data?): ${found}`);
      await this.must(host, 'wipefs', lvm.wipeSignatures(path), { idempotent: true });
    }

    await this.must(host, 'pvcreate', lvm.pvCreate(this.settings, path), { idempotent: false });
    try {
      await this.must(host, 'vgcreate', lvm.vgCreate(this.settings, device.id, path), { idempotent: false });
    } catch (err) {
      await this.quietly(host, `pvremove ${path}`, () => this.removePv(host, path));
      throw err;
    }
    try {
      return await this.deviceInfo(host, device);
    } catch (err) {
      await this.quietly(host, `removing device ${path}`, () => this.deviceTeardown(host, device));
      throw err;
    }
  }

  async deviceInfo(host: string, device: DeviceSpec): Promise<DeviceReport> {
    checkHostname(host);
    const path = checkDevicePath(device.path);
    const size = parseVgDisplay(await this.must(host, 'vgdisplay', lvm.vgDisplay(this.settings, device.id), { idempotent: true }));
    const pv = await this.findPv(host, path);
    const links = await this.run(host, 'udevadm', lvm.udevSymlinks(path), { idempotent: true });
    const lvs = await this.must(host, 'lvs', lvm.lvSizes(this.settings, device.id), { idempotent: true });
    return {
      metadataSpareKib: parseMetadataSpareKib(lvs),
      totalKib: size.totalKib,
      freeKib: size.freeKib,
      usedKib: size.usedKib,
      extentKib: size.extentKib,
      pvUuid: pv?.pvUuid ?? '',
      // udev is optional on a node (containers, namespaces): no links is not an error
      paths: links.exitCode === 0 ? parseUdevSymlinks(links.stdout) : [],
    };
  }

  async deviceTeardown(host: string, device: DeviceSpec): Promise<void> {
    checkHostname(host);
    const path = checkDevicePath(device.path);
    const vg = await this.run(host, 'vgremove', lvm.vgRemove(this.settings, device.id), { idempotent: true });
    if (vg.exitCode !== 0 && !saysVgMissing(vg.stderr)) throw new ExecutorError(host, 'vgremove', nodeWords('vgremove', vg));
    await this.removePv(host, path);
    await this.must(host, 'rmdir', fs.removeDirectory(fs.deviceMountParent(device.id)), { idempotent: true });
  }

  /** The PV on a disk, or null when the disk is no PV. */
  private async findPv(host: string, path: string): Promise<PhysicalVolume | null> {
    const result = await this.run(host, 'pvs', lvm.pvReport(this.settings, path), { idempotent: true });
    if (result.exitCode !== 0) {
      if (saysNotAPv(result.stderr)) return null;
      throw new ExecutorError(host, 'pvs', nodeWords('pvs', result));
    }
    return parsePvReport(result.stdout)[0] ?? null;
  }

  /** A description of the signatures on a disk, or null when it is blank. */
  private async signaturesOn(host: string, path: string): Promise<string | null> {
    const found = parseSignatures(await this.must(host, 'device check', lvm.listSignatures(path), { idempotent: true }));
    if (found.length === 0) return null;
    return `${path} carries ${found.map((s) => `${s.type} (offset ${s.offset})`).join(', ')}`;
  }

  private async removePv(host: string, path: string): Promise<void> {
    const result = await this.run(host, 'pvremove', lvm.pvRemove(this.settings, path), { idempotent: true });
    if (result.exitCode !== 0 && !saysNotAPv(result.stderr)) throw new ExecutorError(host, 'pvremove', nodeWords('pvremove', result));
  }

  // ---- bricks -------------------------------------------------------------------------------------

  async brickCreate(host: string, brick: BrickSpec): Promise<void> {
    checkHostname(host);
    const mountPoint = fs.brickMountPoint(brick.deviceId, brick.id);
    const brickDir = fs.brickDirectory(brick.deviceId, brick.id);
    try {
      await this.must(host, 'mkdir', fs.makeDirectory(mountPoint), { idempotent: true });
      const lvExisted = await this.brickLvExists(host, brick);
      if (!lvExisted) {
        await this.must(host, 'lvcreate', lvm.thinLvCreate(this.settings, brick.deviceId, brick.id, brick), { idempotent: false });
      }
      const fsType = lvExisted ? await this.filesystemOn(host, brick) : '';
      if (fsType === '') {
        await this.must(host, 'mkfs', fs.makeXfs(this.settings, brick.deviceId, brick.id, brick.arbiter), { idempotent: false });
      } else if (fsType !== 'xfs') {
        throw new ExecutorError(host, 'mkfs', `${lvm.brickDevNode(brick.deviceId, brick.id)} already holds a ${fsType} filesystem`);
      }
      await this.must(host, 'fstab', fs.fstabAdd(this.settings, brick.deviceId, brick.id), { idempotent: true });
      await this.must(host, 'mount', fs.mountBrick(this.settings, brick.deviceId, brick.id), { idempotent: true });
      await this.must(host, 'brick dir', fs.makeDirectory(brickDir), { idempotent: true });
      if (brick.gid !== 0) {
        await this.must(host, 'chown', fs.brickGroupOwner(brickDir, brick.gid), { idempotent: true });
        await this.must(host, 'chmod', fs.brickGroupMode(brickDir), { idempotent: true });
      }
    } catch (err) {
      await this.quietly(host, `undoing brick ${brick.id}`, () => this.brickDestroy(host, brick));
      throw err;
    }
  }

  private async brickLvExists(host: string, brick: BrickSpec): Promise<boolean> {
    const result = await this.run(host, 'lvs', lvm.brickLvExists(this.settings, brick.deviceId, brick.id), { idempotent: true });
    if (result.exitCode === 0) return true;
    if (saysLvMissing(result.stderr)) return false;
    throw new ExecutorError(host, 'lvs', nodeWords('lvs', result));
  }

  /** The filesystem type on the brick's LV; '' when blank (blkid exit 2). */
  private async filesystemOn(host: string, brick: BrickSpec): Promise<string> {
    const result = await this.run(host, 'blkid', fs.filesystemType(brick.deviceId, brick.id), { idempotent: true });
    if (result.exitCode === 0) return result.stdout.trim();
    if (result.exitCode === 2) return '';
    throw new ExecutorError(host, 'blkid', nodeWords('blkid', result));
  }

  async brickDestroy(host: string, brick: BrickSpec): Promise<{ poolRemoved: boolean }> {
    checkHostname(host);
    const mountPoint = fs.brickMountPoint(brick.deviceId, brick.id);
    const unmount = await this.run(host, 'umount', fs.unmountBrick(brick.deviceId, brick.id), { idempotent: true });
    // The fstab line goes even when umount failed, so that a reboot does not mount a brick being removed.
    await this.must(host, 'fstab', fs.fstabRemove(this.settings, brick.deviceId, brick.id), { idempotent: true });
    if (unmount.exitCode !== 0) throw new ExecutorError(host, 'umount', nodeWords('umount', unmount));

    const lv = await this.run(host, 'lvremove', lvm.brickLvRemove(this.settings, brick.deviceId, brick.id), { idempotent: true });
    if (lv.exitCode !== 0 && !saysLvMissing(lv.stderr)) throw new ExecutorError(host, 'lvremove', nodeWords('lvremove', lv));

    let poolRemoved = false;
    const count = await this.run(host, 'thin pool', lvm.thinCount(this.settings, brick.deviceId, brick.id, brick.thinPool), { idempotent: true });
    if (count.exitCode !== 0) {
      if (!saysLvMissing(count.stderr)) throw new ExecutorError(host, 'thin pool', nodeWords('thin pool', count));
      poolRemoved = true; // a pool that is not there holds no space
    } else if (parseThinCount(count.stdout) === 0) {
      const pool = await this.run(host, 'thin pool', lvm.thinPoolRemove(this.settings, brick.deviceId, brick.id, brick.thinPool), { idempotent: true });
      if (pool.exitCode !== 0 && !saysLvMissing(pool.stderr)) throw new ExecutorError(host, 'thin pool', nodeWords('thin pool', pool));
      poolRemoved = true;
    }

    const rmdir = await this.run(host, 'rmdir', fs.removeDirectory(mountPoint), { idempotent: true });
    if (rmdir.exitCode !== 0) this.warn(`could not remove ${mountPoint} on ${host}`, { host, error: nodeWords('rmdir', rmdir) });
    return { poolRemoved };
  }

  async brickCheck(host: string, brick: BrickSpec): Promise<BrickCheck> {
    checkHostname(host);
    const lv = await this.brickLvExists(host, brick);
    const pool = await this.run(host, 'thin pool', lvm.thinCount(this.settings, brick.deviceId, brick.id, brick.thinPool), { idempotent: true });
    if (pool.exitCode !== 0 && !saysLvMissing(pool.stderr)) throw new ExecutorError(host, 'thin pool', nodeWords('thin pool', pool));
    const mounted = await this.run(host, 'mountpoint', fs.brickMounted(brick.deviceId, brick.id), { idempotent: true });
    const fstab = await this.run(host, 'fstab', fs.fstabHasBrick(this.settings, brick.deviceId, brick.id), { idempotent: true });
    return { lv, thinPool: pool.exitCode === 0, mounted: mounted.exitCode === 0, fstab: fstab.exitCode === 0 };
  }

  // ---- volumes ------------------------------------------------------------------------------------

  async volumeCreate(host: string, volume: GlusterVolumeSpec): Promise<void> {
    checkHostname(host);
    const name = checkVolumeName(volume.name);
    const width = setWidth(volume.durability);
    if (volume.bricks.length === 0 || volume.bricks.length % width !== 0)
      throw new ExecutorError(host, 'volume create', `volume ${name} needs whole sets of ${width} bricks, got ${volume.bricks.length}`);
    const wanted = volume.bricks.map(address);

    let existing = await this.volumeInfo(host, name);
    if (existing === null) {
      const firstSet = volume.bricks.slice(0, width);
      const create = await this.run(host, 'volume create', gluster.volumeCreate(this.settings, name, volume.durability, volume.arbiter, firstSet), {
        idempotent: false,
        gluster: true,
      });
      if (create.exitCode !== 0 && !saysVolumeExists(create.stderr + create.stdout))
        throw new ExecutorError(host, 'volume create', nodeWords('volume create', create));
      existing = await this.volumeInfo(host, name);
      if (existing === null) throw new ExecutorError(host, 'volume create', `volume ${name} was created but gluster does not list it`);
    }

    // Resume where an earlier try stopped, but never add bricks to a volume that is not this one.
    const have = existing.bricks.map(address);
    if (have.length > wanted.length || have.some((a, i) => a !== wanted[i]))
      throw new ExecutorError(host, 'volume create', `volume ${name} already exists with other bricks (${have.join(' ')})`);
    const missing = volume.bricks.slice(have.length);
    for (const command of gluster.volumeAddBricks(this.settings, name, volume.durability, missing)) {
      await this.must(host, 'add-brick', command, { idempotent: false, gluster: true });
    }
    for (const [key, value] of volume.options) {
      await this.must(host, 'volume set', gluster.volumeSet(this.settings, name, key, value), { idempotent: true, gluster: true });
    }
    if (existing.status !== 'Started') {
      const start = await this.run(host, 'volume start', gluster.volumeStart(this.settings, name), { idempotent: true, gluster: true });
      if (start.exitCode !== 0 && !saysAlreadyStarted(start.stderr + start.stdout))
        throw new ExecutorError(host, 'volume start', nodeWords('volume start', start));
    }
  }

  async volumeExpand(host: string, volume: GlusterVolumeSpec, newBricks: BrickAddress[]): Promise<void> {
    checkHostname(host);
    const name = checkVolumeName(volume.name);
    const existing = await this.volumeInfo(host, name);
    if (existing === null) throw new ExecutorError(host, 'add-brick', `Volume ${name} does not exist`);
    const present = new Set(existing.bricks.map(address));
    // Sets added by an earlier try are already there; add-brick calls carry whole sets, so the rest are whole sets too.
    const missing = newBricks.filter((b) => !present.has(address(b)));
    for (const command of gluster.volumeAddBricks(this.settings, name, volume.durability, missing)) {
      await this.must(host, 'add-brick', command, { idempotent: false, gluster: true });
    }
    // As Heketi: the new size is real once the bricks are in; a rebalance that does not start (a brick down)
    // is left to the operator rather than undoing the expansion.
    const rebalance = await this.run(host, 'rebalance', gluster.rebalanceStart(this.settings, name), { idempotent: true, gluster: true });
    if (rebalance.exitCode !== 0 && !saysAlreadyStarted(rebalance.stderr + rebalance.stdout))
      this.warn(`rebalance of volume ${name} did not start; run it by hand`, { host, error: nodeWords('rebalance', rebalance) });
  }

  async volumeDestroy(host: string, name: string): Promise<void> {
    checkHostname(host);
    checkVolumeName(name);
    // Not started, or already gone: delete below says what matters.
    await this.run(host, 'volume stop', gluster.volumeStopForce(this.settings, name), { idempotent: true, gluster: true });
    const result = await this.run(host, 'volume delete', gluster.volumeDelete(this.settings, name), { idempotent: true, gluster: true });
    if (result.exitCode !== 0 && !saysVolumeMissing(result.stderr + result.stdout))
      throw new ExecutorError(host, 'volume delete', nodeWords('volume delete', result));
  }

  async volumeInfo(host: string, name: string): Promise<GlusterVolumeInfo | null> {
    checkHostname(host);
    const result = await this.run(host, 'volume info', gluster.volumeInfo(this.settings, name), { idempotent: true, gluster: true });
    if (!result.stdout.trimStart().startsWith('<')) {
      if (saysVolumeMissing(result.stderr)) return null;
      throw new ExecutorError(host, 'volume info', nodeWords('volume info', result));
    }
    const info = parseVolumeInfoXml(result.stdout);
    if (info.opRet !== 0) {
      if (saysVolumeMissing(info.opErrstr)) return null;
      throw new ExecutorError(host, 'volume info', info.opErrstr || nodeWords('volume info', result));
    }
    const volume = info.volumes.find((v) => v.name === name);
    if (volume === undefined) return null;
    return {
      name: volume.name,
      status: volume.status,
      bricks: volume.bricks.map(({ host: h, path }) => ({ host: h, path })),
      options: volume.options,
    };
  }

  async replaceBrick(host: string, name: string, from: BrickAddress, to: BrickAddress): Promise<void> {
    checkHostname(host);
    const result = await this.run(host, 'replace-brick', gluster.replaceBrick(this.settings, name, from, to), { idempotent: true, gluster: true });
    if (result.exitCode === 0) return;
    // Run again after the first try went through: the old brick is gone and the new one in.
    const info = await this.volumeInfo(host, name);
    const bricks = new Set(info?.bricks.map(address) ?? []);
    if (bricks.has(address(to)) && !bricks.has(address(from))) return;
    throw new ExecutorError(host, 'replace-brick', nodeWords('replace-brick', result));
  }

  async healInfo(host: string, name: string): Promise<HealInfo> {
    checkHostname(host);
    const result = await this.run(host, 'heal info', gluster.healInfo(this.settings, name), { idempotent: true, gluster: true });
    if (!result.stdout.trimStart().startsWith('<')) throw new ExecutorError(host, 'heal info', nodeWords('heal info', result));
    const heal = parseHealInfoXml(result.stdout);
    if (heal.opRet !== 0) throw new ExecutorError(host, 'heal info', heal.opErrstr || nodeWords('heal info', result));
    const entries: Record<string, number> = {};
    for (const brick of heal.bricks) if (brick.entries !== null) entries[brick.address] = brick.entries;
    return { entries };
  }
}
