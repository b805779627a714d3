import type { VolumeInfo } from '../wire';
import { kibToGib } from './units';

/** Bricks per replica or disperse set; a distribute-only volume has sets of one. */
export function setWidth(v: VolumeInfo): number {
  const d = v.durability ?? {};
  if (d.type === 'replicate') return d.replicate?.replica ?? 1;
  if (d.type === 'disperse') return (d.disperse?.data ?? 0) + (d.disperse?.redundancy ?? 0) || 1;
  return 1;
}

/** The API's "a,b,c" as `mount -t glusterfs -o backup-volfile-servers=a:b:c` takes it. */
export function mountBackupServers(apiValue: string | undefined): string {
  return (apiValue ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .join(':');
}

/**
 * heketi-cli's volume text (the lines scripts grep for, in its order), then Brickyard's additions: the
 * set count and the bricks.
 */
export function volumeText(v: VolumeInfo): string {
  const options = v.mount?.glusterfs?.options ?? {};
  const type = v.durability?.type ?? 'none';
  const lines = [
    `Name: ${v.name}`,
    `Size: ${v.size}`,
    `Volume Id: ${v.id}`,
    `Cluster Id: ${v.cluster}`,
    `Mount: ${v.mount?.glusterfs?.device ?? ''}`,
    // The API keeps Heketi's comma list; mount.glusterfs wants the backup servers colon-separated.
    `Mount Options: backup-volfile-servers=${mountBackupServers(options['backup-volfile-servers'])}`,
    `Block: ${v.block === true}`,
    `Free Size: ${v.blockinfo?.freesize ?? 0}`,
    `Reserved Size: ${v.blockinfo?.reservedsize ?? 0}`,
    `Block Hosting Restriction: ${v.blockinfo?.restriction || '(none)'}`,
    `Block Volumes: [${(v.blockinfo?.blockvolume ?? []).join(' ')}]`,
    `Durability Type: ${type}`,
  ];
  if (type === 'disperse') {
    lines.push(`Disperse Data: ${v.durability.disperse?.data ?? ''}`);
    lines.push(`Disperse Redundancy: ${v.durability.disperse?.redundancy ?? ''}`);
  } else if (type === 'replicate') {
    lines.push(`Distributed+Replica: ${v.durability.replicate?.replica ?? ''}`);
  }
  if (v.snapshot?.enable) lines.push(`Snapshot Factor: ${(v.snapshot.factor ?? 1).toFixed(2)}`);
  const bricks = v.bricks ?? [];
  const width = setWidth(v);
  lines.push(`Distribute Count: ${Math.ceil(bricks.length / width)}`);
  if (type === 'replicate') lines.push(`Replica Count: ${width}`);
  if (v.gid) lines.push(`Gid: ${v.gid}`);
  if (v.glustervolumeoptions?.length) lines.push(`Gluster Volume Options: ${v.glustervolumeoptions.join(', ')}`);
  lines.push(`Bricks: ${bricks.length}`);
  for (const b of bricks) {
    lines.push(`  Id:${b.id}  Size (GiB):${kibToGib(b.size)}  Node:${b.node}  Device:${b.device}  Path:${b.path}`);
  }
  return lines.join('\n');
}

/** heketi-cli's `volume list` line. */
export function volumeListLine(v: Pick<VolumeInfo, 'id' | 'cluster' | 'name'>): string {
  return `Id:${v.id.padEnd(35)} Cluster:${v.cluster.padEnd(35)} Name:${v.name}`;
}
