import type { HeketiClient } from '../../src/client/heketi-client';
import type { MockExecutor } from '../../src/executors/mock';
import { reservedByDevice } from '../../src/domain/model';
import type { Topology } from './server';

export interface AccountingReport {
  devices: number;
  volumes: number;
  bricks: number;
  /** Smallest free space seen on any device, KiB. */
  minFreeKib: number;
  problems: string[];
}

/** What each device counts used before any volume (e.g. a held-back metadata spare). */
export type DeviceBaseline = Map<string, { usedKib: number }>;

async function eachDevice(
  client: HeketiClient,
  mock: MockExecutor,
  topology: Topology,
  visit: (device: Record<string, any>, mockFreeKib: number | undefined) => void, // eslint-disable-line @typescript-eslint/no-explicit-any
): Promise<void> {
  for (const nodeId of topology.nodeIds) {
    const node = await client.nodeInfo(nodeId);
    const host = String(node.hostnames.manage[0]);
    for (const { id } of node.devices as Array<{ id: string }>) {
      const device = await client.deviceInfo(id);
      visit(device, mock.node(host).disks.get(String(device.name))?.vg?.freeKib);
    }
  }
}

/** Taken right after the devices were added, before any volume. */
export async function deviceBaseline(client: HeketiClient, mock: MockExecutor, topology: Topology): Promise<DeviceBaseline> {
  const baseline: DeviceBaseline = new Map();
  await eachDevice(client, mock, topology, (device) => {
    baseline.set(String(device.id), { usedKib: device.storage.used });
  });
  return baseline;
}

/**
 * Through the API: every device (GET /devices/{id}) has free >= 0, free + used == total, and what it counts
 * used beyond its empty state equals the sum of its bricks' reservations in GET /db/dump; its brick count
 * matches; GET /db/check reports no problem; and the mock node's volume group has at least the free space the
 * database counts (the database never promises space the node does not have).
 */
export async function checkAccounting(
  client: HeketiClient,
  mock: MockExecutor,
  topology: Topology,
  baseline: DeviceBaseline,
): Promise<AccountingReport> {
  const problems: string[] = [];
  const [dump, check] = await Promise.all([client.dbDump('brickyard'), client.dbCheck()]);
  problems.push(...(check.problems as string[]).map((p) => `db check: ${p}`));
  const bricks = Object.values(dump.brickentries) as Array<{ deviceId: string; reservedKib: number }>;
  const reserved = reservedByDevice(bricks);
  let minFreeKib = Number.POSITIVE_INFINITY;
  await eachDevice(client, mock, topology, (device, mockFreeKib) => {
    const id = String(device.id);
    const { total, free, used } = device.storage as { total: number; free: number; used: number };
    const r = reserved.get(id) ?? { kib: 0, bricks: 0 };
    const base = baseline.get(id);
    minFreeKib = Math.min(minFreeKib, free);
    if (free < 0) problems.push(`device ${id}: free ${free} KiB < 0`);
    if (free + used !== total) problems.push(`device ${id}: free ${free} + used ${used} != total ${total}`);
    if (!base) {
      problems.push(`device ${id}: not in the baseline`);
      return;
    }
    if (used - base.usedKib !== r.kib) {
      problems.push(`device ${id}: used ${used - base.usedKib} KiB beyond empty, but its bricks reserve ${r.kib} KiB`);
    }
    if ((device.bricks as unknown[]).length !== r.bricks) problems.push(`device ${id}: brick list differs from the dump`);
    if (dump.deviceentries[id]?.brickCount !== r.bricks) {
      problems.push(`device ${id}: brick_count ${dump.deviceentries[id]?.brickCount} but ${r.bricks} bricks`);
    }
    if (mockFreeKib === undefined) problems.push(`device ${id}: no volume group on its mock node`);
    else if (mockFreeKib < free) problems.push(`device ${id}: the database counts ${free} KiB free, the mock node has ${mockFreeKib}`);
  });
  const volumes = Object.keys(dump.volumeentries).length;
  if (mock.volumeNames().length !== volumes) {
    problems.push(`mock nodes hold ${mock.volumeNames().length} volumes, database ${volumes}`);
  }
  return { devices: topology.deviceIds.length, volumes, bricks: bricks.length, minFreeKib, problems };
}

/** Per device in topology order: free KiB and brick count, to compare two ways of reaching a state. */
export async function deviceStates(client: HeketiClient, topology: Topology): Promise<string[]> {
  const states: string[] = [];
  for (const id of topology.deviceIds) {
    const d = await client.deviceInfo(id);
    states.push(`${d.storage.free}/${(d.bricks as unknown[]).length}`);
  }
  return states;
}
