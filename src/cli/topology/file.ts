import { devicePathProblem, hostnameProblem, MAX_TAGS, tagProblem } from '../../domain/names';

/**
 * heketi-cli's topology file: {"clusters":[{"file"?,"block"?,"nodes":[{"node":{"hostnames":{"manage":[..],
 * "storage":[..]},"zone":N,"tags"?},"devices":["/dev/sdb" | {"name","destroydata"?,"tags"?}]}]}]}.
 * Checked whole, with the server's own rules, before anything is sent; `where` paths point into the file.
 */
export interface FileDevice {
  where: string;
  name: string;
  destroyData: boolean;
  tags: Record<string, string>;
}

export interface FileNode {
  where: string;
  manage: string[];
  storage: string[];
  zone: number;
  tags: Record<string, string>;
  devices: FileDevice[];
}

export interface FileCluster {
  where: string;
  file: boolean;
  block: boolean;
  nodes: FileNode[];
}

export interface TopologyFile {
  clusters: FileCluster[];
}

/** One wrong entry: where it is in the file and what is wrong with it. */
export class TopologyFileError extends Error {
  constructor(
    readonly where: string,
    readonly problem: string,
  ) {
    super(where ? `${where}: ${problem}` : problem);
    this.name = 'TopologyFileError';
  }
}

const MAX_HOSTNAMES = 8;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function quote(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}...` : s);
}

function optionalBoolean(value: unknown, where: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TopologyFileError(where, 'must be true or false');
  return value;
}

function parseTags(value: unknown, where: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new TopologyFileError(where, 'must be an object of "key": "value" strings');
  const entries = Object.entries(value);
  if (entries.length > MAX_TAGS) throw new TopologyFileError(where, `at most ${MAX_TAGS} tags`);
  const tags: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw new TopologyFileError(`${where}.${k}`, 'tag values must be strings');
    const problem = tagProblem(k, v);
    if (problem) throw new TopologyFileError(`${where}.${k}`, problem);
    tags[k] = v;
  }
  return tags;
}

function parseHostnames(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.length === 0) throw new TopologyFileError(where, 'must be a list of at least one hostname');
  if (value.length > MAX_HOSTNAMES) throw new TopologyFileError(where, `at most ${MAX_HOSTNAMES} hostnames`);
  return value.map((h, i) => {
    if (typeof h !== 'string') throw new TopologyFileError(`${where}[${i}]`, 'must be a string');
    const problem = hostnameProblem(h);
    if (problem) throw new TopologyFileError(`${where}[${i}]`, `${quote(h)} ${problem}`);
    return h;
  });
}

function parseDevice(value: unknown, where: string): FileDevice {
  // Older heketi-cli files list devices as plain strings.
  const entry = typeof value === 'string' ? { name: value } : value;
  if (!isObject(entry)) throw new TopologyFileError(where, 'must be a device path or {"name": "/dev/..."}');
  const name = entry.name;
  if (typeof name !== 'string' || name === '') throw new TopologyFileError(`${where}.name`, 'is missing');
  const problem = devicePathProblem(name);
  if (problem) throw new TopologyFileError(where, `${quote(name)} ${problem}`);
  return {
    where,
    name,
    destroyData: optionalBoolean(entry.destroydata, `${where}.destroydata`, false),
    tags: parseTags(entry.tags, `${where}.tags`),
  };
}

function parseNode(value: unknown, where: string): FileNode {
  if (!isObject(value)) throw new TopologyFileError(where, 'must be an object with "node" and "devices"');
  const node = value.node;
  if (!isObject(node)) throw new TopologyFileError(`${where}.node`, 'is missing');
  const hostnames = node.hostnames;
  if (!isObject(hostnames)) throw new TopologyFileError(`${where}.node.hostnames`, 'is missing');
  const manage = parseHostnames(hostnames.manage, `${where}.node.hostnames.manage`);
  const storage = parseHostnames(hostnames.storage, `${where}.node.hostnames.storage`);
  const zone = node.zone;
  if (typeof zone !== 'number' || !Number.isInteger(zone) || zone < 1 || zone > 2 ** 31 - 1) {
    throw new TopologyFileError(`${where}.node.zone`, `must be a whole number of at least 1 (got ${quote(zone ?? 'nothing')})`);
  }
  const tags = parseTags(node.tags, `${where}.node.tags`);
  const rawDevices = value.devices ?? [];
  if (!Array.isArray(rawDevices)) throw new TopologyFileError(`${where}.devices`, 'must be a list');
  const devices = rawDevices.map((d, i) => parseDevice(d, `${where}.devices[${i}]`));
  const seen = new Map<string, string>();
  for (const d of devices) {
    const first = seen.get(d.name);
    if (first) throw new TopologyFileError(d.where, `${quote(d.name)} is listed twice on this node (also at ${first})`);
    seen.set(d.name, d.where);
  }
  return { where, manage, storage, zone, tags, devices };
}

/** Every hostname appears once in the file for its kind (the server keeps manage and storage names unique). */
function checkUniqueHostnames(clusters: FileCluster[]): void {
  for (const kind of ['manage', 'storage'] as const) {
    const seen = new Map<string, string>();
    for (const node of clusters.flatMap((c) => c.nodes)) {
      node[kind].forEach((h, i) => {
        const where = `${node.where}.node.hostnames.${kind}[${i}]`;
        const first = seen.get(h);
        if (first) throw new TopologyFileError(where, `${quote(h)} is already used at ${first}`);
        seen.set(h, where);
      });
    }
  }
}

export function parseTopologyFile(raw: unknown): TopologyFile {
  if (!isObject(raw)) throw new TopologyFileError('', 'the file must hold a JSON object with "clusters"');
  if (!Array.isArray(raw.clusters)) throw new TopologyFileError('clusters', 'must be a list');
  const clusters = raw.clusters.map((c, ci): FileCluster => {
    const where = `clusters[${ci}]`;
    if (!isObject(c)) throw new TopologyFileError(where, 'must be an object with "nodes"');
    if (!Array.isArray(c.nodes)) throw new TopologyFileError(`${where}.nodes`, 'must be a list');
    return {
      where,
      file: optionalBoolean(c.file, `${where}.file`, true),
      block: optionalBoolean(c.block, `${where}.block`, true),
      nodes: c.nodes.map((n, ni) => parseNode(n, `${where}.nodes[${ni}]`)),
    };
  });
  checkUniqueHostnames(clusters);
  return { clusters };
}

/** Reads JSON text; a syntax error names the line and column where it can be seen. */
export function parseTopologyText(text: string): TopologyFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new TopologyFileError('', `not valid JSON: ${(err as Error).message}`);
  }
  return parseTopologyFile(raw);
}
