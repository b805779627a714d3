/**
 * The CSI messages as @grpc/proto-loader hands them over (keepCase, int64 as strings, enums as names,
 * defaults filled in, `access_type` naming the oneof member set). Only what the driver reads or writes.
 */
export type AccessModeName =
  | 'UNKNOWN'
  | 'SINGLE_NODE_WRITER'
  | 'SINGLE_NODE_READER_ONLY'
  | 'MULTI_NODE_READER_ONLY'
  | 'MULTI_NODE_SINGLE_WRITER'
  | 'MULTI_NODE_MULTI_WRITER'
  | 'SINGLE_NODE_SINGLE_WRITER'
  | 'SINGLE_NODE_MULTI_WRITER';

export interface VolumeCapability {
  block?: Record<string, never> | null;
  mount?: { fs_type?: string; mount_flags?: string[]; volume_mount_group?: string } | null;
  access_mode?: { mode?: AccessModeName | number } | null;
  access_type?: 'block' | 'mount';
}

export interface CapacityRange {
  required_bytes?: string | number;
  limit_bytes?: string | number;
}

export type StringMap = Record<string, string>;

export interface CsiVolume {
  capacity_bytes: string;
  volume_id: string;
  volume_context: StringMap;
}
