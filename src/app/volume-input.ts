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
  return a.sizeGib === b.sizeGib && JSON.stringify(a.durability) === JSON.stringify(b.durability);
}
