import { ID_PATTERN } from '../domain/ids';
import { glusterOptionProblem, volumeNameProblem } from '../domain/names';
import { OptionError } from './errors';

/**
 * `docker volume create -d brickyard -o key=value ...` options -> Brickyard's volume create request. Pure.
 * Plugin-wide defaults (from the config) fill what the command leaves out; the request is built the same way
 * on every host, so two hosts creating the same name with the same options send the same request and the
 * server's idempotent create gives both the one volume.
 */
export const OPTION_NAMES = ['size', 'durability', 'replica', 'data', 'redundancy', 'gid', 'clusters', 'volumeoptions', 'snapshot-factor'] as const;
export type OptionName = (typeof OPTION_NAMES)[number];
export type VolumeOptions = Partial<Record<OptionName, string>>;

const DURABILITIES = ['none', 'replicate', 'disperse'] as const;
const MAX_SIZE_GIB = 1024 * 1024;
const MAX_GID = 2 ** 31 - 2;

export interface CreateRequest {
  name: string;
  size: number;
  durability: { type: 'none' | 'replicate' | 'disperse'; replicate?: { replica: number }; disperse?: { data: number; redundancy: number } };
  gid?: number;
  clusters?: string[];
  glustervolumeoptions?: string[];
  snapshot: { enable: boolean; factor: number };
}

export function checkVolumeName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw new OptionError('the volume needs a name');
  const problem = volumeNameProblem(name);
  if (problem) throw new OptionError(`volume name "${name.slice(0, 80)}" cannot be used with Brickyard: it ${problem}`);
  return name;
}

/** Checks option names and the shape of their values (without defaults): used for the config's defaults too. */
export function checkOptions(raw: unknown, where = 'option'): VolumeOptions {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new OptionError(`${where}s must be key=value pairs`);
  const out: VolumeOptions = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!(OPTION_NAMES as readonly string[]).includes(key)) {
      throw new OptionError(`unknown ${where} "${key.slice(0, 40)}"; the brickyard driver takes ${OPTION_NAMES.join(', ')}`);
    }
    if (typeof value !== 'string' && typeof value !== 'number') throw new OptionError(`${where} ${key} must be a string or a number`);
    out[key as OptionName] = String(value);
  }
  return out;
}

function whole(key: string, raw: string, min: number, max: number): number {
  const text = raw.trim();
  if (!/^\d+$/.test(text)) throw new OptionError(`option ${key} must be a whole number, not "${raw.slice(0, 40)}"`);
  const n = Number(text);
  if (n < min || n > max) throw new OptionError(`option ${key} must be between ${min} and ${max}, not ${text}`);
  return n;
}

function list(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function createRequest(name: string, given: unknown, defaults: VolumeOptions = {}): CreateRequest {
  const volume = checkVolumeName(name);
  const opts: VolumeOptions = { ...defaults, ...checkOptions(given) };
  if (opts.size === undefined) throw new OptionError('option size is required (GiB), e.g. -o size=10');
  const size = whole('size', opts.size, 1, MAX_SIZE_GIB);
  const type = (opts.durability ?? 'replicate').trim();
  if (!(DURABILITIES as readonly string[]).includes(type)) {
    throw new OptionError(`option durability must be one of ${DURABILITIES.join(', ')}, not "${type.slice(0, 40)}"`);
  }
  const request: CreateRequest = { name: volume, size, durability: { type: type as CreateRequest['durability']['type'] }, snapshot: { enable: false, factor: 1 } };
  if (type === 'replicate') request.durability.replicate = { replica: whole('replica', opts.replica ?? '3', 1, 3) };
  if (type === 'disperse') {
    request.durability.disperse = { data: whole('data', opts.data ?? '4', 1, 16), redundancy: whole('redundancy', opts.redundancy ?? '2', 1, 16) };
  }
  if (type !== 'replicate' && opts.replica !== undefined && given && Object.hasOwn(given as object, 'replica')) {
    throw new OptionError(`option replica needs durability=replicate (this volume is ${type})`);
  }
  if (type !== 'disperse' && given && (Object.hasOwn(given as object, 'data') || Object.hasOwn(given as object, 'redundancy'))) {
    throw new OptionError(`options data and redundancy need durability=disperse (this volume is ${type})`);
  }
  if (opts.gid !== undefined) {
    const gid = whole('gid', opts.gid, 0, MAX_GID);
    if (gid !== 0) request.gid = gid;
  }
  const clusters = list(opts.clusters);
  for (const id of clusters) {
    if (!ID_PATTERN.test(id)) throw new OptionError(`option clusters: "${id.slice(0, 40)}" is not a cluster id (32 hex characters)`);
  }
  if (clusters.length > 0) request.clusters = clusters;
  const volumeOptions = list(opts.volumeoptions);
  for (const option of volumeOptions) {
    const problem = glusterOptionProblem(option);
    if (problem) throw new OptionError(`option volumeoptions: ${problem} (write "key value" pairs separated by commas)`);
  }
  if (volumeOptions.length > 0) request.glustervolumeoptions = volumeOptions;
  if (opts['snapshot-factor'] !== undefined) {
    const factor = Number(opts['snapshot-factor'].trim());
    if (opts['snapshot-factor'].trim() === '' || !Number.isFinite(factor) || factor < 1 || factor > 100) {
      throw new OptionError(`option snapshot-factor must be a number from 1 to 100, not "${opts['snapshot-factor'].slice(0, 40)}"`);
    }
    request.snapshot = factor > 1 ? { enable: true, factor } : { enable: false, factor: 1 };
  }
  return request;
}
