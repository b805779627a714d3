import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MountError, SystemMounter } from '../../src/mount/mounter';
import { findByMountPoint, readMountTable } from '../../src/mount/mount-table';

/**
 * The real mounter on this machine's kernel (needs root, as the plugin does): bind mounts, unmounts, and a
 * GlusterFS FUSE mount that fails for real. Mounting a live gluster volume is in the end-to-end suite
 * (test/e2e/docker-plugin.test.ts), on the storage lab.
 */
let dir: string;
const mounter = new SystemMounter();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'by-mounter-'));
});
afterEach(async () => {
  for (const entry of (await readMountTable()).reverse()) {
    if (entry.mountPoint.startsWith(`${dir}/`)) await mounter.unmount(entry.mountPoint).catch(() => undefined);
  }
  await rm(dir, { recursive: true, force: true });
});

describe('SystemMounter', () => {
  it('runs as root (mounting needs it)', () => {
    expect(process.getuid?.()).toBe(0);
  });

  it('bind mounts read-write and read-only, and sees them in the mount table', async () => {
    const src = join(dir, 'src');
    const rw = join(dir, 'rw');
    const ro = join(dir, 'ro');
    await Promise.all([mkdir(src), mkdir(rw), mkdir(ro)]);
    await writeFile(join(src, 'f'), 'data');
    await mounter.bindMount(src, rw, false);
    await mounter.bindMount(src, ro, true);
    expect(await mounter.isMounted(rw)).toBe(true);
    expect(await readFile(join(ro, 'f'), 'utf8')).toBe('data');
    await writeFile(join(rw, 'g'), 'written through rw');
    await expect(writeFile(join(ro, 'h'), 'x')).rejects.toMatchObject({ code: 'EROFS' });
    expect(findByMountPoint(await readMountTable(), ro)?.options).toContain('ro');
  });

  it('unmounts, and unmounting what is not mounted is fine', async () => {
    const src = join(dir, 'src');
    const dst = join(dir, 'dst');
    await Promise.all([mkdir(src), mkdir(dst)]);
    await mounter.bindMount(src, dst, false);
    await mounter.unmount(dst);
    expect(await mounter.isMounted(dst)).toBe(false);
    await mounter.unmount(dst);
    await mounter.unmount(join(dir, 'never-existed'));
  });

  it('reports a busy unmount with umount\'s reason and leaves the mount', async () => {
    const src = join(dir, 'src');
    const dst = join(dir, 'dst');
    await Promise.all([mkdir(src), mkdir(dst)]);
    await mounter.bindMount(src, dst, false);
    await mkdir(join(dst, 'inner'));
    await mounter.bindMount(src, join(dst, 'inner'), false);
    await expect(mounter.unmount(dst)).rejects.toThrow(/unmounting .*dst failed: .*busy/);
    expect(await mounter.isMounted(dst)).toBe(true);
  });

  it('fails a GlusterFS mount with the client\'s reason from stderr and its log, and leaves no mount', async () => {
    const target = join(dir, 'g');
    const logFile = join(dir, 'logs', 'g.log');
    // no glusterd answers for this volume on the loopback address (nothing listens there, or not this volume)
    const err = (await mounter
      .mountGluster({ servers: ['127.0.0.1'], volume: `brickyard-no-such-${process.pid}`, target, logFile })
      .catch((e: unknown) => e)) as MountError;
    expect(err).toBeInstanceOf(MountError);
    expect(err.message).toContain(`mounting GlusterFS volume 127.0.0.1:brickyard-no-such-${process.pid} on ${target} failed`);
    expect(err.message).toMatch(/Mount failed|failed/);
    expect(err.reason).toMatch(/remote-host: 127\.0\.0\.1|Exhausted all volfile servers|volume file/);
    expect(err.command).toEqual(['mount', '-t', 'glusterfs', '-o', `log-file=${logFile}`, `127.0.0.1:brickyard-no-such-${process.pid}`, target]);
    expect(await mounter.isMounted(target)).toBe(false);
  });

  it('refuses to mount a gluster volume over another mount', async () => {
    const src = join(dir, 'src');
    const target = join(dir, 't');
    await Promise.all([mkdir(src), mkdir(target)]);
    await mounter.bindMount(src, target, false);
    await expect(mounter.mountGluster({ servers: ['127.0.0.1'], volume: 'v', target })).rejects.toThrow(/is already mounted there/);
  });

  it('checks its input before running anything', async () => {
    await expect(mounter.mountGluster({ servers: ['127.0.0.1'], volume: 'v', target: `${dir}/a b` })).rejects.toThrow('target must be an absolute path');
    await expect(mounter.unmount('../x')).rejects.toThrow('target must be an absolute path');
  });
});
