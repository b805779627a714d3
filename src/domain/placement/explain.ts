import { formatKib } from '../units';
import type { ClusterView } from './eligibility';
import type { PlacementFailure, ZoneReport } from './types';

/** What a device must beat to be usable: free space strictly above the reservation of the brick it would take. */
export interface ReservationNeed {
  dataKib: number;
  arbiterKib?: number;
}

/**
 * Per zone: free space and the largest free device among usable devices, how many could take a brick of the
 * given reservation, and every device passed over with the reason (state, tags, arbiter role, too small).
 */
export function zoneReports(view: ClusterView, need: ReservationNeed): ZoneReport[] {
  return view.zones.map((zone, zi) => {
    const report: ZoneReport = { zone, freeKib: 0, largestFreeDeviceKib: 0, usableDevices: 0, excluded: [] };
    for (const slot of view.slotsByZone[zi] ?? []) {
      report.freeKib += slot.freeKib;
      report.largestFreeDeviceKib = Math.max(report.largestFreeDeviceKib, slot.freeKib);
      const fitsData = slot.canData && slot.freeKib > need.dataKib;
      const fitsArbiter = slot.canArbiter && need.arbiterKib !== undefined && slot.freeKib > need.arbiterKib;
      if (fitsData || fitsArbiter) {
        report.usableDevices++;
      } else {
        const wanted = Math.min(
          slot.canData ? need.dataKib : Number.POSITIVE_INFINITY,
          slot.canArbiter && need.arbiterKib !== undefined ? need.arbiterKib : Number.POSITIVE_INFINITY,
        );
        report.excluded.push({
          deviceId: slot.deviceId,
          nodeId: slot.nodeId,
          reason: `too small (${formatKib(slot.freeKib)} free, a brick needs more than ${formatKib(wanted)})`,
        });
      }
    }
    for (const e of view.excluded) {
      if (e.zone === zone) report.excluded.push({ deviceId: e.deviceId, nodeId: e.nodeId, reason: e.reason });
    }
    return report;
  });
}

/** Distinct nodes per zone with a data-capable device that could take one brick of this reservation. */
export function nodesWithRoomPerZone(view: ClusterView, reservedKib: number, free?: Float64Array): number[] {
  return view.slotsByZone.map((slots) => {
    const nodes = new Set<number>();
    for (const slot of slots) {
      const f = free ? (free[slot.index] as number) : slot.freeKib;
      if (slot.canData && f > reservedKib) nodes.add(slot.nodeIndex);
    }
    return nodes.size;
  });
}

/** "too small" with its numbers is one reason; group by the words before the parenthesis for counting. */
function reasonKind(reason: string): string {
  return reason.startsWith('too small') ? 'too small' : reason;
}

export function summarizeZone(report: ZoneReport): string {
  const devices = `${report.usableDevices} usable device${report.usableDevices === 1 ? '' : 's'}`;
  let text = `zone ${report.zone}: ${devices}, ${formatKib(report.freeKib)} free, largest device ${formatKib(report.largestFreeDeviceKib)} free`;
  if (report.excluded.length > 0) {
    const counts = new Map<string, number>();
    for (const e of report.excluded) counts.set(reasonKind(e.reason), (counts.get(reasonKind(e.reason)) ?? 0) + 1);
    const parts = [...counts.entries()].map(([reason, n]) => `${n} ${reason}`);
    text += `; passed over ${report.excluded.length}: ${parts.join(', ')}`;
  }
  return text;
}

/**
 * A multi-line report for people (CLI, dry run): the one-line message, then per cluster and zone every device
 * that was passed over, with its reason.
 */
export function formatPlacementFailure(failure: PlacementFailure): string {
  const lines = [failure.message];
  for (const cluster of failure.clusters) {
    lines.push(`cluster ${cluster.clusterId}: ${cluster.reason}`);
    for (const zone of cluster.zones) {
      lines.push(`  ${summarizeZone(zone)}`);
      for (const e of zone.excluded) lines.push(`    device ${e.deviceId} on node ${e.nodeId}: ${e.reason}`);
    }
  }
  return lines.join('\n');
}
