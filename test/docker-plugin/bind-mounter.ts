import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { GlusterMountSpec } from '../../src/mount/commands';
import { SystemMounter, type Mounter } from '../../src/mount/mounter';

/**
 * A TEST DOUBLE for the GlusterFS part only: no gluster server runs in the unit suite (the mock executor's
 * volumes exist only in memory), so `mountGluster` bind-mounts a local directory standing for the volume.
 * The mounts are real kernel mounts, so the mount table, the reference counts and unmounting are all real.
 * The real GlusterFS FUSE mount is exercised in test/e2e/docker-plugin.test.ts on the storage lab.
 */
export class BindMounterDouble implements Mounter {
  readonly glusterMounts: GlusterMountSpec[] = [];
  private readonly real = new SystemMounter();

  constructor(private readonly volumesDir: string) {}

  async mountGluster(spec: GlusterMountSpec): Promise<void> {
    this.glusterMounts.push(spec);
    const source = join(this.volumesDir, spec.volume);
    await mkdir(source, { recursive: true });
    await mkdir(spec.target, { recursive: true });
    await this.real.bindMount(source, spec.target, spec.readOnly ?? false);
  }
  bindMount(source: string, target: string, readOnly: boolean): Promise<void> {
    return this.real.bindMount(source, target, readOnly);
  }
  unmount(target: string): Promise<void> {
    return this.real.unmount(target);
  }
  isMounted(target: string): Promise<boolean> {
    return this.real.isMounted(target);
  }
}
