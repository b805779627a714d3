import { readFileSync } from 'node:fs';
import { configSchema, type Config } from './schema';

/** Drop Heketi-style comment keys ("_comment") at every level before validation. */
function stripComments(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripComments);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) => !k.startsWith('_'))
        .map(([k, v]) => [k, stripComments(v)]),
    );
  }
  return value;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (!node[key] || typeof node[key] !== 'object') node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

const bool = (v: string): boolean => /^(1|true|yes|on)$/i.test(v.trim());
const int = (v: string): number => Number.parseInt(v, 10);

/** Environment variables that override the file, as Heketi's do, plus Brickyard's own. */
const ENV_OVERRIDES: Array<[string, string[], (v: string) => unknown]> = [
  ['HEKETI_EXECUTOR', ['glusterfs', 'executor'], String],
  ['HEKETI_ADMIN_KEY', ['jwt', 'admin', 'key'], String],
  ['HEKETI_USER_KEY', ['jwt', 'user', 'key'], String],
  ['HEKETI_USE_AUTH', ['use_auth'], bool],
  ['HEKETI_ZONE_CHECKING', ['glusterfs', 'zone_checking'], String],
  ['HEKETI_DB_PATH', ['glusterfs', 'db'], String],
  ['HEKETI_MAX_INFLIGHT_OPERATIONS', ['glusterfs', 'max_inflight_operations'], int],
  ['HEKETI_GLUSTERAPP_LOGLEVEL', ['glusterfs', 'loglevel'], String],
  ['HEKETI_SSH_KEYFILE', ['glusterfs', 'sshexec', 'keyfile'], String],
  ['HEKETI_SSH_USER', ['glusterfs', 'sshexec', 'user'], String],
  ['HEKETI_SSH_PORT', ['glusterfs', 'sshexec', 'port'], String],
  ['HEKETI_KUBE_NAMESPACE', ['glusterfs', 'kubeexec', 'namespace'], String],
  ['HEKETI_HTTP_PORT', ['port'], String],
  ['BRICKYARD_DB_URL', ['glusterfs', 'db'], String],
  ['BRICKYARD_PORT', ['port'], String],
  ['BRICKYARD_BIND', ['bind'], String],
  ['BRICKYARD_LOG_LEVEL', ['glusterfs', 'loglevel'], String],
  ['BRICKYARD_DB_WAIT_SECONDS', ['glusterfs', 'db_wait_seconds'], Number],
  ['BRICKYARD_OPERATION_LEASE_SECONDS', ['glusterfs', 'operation_lease_seconds'], Number],
];

export class ConfigError extends Error {}

/** Reads heketi.json (optional), applies environment overrides, validates. */
export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Config {
  let raw: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
    }
    try {
      raw = stripComments(JSON.parse(text)) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError(`config file ${file} is not valid JSON: ${(e as Error).message}`);
    }
  }
  for (const [name, path, convert] of ENV_OVERRIDES) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(raw, path, convert(value));
  }
  return parseConfig(raw, file ?? 'defaults');
}

export function parseConfig(raw: unknown, source = 'config'): Config {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration in ${source}: ${problems.join('; ')}`);
  }
  const config = parsed.data;
  if (config.use_auth && !config.jwt.admin.key) {
    throw new ConfigError(`invalid configuration in ${source}: use_auth needs jwt.admin.key`);
  }
  return config;
}
