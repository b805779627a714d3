import { dataBricksPerSet, setWidth, type Durability } from '../durability';
import { KIB_PER_MIB, gibToKib } from '../units';
import type { PlacementLimits } from './types';

/** Smallest XFS file system with 4 KiB blocks: Heketi's floor for an arbiter brick. */
export const MIN_ARBITER_BRICK_KIB = 16 * KIB_PER_MIB;

export type SizingStop = 'min_brick_size' | 'max_bricks';

/** One step of the sizing loop: a layout to try, or the reason the loop ends. */
export type SizingStep = { sets: number; brickKib: number } | { stop: SizingStop; sets: number; brickKib: number };

/**
 * Heketi's sizing loop. Start with one set whose bricks hold the whole volume (a D-th of it for disperse);
 * double the sets while a brick is above brick_max_size_gb; each later step (taken when the previous one found
 * no space) halves the brick and doubles the sets again. The loop ends when a brick would fall below
 * brick_min_size_gb or the volume (with its existing bricks, on expansion) would exceed max_bricks_per_volume.
 * Brick sizes are whole KiB, rounded down as Heketi does.
 */
export function* sizingSteps(
  sizeGib: number,
  durability: Durability,
  limits: PlacementLimits,
  existingBricks = 0,
): Generator<SizingStep> {
  const sizeKib = gibToKib(sizeGib);
  const minKib = gibToKib(limits.brickMinSizeGib);
  const maxKib = gibToKib(limits.brickMaxSizeGib);
  const data = dataBricksPerSet(durability);
  const width = setWidth(durability);
  let sets = 1;
  for (;;) {
    const brickKib = Math.floor(Math.floor(sizeKib / sets) / data);
    if (brickKib < minKib) {
      yield { stop: 'min_brick_size', sets, brickKib };
      return;
    }
    if (brickKib <= maxKib) {
      if (sets * width + existingBricks > limits.maxBricksPerVolume) {
        yield { stop: 'max_bricks', sets, brickKib };
        return;
      }
      yield { sets, brickKib };
    }
    sets *= 2;
  }
}

/**
 * Heketi's arbiter brick: the data brick divided by the average file size (one inode's worth of metadata per
 * file), at least 16 MiB. A data brick smaller than the average file size is refused (returns null).
 */
export function arbiterBrickKib(dataBrickKib: number, averageFileSizeKb: number): number | null {
  if (dataBrickKib < averageFileSizeKb) return null;
  return Math.max(Math.floor(dataBrickKib / averageFileSizeKb), MIN_ARBITER_BRICK_KIB);
}
