import { status } from '@grpc/grpc-js';
import { CsiError, invalidArgument } from './errors';
import type { CapacityRange } from './types';

export const GIB = 1024n ** 3n;
/** What a volume gets when the CO names no size (the spec leaves it to the plugin). */
export const DEFAULT_SIZE_GIB = 1;
/** Brickyard's upper bound for a volume size (http/schemas.ts). */
export const MAX_SIZE_GIB = 1024 * 1024;

function bytes(field: string, value: string | number | undefined): bigint {
  if (value === undefined || value === '') return 0n;
  let n: bigint;
  try {
    n = BigInt(value);
  } catch {
    throw invalidArgument(field, `"${String(value)}" is not a whole number of bytes`);
  }
  if (n < 0n) throw invalidArgument(field, 'must not be negative');
  return n;
}

/**
 * A capacity range as whole GiB (Brickyard sizes volumes in GiB): required_bytes rounded up, at least 1 GiB,
 * and never above limit_bytes (OUT_OF_RANGE when no whole GiB fits between them). `current` is the floor for
 * an expansion.
 */
export function sizeGibFor(field: string, range: CapacityRange | null | undefined, floorGib = DEFAULT_SIZE_GIB): number {
  const required = bytes(`${field}.required_bytes`, range?.required_bytes);
  const limit = bytes(`${field}.limit_bytes`, range?.limit_bytes);
  if (limit > 0n && required > limit) {
    throw invalidArgument(field, `required_bytes ${required} is larger than limit_bytes ${limit}`);
  }
  let gib = (required + GIB - 1n) / GIB;
  if (gib < BigInt(floorGib)) gib = BigInt(floorGib);
  if (limit > 0n && gib * GIB > limit) {
    throw new CsiError(
      status.OUT_OF_RANGE,
      `${field}: Brickyard sizes volumes in whole GiB; the smallest size that can be given is ${gib} GiB (${gib * GIB} bytes), above limit_bytes ${limit}`,
    );
  }
  if (gib > BigInt(MAX_SIZE_GIB)) {
    throw new CsiError(status.OUT_OF_RANGE, `${field}: ${gib} GiB is above the largest volume Brickyard makes (${MAX_SIZE_GIB} GiB)`);
  }
  return Number(gib);
}

export function gibToBytes(gib: number): string {
  return (BigInt(gib) * GIB).toString();
}
