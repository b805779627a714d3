import { commaList, decimal, oneOf, requireId, wholeNumber } from './args';
import { CliError } from './errors';

export const DURABILITY_TYPES = ['none', 'replicate', 'disperse'] as const;

/** The volume create flags as commander hands them over (strings, all optional). */
export interface VolumeCreateFlags {
  size?: string;
  name?: string;
  durability?: string;
  replica?: string;
  disperseData?: string;
  redundancy?: string;
  gid?: string;
  snapshotFactor?: string;
  clusters?: string;
  glusterVolumeOptions?: string;
}

/**
 * The request heketi-cli sends for `volume create`: durability replicate with replica 3 unless told,
 * disperse 4+2, every durability field sent; a snapshot factor above 1 turns snapshots on.
 * Only types are checked here; the server judges the values (so this also works against Heketi).
 */
export function volumeCreateRequest(flags: VolumeCreateFlags): Record<string, unknown> {
  if (flags.size === undefined) throw new CliError('Missing volume size');
  const request: Record<string, unknown> = {
    size: wholeNumber('--size', flags.size, 1),
    durability: {
      type: oneOf('--durability', flags.durability ?? 'replicate', DURABILITY_TYPES),
      replicate: { replica: wholeNumber('--replica', flags.replica ?? '3', 1) },
      disperse: {
        data: wholeNumber('--disperse-data', flags.disperseData ?? '4', 1),
        redundancy: wholeNumber('--redundancy', flags.redundancy ?? '2', 1),
      },
    },
  };
  if (flags.name !== undefined) {
    if (flags.name === '') throw new CliError('--name cannot be empty');
    request.name = flags.name;
  }
  const gid = flags.gid === undefined ? 0 : wholeNumber('--gid', flags.gid, 0);
  if (gid !== 0) request.gid = gid;
  const factor = flags.snapshotFactor === undefined ? 1 : decimal('--snapshot-factor', flags.snapshotFactor, 1, 100);
  request.snapshot = factor > 1 ? { enable: true, factor } : { enable: false, factor: 1 };
  const clusters = commaList(flags.clusters).map((id) => requireId('Cluster', id));
  if (clusters.length > 0) request.clusters = clusters;
  const options = commaList(flags.glusterVolumeOptions);
  if (options.length > 0) request.glustervolumeoptions = options;
  return request;
}
