/** How a volume survives brick loss. Pure: validation of the combinations Heketi accepts. */
export type Durability =
  | { type: 'none' }
  | { type: 'replicate'; replica: number }
  | { type: 'disperse'; data: number; redundancy: number };

export const DEFAULT_REPLICA = 3;
export const MAX_REPLICA = 3;
export const DEFAULT_DISPERSE = { data: 4, redundancy: 2 } as const;
export const DISPERSE_COMBINATIONS: ReadonlyArray<readonly [number, number]> = [
  [2, 1],
  [4, 2],
  [8, 3],
  [8, 4],
];

export function isValidDisperse(data: number, redundancy: number): boolean {
  return DISPERSE_COMBINATIONS.some(([d, r]) => d === data && r === redundancy);
}

/** Bricks in one replica/disperse set. */
export function setWidth(d: Durability): number {
  switch (d.type) {
    case 'none':
      return 1;
    case 'replicate':
      return d.replica;
    case 'disperse':
      return d.data + d.redundancy;
  }
}

/** How many bricks of a set hold distinct data: the volume size is split across these. */
export function dataBricksPerSet(d: Durability): number {
  return d.type === 'disperse' ? d.data : 1;
}

/** How many bricks of one set may be lost without losing data: also the per-zone bound of a set. */
export function toleratedLosses(d: Durability): number {
  switch (d.type) {
    case 'none':
      return 0;
    case 'replicate':
      return d.replica - 1;
    case 'disperse':
      return d.redundancy;
  }
}

export function describeDurability(d: Durability): string {
  switch (d.type) {
    case 'none':
      return 'none';
    case 'replicate':
      return `replica ${d.replica}`;
    case 'disperse':
      return `disperse ${d.data}+${d.redundancy}`;
  }
}
