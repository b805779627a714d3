import { z } from 'zod';
import { DomainError } from '../domain/errors';
import {
  DEFAULT_DISPERSE,
  DEFAULT_REPLICA,
  DISPERSE_COMBINATIONS,
  MAX_REPLICA,
  isValidDisperse,
  type Durability,
} from '../domain/durability';
import { ID_PATTERN } from '../domain/ids';
import {
  devicePathProblem,
  glusterOptionProblem,
  hostnameProblem,
  MAX_TAGS,
  tagProblem,
  volumeNameProblem,
} from '../domain/names';
import type { VolumeCreateInput } from '../app/volume-input';
import { DEFAULT_SNAPSHOT_FACTOR } from '../app/volume-input';

/**
 * Request bodies. Messages follow Heketi's `validation failed: <field>: <reason>`; the field path is added
 * by readBody. Everything that can reach a storage node is checked against the strict patterns of
 * domain/names.ts here, before anything is recorded.
 */
const blank = 'cannot be blank.';
const id = z.string({ error: blank }).regex(ID_PATTERN, 'must be a 32 character hex id');
const bool = z.boolean({ error: 'must be true or false' });
const wholeNumber = (min: number, max: number) =>
  z
    .number({ error: (issue) => (issue.input === undefined ? blank : 'must be a number') })
    .int('must be an integer')
    .min(min, `must be no less than ${min}`)
    .max(max, `must be no greater than ${max}`);

/** Heketi's Required: the zero value counts as missing ("cannot be blank."). */
const requiredWholeNumber = (min: number, max: number) =>
  z
    .number({ error: (issue) => (issue.input === undefined ? blank : 'must be a number') })
    .refine((n) => n !== 0, blank)
    .pipe(wholeNumber(min, max));

const hostname = z.string({ error: blank }).superRefine((h, c) => {
  const problem = hostnameProblem(h);
  if (problem) c.addIssue({ code: 'custom', message: `"${h.slice(0, 64)}" ${problem}` });
});

export const tagsSchema = z
  .record(z.string(), z.string({ error: 'tag values must be strings' }))
  .superRefine((tags, c) => {
    if (Object.keys(tags).length > MAX_TAGS) c.addIssue({ code: 'custom', message: `at most ${MAX_TAGS} tags` });
    for (const [k, v] of Object.entries(tags)) {
      const problem = tagProblem(k, v);
      if (problem) c.addIssue({ code: 'custom', message: problem });
    }
  });

export const clusterCreateSchema = z.object({ file: bool.optional(), block: bool.optional() });
export const clusterFlagsSchema = z.object({ file: bool.optional(), block: bool.optional() });

export const nodeAddSchema = z.object({
  zone: z.number({ error: 'Zone cannot be zero or value is missing' }).int('must be an integer').min(1, 'Zone cannot be zero or value is missing').max(2 ** 31 - 1, 'is too large'),
  cluster: id,
  hostnames: z.object(
    {
      manage: z.array(hostname, { error: blank }).min(1, blank).max(8, 'at most 8 hostnames'),
      storage: z.array(hostname, { error: blank }).min(1, blank).max(8, 'at most 8 hostnames'),
    },
    { error: blank },
  ),
  tags: tagsSchema.optional(),
});

const stateSchema = z.enum(['online', 'offline', 'failed'], { error: 'must be one of online, offline, failed' });
export const stateChangeSchema = z.object({ state: stateSchema });

export const tagChangeSchema = z.object({
  change_type: z.enum(['set', 'update', 'delete'], { error: 'must be one of set, update, delete' }),
  tags: tagsSchema,
});

const devicePath = z.string({ error: blank }).superRefine((p, c) => {
  const problem = devicePathProblem(p);
  if (problem) c.addIssue({ code: 'custom', message: problem });
});

export const deviceAddSchema = z.object({
  node: id,
  name: devicePath,
  destroydata: bool.optional(),
  tags: tagsSchema.optional(),
});

// Heketi's clients send every field, zero values included: "" means "choose vol_<id>" (checked by
// volumeInputFrom), so only a non-empty name is held to the pattern.
const volumeName = z.string({ error: 'must be a string' }).superRefine((n, c) => {
  if (n === '') return;
  const problem = volumeNameProblem(n);
  if (problem) c.addIssue({ code: 'custom', message: problem });
});

const glusterOption = z.string({ error: 'options must be strings' }).superRefine((o, c) => {
  const problem = glusterOptionProblem(o);
  if (problem) c.addIssue({ code: 'custom', message: problem });
});

/** Largest size accepted (GiB): beyond any device, so a too-large request is answered "No space" as by Heketi. */
export const MAX_VOLUME_SIZE_GIB = 2 ** 40;

export const volumeCreateSchema = z.object({
  size: requiredWholeNumber(1, MAX_VOLUME_SIZE_GIB),
  name: volumeName.optional(),
  durability: z
    .object({
      type: z.string().optional(),
      replicate: z.object({ replica: z.number().int('must be an integer').optional() }).optional(),
      disperse: z
        .object({
          data: z.number().int('must be an integer').optional(),
          redundancy: z.number().int('must be an integer').optional(),
        })
        .optional(),
    })
    .optional(),
  gid: wholeNumber(0, 2 ** 31 - 2).optional(),
  glustervolumeoptions: z.array(glusterOption).max(64, 'at most 64 options').optional(),
  snapshot: z
    .object({
      enable: bool.optional(),
      // 0 is the Go client's zero value for "not given" (heketi-cli sends it with enable:false)
      factor: z
        .number({ error: 'must be a number' })
        .refine((f) => f === 0 || f >= 1, 'must be no less than 1')
        .refine((f) => f <= 100, 'must be no greater than 100')
        .optional(),
    })
    .optional(),
  clusters: z.array(id).max(64, 'at most 64 clusters').optional(),
  block: bool.optional(),
});

export const volumeExpandSchema = z.object({ expand_size: requiredWholeNumber(1, MAX_VOLUME_SIZE_GIB) });

export const adminStateSchema = z.object({
  state: z.enum(['normal', 'read-only', 'local-client'], { error: 'must be one of normal, read-only, local-client' }),
});

/** Heketi's durability rules: type omitted = none; replica 1-3 (default 3); disperse in the known combinations. */
export function durabilityFrom(d: z.output<typeof volumeCreateSchema>['durability']): Durability {
  const type = d?.type ?? '';
  switch (type) {
    case '':
    case 'none':
      return { type: 'none' };
    case 'replicate': {
      const replica = d?.replicate?.replica || DEFAULT_REPLICA;
      if (replica < 1 || replica > MAX_REPLICA) {
        // Heketi's words first (clients match them), then what would be accepted.
        const allowed = Array.from({ length: MAX_REPLICA }, (_, i) => i + 1);
        throw new DomainError('validation', `Invalid replica value ${replica}: replica must be ${allowed.slice(0, -1).join(', ')} or ${MAX_REPLICA}`);
      }
      return { type: 'replicate', replica };
    }
    case 'disperse': {
      const data = d?.disperse?.data || DEFAULT_DISPERSE.data;
      const redundancy = d?.disperse?.redundancy || DEFAULT_DISPERSE.redundancy;
      if (!isValidDisperse(data, redundancy)) {
        const allowed = DISPERSE_COMBINATIONS.map(([dd, rr]) => `${dd}+${rr}`).join(', ');
        throw new DomainError('validation', `Invalid dispersion combination: ${data}+${redundancy}; allowed: ${allowed}`);
      }
      return { type: 'disperse', data, redundancy };
    }
    default:
      throw new DomainError('validation', 'Unknown durability type');
  }
}

export function volumeInputFrom(body: z.output<typeof volumeCreateSchema>): VolumeCreateInput {
  if (body.block) throw new DomainError('validation', 'validation failed: block: block volumes are not supported');
  const enable = body.snapshot?.enable ?? false;
  return {
    sizeGib: body.size,
    name: body.name === '' ? undefined : body.name,
    durability: durabilityFrom(body.durability),
    gid: body.gid ?? 0,
    glusterVolumeOptions: (body.glustervolumeoptions ?? []).map((o) => o.trim().replace(/\s+/, ' ')),
    snapshot: { enable, factor: enable ? body.snapshot?.factor || DEFAULT_SNAPSHOT_FACTOR : 1 },
    clusters: [...new Set(body.clusters ?? [])],
  };
}
