import type { DeviceInfo, NodeInfo, TopologyCluster, TopologyInfo, VolumeInfo } from '../wire';
import { humanKib, plural } from './units';

const BAR_WIDTH = 20;

/** `[#####...............]`: used over total, at least one mark when anything is used. */
export function usageBar(used: number, total: number, width = BAR_WIDTH): string {
  const ratio = total > 0 ? Math.min(1, used / total) : 0;
  let filled = Math.round(ratio * width);
  if (used > 0 && filled === 0) filled = 1;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

function percent(used: number, total: number): string {
  return `${total > 0 ? Math.round((used / total) * 100) : 0}%`;
}

function durabilityLabel(v: VolumeInfo): string {
  const d = v.durability ?? {};
  if (d.type === 'replicate') return `replicate:${d.replicate?.replica ?? '?'}`;
  if (d.type === 'disperse') return `disperse:${d.disperse?.data ?? '?'}+${d.disperse?.redundancy ?? '?'}`;
  return 'none';
}

interface Widths {
  name: number;
  state: number;
  amount: number;
}

function amount(d: DeviceInfo): string {
  return `${humanKib(d.storage.used)} / ${humanKib(d.storage.total)}`;
}

/** Column widths shared by every device row of a cluster, so that the bars line up. */
function widthsOf(devices: DeviceInfo[]): Widths {
  const max = (values: number[]) => Math.max(0, ...values);
  return {
    name: max(devices.map((d) => d.name.length)),
    state: max(devices.map((d) => d.state.length)),
    amount: max(devices.map((d) => amount(d).length)),
  };
}

function deviceLine(d: DeviceInfo, w: Widths): string {
  return [
    `      ${d.name.padEnd(w.name)}`,
    d.state.padEnd(w.state),
    usageBar(d.storage.used, d.storage.total),
    amount(d).padStart(w.amount),
    percent(d.storage.used, d.storage.total).padStart(4),
    plural(d.bricks?.length ?? 0, 'brick').padEnd(9),
    d.id,
  ].join('  ');
}

function nodeLines(n: NodeInfo, w: Widths): string[] {
  const head = `    ${n.hostnames.manage.join(', ')} (storage ${n.hostnames.storage.join(', ')})  ${n.state}  ${n.id}`;
  if (n.devices.length === 0) return [head, '      (no devices)'];
  return [head, ...n.devices.map((d) => deviceLine(d, w))];
}

function clusterLines(c: TopologyCluster): string[] {
  const devices = c.nodes.flatMap((n) => n.devices);
  const total = devices.reduce((s, d) => s + d.storage.total, 0);
  const used = devices.reduce((s, d) => s + d.storage.used, 0);
  const kinds = [c.file ? 'file' : '', c.block ? 'block' : ''].filter(Boolean).join(', ') || 'no volume kinds';
  const lines = [
    `Cluster ${c.id} (${kinds})`,
    `  ${plural(c.nodes.length, 'node')}, ${plural(devices.length, 'device')}, ${plural(c.volumes.length, 'volume')}; ` +
      `${humanKib(used)} used of ${humanKib(total)} ${usageBar(used, total)} ${percent(used, total)}`,
  ];
  const widths = widthsOf(devices);
  const zones = [...new Set(c.nodes.map((n) => n.zone))].sort((a, b) => a - b);
  for (const zone of zones) {
    const nodes = c.nodes
      .filter((n) => n.zone === zone)
      .sort((a, b) => (a.hostnames.manage[0] ?? '').localeCompare(b.hostnames.manage[0] ?? ''));
    lines.push(`  Zone ${zone}`);
    for (const n of nodes) lines.push(...nodeLines(n, widths));
  }
  if (c.volumes.length > 0) {
    lines.push('  Volumes');
    const volumes = [...c.volumes].sort((a, b) => a.name.localeCompare(b.name));
    const nameWidth = Math.max(...volumes.map((v) => v.name.length));
    for (const v of volumes) {
      lines.push(
        `    ${v.name.padEnd(nameWidth)}  ${`${v.size} GiB`.padStart(8)}  ${durabilityLabel(v).padEnd(13)}  ` +
          `${plural(v.bricks?.length ?? 0, 'brick').padEnd(9)}  ${v.mount?.glusterfs?.device ?? ''}  ${v.id}`,
      );
    }
  }
  return lines;
}

/** `topology info` as a tree: cluster, zone, node, device with a usage bar, then the cluster's volumes. */
export function topologyTree(t: TopologyInfo): string {
  if (t.clusters.length === 0) return 'No clusters. Load a topology with: brickyard topology load --json=topology.json';
  return t.clusters.map((c) => clusterLines(c).join('\n')).join('\n\n');
}
