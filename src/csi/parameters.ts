import { glusterOptionProblem } from '../domain/names';
import { invalidArgument } from './errors';
import type { StringMap } from './types';

/**
 * StorageClass parameters, as the in-tree `kubernetes.io/glusterfs` provisioner took them (keys are
 * case-insensitive, as there), plus `zonechecking`. Connection settings (resturl, restuser, secretName, ...)
 * belong to the driver, not to a StorageClass, and are refused with a message that says so.
 */
export interface VolumeParameters {
  durability: { type: 'none' } | { type: 'replicate'; replicate: { replica: number } } | { type: 'disperse'; disperse: { data: number; redundancy: number } };
  /** The durability as written in the StorageClass, normalised (`replicate:3`, `disperse:4:2`, `none`). */
  volumeType: string;
  clusters: string[];
  glusterVolumeOptions: string[];
  gidRange?: { min: number; max: number };
  snapshot?: { enable: true; factor: number };
}

const DEFAULT_VOLUME_TYPE = 'replicate:3';
const CLUSTER_ID = /^[0-9a-f]{32}$/;
const GID_MIN = 2000;
const GID_MAX = 2 ** 31 - 2;
const ZONE_CHECKING = ['strict', 'best-effort', 'none'];
/** Added by the external-provisioner or the CO, never meant for the driver. */
const CO_PREFIX = 'csi.storage.k8s.io/';
const CONNECTION_KEYS = new Set(['resturl', 'restuser', 'restuserkey', 'restauthenabled', 'secretname', 'secretnamespace']);
const KNOWN = ['volumetype', 'clusterid', 'volumeoptions', 'gidmin', 'gidmax', 'snapfactor', 'zonechecking'];

function field(key: string): string {
  return `parameters.${key}`;
}

export function parseVolumeType(raw: string, key = field('volumetype')): Pick<VolumeParameters, 'durability' | 'volumeType'> {
  const text = raw.trim().toLowerCase();
  if (text === 'none') return { durability: { type: 'none' }, volumeType: 'none' };
  let m = /^replicate:(\d{1,2})$/.exec(text);
  if (m) {
    const replica = Number(m[1]);
    if (replica < 1 || replica > 3) throw invalidArgument(key, `replica count ${replica} must be 1, 2 or 3`);
    return { durability: { type: 'replicate', replicate: { replica } }, volumeType: `replicate:${replica}` };
  }
  m = /^disperse:(\d{1,2}):(\d{1,2})$/.exec(text);
  if (m) {
    const data = Number(m[1]);
    const redundancy = Number(m[2]);
    return { durability: { type: 'disperse', disperse: { data, redundancy } }, volumeType: `disperse:${data}:${redundancy}` };
  }
  throw invalidArgument(key, `"${raw}" must be replicate:<1-3>, disperse:<data>:<redundancy> or none`);
}

function wholeNumber(key: string, raw: string, min: number, max: number): number {
  if (!/^\d{1,10}$/.test(raw.trim())) throw invalidArgument(field(key), `"${raw}" is not a whole number`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw invalidArgument(field(key), `${n} must be between ${min} and ${max}`);
  return n;
}

export function parseParameters(parameters: StringMap | undefined): VolumeParameters {
  const lower = new Map<string, { key: string; value: string }>();
  for (const [key, value] of Object.entries(parameters ?? {})) {
    if (key.startsWith(CO_PREFIX)) continue;
    const k = key.toLowerCase();
    if (CONNECTION_KEYS.has(k)) {
      throw invalidArgument(
        field(key),
        'Brickyard connection settings are not StorageClass parameters for the CSI driver: give the controller --server and the key Secret (BRICKYARD_URL, BRICKYARD_USER, BRICKYARD_KEY)',
      );
    }
    if (!KNOWN.includes(k)) throw invalidArgument(field(key), `unknown parameter (known: ${KNOWN.join(', ')})`);
    if (lower.has(k)) throw invalidArgument(field(key), `given twice (as ${lower.get(k)!.key} and ${key})`);
    lower.set(k, { key, value });
  }
  const get = (k: string) => lower.get(k)?.value;

  const type = parseVolumeType(get('volumetype') ?? DEFAULT_VOLUME_TYPE, field(lower.get('volumetype')?.key ?? 'volumetype'));

  const clusters: string[] = [];
  for (const id of (get('clusterid') ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!CLUSTER_ID.test(id)) throw invalidArgument(field('clusterid'), `"${id}" is not a cluster id (32 lowercase hex characters)`);
    if (!clusters.includes(id)) clusters.push(id);
  }

  const glusterVolumeOptions: string[] = [];
  for (const option of (get('volumeoptions') ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const problem = glusterOptionProblem(option);
    if (problem) throw invalidArgument(field('volumeoptions'), problem);
    glusterVolumeOptions.push(option.replace(/\s+/, ' '));
  }
  const zone = get('zonechecking');
  if (zone !== undefined) {
    if (!ZONE_CHECKING.includes(zone.trim())) throw invalidArgument(field('zonechecking'), `"${zone}" must be strict, best-effort or none`);
    if (glusterVolumeOptions.some((o) => o.startsWith('user.heketi.zone-checking '))) {
      throw invalidArgument(field('zonechecking'), 'given both as zonechecking and as user.heketi.zone-checking in volumeoptions');
    }
    glusterVolumeOptions.push(`user.heketi.zone-checking ${zone.trim()}`);
  }

  const result: VolumeParameters = { ...type, clusters, glusterVolumeOptions };
  const gidMin = get('gidmin');
  const gidMax = get('gidmax');
  if (gidMin !== undefined || gidMax !== undefined) {
    const min = gidMin === undefined ? GID_MIN : wholeNumber('gidMin', gidMin, GID_MIN, GID_MAX);
    const max = gidMax === undefined ? GID_MAX : wholeNumber('gidMax', gidMax, GID_MIN, GID_MAX);
    if (min > max) throw invalidArgument(field('gidMin'), `${min} is above gidMax ${max}`);
    result.gidRange = { min, max };
  }
  const snap = get('snapfactor');
  if (snap !== undefined) {
    const factor = Number(snap.trim());
    if (!/^\d+(\.\d+)?$/.test(snap.trim()) || factor < 1 || factor > 100) {
      throw invalidArgument(field('snapfactor'), `"${snap}" must be a number from 1 to 100`);
    }
    result.snapshot = { enable: true, factor };
  }
  return result;
}
