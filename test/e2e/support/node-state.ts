import { mustOnNode, onNode } from './lab';

/**
 * What a storage node holds, read straight from the node with its own tools (lvs, vgdisplay, /proc/mounts,
 * /etc/fstab, find, gluster) in one ssh round trip. Parsed here, independently of Brickyard's parsers.
 */
export const MOUNT_ROOT = '/var/lib/heketi/mounts';

export interface LogicalVolume {
  vg: string;
  lv: string;
  attr: string;
  pool: string;
}

export interface VolumeGroup {
  vg: string;
  sizeKib: number;
  extentKib: number;
  totalExtents: number;
  freeExtents: number;
}

export interface NodeState {
  lvs: LogicalVolume[];
  vgs: VolumeGroup[];
  /** PV device -> VG name ('' when the PV is in no VG). */
  pvs: Record<string, string>;
  /** Mounts under MOUNT_ROOT: device, directory, filesystem type. */
  mounts: Array<{ device: string; dir: string; type: string }>;
  /** /etc/fstab lines that mention MOUNT_ROOT. */
  fstab: string[];
  /** Every path below MOUNT_ROOT (directories only, to depth 2: vg_* and brick_*). */
  dirs: string[];
}

const SNAPSHOT_SCRIPT = `
echo '##lvs'; lvs --noheadings --separator '|' -o vg_name,lv_name,lv_attr,pool_lv 2>/dev/null
echo '##vgs'; vgdisplay -c 2>/dev/null
echo '##pvs'; pvs --noheadings --separator '|' -o pv_name,vg_name 2>/dev/null
echo '##mounts'; awk -v r="${MOUNT_ROOT}/" 'index($2, r) == 1 { print $1 "|" $2 "|" $3 }' /proc/mounts
echo '##fstab'; grep -F '${MOUNT_ROOT}/' /etc/fstab || true
echo '##dirs'; find ${MOUNT_ROOT} -mindepth 1 -maxdepth 2 -type d 2>/dev/null | sort
echo '##end'
`;

export async function nodeState(ip: string): Promise<NodeState> {
  const out = await mustOnNode(ip, SNAPSHOT_SCRIPT);
  const sections: Record<string, string[]> = {};
  let current = '';
  for (const raw of out.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('##')) {
      current = line.slice(2);
      sections[current] = [];
    } else if (line !== '' && current !== '') {
      sections[current]!.push(line);
    }
  }
  if (!sections.end) throw new Error(`node ${ip}: state listing was cut short:\n${out}`);
  return {
    lvs: (sections.lvs ?? []).map((l) => {
      const [vg = '', lv = '', attr = '', pool = ''] = l.split('|').map((s) => s.trim());
      return { vg, lv, attr, pool };
    }),
    vgs: (sections.vgs ?? []).map(parseVgDisplayLine),
    pvs: Object.fromEntries((sections.pvs ?? []).map((l) => l.split('|').map((s) => s.trim()) as [string, string])),
    mounts: (sections.mounts ?? []).map((l) => {
      const [device = '', dir = '', type = ''] = l.split('|');
      return { device, dir, type };
    }),
    fstab: sections.fstab ?? [],
    dirs: sections.dirs ?? [],
  };
}

/** `vgdisplay -c`: name:access:status:#:maxlv:curlv:openlv:maxlvsize:maxpv:curpv:actpv:sizeKiB:extentKiB:total:alloc:free:uuid */
export function parseVgDisplayLine(line: string): VolumeGroup {
  const f = line.trim().split(':');
  if (f.length < 17) throw new Error(`unexpected vgdisplay -c line: ${line}`);
  return {
    vg: f[0]!,
    sizeKib: Number(f[11]),
    extentKib: Number(f[12]),
    totalExtents: Number(f[13]),
    freeExtents: Number(f[15]),
  };
}

export function vgOf(state: NodeState, vg: string): VolumeGroup {
  const found = state.vgs.find((g) => g.vg === vg);
  if (!found) throw new Error(`volume group ${vg} not found (have: ${state.vgs.map((g) => g.vg).join(', ') || 'none'})`);
  return found;
}

// ---- gluster ----------------------------------------------------------------------------------------

export interface GlusterVolume {
  name: string;
  status: string;
  layout: string;
  bricks: string[];
}

/** `gluster volume info NAME`; null when gluster does not know the volume. */
export async function glusterVolume(ip: string, name: string): Promise<GlusterVolume | null> {
  const r = await onNode(ip, `gluster --mode=script volume info ${name}`);
  const text = r.stdout + r.stderr;
  if (r.code !== 0) {
    if (/does not exist/.test(text)) return null;
    throw new Error(`gluster volume info ${name} on ${ip}: exit ${r.code}: ${text.trim()}`);
  }
  const field = (key: string) => new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(r.stdout)?.[1]?.trim() ?? '';
  return {
    name: field('Volume Name'),
    status: field('Status'),
    layout: field('Number of Bricks'),
    bricks: [...r.stdout.matchAll(/^Brick\d+:\s*(\S+)/gm)].map((m) => m[1]!),
  };
}

export async function glusterVolumeNames(ip: string): Promise<string[]> {
  const out = await mustOnNode(ip, 'gluster --mode=script volume list');
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^No volumes/.test(l));
}

/** `gluster pool list` as hostname -> state ('localhost' is the node itself). */
export async function glusterPool(ip: string): Promise<Record<string, string>> {
  const out = await mustOnNode(ip, 'gluster --mode=script pool list');
  const pool: Record<string, string> = {};
  for (const line of out.split('\n').slice(1)) {
    const [, host, state] = line.trim().split(/\s+/);
    if (host && state) pool[host] = state;
  }
  return pool;
}

export interface HealStatus {
  brick: string;
  status: string;
  entries: number | null;
}

/** `gluster volume heal NAME info`, per brick: connection status and entries waiting for heal. */
export async function healInfo(ip: string, name: string): Promise<HealStatus[]> {
  const out = await mustOnNode(ip, `gluster --mode=script volume heal ${name} info`);
  const result: HealStatus[] = [];
  for (const block of out.split(/^Brick /m).slice(1)) {
    const brick = block.split('\n')[0]!.trim();
    const status = /^Status:\s*(.*)$/m.exec(block)?.[1]?.trim() ?? '';
    const entries = /^Number of entries:\s*(\d+)/m.exec(block)?.[1];
    result.push({ brick, status, entries: entries === undefined ? null : Number(entries) });
  }
  return result;
}
