import { createHash } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { HeketiError, type HeketiClient, type Json } from '../client/heketi-client';
import { volumeNameProblem } from '../domain/names';
import { capabilityProblems, requireSupported } from './capabilities';
import { GIB, gibToBytes, MAX_SIZE_GIB, sizeGibFor } from './capacity';
import { CsiError, fromBrickyard, invalidArgument, missing, notFound } from './errors';
import { parseParameters, type VolumeParameters } from './parameters';
import type { CapacityRange, CsiVolume, StringMap, VolumeCapability } from './types';

/** The Brickyard calls the controller makes (the JWT client of src/client). */
export type BrickyardApi = Pick<
  HeketiClient,
  'hello' | 'volumeCreate' | 'volumeInfo' | 'volumeList' | 'volumeDelete' | 'volumeExpand' | 'volumePlan' | 'clusterList' | 'clusterCapacity'
>;

/** Keys of volume_context: what NodeStageVolume needs to mount the volume without asking Brickyard. */
export const CONTEXT = {
  server: 'server',
  backupServers: 'backupServers',
  volume: 'volume',
  source: 'source',
  gid: 'gid',
} as const;

const VOLUME_ID = /^[0-9a-f]{32}$/;
const LIST_CONCURRENCY = 8;

export const CONTROLLER_CAPABILITIES = ['CREATE_DELETE_VOLUME', 'LIST_VOLUMES', 'GET_CAPACITY', 'EXPAND_VOLUME'] as const;

/** A Brickyard volume as CSI sees it: id, size in bytes, and how to mount it. */
export function csiVolume(v: Json): CsiVolume {
  const hosts: string[] = v.mount?.glusterfs?.hosts ?? [];
  const [first, ...rest] = hosts;
  const context: StringMap = {
    [CONTEXT.server]: first ?? '',
    [CONTEXT.backupServers]: rest.join(':'),
    [CONTEXT.volume]: v.name,
    [CONTEXT.source]: `${first ?? ''}:${v.name}`,
  };
  if (v.gid) context[CONTEXT.gid] = String(v.gid);
  return { volume_id: v.id, capacity_bytes: gibToBytes(v.size), volume_context: context };
}

async function brickyard<T>(doing: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    throw fromBrickyard(err, doing);
  }
}

/** The volume, or null when Brickyard does not know the id. */
async function findVolume(api: BrickyardApi, id: string): Promise<Json | null> {
  if (!VOLUME_ID.test(id)) return null;
  try {
    return await api.volumeInfo(id);
  } catch (err) {
    if (err instanceof HeketiError && err.status === 404) return null;
    throw fromBrickyard(err, `reading volume ${id}`);
  }
}

/** A volume's durability in the StorageClass notation. */
function volumeTypeOf(v: Json): string {
  const d = v.durability ?? {};
  if (d.type === 'replicate') return `replicate:${d.replicate?.replica}`;
  if (d.type === 'disperse') return `disperse:${d.disperse?.data}:${d.disperse?.redundancy}`;
  return 'none';
}

/** Why an existing volume of that name does not match this request (a retry must match), or null. */
function mismatch(v: Json, p: VolumeParameters): string | null {
  if (p.clusters.length > 0 && !p.clusters.includes(v.cluster)) return `it is on cluster ${v.cluster}, not one of ${p.clusters.join(', ')}`;
  const options: string[] = v.glustervolumeoptions ?? [];
  const absent = p.glusterVolumeOptions.filter((o) => !options.includes(o));
  if (absent.length > 0) return `it lacks the volume options ${absent.join(', ')}`;
  const snapshot = v.snapshot ?? { enable: false };
  if (Boolean(snapshot.enable) !== Boolean(p.snapshot) || (p.snapshot && snapshot.factor !== p.snapshot.factor)) {
    return p.snapshot ? `its snapshot factor is ${snapshot.enable ? snapshot.factor : 'off'}, not ${p.snapshot.factor}` : 'it has a snapshot reserve';
  }
  if (p.gidRange && (v.gid < p.gidRange.min || v.gid > p.gidRange.max)) return `its gid ${v.gid} is outside ${p.gidRange.min}-${p.gidRange.max}`;
  if (!p.gidRange && v.gid) return `it has gid ${v.gid} and no gid range was asked for`;
  return null;
}

export interface ControllerDeps {
  api: BrickyardApi;
}

export function controllerService({ api }: ControllerDeps) {
  /** The lowest gid of the range not used by any volume, starting at a point derived from the name so that
   * concurrent creates of different volumes rarely pick the same one. */
  async function allocateGid(name: string, range: { min: number; max: number }): Promise<number> {
    const used = new Set<number>();
    const ids: string[] = (await brickyard('listing volumes', () => api.volumeList())).volumes ?? [];
    await forEachLimited(ids, LIST_CONCURRENCY, async (id) => {
      const v = await findVolume(api, id);
      if (v?.gid) used.add(v.gid);
    });
    const span = range.max - range.min + 1;
    const start = Number(BigInt(`0x${createHash('sha256').update(name).digest('hex').slice(0, 12)}`) % BigInt(span));
    for (let i = 0; i < span && i < 1_000_000; i += 1) {
      const gid = range.min + ((start + i) % span);
      if (!used.has(gid)) return gid;
    }
    throw new CsiError(status.RESOURCE_EXHAUSTED, `no free gid left in ${range.min}-${range.max} (gidMin/gidMax)`);
  }

  return {
    async CreateVolume(req: {
      name: string;
      capacity_range: CapacityRange | null;
      volume_capabilities: VolumeCapability[];
      parameters: StringMap;
      volume_content_source: unknown;
    }) {
      if (!req.name) throw missing('name');
      const nameProblem = volumeNameProblem(req.name);
      if (nameProblem) throw invalidArgument('name', `"${req.name.slice(0, 80)}" ${nameProblem} (it becomes the Brickyard volume name)`);
      requireSupported('volume_capabilities', req.volume_capabilities);
      if (req.volume_content_source) {
        throw invalidArgument('volume_content_source', 'volumes made from snapshots or other volumes are not supported');
      }
      const sizeGib = sizeGibFor('capacity_range', req.capacity_range);
      const p = parseParameters(req.parameters);
      const body: Json = { size: sizeGib, name: req.name, durability: p.durability };
      if (p.clusters.length > 0) body.clusters = p.clusters;
      if (p.glusterVolumeOptions.length > 0) body.glustervolumeoptions = p.glusterVolumeOptions;
      if (p.snapshot) body.snapshot = p.snapshot;
      if (p.gidRange) body.gid = await allocateGid(req.name, p.gidRange);
      const v = await brickyard(`creating volume ${req.name}`, () => api.volumeCreate(body));
      const problem = mismatch(v, p);
      if (problem) {
        throw new CsiError(status.ALREADY_EXISTS, `volume ${req.name} already exists (${v.id}) with other parameters: ${problem}`);
      }
      return { volume: csiVolume(v) };
    },

    async DeleteVolume(req: { volume_id: string }) {
      if (!req.volume_id) throw missing('volume_id');
      // An id Brickyard never made, or a volume already gone, is success (the spec's idempotency).
      if (!VOLUME_ID.test(req.volume_id)) return {};
      try {
        await api.volumeDelete(req.volume_id);
      } catch (err) {
        if (!(err instanceof HeketiError && err.status === 404)) throw fromBrickyard(err, `deleting volume ${req.volume_id}`);
      }
      return {};
    },

    async ControllerExpandVolume(req: { volume_id: string; capacity_range: CapacityRange | null; volume_capability: VolumeCapability | null }) {
      if (!req.volume_id) throw missing('volume_id');
      if (!req.capacity_range) throw missing('capacity_range');
      if (req.volume_capability) requireSupported('volume_capability', [req.volume_capability]);
      const wanted = sizeGibFor('capacity_range', req.capacity_range);
      const v = await findVolume(api, req.volume_id);
      if (!v) throw notFound(`volume ${req.volume_id} does not exist`);
      let size: number = v.size;
      if (wanted > size) {
        const grown = await brickyard(`expanding volume ${req.volume_id} by ${wanted - size} GiB`, () => api.volumeExpand(req.volume_id, wanted - size));
        size = grown.size;
      }
      // A GlusterFS client sees the new size at once: nothing to do on the nodes.
      return { capacity_bytes: gibToBytes(size), node_expansion_required: false };
    },

    async ValidateVolumeCapabilities(req: {
      volume_id: string;
      volume_context: StringMap;
      volume_capabilities: VolumeCapability[];
      parameters: StringMap;
    }) {
      if (!req.volume_id) throw missing('volume_id');
      const problems = capabilityProblems('volume_capabilities', req.volume_capabilities);
      const v = await findVolume(api, req.volume_id);
      if (!v) throw notFound(`volume ${req.volume_id} does not exist`);
      if (Object.keys(req.parameters ?? {}).length > 0) {
        const p = parseParameters(req.parameters);
        const type = volumeTypeOf(v);
        const problem = mismatch(v, p) ?? (type === p.volumeType ? null : `it is ${type}, not ${p.volumeType}`);
        if (problem) return { message: `the volume does not match the parameters: ${problem}` };
      }
      if (problems.length > 0) return { message: [...new Set(problems)].join('; ') };
      return {
        confirmed: {
          volume_context: req.volume_context ?? {},
          volume_capabilities: req.volume_capabilities,
          parameters: req.parameters ?? {},
        },
      };
    },

    async ListVolumes(req: { max_entries: number; starting_token: string }) {
      if (req.max_entries < 0) throw invalidArgument('max_entries', 'must not be negative');
      const token = req.starting_token ?? '';
      if (token && !VOLUME_ID.test(token)) throw new CsiError(status.ABORTED, `starting_token "${token.slice(0, 80)}" is not a token this driver gave out`);
      const ids = ((await brickyard('listing volumes', () => api.volumeList())).volumes as string[]).slice().sort();
      // The token is the last id of the previous page: pages stay right when volumes come and go in between.
      const rest = token ? ids.filter((id) => id > token) : ids;
      const page = req.max_entries > 0 ? rest.slice(0, req.max_entries) : rest;
      const found: Array<Json | null> = new Array(page.length).fill(null);
      await forEachLimited(page, LIST_CONCURRENCY, async (id, i) => {
        found[i] = await findVolume(api, id);
      });
      const entries = found.filter((v): v is Json => v !== null).map((v) => ({ volume: csiVolume(v) }));
      const next = page.length < rest.length ? page[page.length - 1]! : '';
      return { entries, next_token: next };
    },

    async GetCapacity(req: { volume_capabilities: VolumeCapability[]; parameters: StringMap }) {
      if (req.volume_capabilities?.length) requireSupported('volume_capabilities', req.volume_capabilities);
      const p = parseParameters(req.parameters);
      const clusterIds: string[] =
        p.clusters.length > 0 ? p.clusters : ((await brickyard('listing clusters', () => api.clusterList())).clusters ?? []);
      let largest = 0;
      for (const id of clusterIds) {
        largest = Math.max(largest, await largestOn(id, p));
      }
      const bytes = (BigInt(largest) * GIB).toString();
      return { available_capacity: bytes, maximum_volume_size: { value: bytes }, minimum_volume_size: { value: GIB.toString() } };
    },

    async ControllerGetCapabilities() {
      return { capabilities: CONTROLLER_CAPABILITIES.map((type) => ({ rpc: { type } })) };
    },
  };

  /** The largest volume of these parameters creatable on one cluster now, in GiB. */
  async function largestOn(clusterId: string, p: VolumeParameters): Promise<number> {
    const capacity = await brickyard(`reading the capacity of cluster ${clusterId}`, () => api.clusterCapacity(clusterId)).catch((err: CsiError) => {
      if (err.code === status.NOT_FOUND) throw invalidArgument('parameters.clusterid', `cluster ${clusterId} does not exist`);
      throw err;
    });
    const known = capacity.largest_volume_gib?.[p.volumeType];
    if (typeof known === 'number' && p.glusterVolumeOptions.length === 0 && !p.snapshot) return known;
    // Durabilities or options the capacity answer does not cover: ask the placement (a dry run) by bisection.
    const fits = async (size: number) => {
      try {
        await api.volumePlan({ size, durability: p.durability, clusters: [clusterId], glustervolumeoptions: p.glusterVolumeOptions, snapshot: p.snapshot });
        return true;
      } catch (err) {
        if (err instanceof HeketiError && /No space/i.test(err.message)) return false;
        throw fromBrickyard(err, `planning a volume on cluster ${clusterId}`);
      }
    };
    if (!(await fits(1))) return 0;
    let low = 1;
    let high = 2;
    while (high <= MAX_SIZE_GIB && (await fits(high))) {
      low = high;
      high *= 2;
    }
    high = Math.min(high, MAX_SIZE_GIB + 1);
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (await fits(mid)) low = mid;
      else high = mid;
    }
    return low;
  }
}

/** Runs fn over items with at most `limit` at a time. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

