import { KIB_PER_GIB, roundUpTo } from './units';

export const DEFAULT_EXTENT_KIB = 4096;
export const MAX_POOL_METADATA_KIB = 16 * KIB_PER_GIB;

export interface ThinPoolSizes {
  tpSizeKib: number;
  poolMetadataKib: number;
  /** Device space the brick holds back: pool data plus pool metadata. */
  reservedKib: number;
}

/**
 * Heketi's arithmetic for one brick's thin pool: the pool is the brick times the snapshot factor, its
 * metadata 0.5% of the pool (at most 16 GiB), both rounded up to whole extents.
 */
export function thinPoolSizes(brickKib: number, snapshotFactor: number, extentKib = DEFAULT_EXTENT_KIB): ThinPoolSizes {
  const tpSizeKib = roundUpTo(Math.ceil(brickKib * snapshotFactor), extentKib);
  const poolMetadataKib = roundUpTo(Math.min(Math.ceil(tpSizeKib * 0.005), MAX_POOL_METADATA_KIB), extentKib);
  return { tpSizeKib, poolMetadataKib, reservedKib: tpSizeKib + poolMetadataKib };
}

/** A device can take a brick only when its free space is strictly greater than what the brick holds back. */
export function deviceFits(freeKib: number, reservedKib: number): boolean {
  return freeKib > reservedKib;
}

/**
 * LVM keeps one spare copy of the largest pool metadata in each volume group (lvol0_pmspare), made with the
 * first thin pool. No pool can be larger than the device, so holding back the metadata of a device-sized pool
 * from the start means a brick placed into the last free bytes still fits next to its spare.
 */
export function metadataSpareKib(totalKib: number, extentKib = DEFAULT_EXTENT_KIB): number {
  return thinPoolSizes(totalKib, 1, extentKib).poolMetadataKib;
}

export interface DeviceBooks {
  totalKib: number;
  freeKib: number;
  usedKib: number;
}

/**
 * A device's figures as an operator reads them: the metadata spare allowance is left out of `total` (it is
 * never usable by bricks), so an empty device shows `used` 0 and `total = free + used` always holds.
 * `report` is what the node says (its free space already lacks any spare LVM has made, which is part of the
 * allowance, not extra); `pendingKib` is space reserved by bricks that may not be on the disk yet.
 */
export function deviceBooks(
  report: { totalKib: number; freeKib: number; extentKib: number; metadataSpareKib?: number },
  pendingKib = 0,
): DeviceBooks {
  const allowance = metadataSpareKib(report.totalKib, report.extentKib);
  const totalKib = Math.max(0, report.totalKib - allowance);
  const usable = report.freeKib + (report.metadataSpareKib ?? 0) - allowance - pendingKib;
  const freeKib = Math.min(totalKib, Math.max(0, usable));
  return { totalKib, freeKib, usedKib: totalKib - freeKib };
}
