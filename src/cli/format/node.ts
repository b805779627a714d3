import type { DeviceInfo, NodeInfo } from '../wire';
import { kibToGib } from './units';

function tagLines(tags: Record<string, string> | undefined): string[] {
  const entries = Object.entries(tags ?? {});
  if (entries.length === 0) return [];
  return ['Tags:', ...entries.sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k}: ${v}`)];
}

/** heketi-cli's device row inside `node info`. */
function deviceRow(d: DeviceInfo): string {
  return (
    `Id:${d.id.padEnd(35)}Name:${d.name.padEnd(20)}State:${d.state.padEnd(10)}` +
    `Size (GiB):${String(kibToGib(d.storage.total)).padEnd(8)}` +
    `Used (GiB):${String(kibToGib(d.storage.used)).padEnd(8)}` +
    `Free (GiB):${String(kibToGib(d.storage.free)).padEnd(8)}` +
    `Bricks:${d.bricks?.length ?? 0}`
  );
}

export function nodeText(n: NodeInfo): string {
  return [
    `Node Id: ${n.id}`,
    `State: ${n.state}`,
    `Cluster Id: ${n.cluster}`,
    `Zone: ${n.zone}`,
    `Management Hostname: ${n.hostnames.manage.join(', ')}`,
    `Storage Hostname: ${n.hostnames.storage.join(', ')}`,
    ...tagLines(n.tags),
    'Devices:',
    ...n.devices.map(deviceRow),
  ].join('\n');
}

/** What heketi-cli prints after `node add`. */
export function nodeAddedText(n: NodeInfo): string {
  return [
    'Node information:',
    `Id: ${n.id}`,
    `State: ${n.state}`,
    `Cluster Id: ${n.cluster}`,
    `Zone: ${n.zone}`,
    `Management Hostname ${n.hostnames.manage[0] ?? ''}`,
    `Storage Hostname ${n.hostnames.storage[0] ?? ''}`,
  ].join('\n');
}

export function deviceText(d: DeviceInfo): string {
  return [
    `Device Id: ${d.id}`,
    `State: ${d.state}`,
    `Size (GiB): ${kibToGib(d.storage.total)}`,
    `Used (GiB): ${kibToGib(d.storage.used)}`,
    `Free (GiB): ${kibToGib(d.storage.free)}`,
    `Create Path: ${d.name}`,
    `Physical Volume UUID: ${d.pv_uuid ?? ''}`,
    `Known Paths: ${(d.paths ?? []).join(' ')}`,
    ...tagLines(d.tags),
    'Bricks:',
    ...d.bricks.map((b) => `Id:${b.id.padEnd(35)}Size (GiB):${String(kibToGib(b.size)).padEnd(8)}Path: ${b.path}`),
  ].join('\n');
}
