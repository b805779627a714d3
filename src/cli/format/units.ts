const KIB_PER_GIB = 1024 * 1024;

/** Whole GiB rounded down, as heketi-cli prints sizes. */
export function kibToGib(kib: number): number {
  return Math.floor(kib / KIB_PER_GIB);
}

/** A size for people: 0 B, 512 MiB, 10 GiB, 1.5 TiB (one decimal below 100 of a unit). */
export function humanKib(kib: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = kib;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (kib === 0) return '0 GiB';
  const shown = value < 100 && !Number.isInteger(value) ? value.toFixed(1).replace(/\.0$/, '') : String(Math.round(value));
  return `${shown} ${units[unit]}`;
}

export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}
