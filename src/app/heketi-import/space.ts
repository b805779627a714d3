import { metadataSpareKib } from '../../domain/thin-pool';

/**
 * Heketi's device `total` is the whole volume group; Brickyard's leaves out the allowance for LVM's pool
 * metadata spare (domain/thin-pool.ts deviceBooks). These convert between the two, so an import records
 * Brickyard's figures and the Heketi-format dump writes Heketi's.
 */
export function brickyardTotal(heketiTotalKib: number, extentKib: number, heldKib: number): { totalKib: number; allowanceKib: number } {
  // never below what the bricks already hold: a device Heketi filled to the last extent stays consistent
  const allowanceKib = Math.max(0, Math.min(metadataSpareKib(heketiTotalKib, extentKib), heketiTotalKib - heldKib));
  return { totalKib: heketiTotalKib - allowanceKib, allowanceKib };
}

/** The volume group size whose allowance leaves `totalKib` (the inverse of brickyardTotal for a device with room). */
export function heketiTotal(totalKib: number, extentKib: number): number {
  if (totalKib === 0) return 0;
  for (let a = metadataSpareKib(totalKib, extentKib); a <= 2 * metadataSpareKib(totalKib + 16 * 1024 * 1024, extentKib); a += extentKib) {
    if (metadataSpareKib(totalKib + a, extentKib) === a) return totalKib + a;
  }
  return totalKib;
}
