import { mkdir, rmdir, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { hostnameProblem, volumeNameProblem } from '../domain/names';
import { fileSystemAnswers, MountInputError } from '../mount';
import { isReadOnlyMode, requireSupported } from './capabilities';
import { CONTEXT } from './controller';
import { CsiError, invalidArgument, missing, notFound } from './errors';
import type { StringMap, VolumeCapability } from './types';

/** What the node service needs of src/mount's Mounter (GlusterFS FUSE mounts, bind mounts, unmounts). */
export interface NodeMounter {
  mountGluster(spec: { servers: string[]; volume: string; target: string; logFile?: string; readOnly?: boolean }): Promise<void>;
  bindMount(source: string, target: string, readOnly: boolean): Promise<void>;
  /** Idempotent; a dead FUSE mount is detached too. */
  unmount(target: string): Promise<void>;
  isMounted(target: string): Promise<boolean>;
}

export interface NodeDeps {
  nodeId: string;
  mounter: NodeMounter;
  /** One GlusterFS client log per volume goes here. */
  logDir: string;
}

export const NODE_CAPABILITIES = ['STAGE_UNSTAGE_VOLUME', 'GET_VOLUME_STATS', 'VOLUME_CONDITION'] as const;

const PATH_MAX = 4096;

function checkPath(field: string, path: string | undefined): string {
  if (!path) throw missing(field);
  if (!path.startsWith('/')) throw invalidArgument(field, 'must be an absolute path');
  if (path.length > PATH_MAX) throw invalidArgument(field, `must be at most ${PATH_MAX} characters`);
  if (/[\x00-\x1f\x7f]/.test(path)) throw invalidArgument(field, 'must not contain control characters');
  if (path.split('/').some((p) => p === '..' || p === '.')) throw invalidArgument(field, 'must not contain . or .. components');
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

const VOLUME_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function checkVolumeId(id: string | undefined): string {
  if (!id) throw missing('volume_id');
  if (!VOLUME_ID.test(id)) throw invalidArgument('volume_id', 'must be letters, digits and ._- (at most 128)');
  return id;
}

/** The servers and volume name the controller put into volume_context. */
function glusterTarget(context: StringMap | undefined): { servers: string[]; volume: string } {
  const ctx = context ?? {};
  const server = ctx[CONTEXT.server];
  const volume = ctx[CONTEXT.volume];
  const hint = 'the volume_context from CreateVolume is needed (a PersistentVolume made by hand must carry server, volume and backupServers)';
  if (!server) throw invalidArgument(`volume_context.${CONTEXT.server}`, `is required: ${hint}`);
  if (!volume) throw invalidArgument(`volume_context.${CONTEXT.volume}`, `is required: ${hint}`);
  const backups = (ctx[CONTEXT.backupServers] ?? '').split(':').filter(Boolean);
  const servers = [server, ...backups];
  for (const host of servers) {
    const problem = hostnameProblem(host);
    if (problem) throw invalidArgument(`volume_context`, `server "${host.slice(0, 80)}" ${problem}`);
  }
  const problem = volumeNameProblem(volume);
  if (problem) throw invalidArgument(`volume_context.${CONTEXT.volume}`, problem);
  return { servers, volume };
}

/** Serialises the calls for one key (the CO may repeat a call while the first still runs). */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    // A dead FUSE mount is there, it only does not answer.
    return (err as NodeJS.ErrnoException).code === 'ENOTCONN';
  }
}

async function removeDir(path: string): Promise<void> {
  try {
    await rmdir(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
  }
}

function mountFailed(err: unknown, doing: string): CsiError {
  if (err instanceof CsiError) return err;
  if (err instanceof MountInputError) return new CsiError(status.INVALID_ARGUMENT, `${doing}: ${err.message}`);
  return new CsiError(status.INTERNAL, `${doing}: ${(err as Error).message}`);
}

export function nodeService({ nodeId, mounter, logDir }: NodeDeps) {
  const queue = new KeyedQueue();

  /** Undoes a half-made mount; the call's own error is what the CO hears. */
  async function cleanUp(target: string): Promise<void> {
    try {
      await mounter.unmount(target);
    } catch {
      // reported by the caller's error; the next call retries
    }
  }

  return {
    async NodeStageVolume(req: {
      volume_id: string;
      staging_target_path: string;
      volume_capability: VolumeCapability | null;
      volume_context: StringMap;
    }) {
      const id = checkVolumeId(req.volume_id);
      const staging = checkPath('staging_target_path', req.staging_target_path);
      if (!req.volume_capability) throw missing('volume_capability');
      requireSupported('volume_capability', [req.volume_capability]);
      const { servers, volume } = glusterTarget(req.volume_context);
      return queue.run(staging, async () => {
        // Whatever was mounted there before this call is not this call's to remove on failure.
        const before = await mounter.isMounted(staging);
        try {
          // (the mounter makes the directory, after replacing a dead mount there: mkdir on one fails)
          await mounter.mountGluster({ servers, volume, target: staging, logFile: join(logDir, `${id}.log`) });
        } catch (err) {
          if (!before) await cleanUp(staging);
          throw mountFailed(err, `staging volume ${id} (${servers[0]}:${volume}) at ${staging}`);
        }
        return {};
      });
    },

    async NodeUnstageVolume(req: { volume_id: string; staging_target_path: string }) {
      const id = checkVolumeId(req.volume_id);
      const staging = checkPath('staging_target_path', req.staging_target_path);
      return queue.run(staging, async () => {
        try {
          await mounter.unmount(staging);
        } catch (err) {
          throw mountFailed(err, `unstaging volume ${id} from ${staging}`);
        }
        return {};
      });
    },

    async NodePublishVolume(req: {
      volume_id: string;
      staging_target_path: string;
      target_path: string;
      volume_capability: VolumeCapability | null;
      readonly: boolean;
    }) {
      const id = checkVolumeId(req.volume_id);
      const staging = checkPath('staging_target_path', req.staging_target_path);
      const target = checkPath('target_path', req.target_path);
      if (!req.volume_capability) throw missing('volume_capability');
      requireSupported('volume_capability', [req.volume_capability]);
      const readOnly = req.readonly || isReadOnlyMode(req.volume_capability);
      return queue.run(target, async () => {
        if (await mounter.isMounted(target)) {
          if (await fileSystemAnswers(target)) return {};
          // Published before, but the client underneath died: bind the (restaged) volume again.
          await mounter.unmount(target).catch((err: unknown) => {
            throw mountFailed(err, `replacing the dead mount of volume ${id} at ${target}`);
          });
        }
        if (!(await mounter.isMounted(staging)) || !(await fileSystemAnswers(staging))) {
          throw new CsiError(status.FAILED_PRECONDITION, `volume ${id} is not staged at ${staging} (or its mount has gone away): call NodeStageVolume first`);
        }
        try {
          await mkdir(target, { recursive: true });
          await mounter.bindMount(staging, target, readOnly);
        } catch (err) {
          await cleanUp(target);
          throw mountFailed(err, `publishing volume ${id} at ${target}`);
        }
        return {};
      });
    },

    async NodeUnpublishVolume(req: { volume_id: string; target_path: string }) {
      const id = checkVolumeId(req.volume_id);
      const target = checkPath('target_path', req.target_path);
      return queue.run(target, async () => {
        try {
          await mounter.unmount(target);
          // The spec: the plugin removes the directory it made at target_path.
          await removeDir(target);
        } catch (err) {
          throw mountFailed(err, `unpublishing volume ${id} from ${target}`);
        }
        return {};
      });
    },

    async NodeGetVolumeStats(req: { volume_id: string; volume_path: string }) {
      const id = checkVolumeId(req.volume_id);
      const path = checkPath('volume_path', req.volume_path);
      if (!(await exists(path))) throw notFound(`volume ${id}: ${path} does not exist`);
      if (!(await mounter.isMounted(path))) {
        return { usage: [], volume_condition: { abnormal: true, message: `${path} is not mounted (the volume's mount has gone away)` } };
      }
      let fs;
      try {
        fs = await statfs(path, { bigint: true });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        return {
          usage: [],
          volume_condition: {
            abnormal: true,
            message: `${path} does not answer (${e.code ?? e.message}): the GlusterFS client has stopped or lost every server`,
          },
        };
      }
      const bsize = fs.bsize;
      return {
        usage: [
          { unit: 'BYTES', total: (fs.blocks * bsize).toString(), available: (fs.bavail * bsize).toString(), used: ((fs.blocks - fs.bfree) * bsize).toString() },
          { unit: 'INODES', total: fs.files.toString(), available: fs.ffree.toString(), used: (fs.files - fs.ffree).toString() },
        ],
        volume_condition: { abnormal: false, message: 'mounted and answering' },
      };
    },

    async NodeGetCapabilities() {
      return { capabilities: NODE_CAPABILITIES.map((type) => ({ rpc: { type } })) };
    },

    async NodeGetInfo() {
      return { node_id: nodeId, max_volumes_per_node: '0' };
    },
  };
}
