import { readFile } from 'node:fs/promises';

/**
 * The kernel's mount table as /proc/self/mountinfo gives it. Parsing is pure (tested on strings); reading is
 * one small async function. mountinfo, not /proc/mounts: it is per mount namespace and lists stacked mounts
 * in order, so the last entry for a mount point is the one on top.
 */
export interface MountEntry {
  mountPoint: string;
  /** What was mounted: `host:volume` for a GlusterFS FUSE mount, a device, or a name like `tmpfs`. */
  source: string;
  /** `fuse.glusterfs` for a GlusterFS FUSE mount. */
  fsType: string;
  /** Per-mount options (rw/ro, nosuid, ...). */
  options: string[];
  /** The filesystem's own options (after the ` - ` separator). */
  superOptions: string[];
}

export const MOUNTINFO = '/proc/self/mountinfo';
export const GLUSTER_FUSE_TYPE = 'fuse.glusterfs';

/** mountinfo writes space, tab, newline and backslash as three-digit octal escapes (\040 ...). */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** Parses one mountinfo line; null for a line that does not have mountinfo's shape. */
export function parseMountInfoLine(line: string): MountEntry | null {
  const fields = line.trim().split(' ');
  // id parent major:minor root mountPoint options [optional fields...] - fsType source superOptions
  const separator = fields.indexOf('-', 6);
  if (fields.length < 7 || separator < 0 || fields.length < separator + 3) return null;
  return {
    mountPoint: unescapeMountField(fields[4]!),
    options: fields[5]!.split(','),
    fsType: unescapeMountField(fields[separator + 1]!),
    source: unescapeMountField(fields[separator + 2]!),
    superOptions: (fields[separator + 3] ?? '').split(',').filter((o) => o !== ''),
  };
}

export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const entry = parseMountInfoLine(line);
    if (entry) entries.push(entry);
  }
  return entries;
}

/** A path as the kernel reports mount points: no trailing slash (except the root itself). */
export function normalizeMountPath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed.replace(/\/{2,}/g, '/');
}

/** The mount on top at exactly this path, or undefined. */
export function findByMountPoint(entries: readonly MountEntry[], path: string): MountEntry | undefined {
  const wanted = normalizeMountPath(path);
  for (let i = entries.length - 1; i >= 0; i -= 1) {
    if (entries[i]!.mountPoint === wanted) return entries[i];
  }
  return undefined;
}

export function isMounted(entries: readonly MountEntry[], path: string): boolean {
  return findByMountPoint(entries, path) !== undefined;
}

/** Mounts at or below a directory (the mounts a plugin made under its state directory). */
export function mountsUnder(entries: readonly MountEntry[], dir: string): MountEntry[] {
  const root = normalizeMountPath(dir);
  const prefix = root === '/' ? '/' : `${root}/`;
  return entries.filter((e) => e.mountPoint === root || e.mountPoint.startsWith(prefix));
}

export async function readMountTable(file = MOUNTINFO): Promise<MountEntry[]> {
  return parseMountInfo(await readFile(file, 'utf8'));
}
