import { status } from '@grpc/grpc-js';
import { CsiError } from './errors';

/** The driver's name, as it appears in the CSIDriver object and every StorageClass's `provisioner`. */
export const DRIVER_NAME = 'brickyard.gluster.io';

export interface IdentityDeps {
  driverName: string;
  version: string;
  /** Resolves when the service can work (controller: Brickyard answers; node: the glusterfs client is there); throws why not. */
  probe(): Promise<void>;
}

/** CSI Identity: the same answers in both modes, so that the registrar and the sidecars agree on the driver. */
export function identityService(deps: IdentityDeps) {
  return {
    async GetPluginInfo() {
      return { name: deps.driverName, vendor_version: deps.version, manifest: {} };
    },
    async GetPluginCapabilities() {
      return {
        capabilities: [
          { service: { type: 'CONTROLLER_SERVICE' } },
          // A GlusterFS volume grows while mounted and needs nothing done on the nodes.
          { volume_expansion: { type: 'ONLINE' } },
        ],
      };
    },
    async Probe() {
      try {
        await deps.probe();
      } catch (err) {
        // The spec's code for an unhealthy plugin.
        throw new CsiError(status.FAILED_PRECONDITION, `not ready: ${(err as Error).message}`);
      }
      return { ready: { value: true } };
    },
  };
}
