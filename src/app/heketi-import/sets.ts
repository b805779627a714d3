/**
 * Heketi's export does not record which bricks form a replica or disperse set (it keeps brick ids sorted),
 * so the sets are rebuilt: bricks of one set were made together with one size, on distinct nodes, and an
 * arbiter set is two data bricks and one smaller arbiter brick. Pure.
 */
export interface SetBrick {
  id: string;
  nodeId: string;
  sizeKib: number;
  arbiter: boolean;
}

export interface PlacedBrick {
  id: string;
  setIndex: number;
  position: number;
}

const bySizeThenId = (a: SetBrick, b: SetBrick) => b.sizeKib - a.sizeKib || a.id.localeCompare(b.id);

/** Takes `count` bricks from `pool` on nodes not in `used`, falling back to any brick when none is left. */
function take(pool: SetBrick[], count: number, used: Set<string>): SetBrick[] {
  const chosen: SetBrick[] = [];
  for (let i = 0; i < count && pool.length > 0; i += 1) {
    let index = pool.findIndex((b) => !used.has(b.nodeId) && b.sizeKib === (chosen[0]?.sizeKib ?? b.sizeKib));
    if (index < 0) index = pool.findIndex((b) => !used.has(b.nodeId));
    if (index < 0) index = 0;
    const [brick] = pool.splice(index, 1);
    used.add(brick!.nodeId);
    chosen.push(brick!);
  }
  return chosen;
}

/**
 * Groups a volume's bricks into sets of `width` (the arbiter, when the volume has one, last in its set).
 * The caller has checked that the counts divide evenly.
 */
export function rebuildSets(bricks: SetBrick[], width: number, arbiter: boolean): PlacedBrick[] {
  const data = bricks.filter((b) => !arbiter || !b.arbiter).sort(bySizeThenId);
  const arbiters = bricks.filter((b) => arbiter && b.arbiter).sort(bySizeThenId);
  const dataWidth = arbiter ? width - 1 : width;
  const placed: PlacedBrick[] = [];
  for (let set = 0; data.length > 0; set += 1) {
    const used = new Set<string>();
    const members = take(data, dataWidth, used);
    if (arbiter) members.push(...take(arbiters, 1, used));
    members.forEach((b, position) => placed.push({ id: b.id, setIndex: set, position }));
  }
  return placed;
}
