import type { CommandSettings } from '../../config/schema';
import { BRICK_MOUNT_ROOT, brickMountDir, brickPath, vgName } from '../../domain/model';
import { brickDevNode } from './lvm';
import { shellCommand, shellQuote } from './shell';
import { checkBrickDir, checkGid, checkId } from './validate';

/**
 * XFS, mount, fstab and directory command lines for a brick. Steps that a retry may meet half-done are
 * written so that running them twice is harmless (mkdir -p, mount only when not mounted, fstab line
 * added only when missing, removals that accept "already gone").
 */
type FsSettings = Pick<CommandSettings, 'fstab' | 'mountopts' | 'xfs_su' | 'xfs_sw'>;

/** Where a brick's filesystem is mounted; gluster serves its `brick` subdirectory (brickPath). */
export function brickMountPoint(deviceId: string, brickId: string): string {
  return brickMountDir(checkId('device id', deviceId), checkId('brick id', brickId));
}

export function brickDirectory(deviceId: string, brickId: string): string {
  return brickPath(checkId('device id', deviceId), checkId('brick id', brickId));
}

/** The parent of every mount point of one device's bricks. */
export function deviceMountParent(deviceId: string): string {
  return `${BRICK_MOUNT_ROOT}/${vgName(checkId('device id', deviceId))}`;
}

export function makeDirectory(dir: string): string {
  return shellCommand('mkdir', '-p', checkBrickDir(dir));
}

/** Removes an empty directory; a directory that is not there counts as removed. */
export function removeDirectory(dir: string): string {
  const d = shellQuote(checkBrickDir(dir));
  return `if [ -d ${d} ]; then rmdir ${d}; fi`;
}

/** Prints the filesystem type found on a block device; exit 2 and nothing when there is none. */
export function filesystemType(deviceId: string, brickId: string): string {
  return shellCommand('blkid', '-p', '-o', 'value', '-s', 'TYPE', brickDevNode(deviceId, brickId));
}

/**
 * XFS as Gluster bricks want it: 512-byte inodes (room for gluster's extended attributes), 8 KiB
 * directory blocks; arbiter bricks hold only metadata, so inodes may take the whole filesystem; stripe
 * geometry (su in KiB, sw in disks) only when both are configured.
 */
export function makeXfs(s: FsSettings, deviceId: string, brickId: string, arbiter: boolean): string {
  const words: Array<string | number> = ['mkfs.xfs', '-i', 'size=512', '-n', 'size=8192'];
  if (arbiter) words.push('-i', 'maxpct=100');
  if (s.xfs_su > 0 && s.xfs_sw > 0) words.push('-d', `su=${s.xfs_su}k,sw=${s.xfs_sw}`);
  words.push(brickDevNode(deviceId, brickId));
  return shellCommand(...words);
}

export function fstabLine(s: FsSettings, deviceId: string, brickId: string): string {
  return `${brickDevNode(deviceId, brickId)} ${brickMountPoint(deviceId, brickId)} xfs ${s.mountopts} 1 2`;
}

/**
 * fstab edits of bricks made or destroyed in parallel on one node must not interleave: `sed -i` writes a new
 * file and renames it over the old one, so an edit running at the same time is lost. Each edit holds a lock
 * on the directory holding fstab (an inode the rename does not replace) while it reads and writes.
 */
function underFstabLock(s: FsSettings, script: string): string {
  const slash = s.fstab.lastIndexOf('/');
  const dir = slash > 0 ? s.fstab.slice(0, slash) : '/';
  return shellCommand('flock', '-w', '120', dir, '/bin/sh', '-c', script);
}

/**
 * Appends the brick's fstab line unless a (not commented) line already mounts something on the brick's mount point;
 * starts a new line first when the file does not end with one.
 */
export function fstabAdd(s: FsSettings, deviceId: string, brickId: string): string {
  const fstab = shellQuote(s.fstab);
  const dir = shellQuote(brickMountPoint(deviceId, brickId));
  const line = shellQuote(fstabLine(s, deviceId, brickId));
  return underFstabLock(
    s,
    `if ! awk -v d=${dir} '$1 !~ /^#/ && $2 == d { found = 1 } END { exit !found }' ${fstab} 2>/dev/null; then ` +
      `{ if [ -s ${fstab} ] && [ -n "$(tail -c 1 ${fstab})" ]; then echo; fi; printf '%s\\n' ${line}; } >> ${fstab}; fi`,
  );
}

/** Escapes a literal for a basic regular expression delimited by '|'. */
function basicRegexLiteral(text: string): string {
  return text.replace(/[\\|.*[\]^$]/g, (c) => `\\${c}`);
}

/** Deletes every fstab line whose mount point is the brick's; nothing to do when there is none. */
export function fstabRemove(s: FsSettings, deviceId: string, brickId: string): string {
  const fstab = shellQuote(s.fstab);
  const dir = basicRegexLiteral(brickMountPoint(deviceId, brickId));
  const script = shellQuote(`\\|^[[:space:]]*[^#[:space:]][^[:space:]]*[[:space:]]\\+${dir}[[:space:]]|d`);
  return underFstabLock(s, `if [ -e ${fstab} ]; then sed -i -e ${script} ${fstab}; fi`);
}

/** Mounts the brick's filesystem unless something is mounted there already. */
export function mountBrick(s: FsSettings, deviceId: string, brickId: string): string {
  const dir = brickMountPoint(deviceId, brickId);
  return `mountpoint -q ${shellQuote(dir)} || ${shellCommand('mount', '-o', s.mountopts, brickDevNode(deviceId, brickId), dir)}`;
}

/** Exit 0 when a filesystem is mounted on the brick's mount point. */
export function brickMounted(deviceId: string, brickId: string): string {
  return shellCommand('mountpoint', '-q', brickMountPoint(deviceId, brickId));
}

/** Exit 0 when a (not commented) fstab line mounts the brick's LV on its mount point. */
export function fstabHasBrick(s: FsSettings, deviceId: string, brickId: string): string {
  const dev = shellQuote(brickDevNode(deviceId, brickId));
  const dir = shellQuote(brickMountPoint(deviceId, brickId));
  return `awk -v v=${dev} -v d=${dir} '$1 !~ /^#/ && $1 == v && $2 == d { found = 1 } END { exit !found }' ${shellQuote(s.fstab)}`;
}

/** Unmounts the brick's filesystem; not mounted counts as done. */
export function unmountBrick(deviceId: string, brickId: string): string {
  const dir = shellQuote(brickMountPoint(deviceId, brickId));
  return `if mountpoint -q ${dir}; then umount ${dir}; fi`;
}

/** Gives the brick directory to a group, writable by it, new files inheriting the group (setgid). */
export function brickGroupOwner(dir: string, gid: number): string {
  return shellCommand('chown', `:${checkGid(gid)}`, checkBrickDir(dir));
}

export function brickGroupMode(dir: string): string {
  return shellCommand('chmod', '2775', checkBrickDir(dir));
}
