import { status } from '@grpc/grpc-js';
import { CsiError, missing } from './errors';
import type { AccessModeName, VolumeCapability } from './types';

/** Every access mode works on a GlusterFS volume: any number of nodes may mount it read-write. */
export const SUPPORTED_ACCESS_MODES: readonly AccessModeName[] = [
  'SINGLE_NODE_WRITER',
  'SINGLE_NODE_READER_ONLY',
  'MULTI_NODE_READER_ONLY',
  'MULTI_NODE_SINGLE_WRITER',
  'MULTI_NODE_MULTI_WRITER',
  'SINGLE_NODE_SINGLE_WRITER',
  'SINGLE_NODE_MULTI_WRITER',
];

/** The file systems a CO may name for a mount volume: none (the driver's choice) or glusterfs itself. */
const FS_TYPES = new Set(['', 'glusterfs']);

/** Why one capability cannot be served, or null when it can. */
export function capabilityProblem(cap: VolumeCapability): string | null {
  const accessType = cap.access_type ?? (cap.block ? 'block' : cap.mount ? 'mount' : undefined);
  if (accessType === 'block') return 'raw block access is not supported: a Brickyard volume is a GlusterFS file system (use a mount volume)';
  if (accessType !== 'mount') return 'access_type must be mount';
  const fsType = cap.mount?.fs_type ?? '';
  if (!FS_TYPES.has(fsType)) return `fs_type "${fsType}" is not supported: Brickyard volumes are glusterfs (leave fs_type empty)`;
  if ((cap.mount?.mount_flags ?? []).length > 0) return 'mount_flags are not supported: the driver chooses the GlusterFS mount options';
  if (cap.mount?.volume_mount_group) return 'volume_mount_group is not supported';
  const mode = cap.access_mode?.mode;
  if (mode === undefined || mode === 'UNKNOWN' || mode === 0) return 'access_mode is required';
  if (!SUPPORTED_ACCESS_MODES.includes(mode as AccessModeName)) return `access mode ${String(mode)} is not supported`;
  return null;
}

/** Checks a required list of capabilities: missing -> INVALID_ARGUMENT. Returns the problems, if any. */
export function capabilityProblems(field: string, caps: VolumeCapability[] | undefined): string[] {
  if (!caps || caps.length === 0) throw missing(field);
  return caps.map(capabilityProblem).filter((p): p is string => p !== null);
}

/** For calls that must be able to serve every capability given (CreateVolume, NodeStage, NodePublish). */
export function requireSupported(field: string, caps: VolumeCapability[] | undefined): void {
  const problems = capabilityProblems(field, caps);
  if (problems.length > 0) throw new CsiError(status.INVALID_ARGUMENT, `${field}: ${[...new Set(problems)].join('; ')}`);
}

/** True when the capability only ever reads (the mount may then be read-only). */
export function isReadOnlyMode(cap: VolumeCapability): boolean {
  const mode = cap.access_mode?.mode;
  return mode === 'SINGLE_NODE_READER_ONLY' || mode === 'MULTI_NODE_READER_ONLY';
}
