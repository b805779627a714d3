import { access, constants } from 'node:fs/promises';
import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';
import { HeketiClient } from '../client/heketi-client';
import { controllerService } from './controller';
import { DRIVER_NAME, identityService } from './identity';
import { nodeService, type NodeMounter } from './node';
import { startCsiServer, type RunningCsiServer } from './server';

export interface CsiOptions {
  mode: 'controller' | 'node';
  endpoint: string;
  driverName?: string;
  version: string;
  /** controller: Brickyard's URL, user and key. */
  server?: string;
  user?: string;
  key?: string;
  /** node: this node's id (the Kubernetes node name) and where the GlusterFS client logs go. */
  nodeId?: string;
  logDir?: string;
  mounter?: () => NodeMounter;
  log?: Logger;
}

const CLIENT_DIRS = ['/sbin', '/usr/sbin', '/bin', '/usr/bin', '/usr/local/sbin'];

/** The node can mount GlusterFS volumes: the FUSE client's mount helper and /dev/fuse are there. */
export async function glusterClientProblem(): Promise<void> {
  let found = false;
  for (const dir of CLIENT_DIRS) {
    try {
      await access(`${dir}/mount.glusterfs`, constants.X_OK);
      found = true;
      break;
    } catch {
      // next
    }
  }
  if (!found) throw new Error('the GlusterFS client is not installed (no mount.glusterfs; install glusterfs-client)');
  try {
    await access('/dev/fuse', constants.R_OK | constants.W_OK);
  } catch {
    throw new Error('/dev/fuse is not usable (the node container must be privileged)');
  }
}

/** Starts the driver in one mode; resolves with the running server. */
export async function startCsi(options: CsiOptions): Promise<RunningCsiServer> {
  const log = options.log ?? pino({ name: 'brickyard-csi', level: process.env.BRICKYARD_LOG_LEVEL ?? 'info' });
  const driverName = options.driverName ?? DRIVER_NAME;
  if (options.mode === 'controller') {
    if (!options.server) throw new Error('the controller needs Brickyard\'s URL: --server or BRICKYARD_URL');
    const api = new HeketiClient(options.server, { user: options.user, key: options.key, firstPollMs: 25, pollIntervalMs: 400 });
    const identity = identityService({
      driverName,
      version: options.version,
      async probe() {
        const res = await api.hello();
        if (res.status !== 200) throw new Error(`Brickyard at ${api.server} answered ${res.status} to /hello`);
      },
    });
    const server = await startCsiServer(options.endpoint, { identity, controller: controllerService({ api }) }, log);
    log.info({ endpoint: server.endpoint, brickyard: api.server, driver: driverName }, 'CSI controller serving');
    return server;
  }
  if (!options.mounter) throw new Error('the node service needs a mounter');
  const nodeId = options.nodeId || hostname();
  const identity = identityService({ driverName, version: options.version, probe: glusterClientProblem });
  const node = nodeService({ nodeId, mounter: options.mounter(), logDir: options.logDir ?? '/var/log/glusterfs/brickyard-csi' });
  const server = await startCsiServer(options.endpoint, { identity, node }, log);
  log.info({ endpoint: server.endpoint, nodeId, driver: driverName }, 'CSI node serving');
  return server;
}

/** Runs until SIGTERM or SIGINT, then stops serving (calls in flight get a few seconds). */
export async function runCsi(options: CsiOptions): Promise<void> {
  const server = await startCsi(options);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      void server.close(10_000).then(resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
