import { isValidDisperse, MAX_REPLICA } from '../../domain/durability';
import { isId } from '../../domain/ids';
import { brickPath, brickLvName } from '../../domain/model';
import {
  devicePathProblem,
  glusterOptionProblem,
  hostnameProblem,
  MAX_TAGS,
  tagProblem,
  volumeNameProblem,
} from '../../domain/names';
import {
  BRICK_SUBTYPE_ARBITER,
  type HeketiBrickEntry,
  type HeketiClusterEntry,
  type HeketiDeviceEntry,
  type HeketiDocument,
  type HeketiNodeEntry,
  type HeketiVolumeEntry,
} from './document';
import { ImportRefused } from './refusal';
import { refusePendingOperations } from './pending';

export { ImportRefused };

const MAX_KIB = 2 ** 50; // 1 EiB: anything larger is corrupt
const STATES = ['online', 'offline', 'failed'];
const ENTRY_MAPS = ['clusterentries', 'volumeentries', 'brickentries', 'nodeentries', 'deviceentries'] as const;
const ATTRIBUTE_KEY = /^[A-Z0-9_]{1,64}$/;
const ATTRIBUTE_VALUE = /^[A-Za-z0-9_.-]{0,256}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => JSON.stringify(v)?.slice(0, 80) ?? String(v);

/** Collects problems as `<where>: <what>` while reading fields. */
class Reader {
  readonly problems: string[] = [];

  add(where: string, what: string): void {
    this.problems.push(`${where}: ${what}`);
  }

  obj(parent: Obj, key: string, where: string): Obj {
    const v = parent[key];
    if (isObj(v)) return v;
    this.add(`${where}.${key}`, v === undefined ? 'is missing' : 'must be an object');
    return {};
  }

  str(parent: Obj, key: string, where: string, optional = false): string {
    const v = parent[key];
    if (typeof v === 'string') return v;
    if (v === undefined && optional) return '';
    this.add(`${where}.${key}`, v === undefined ? 'is missing' : `must be a string, not ${show(v)}`);
    return '';
  }

  int(parent: Obj, key: string, where: string, min: number, max: number, optional = false): number {
    const v = parent[key];
    if (v === undefined && optional) return 0;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      this.add(`${where}.${key}`, v === undefined ? 'is missing' : `must be a whole number, not ${show(v)}`);
      return 0;
    }
    if (v < min || v > max) {
      this.add(`${where}.${key}`, `${v} is out of range ${min}..${max}`);
      return 0;
    }
    return v;
  }

  bool(parent: Obj, key: string, where: string): boolean {
    const v = parent[key];
    if (typeof v === 'boolean') return v;
    this.add(`${where}.${key}`, v === undefined ? 'is missing' : `must be true or false, not ${show(v)}`);
    return false;
  }

  ids(parent: Obj, key: string, where: string, optional = false): string[] {
    const v = parent[key];
    if ((v === undefined || v === null) && optional) return [];
    if (!Array.isArray(v)) {
      this.add(`${where}.${key}`, v === undefined ? 'is missing' : 'must be a list of ids');
      return [];
    }
    const bad = v.find((i) => !isId(i));
    if (bad !== undefined) this.add(`${where}.${key}`, `${show(bad)} is not a 32 character hex id`);
    if (new Set(v).size !== v.length) this.add(`${where}.${key}`, 'lists an id twice');
    return v.filter(isId);
  }

  strings(parent: Obj, key: string, where: string): string[] {
    const v = parent[key];
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
      this.add(`${where}.${key}`, v === undefined ? 'is missing' : 'must be a list of strings');
      return [];
    }
    return v as string[];
  }

  tags(parent: Obj, key: string, where: string): Record<string, string> | undefined {
    const v = parent[key];
    if (v === undefined || v === null) return undefined;
    if (!isObj(v)) {
      this.add(`${where}.${key}`, 'must be an object of strings');
      return undefined;
    }
    if (Object.keys(v).length > MAX_TAGS) this.add(`${where}.${key}`, `at most ${MAX_TAGS} tags`);
    for (const [k, value] of Object.entries(v)) {
      const problem = typeof value !== 'string' ? `tag "${k.slice(0, 64)}" value must be a string` : tagProblem(k, value);
      if (problem) this.add(`${where}.${key}`, problem);
    }
    return v as Record<string, string>;
  }

  hostnames(list: string[], where: string): void {
    if (list.length === 0) this.add(where, 'cannot be empty');
    if (list.length > 8) this.add(where, 'at most 8 hostnames');
    for (const h of list) {
      const problem = hostnameProblem(h);
      if (problem) this.add(where, `${show(h)} ${problem}`);
    }
  }

  state(parent: Obj, key: string, where: string): string {
    const s = this.str(parent, key, where);
    if (s !== '' && !STATES.includes(s)) this.add(`${where}.${key}`, `must be one of ${STATES.join(', ')}, not ${show(s)}`);
    return s;
  }

  noPending(entry: Obj, where: string): void {
    const p = entry.Pending;
    if (p === undefined || p === null) return;
    if (!isObj(p) || (p.Id !== undefined && p.Id !== '' && typeof p.Id !== 'string')) this.add(`${where}.Pending`, 'must be {"Id": ""}');
    else if (typeof p.Id === 'string' && p.Id !== '') this.add(`${where}.Pending.Id`, `belongs to pending operation ${show(p.Id)}`);
  }
}

/** Parses the file's text; a truncated or non-JSON file is refused before anything else. */
export function parseHeketiText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ImportRefused([`file: is not valid JSON (${(err as Error).message})`]);
  }
}

/**
 * Checks every entry of the document with the rules API input follows (ids, names, paths, hostnames, sizes),
 * and the references between entries, before anything is written. Returns the document typed, or throws
 * ImportRefused listing every problem.
 */
export function validateHeketiDocument(raw: unknown): HeketiDocument {
  const r = new Reader();
  if (!isObj(raw)) throw new ImportRefused(['file: must be a JSON object with Heketi\'s entry maps (clusterentries, ...)']);
  for (const key of ENTRY_MAPS) if (!isObj(raw[key])) r.add(key, raw[key] === undefined ? 'is missing' : 'must be an object keyed by id');
  for (const key of ['blockvolumeentries', 'dbattributeentries', 'pendingoperations']) {
    if (raw[key] !== undefined && raw[key] !== null && !isObj(raw[key])) r.add(key, 'must be an object keyed by id');
  }
  if (r.problems.length > 0) throw new ImportRefused(r.problems);

  const doc = {
    clusterentries: raw.clusterentries,
    volumeentries: raw.volumeentries,
    brickentries: raw.brickentries,
    nodeentries: raw.nodeentries,
    deviceentries: raw.deviceentries,
    blockvolumeentries: (raw.blockvolumeentries ?? {}) as Obj,
    dbattributeentries: (raw.dbattributeentries ?? {}) as Obj,
    pendingoperations: (raw.pendingoperations ?? {}) as Obj,
  } as unknown as HeketiDocument;

  for (const key of ENTRY_MAPS) {
    for (const [id, entry] of Object.entries(doc[key] as Record<string, unknown>)) {
      if (!isId(id)) r.add(`${key}.${show(id)}`, 'the key is not a 32 character hex id');
      if (!isObj(entry) || !isObj(entry.Info)) r.add(`${key}.${id.slice(0, 40)}`, 'must be an object with Info');
      else if (entry.Info.id !== id) r.add(`${key}.${id.slice(0, 40)}.Info.id`, `${show(entry.Info.id)} differs from its key`);
    }
  }
  if (r.problems.length > 0) throw new ImportRefused(r.problems);
  // A file with half-done operations is refused for that, before its entries are judged.
  refusePendingOperations(doc);

  for (const [id, c] of Object.entries(doc.clusterentries)) checkCluster(r, id, c, doc);
  for (const [id, n] of Object.entries(doc.nodeentries)) checkNode(r, id, n, doc);
  for (const [id, d] of Object.entries(doc.deviceentries)) checkDevice(r, id, d, doc);
  for (const [id, v] of Object.entries(doc.volumeentries)) checkVolume(r, id, v, doc);
  for (const [id, b] of Object.entries(doc.brickentries)) checkBrick(r, id, b, doc);
  checkUnique(r, doc);
  checkAttributes(r, doc);
  if (Object.keys(doc.blockvolumeentries).length > 0) {
    r.add('blockvolumeentries', `holds ${Object.keys(doc.blockvolumeentries).length} block volumes; Brickyard does not manage block volumes`);
  }
  if (r.problems.length > 0) throw new ImportRefused(r.problems);
  return doc;
}

function checkCluster(r: Reader, id: string, c: HeketiClusterEntry, doc: HeketiDocument): void {
  const w = `clusterentries.${id}.Info`;
  const info = c.Info as unknown as Obj;
  r.bool(info, 'file', w);
  r.bool(info, 'block', w);
  for (const n of r.ids(info, 'nodes', w, true)) {
    if (doc.nodeentries[n]?.Info.cluster !== id) r.add(`${w}.nodes`, `node ${n} is not a node of this cluster in nodeentries`);
  }
  for (const v of r.ids(info, 'volumes', w, true)) {
    if (doc.volumeentries[v]?.Info.cluster !== id) r.add(`${w}.volumes`, `volume ${v} is not a volume of this cluster in volumeentries`);
  }
  if (r.ids(info, 'blockvolumes', w, true).length > 0) r.add(`${w}.blockvolumes`, 'block volumes are not supported');
}

function checkNode(r: Reader, id: string, n: HeketiNodeEntry, doc: HeketiDocument): void {
  const w = `nodeentries.${id}`;
  r.state(n as unknown as Obj, 'State', w);
  const info = n.Info as unknown as Obj;
  r.int(info, 'zone', `${w}.Info`, 1, 2 ** 31 - 1);
  const cluster = r.str(info, 'cluster', `${w}.Info`);
  if (cluster && !doc.clusterentries[cluster]) r.add(`${w}.Info.cluster`, `cluster ${show(cluster)} is not in clusterentries`);
  else if (cluster && !doc.clusterentries[cluster]!.Info.nodes?.includes?.(id)) r.add(`${w}.Info.cluster`, `cluster ${cluster} does not list this node`);
  const hostnames = r.obj(info, 'hostnames', `${w}.Info`);
  r.hostnames(r.strings(hostnames, 'manage', `${w}.Info.hostnames`), `${w}.Info.hostnames.manage`);
  r.hostnames(r.strings(hostnames, 'storage', `${w}.Info.hostnames`), `${w}.Info.hostnames.storage`);
  r.tags(info, 'tags', `${w}.Info`);
  for (const d of r.ids(n as unknown as Obj, 'Devices', w, true)) {
    if (doc.deviceentries[d]?.NodeId !== id) r.add(`${w}.Devices`, `device ${d} is not a device of this node in deviceentries`);
  }
}

function checkDevice(r: Reader, id: string, d: HeketiDeviceEntry, doc: HeketiDocument): void {
  const w = `deviceentries.${id}`;
  const entry = d as unknown as Obj;
  r.state(entry, 'State', w);
  const info = d.Info as unknown as Obj;
  const name = r.str(info, 'name', `${w}.Info`);
  const problem = name ? devicePathProblem(name) : null;
  if (problem) r.add(`${w}.Info.name`, `${show(name)} ${problem}`);
  const storage = r.obj(info, 'storage', `${w}.Info`);
  const total = r.int(storage, 'total', `${w}.Info.storage`, 0, MAX_KIB);
  r.int(storage, 'free', `${w}.Info.storage`, -MAX_KIB, MAX_KIB);
  r.int(storage, 'used', `${w}.Info.storage`, -MAX_KIB, MAX_KIB);
  r.tags(info, 'tags', `${w}.Info`);
  if (info.paths !== undefined && info.paths !== null) {
    for (const p of r.strings(info, 'paths', `${w}.Info`)) {
      const pp = devicePathProblem(p);
      if (pp) r.add(`${w}.Info.paths`, `${show(p)} ${pp}`);
    }
  }
  const pvUuid = r.str(info, 'pv_uuid', `${w}.Info`, true);
  if (!/^[A-Za-z0-9-]{0,64}$/.test(pvUuid)) r.add(`${w}.Info.pv_uuid`, 'must be letters, digits and -');
  const extent = r.int(entry, 'ExtentSize', w, 0, 16 * 1024 * 1024);
  if (extent !== 0 && extent % 4 !== 0) r.add(`${w}.ExtentSize`, `${extent} KiB is not a whole number of 4 KiB`);
  if (extent !== 0 && total % extent !== 0) r.add(`${w}.Info.storage.total`, `${total} KiB is not a whole number of extents (${extent} KiB)`);
  const nodeId = r.str(entry, 'NodeId', w);
  if (nodeId && !doc.nodeentries[nodeId]) r.add(`${w}.NodeId`, `node ${show(nodeId)} is not in nodeentries`);
  else if (nodeId && !doc.nodeentries[nodeId]!.Devices?.includes?.(id)) r.add(`${w}.NodeId`, `node ${nodeId} does not list this device`);
  for (const b of r.ids(entry, 'Bricks', w, true)) {
    if (doc.brickentries[b]?.Info.device !== id) r.add(`${w}.Bricks`, `brick ${b} is not a brick of this device in brickentries`);
  }
}

function checkVolume(r: Reader, id: string, v: HeketiVolumeEntry, doc: HeketiDocument): void {
  const w = `volumeentries.${id}`;
  const entry = v as unknown as Obj;
  const info = v.Info as unknown as Obj;
  r.int(info, 'size', `${w}.Info`, 1, 1024 * 1024);
  const name = r.str(info, 'name', `${w}.Info`);
  const nameProblem = name ? volumeNameProblem(name) : null;
  if (nameProblem) r.add(`${w}.Info.name`, `${show(name)} ${nameProblem}`);
  const durability = r.obj(info, 'durability', `${w}.Info`);
  const type = r.str(durability, 'type', `${w}.Info.durability`);
  if (type === 'replicate') {
    r.int(r.obj(durability, 'replicate', `${w}.Info.durability`), 'replica', `${w}.Info.durability.replicate`, 1, MAX_REPLICA);
  } else if (type === 'disperse') {
    const disperse = r.obj(durability, 'disperse', `${w}.Info.durability`);
    const data = r.int(disperse, 'data', `${w}.Info.durability.disperse`, 1, 64);
    const redundancy = r.int(disperse, 'redundancy', `${w}.Info.durability.disperse`, 1, 64);
    if (data && redundancy && !isValidDisperse(data, redundancy)) r.add(`${w}.Info.durability.disperse`, `${data}+${redundancy} is not a supported combination`);
  } else if (type !== 'none' && type !== '') {
    r.add(`${w}.Info.durability.type`, `must be none, replicate or disperse, not ${show(type)}`);
  }
  r.int(info, 'gid', `${w}.Info`, 0, 2 ** 31 - 2, true);
  const snapshot = r.obj(info, 'snapshot', `${w}.Info`);
  r.bool(snapshot, 'enable', `${w}.Info.snapshot`);
  const factor = snapshot.factor;
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1 || factor > 100) {
    r.add(`${w}.Info.snapshot.factor`, `must be a number from 1 to 100, not ${show(factor)}`);
  }
  const cluster = r.str(info, 'cluster', `${w}.Info`);
  if (cluster && !doc.clusterentries[cluster]) r.add(`${w}.Info.cluster`, `cluster ${show(cluster)} is not in clusterentries`);
  else if (cluster && !doc.clusterentries[cluster]!.Info.volumes?.includes?.(id)) r.add(`${w}.Info.cluster`, `cluster ${cluster} does not list this volume`);
  if (info.block === true) r.add(`${w}.Info.block`, 'block-hosting volumes are not supported');
  const mount = r.obj(r.obj(info, 'mount', `${w}.Info`), 'glusterfs', `${w}.Info.mount`);
  r.hostnames(r.strings(mount, 'hosts', `${w}.Info.mount.glusterfs`), `${w}.Info.mount.glusterfs.hosts`);
  const bricks = r.ids(entry, 'Bricks', w);
  if (bricks.length === 0) r.add(`${w}.Bricks`, 'a volume needs bricks');
  for (const b of bricks) {
    if (doc.brickentries[b]?.Info.volume !== id) r.add(`${w}.Bricks`, `brick ${b} is not a brick of this volume in brickentries`);
  }
  const options = entry.GlusterVolumeOptions;
  if (options !== undefined && options !== null) {
    for (const o of r.strings(entry, 'GlusterVolumeOptions', w)) {
      const problem = o.trim() === '' ? null : glusterOptionProblem(o);
      if (problem) r.add(`${w}.GlusterVolumeOptions`, problem);
    }
  }
  r.noPending(entry, w);
}

function checkBrick(r: Reader, id: string, b: HeketiBrickEntry, doc: HeketiDocument): void {
  const w = `brickentries.${id}`;
  const entry = b as unknown as Obj;
  const info = b.Info as unknown as Obj;
  const deviceId = r.str(info, 'device', `${w}.Info`);
  const device = doc.deviceentries[deviceId];
  if (deviceId && !device) r.add(`${w}.Info.device`, `device ${show(deviceId)} is not in deviceentries`);
  const nodeId = r.str(info, 'node', `${w}.Info`);
  if (nodeId && !doc.nodeentries[nodeId]) r.add(`${w}.Info.node`, `node ${show(nodeId)} is not in nodeentries`);
  else if (device && device.NodeId !== nodeId) r.add(`${w}.Info.node`, `is not the node of device ${deviceId}`);
  const volumeId = r.str(info, 'volume', `${w}.Info`);
  if (volumeId && !doc.volumeentries[volumeId]) r.add(`${w}.Info.volume`, `volume ${show(volumeId)} is not in volumeentries`);
  const path = r.str(info, 'path', `${w}.Info`);
  if (path.split('/').some((part) => part === '..' || part === '.')) r.add(`${w}.Info.path`, `${show(path)} must not contain . or .. components`);
  else if (path && isId(deviceId) && path !== brickPath(deviceId, id)) {
    // Heketi makes every brick at this path; Brickyard acts on bricks (mount, fstab, LVs) by the same layout.
    r.add(`${w}.Info.path`, `${show(path)} is not Heketi's brick path ${brickPath(deviceId, id)}`);
  }
  const size = r.int(info, 'size', `${w}.Info`, 1, MAX_KIB);
  const tp = r.int(entry, 'TpSize', w, 1, MAX_KIB);
  r.int(entry, 'PoolMetadataSize', w, 1, MAX_KIB);
  if (size && tp && tp < size && b.SubType !== BRICK_SUBTYPE_ARBITER) r.add(`${w}.TpSize`, `${tp} KiB is smaller than the brick (${size} KiB)`);
  const pool = r.str(entry, 'LvmThinPool', w, true);
  if (pool !== '' && !/^tp_[0-9a-f]{32}$/.test(pool)) r.add(`${w}.LvmThinPool`, `${show(pool)} is not a Heketi thin pool name (tp_ and 32 hex characters)`);
  const lv = r.str(entry, 'LvmLv', w, true);
  if (lv !== '' && lv !== brickLvName(id)) r.add(`${w}.LvmLv`, `${show(lv)} is not Heketi's LV name ${brickLvName(id)}`);
  r.int(entry, 'SubType', w, 0, 2, true);
  r.noPending(entry, w);
}

/** Names the database keeps unique: volume names, hostnames, device names per node, brick paths. */
function checkUnique(r: Reader, doc: HeketiDocument): void {
  const seen = new Map<string, string>();
  const once = (key: string, owner: string, where: string, what: string) => {
    const first = seen.get(key);
    if (first && first !== owner) r.add(where, `${what} is also used by ${first}`);
    else seen.set(key, owner);
  };
  for (const [id, v] of Object.entries(doc.volumeentries)) {
    once(`volume:${v.Info.name}`, `volume ${id}`, `volumeentries.${id}.Info.name`, `name ${show(v.Info.name)}`);
  }
  for (const [id, n] of Object.entries(doc.nodeentries)) {
    for (const kind of ['manage', 'storage'] as const) {
      for (const h of n.Info.hostnames?.[kind] ?? []) {
        once(`${kind}:${String(h).toLowerCase()}`, `node ${id}`, `nodeentries.${id}.Info.hostnames.${kind}`, `hostname ${show(h)}`);
      }
    }
  }
  for (const [id, b] of Object.entries(doc.brickentries)) {
    // one pool per brick, as Heketi makes them: a shared pool would be counted twice and removed too early
    const pool = b.LvmThinPool || `tp_${id}`;
    once(`pool:${b.Info.device}:${pool}`, `brick ${id}`, `brickentries.${id}.LvmThinPool`, `thin pool ${show(pool)}`);
  }
  for (const [id, d] of Object.entries(doc.deviceentries)) {
    once(`device:${d.NodeId}:${d.Info.name}`, `device ${id}`, `deviceentries.${id}.Info.name`, `device ${show(d.Info.name)} on node ${d.NodeId}`);
  }
}

function checkAttributes(r: Reader, doc: HeketiDocument): void {
  for (const [key, a] of Object.entries(doc.dbattributeentries as Record<string, unknown>)) {
    const w = `dbattributeentries.${show(key)}`;
    if (!ATTRIBUTE_KEY.test(key)) r.add(w, 'the key must be capital letters, digits and _');
    if (!isObj(a) || a.Key !== key || typeof a.Value !== 'string' || !ATTRIBUTE_VALUE.test(a.Value)) {
      r.add(w, 'must be {"Key": <its key>, "Value": <letters, digits, _ . ->}');
    }
  }
}
