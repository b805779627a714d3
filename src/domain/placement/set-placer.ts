import type { ClusterView, Slot, Workspace } from './eligibility';
import type { ZoneChecking } from './types';

/** Position of the arbiter brick in a replica 3 arbiter set (gluster takes the last brick of a set as arbiter). */
export const ARBITER_POSITION = 2;

export interface SetSpec {
  width: number;
  dataReservedKib: number;
  /** Arbiter sets only: what the small brick at ARBITER_POSITION holds back. */
  arbiterReservedKib?: number;
  mode: ZoneChecking;
  /** Most bricks of this set one zone may take (Infinity when the mode does not bound it). */
  zoneCap: number;
  /** Bricks already in the set (replacement): their nodes and zones count against the new brick. */
  siblings?: Array<{ nodeIndex: number; zoneIndex: number }>;
}

export interface PlacedSlot {
  slot: Slot;
  position: number;
  arbiter: boolean;
  reservedKib: number;
}

/** What one set has used so far: its nodes (always distinct) and its bricks per zone. */
class SetState {
  readonly zoneCount: Int32Array;
  readonly nodes: number[] = [];

  constructor(zoneCount: number, siblings: SetSpec['siblings']) {
    this.zoneCount = new Int32Array(zoneCount);
    for (const s of siblings ?? []) this.add(s.nodeIndex, s.zoneIndex);
  }

  add(nodeIndex: number, zoneIndex: number): void {
    this.nodes.push(nodeIndex);
    this.zoneCount[zoneIndex] = (this.zoneCount[zoneIndex] as number) + 1;
  }

  remove(nodeIndex: number, zoneIndex: number): void {
    this.nodes.splice(this.nodes.lastIndexOf(nodeIndex), 1);
    this.zoneCount[zoneIndex] = (this.zoneCount[zoneIndex] as number) - 1;
  }
}

type Role = 'data' | 'arbiter';

/** A brick that leaves less than this share of its device free closes the device: packing beats spreading. */
export const PACKING_SHARE = 0.02;

/**
 * Which device takes a brick, among those with room on nodes the set does not use yet: for arbiter bricks
 * dedicated arbiter devices first; then the node with the most free space, so bricks (and the load and the
 * exposure to one server's loss) spread evenly over servers. On that node: a device the brick nearly fills
 * (less than PACKING_SHARE of it left free) first, tightest first, since spreading past such a fit strands its
 * last GiB in a piece no brick takes (see bench/packing.ts); otherwise the device with the fewest bricks, so a
 * node's I/O and a disk failure's blast radius spread over its disks; ties to the tightest fit, keeping whole
 * disks free for large bricks. Last, the lower device id.
 */
function slotBetter(ws: Workspace, role: Role, reservedKib: number, a: Slot, aFree: number, b: Slot, bFree: number): boolean {
  if (role === 'arbiter' && a.dedicatedArbiter !== b.dedicatedArbiter) return a.dedicatedArbiter;
  if (a.nodeIndex !== b.nodeIndex) {
    const nodeA = ws.nodeDataFree[a.nodeIndex] as number;
    const nodeB = ws.nodeDataFree[b.nodeIndex] as number;
    if (nodeA !== nodeB) return nodeA > nodeB;
  }
  const aPacks = aFree - reservedKib < PACKING_SHARE * a.totalKib;
  const bPacks = bFree - reservedKib < PACKING_SHARE * b.totalKib;
  if (aPacks !== bPacks) return aPacks;
  if (!aPacks) {
    const aBricks = ws.bricks[a.index] as number;
    const bBricks = ws.bricks[b.index] as number;
    if (aBricks !== bBricks) return aBricks < bBricks;
  }
  if (aFree !== bFree) return aFree < bFree;
  return a.deviceId < b.deviceId;
}

function bestSlotIn(
  slots: readonly Slot[],
  ws: Workspace,
  role: Role,
  reservedKib: number,
  usedNodes: readonly number[],
  avoidNode = -1,
): Slot | null {
  let best: Slot | null = null;
  let bestFree = 0;
  for (const slot of slots) {
    if (role === 'data' ? !slot.canData : !slot.canArbiter) continue;
    const free = ws.free[slot.index] as number;
    if (free <= reservedKib) continue;
    if (slot.nodeIndex === avoidNode || usedNodes.includes(slot.nodeIndex)) continue;
    if (best === null || slotBetter(ws, role, reservedKib, slot, free, best, bestFree)) {
      best = slot;
      bestFree = free;
    }
  }
  return best;
}

/**
 * One data brick: the zone with the fewest bricks of this set (spreading), then the most free space (zones fill
 * evenly), then the lower zone number; inside it the device slotBetter prefers. With zone checking `none` zones
 * are ignored and slotBetter chooses among all devices.
 */
function pickDataSlot(view: ClusterView, ws: Workspace, spec: SetSpec, state: SetState): Slot | null {
  const reserved = spec.dataReservedKib;
  if (spec.mode === 'none') return bestSlotIn(view.slots, ws, 'data', reserved, state.nodes);
  let bestZone = -1;
  let bestSlot: Slot | null = null;
  for (let zi = 0; zi < view.zones.length; zi++) {
    const count = state.zoneCount[zi] as number;
    if (count >= spec.zoneCap) continue;
    if (bestZone >= 0) {
      const bestCount = state.zoneCount[bestZone] as number;
      if (count > bestCount) continue;
      if (count === bestCount && (ws.zoneDataFree[zi] as number) <= (ws.zoneDataFree[bestZone] as number)) continue;
    }
    const slot = bestSlotIn(view.slotsByZone[zi] as Slot[], ws, 'data', reserved, state.nodes);
    if (slot !== null) {
      bestZone = zi;
      bestSlot = slot;
    }
  }
  return bestSlot;
}

function placeDataBricks(
  view: ClusterView,
  ws: Workspace,
  spec: SetSpec,
  state: SetState,
  positions: number[],
  out: PlacedSlot[],
): boolean {
  for (const position of positions) {
    const slot = pickDataSlot(view, ws, spec, state);
    if (slot === null) return false;
    ws.take(slot, spec.dataReservedKib);
    state.add(slot.nodeIndex, slot.zoneIndex);
    out.push({ slot, position, arbiter: false, reservedKib: spec.dataReservedKib });
  }
  return true;
}

function undo(ws: Workspace, state: SetState, placed: PlacedSlot[]): void {
  for (const p of placed) {
    ws.give(p.slot, p.reservedKib);
    state.remove(p.slot.nodeIndex, p.slot.zoneIndex);
  }
  placed.length = 0;
}

/**
 * Arbiter candidates: per zone the best arbiter device and the best one on another node (so a node clash with
 * the data bricks can be avoided). Order: zones with fewer bricks of the set (replacement), dedicated devices,
 * the zone with the least room for data (the small brick goes where data fits worst), the zone number.
 */
function arbiterCandidates(view: ClusterView, ws: Workspace, spec: SetSpec, state: SetState): Slot[] {
  const reserved = spec.arbiterReservedKib as number;
  const candidates: Slot[] = [];
  for (let zi = 0; zi < view.zones.length; zi++) {
    if ((state.zoneCount[zi] as number) >= spec.zoneCap) continue;
    const zoneSlots = view.slotsByZone[zi] as Slot[];
    const first = bestSlotIn(zoneSlots, ws, 'arbiter', reserved, state.nodes);
    if (first === null) continue;
    candidates.push(first);
    const second = bestSlotIn(zoneSlots, ws, 'arbiter', reserved, state.nodes, first.nodeIndex);
    if (second !== null) candidates.push(second);
  }
  return candidates.sort((a, b) => {
    if (spec.mode !== 'none') {
      const countDiff = (state.zoneCount[a.zoneIndex] as number) - (state.zoneCount[b.zoneIndex] as number);
      if (countDiff !== 0) return countDiff;
    }
    if (a.dedicatedArbiter !== b.dedicatedArbiter) return a.dedicatedArbiter ? -1 : 1;
    const roomA = ws.zoneDataFree[a.zoneIndex] as number;
    const roomB = ws.zoneDataFree[b.zoneIndex] as number;
    if (roomA !== roomB) return roomA - roomB;
    if (a.zone !== b.zone) return a.zone - b.zone;
    return slotBetter(ws, 'arbiter', reserved, a, ws.free[a.index] as number, b, ws.free[b.index] as number) ? -1 : 1;
  });
}

/**
 * Places one set on the workspace (taking its space) or returns null and leaves the workspace as it was.
 * Greedy is exact for plain sets: each brick uses one node and one unit of its zone's quota, so a set fits
 * iff the sum over zones of min(quota, nodes with room) reaches the width, and no greedy choice lowers that
 * sum by more than one. Arbiter sets try each arbiter candidate before giving up.
 */
export function placeSet(view: ClusterView, ws: Workspace, spec: SetSpec): PlacedSlot[] | null {
  const state = new SetState(view.zones.length, spec.siblings);
  const placed: PlacedSlot[] = [];
  if (spec.arbiterReservedKib === undefined) {
    const positions = Array.from({ length: spec.width }, (_, i) => i);
    if (placeDataBricks(view, ws, spec, state, positions, placed)) return placed;
    undo(ws, state, placed);
    return null;
  }
  const dataPositions = Array.from({ length: spec.width }, (_, i) => i).filter((p) => p !== ARBITER_POSITION);
  for (const candidate of arbiterCandidates(view, ws, spec, state)) {
    ws.take(candidate, spec.arbiterReservedKib);
    state.add(candidate.nodeIndex, candidate.zoneIndex);
    placed.push({ slot: candidate, position: ARBITER_POSITION, arbiter: true, reservedKib: spec.arbiterReservedKib });
    if (placeDataBricks(view, ws, spec, state, dataPositions, placed)) {
      return placed.sort((a, b) => a.position - b.position);
    }
    undo(ws, state, placed);
  }
  return null;
}

/** Replacement: one brick of the given role next to existing siblings. */
export function placeOneBrick(
  view: ClusterView,
  ws: Workspace,
  spec: SetSpec,
  arbiter: boolean,
  preferZoneIndex: number,
): Slot | null {
  const state = new SetState(view.zones.length, spec.siblings);
  if (!arbiter) {
    // Prefer the zone the old brick was in when it is as good as any other: the layout stays as it was.
    if (spec.mode !== 'none' && preferZoneIndex >= 0) {
      const slot = pickDataSlot(view, ws, spec, state);
      if (slot === null) return null;
      const count = state.zoneCount[preferZoneIndex] as number;
      if (count <= (state.zoneCount[slot.zoneIndex] as number) && count < spec.zoneCap && slot.zoneIndex !== preferZoneIndex) {
        const same = bestSlotIn(view.slotsByZone[preferZoneIndex] as Slot[], ws, 'data', spec.dataReservedKib, state.nodes);
        if (same !== null) return same;
      }
      return slot;
    }
    return pickDataSlot(view, ws, spec, state);
  }
  const candidates = arbiterCandidates(view, ws, { ...spec, arbiterReservedKib: spec.dataReservedKib }, state);
  return candidates[0] ?? null;
}
