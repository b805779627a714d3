import type { ClusterInfo } from '../wire';

export function clusterText(c: ClusterInfo): string {
  return [
    `Cluster id: ${c.id}`,
    'Nodes:',
    ...c.nodes,
    'Volumes:',
    ...c.volumes,
    `Block: ${c.block}`,
    `File: ${c.file}`,
  ].join('\n');
}

/** `Id:<id> [file][block]`, listing the kinds of volume the cluster accepts. */
export function clusterListText(clusters: ClusterInfo[]): string {
  const flags = (c: ClusterInfo) => `${c.file ? '[file]' : ''}${c.block ? '[block]' : ''}`;
  return ['Clusters:', ...clusters.map((c) => `Id:${c.id} ${flags(c)}`.trimEnd())].join('\n');
}
