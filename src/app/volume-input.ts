import type { Durability } from '../domain/durability';
import type { SnapshotSettings } from '../domain/model';

/** A validated volume create request (the http layer checked shapes, patterns and ranges). */
export interface VolumeCreateInput {
  sizeGib: number;
  name?: string;
  durability: Durability;
  gid: number;
  glusterVolumeOptions: string[];
  snapshot: SnapshotSettings;
  clusters: string[];
}

export const DEFAULT_SNAPSHOT_FACTOR = 1.5;

/** Thin pools are the brick size times this: 1 without snapshots. */
export function snapshotFactor(snapshot: SnapshotSettings): number {
  return snapshot.enable ? snapshot.factor : 1;
}

/** Same request as an existing volume, for idempotent retries (name already matched). */
export function sameRequest(
  a: { sizeGib: number; durability: Durability },
  b: { sizeGib: number; durability: Durability },
): boolean {
  return a.sizeGib === b.sizeGib && durabilityKey(a.durability) === durabilityKey(b.durability);
}

/** Field by field: a durability read back from PostgreSQL's jsonb has its keys in another order. */
function durabilityKey(d: Durability): string {
  switch (d.type) {
    case 'none':
      return 'none';
    case 'replicate':
      return `replicate:${d.replica}`;
    case 'disperse':
      return `disperse:${d.data}:${d.redundancy}`;
  }
}
