import type { CommandSettings } from '../../config/schema';
import { brickLvName, thinPoolName, vgName } from '../../domain/model';
import { shellCommand, shellQuote } from './shell';
import { checkDevicePath, checkId, checkKib } from './validate';

/**
 * LVM and disk-signature command lines for device add / remove / resync and for a brick's thin pool and
 * thin LV. Every LVM verb runs as `lvm <verb>`, behind `lvm_wrapper` when one is configured (e.g.
 * `/usr/sbin/exec-on-host`: its words are quoted one by one and put in front).
 */
type LvmSettings = Pick<
  CommandSettings,
  'lvm_wrapper' | 'pv_data_alignment' | 'vg_physicalextentsize' | 'lv_chunksize' | 'backup_lvm_metadata'
>;

function lvm(s: Pick<CommandSettings, 'lvm_wrapper'>, verb: string, ...args: Array<string | number>): string {
  const wrapper = s.lvm_wrapper.trim();
  const prefix = wrapper === '' ? '' : `${wrapper.split(/\s+/).map(shellQuote).join(' ')} `;
  return prefix + shellCommand('lvm', verb, ...args);
}

const autobackup = (s: Pick<CommandSettings, 'backup_lvm_metadata'>): string =>
  `--autobackup=${s.backup_lvm_metadata ? 'y' : 'n'}`;

/** `vg_<id>/<lv>` after checking the ids. */
function lvPath(deviceId: string, lv: string): string {
  return `${vgName(checkId('device id', deviceId))}/${lv}`;
}

export function brickLvPath(deviceId: string, brickId: string): string {
  return lvPath(deviceId, brickLvName(checkId('brick id', brickId)));
}

/** A thin pool name Heketi may have recorded for a brick: tp_ and a 32 hex id (its own brick's, or another's). */
const THIN_POOL_NAME = /^tp_[0-9a-f]{32}$/;

export function isThinPoolName(name: string): boolean {
  return THIN_POOL_NAME.test(name);
}

/** `vg_<device>/tp_<brick>`, or the pool recorded for an imported brick. */
export function thinPoolPath(deviceId: string, brickId: string, pool?: string): string {
  if (pool !== undefined && !THIN_POOL_NAME.test(pool)) throw new Error(`thin pool name ${JSON.stringify(pool)} is not tp_<32 hex>`);
  return lvPath(deviceId, pool ?? thinPoolName(checkId('brick id', brickId)));
}

/** The block device of a brick's thin LV (LVM names have no '-', so no dm escaping is needed). */
export function brickDevNode(deviceId: string, brickId: string): string {
  return `/dev/mapper/${vgName(checkId('device id', deviceId))}-${brickLvName(checkId('brick id', brickId))}`;
}

// ---- device ---------------------------------------------------------------------------------------

/** Lists the signatures (filesystem, partition table, LVM label, RAID ...) on a disk without touching it. */
export function listSignatures(path: string): string {
  return shellCommand('wipefs', '--no-act', '--noheadings', '--output', 'TYPE,OFFSET', checkDevicePath(path));
}

/** Erases every signature: only ever run for a device added with destroydata. */
export function wipeSignatures(path: string): string {
  return shellCommand('wipefs', '--all', checkDevicePath(path));
}

/** The PV on a disk, if any, and its VG (exit 5 and an empty report when the disk is not a PV). */
export function pvReport(s: LvmSettings, path: string): string {
  return lvm(s, 'pvs', '-o', 'pv_name,pv_uuid,vg_name', '--reportformat=json', checkDevicePath(path));
}

export function pvCreate(s: LvmSettings, path: string): string {
  return lvm(s, 'pvcreate', '-qq', '--metadatasize=128M', `--dataalignment=${s.pv_data_alignment}`, checkDevicePath(path));
}

export function vgCreate(s: LvmSettings, deviceId: string, path: string): string {
  return lvm(
    s,
    'vgcreate',
    '-qq',
    `--physicalextentsize=${s.vg_physicalextentsize}`,
    autobackup(s),
    vgName(checkId('device id', deviceId)),
    checkDevicePath(path),
  );
}

/** One colon-separated line: extent size and extent counts of the VG (see parseVgDisplay). */
export function vgDisplay(s: LvmSettings, deviceId: string): string {
  return lvm(s, 'vgdisplay', '-c', vgName(checkId('device id', deviceId)));
}

/** Every LV of the device's VG, hidden ones too, with sizes in KiB (see parseMetadataSpareKib). */
export function lvSizes(s: LvmSettings, deviceId: string): string {
  return lvm(s, 'lvs', '-a', '--noheadings', '--units', 'k', '--nosuffix', '-o', 'lv_name,lv_size', vgName(checkId('device id', deviceId)));
}

/** udev's symlinks for the disk (by-id, by-path ...), relative to /dev. */
export function udevSymlinks(path: string): string {
  return shellCommand('udevadm', 'info', '--query=symlink', `--name=${checkDevicePath(path)}`);
}

export function vgRemove(s: LvmSettings, deviceId: string): string {
  return lvm(s, 'vgremove', '-qq', vgName(checkId('device id', deviceId)));
}

export function pvRemove(s: LvmSettings, path: string): string {
  return lvm(s, 'pvremove', '-qq', checkDevicePath(path));
}

// ---- brick ----------------------------------------------------------------------------------------

export interface ThinLvSizes {
  /** Thin LV virtual size. */
  sizeKib: number;
  tpSizeKib: number;
  poolMetadataKib: number;
}

/** The brick's own thin pool and its thin LV, in one lvcreate (one pool per brick, as Heketi does). */
export function thinLvCreate(s: LvmSettings, deviceId: string, brickId: string, sizes: ThinLvSizes): string {
  return lvm(
    s,
    'lvcreate',
    '-qq',
    autobackup(s),
    '--poolmetadatasize',
    `${checkKib('pool metadata size', sizes.poolMetadataKib)}K`,
    '--chunksize',
    s.lv_chunksize,
    '--size',
    `${checkKib('thin pool size', sizes.tpSizeKib)}K`,
    '--thin',
    thinPoolPath(deviceId, brickId),
    '--virtualsize',
    `${checkKib('brick size', sizes.sizeKib)}K`,
    '--name',
    brickLvName(brickId),
  );
}

/** Prints the brick LV's name when it exists; exit 5 "Failed to find logical volume" when it does not. */
export function brickLvExists(s: LvmSettings, deviceId: string, brickId: string): string {
  return lvm(s, 'lvs', '--noheadings', '-o', 'lv_name', brickLvPath(deviceId, brickId));
}

/** Number of thin LVs still in the brick's pool. */
export function thinCount(s: LvmSettings, deviceId: string, brickId: string, pool?: string): string {
  return lvm(s, 'lvs', '--noheadings', '-o', 'thin_count', thinPoolPath(deviceId, brickId, pool));
}

export function brickLvRemove(s: LvmSettings, deviceId: string, brickId: string): string {
  return lvm(s, 'lvremove', '-qq', '-f', autobackup(s), brickLvPath(deviceId, brickId));
}

export function thinPoolRemove(s: LvmSettings, deviceId: string, brickId: string, pool?: string): string {
  return lvm(s, 'lvremove', '-qq', '-f', autobackup(s), thinPoolPath(deviceId, brickId, pool));
}
