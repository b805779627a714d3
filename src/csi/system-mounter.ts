import { SystemMounter } from '../mount';
import type { NodeMounter } from './node';

/** The real mounter of the node service: src/mount's, running mount and umount without a shell. */
export function systemMounter(): NodeMounter {
  return new SystemMounter({ logDir: '/var/log/glusterfs/brickyard-csi' });
}
