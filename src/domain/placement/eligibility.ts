import type { Tags } from '../model';
import type { ClusterSnapshot, DeviceSnapshot, NodeSnapshot, TagRule } from './types';

export type ArbiterTag = 'required' | 'supported' | 'disabled';

/** A device tag overrides the node tag of the same key. */
export function mergedTagValue(node: { tags: Tags }, device: { tags: Tags }, key: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(device.tags, key)) return device.tags[key];
  if (Object.prototype.hasOwnProperty.call(node.tags, key)) return node.tags[key];
  return undefined;
}

export function tagRuleMatches(rule: TagRule, value: string | undefined): boolean {
  return rule.negate ? value !== rule.value : value === rule.value;
}

export function describeTagRule(rule: TagRule): string {
  return `${rule.key}${rule.negate ? '!=' : '='}${rule.value}`;
}

/** `arbiter=required` hosts only arbiter bricks, `disabled` never does; anything else supports both. */
export function arbiterTagOf(node: NodeSnapshot, device: DeviceSnapshot): ArbiterTag {
  const value = mergedTagValue(node, device, 'arbiter');
  return value === 'required' || value === 'disabled' ? value : 'supported';
}

/** One device that may take bricks, with what it may take. */
export interface Slot {
  index: number;
  deviceId: string;
  nodeId: string;
  nodeIndex: number;
  zone: number;
  zoneIndex: number;
  /** Free space in the snapshot; the workspace holds the running copy. */
  freeKib: number;
  totalKib: number;
  /** Bricks on the device in the snapshot; the workspace holds the running count. */
  brickCount: number;
  canData: boolean;
  canArbiter: boolean;
  /** Tagged arbiter=required: arbiter bricks go here first. */
  dedicatedArbiter: boolean;
}

export interface Exclusion {
  deviceId: string;
  nodeId: string;
  zone: number;
  reason: string;
}

/** A cluster as the placer sees it for one request: usable devices grouped by zone, and why others are not. */
export interface ClusterView {
  clusterId: string;
  /** Every zone that has a node, ascending. */
  zones: number[];
  slots: Slot[];
  slotsByZone: Slot[][];
  excluded: Exclusion[];
  /** Nodes in the snapshot (slot.nodeIndex ranges over them). */
  nodeCount: number;
}

export interface ViewFilter {
  tagRules: TagRule[];
  /** Arbiter volume: arbiter-tagged devices take the arbiter brick of each set. */
  arbiter: boolean;
  excludeDevices?: ReadonlySet<string>;
}

function exclusionReason(node: NodeSnapshot, device: DeviceSnapshot, filter: ViewFilter): string | null {
  if (node.state !== 'online') return `node ${node.state}`;
  if (device.state !== 'online') return `device ${device.state}`;
  if (filter.excludeDevices?.has(device.id)) return 'excluded by the request';
  for (const rule of filter.tagRules) {
    if (!tagRuleMatches(rule, mergedTagValue(node, device, rule.key))) return `tag mismatch (${describeTagRule(rule)})`;
  }
  if (!filter.arbiter && arbiterTagOf(node, device) === 'required') return 'arbiter bricks only (arbiter=required)';
  return null;
}

export function buildClusterView(cluster: ClusterSnapshot, filter: ViewFilter): ClusterView {
  const zones = [...new Set(cluster.nodes.map((n) => n.zone))].sort((a, b) => a - b);
  const zoneIndex = new Map(zones.map((z, i) => [z, i]));
  const slotsByZone: Slot[][] = zones.map(() => []);
  const slots: Slot[] = [];
  const excluded: Exclusion[] = [];
  cluster.nodes.forEach((node, nodeIndex) => {
    const zi = zoneIndex.get(node.zone) as number;
    for (const device of node.devices) {
      const reason = exclusionReason(node, device, filter);
      if (reason !== null) {
        excluded.push({ deviceId: device.id, nodeId: node.id, zone: node.zone, reason });
        continue;
      }
      const tag = arbiterTagOf(node, device);
      const slot: Slot = {
        index: slots.length,
        deviceId: device.id,
        nodeId: node.id,
        nodeIndex,
        zone: node.zone,
        zoneIndex: zi,
        freeKib: device.freeKib,
        totalKib: device.totalKib,
        brickCount: device.brickCount,
        canData: tag !== 'required',
        canArbiter: filter.arbiter && tag !== 'disabled',
        dedicatedArbiter: filter.arbiter && tag === 'required',
      };
      slots.push(slot);
      (slotsByZone[zi] as Slot[]).push(slot);
    }
  });
  return { clusterId: cluster.id, zones, slots, slotsByZone, excluded, nodeCount: cluster.nodes.length };
}

/** The running free space of one placement attempt, so bricks landing on the same device are all counted. */
export class Workspace {
  readonly free: Float64Array;
  /** Free space on data-capable devices per zone: how zones are kept filling evenly. */
  readonly zoneDataFree: Float64Array;
  /** Free space on data-capable devices per node: how bricks are spread over servers. */
  readonly nodeDataFree: Float64Array;
  /** Bricks per device: how a node's bricks are spread over its disks. */
  readonly bricks: Int32Array;

  constructor(private readonly view: ClusterView) {
    this.free = new Float64Array(view.slots.length);
    this.bricks = new Int32Array(view.slots.length);
    this.zoneDataFree = new Float64Array(view.zones.length);
    this.nodeDataFree = new Float64Array(view.nodeCount);
    this.reset();
  }

  reset(): void {
    this.zoneDataFree.fill(0);
    this.nodeDataFree.fill(0);
    for (const slot of this.view.slots) {
      this.free[slot.index] = slot.freeKib;
      this.bricks[slot.index] = slot.brickCount;
      if (slot.canData) {
        this.zoneDataFree[slot.zoneIndex] += slot.freeKib;
        this.nodeDataFree[slot.nodeIndex] += slot.freeKib;
      }
    }
  }

  take(slot: Slot, reservedKib: number): void {
    this.adjust(slot, -reservedKib);
    this.bricks[slot.index] += 1;
  }

  give(slot: Slot, reservedKib: number): void {
    this.adjust(slot, reservedKib);
    this.bricks[slot.index] -= 1;
  }

  private adjust(slot: Slot, deltaKib: number): void {
    this.free[slot.index] += deltaKib;
    if (slot.canData) {
      this.zoneDataFree[slot.zoneIndex] += deltaKib;
      this.nodeDataFree[slot.nodeIndex] += deltaKib;
    }
  }
}
