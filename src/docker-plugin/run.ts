import type { Server } from 'node:http';
import { join } from 'node:path';
import { HeketiClient } from '../client/heketi-client';
import { SystemMounter, type Mounter } from '../mount/mounter';
import { GLUSTER_FUSE_TYPE, isMounted, mountsUnder, readMountTable } from '../mount/mount-table';
import { RefCounts } from '../mount/ref-counts';
import { BrickyardVolumes } from './brickyard';
import type { PluginConfig } from './config';
import { VolumeDriver, type DriverLog } from './driver';
import { createPluginServer, listenOnSocket } from './server';

export interface RunningPlugin {
  socket: string;
  driver: VolumeDriver;
  /** Stops answering; mounts stay (containers keep running across a plugin restart). */
  close(): Promise<void>;
}

/** A log of one JSON object per line on stderr (journald keeps it). */
export function stderrLog(write: (line: string) => void = (l) => process.stderr.write(l)): DriverLog {
  const line = (level: string, message: string, fields?: Record<string, unknown>) =>
    write(`${JSON.stringify({ time: new Date().toISOString(), level, service: 'brickyard-docker-plugin', message, ...fields })}\n`);
  return { info: (m, f) => line('info', m, f), warn: (m, f) => line('warn', m, f) };
}

/**
 * Starts the plugin: rebuilds the mount reference counts from the state file and the mount table, then
 * answers Docker on the socket.
 */
export async function startDockerPlugin(
  config: PluginConfig,
  options: { log?: DriverLog; mounter?: Mounter; removeBudgetMs?: number } = {},
): Promise<RunningPlugin> {
  const log = options.log ?? stderrLog();
  const mountRoot = join(config.stateDir, 'mounts');
  const table = await readMountTable();
  const present = mountsUnder(table, mountRoot)
    .filter((e) => e.fsType === GLUSTER_FUSE_TYPE && e.mountPoint.lastIndexOf('/') === mountRoot.length)
    .map((e) => ({ volume: e.mountPoint.slice(mountRoot.length + 1), mountPoint: e.mountPoint }));
  const { refs, reconciliation } = await RefCounts.open(join(config.stateDir, 'mounts.json'), { isMounted: (p) => isMounted(table, p), present });
  for (const d of reconciliation.dropped) log.warn('mount gone since the last run; its holders are dropped', d);
  for (const a of reconciliation.adopted) log.warn('found a mount the state file did not know; kept with no holders', a);
  for (const v of refs.list()) log.info('mounted at start', { ...v });

  const client = new HeketiClient(config.server, { user: config.user, key: config.key, firstPollMs: 100, pollIntervalMs: 1000 });
  const driver = new VolumeDriver(new BrickyardVolumes(client), options.mounter ?? new SystemMounter({ logDir: config.logDir }), refs, {
    mountRoot,
    logDir: config.logDir,
    defaults: config.defaults,
    keepOnRemove: config.keepOnRemove,
    removeBudgetMs: options.removeBudgetMs,
  }, log);
  const server: Server = createPluginServer(driver, log);
  await listenOnSocket(server, config.socket);
  log.info('listening', { socket: config.socket, server: config.server, stateDir: config.stateDir, configFile: config.configFile ?? null, volumesMountedHere: refs.list().length });
  return {
    socket: config.socket,
    driver,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
