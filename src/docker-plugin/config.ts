import { existsSync, readFileSync } from 'node:fs';
import { parseServerUrl } from '../client/server-url';
import { checkMountPath } from '../mount/commands';
import { OptionError, PluginError } from './errors';
import { checkOptions, type VolumeOptions } from './options';

/**
 * The plugin's settings: flags first, then the environment, then the config file, then built-in defaults.
 * The connection takes the CLI's variables (HEKETI_CLI_SERVER / _USER / _KEY) so a host set up for the CLI
 * needs nothing more.
 */
export interface PluginConfig {
  server: string;
  user: string;
  key: string;
  socket: string;
  stateDir: string;
  logDir: string;
  keepOnRemove: boolean;
  defaults: VolumeOptions;
  /** Where the settings came from, for the start-up log line. */
  configFile?: string;
}

export interface PluginFlags {
  config?: string;
  server?: string;
  user?: string;
  secret?: string;
  socket?: string;
  stateDir?: string;
  logDir?: string;
  keepOnRemove?: boolean;
  /** Repeatable `--default key=value`. */
  default?: string[];
}

export const DEFAULT_CONFIG_FILE = '/etc/brickyard/docker-plugin.json';
export const DEFAULT_SOCKET = '/run/docker/plugins/brickyard.sock';
export const DEFAULT_STATE_DIR = '/var/lib/brickyard-docker';
export const DEFAULT_LOG_DIR = '/var/log/glusterfs/brickyard-docker';

interface FileSettings {
  server?: string;
  user?: string;
  key?: string;
  socket?: string;
  stateDir?: string;
  logDir?: string;
  keepOnRemove?: boolean;
  defaults?: Record<string, string | number>;
}

const FILE_KEYS = ['server', 'user', 'key', 'socket', 'stateDir', 'logDir', 'keepOnRemove', 'defaults'];

export function parseConfigFile(text: string, file: string): FileSettings {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new PluginError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new PluginError(`${file} must hold a JSON object`);
  const settings = parsed as Record<string, unknown>;
  for (const [key, value] of Object.entries(settings)) {
    if (!FILE_KEYS.includes(key)) throw new PluginError(`${file}: unknown setting "${key}" (known: ${FILE_KEYS.join(', ')})`);
    if (key === 'keepOnRemove' ? typeof value !== 'boolean' : key === 'defaults' ? typeof value !== 'object' : typeof value !== 'string') {
      throw new PluginError(`${file}: setting ${key} must be ${key === 'keepOnRemove' ? 'true or false' : key === 'defaults' ? 'an object of volume options' : 'a string'}`);
    }
  }
  return settings as FileSettings;
}

function parseDefaults(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new PluginError(`--default takes key=value, not "${pair}"`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

function normalizeServer(raw: string): string {
  const parsed = parseServerUrl(raw);
  if ('problem' in parsed) throw new PluginError(`server "${raw}" ${parsed.problem}`);
  return parsed.url;
}

export function resolvePluginConfig(flags: PluginFlags, env: NodeJS.ProcessEnv, readFile: (file: string) => string | undefined = readIfExists): PluginConfig {
  const explicit = flags.config ?? env.BRICKYARD_DOCKER_CONFIG;
  const file = explicit ?? DEFAULT_CONFIG_FILE;
  const text = readFile(file);
  if (text === undefined && explicit) throw new PluginError(`config file ${file} does not exist`);
  const fromFile = text === undefined ? {} : parseConfigFile(text, file);

  const server = flags.server || env.HEKETI_CLI_SERVER || fromFile.server || '';
  if (!server) throw new PluginError(`the Brickyard server is not set: use --server, HEKETI_CLI_SERVER or "server" in ${file}`);
  const path = (field: string, value: string) => {
    try {
      return checkMountPath(field, value);
    } catch (err) {
      throw new PluginError((err as Error).message);
    }
  };
  let defaults: VolumeOptions;
  try {
    defaults = { ...checkOptions(fromFile.defaults, 'default'), ...checkOptions(parseDefaults(flags.default ?? []), 'default') };
  } catch (err) {
    if (err instanceof OptionError) throw new PluginError(err.message);
    throw err;
  }
  return {
    server: normalizeServer(server),
    user: flags.user || env.HEKETI_CLI_USER || fromFile.user || '',
    key: flags.secret || env.HEKETI_CLI_KEY || fromFile.key || '',
    socket: path('socket', flags.socket || env.BRICKYARD_DOCKER_SOCKET || fromFile.socket || DEFAULT_SOCKET),
    stateDir: path('stateDir', flags.stateDir || env.BRICKYARD_DOCKER_STATE_DIR || fromFile.stateDir || DEFAULT_STATE_DIR),
    logDir: path('logDir', flags.logDir || fromFile.logDir || DEFAULT_LOG_DIR),
    keepOnRemove: flags.keepOnRemove ?? fromFile.keepOnRemove ?? false,
    defaults,
    configFile: text === undefined ? undefined : file,
  };
}

function readIfExists(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}
