import type { NodeMounter } from './node';

/** The real mounter of the node service (src/mount). */
export function systemMounter(): NodeMounter {
  throw new Error('the node service needs src/mount, which is not in this build yet');
}
