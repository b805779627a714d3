/** Every size inside Brickyard is KiB unless its name says otherwise (Heketi's unit on the wire and for LVM). */
export const KIB_PER_MIB = 1024;
export const KIB_PER_GIB = 1024 * 1024;

export function gibToKib(gib: number): number {
  return gib * KIB_PER_GIB;
}

export function kibToGib(kib: number): number {
  return kib / KIB_PER_GIB;
}

export function roundUpTo(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}

/** Human form for messages and the CLI: 1.5 GiB, 512 MiB, 12 KiB. */
export function formatKib(kib: number): string {
  const units: Array<[string, number]> = [
    ['TiB', KIB_PER_GIB * 1024],
    ['GiB', KIB_PER_GIB],
    ['MiB', KIB_PER_MIB],
  ];
  for (const [name, size] of units) {
    if (Math.abs(kib) >= size) {
      const v = kib / size;
      return `${Number.isInteger(v) ? v : v.toFixed(1)} ${name}`;
    }
  }
  return `${kib} KiB`;
}
