import type { Knex } from 'knex';
import type { Brick, Cluster, StorageNode, Volume } from '../../domain/model';

/** SQL of the Heketi import: bulk inserts, clash lookups, Heketi's attributes and the record of imported files. */
const CHUNK = 500;

export interface ImportedDeviceRow {
  id: string;
  nodeId: string;
  name: string;
  state: string;
  totalKib: number;
  freeKib: number;
  usedKib: number;
  brickCount: number;
  extentKib: number;
  pvUuid: string;
  paths: string[];
  tags: Record<string, string>;
}

export interface ImportRows {
  clusters: Array<Cluster & { volumeCount: number }>;
  nodes: StorageNode[];
  devices: ImportedDeviceRow[];
  volumes: Volume[];
  bricks: Brick[];
}

async function insertChunked(trx: Knex.Transaction, table: string, rows: object[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await trx(table).insert(rows.slice(i, i + CHUNK));
}

/**
 * Holds off every other writer of the topology until the import commits, so the emptiness and clash checks
 * stay true while the rows go in (readers are not blocked).
 */
export async function lockTopologyForImport(trx: Knex.Transaction): Promise<void> {
  await trx.raw('LOCK TABLE clusters, nodes, node_hostnames, devices, volumes, bricks, heketi_imports IN SHARE ROW EXCLUSIVE MODE');
}

export async function countTopology(db: Knex): Promise<Record<'clusters' | 'nodes' | 'devices' | 'volumes' | 'bricks', number>> {
  const count = async (table: string) => Number(((await db(table).count('* as n').first()) as { n: number | string }).n);
  return {
    clusters: await count('clusters'),
    nodes: await count('nodes'),
    devices: await count('devices'),
    volumes: await count('volumes'),
    bricks: await count('bricks'),
  };
}

async function existing(db: Knex, table: string, column: string, values: string[]): Promise<string[]> {
  const found: string[] = [];
  for (let i = 0; i < values.length; i += CHUNK) {
    const rows = await db(table).whereIn(column, values.slice(i, i + CHUNK)).select(column);
    found.push(...rows.map((r: Record<string, string>) => r[column]!));
  }
  return found;
}

/** What an import would clash with: volume names and hostnames already taken, ids already used. */
export async function findImportClashes(db: Knex, rows: ImportRows): Promise<string[]> {
  const clashes: string[] = [];
  for (const name of await existing(db, 'volumes', 'name', rows.volumes.map((v) => v.name))) {
    clashes.push(`volume name ${name} is already used`);
  }
  for (const kind of ['manage', 'storage'] as const) {
    const names = rows.nodes.flatMap((n) => (kind === 'manage' ? n.manageHostnames : n.storageHostnames));
    const taken = await db('node_hostnames').where({ kind }).whereIn('hostname', names).select('hostname', 'node_id');
    for (const t of taken as Array<{ hostname: string; node_id: string }>) {
      clashes.push(`${kind} hostname ${t.hostname} is already used by node ${t.node_id}`);
    }
  }
  const ids = async (table: string, what: string, list: Array<{ id: string }>) => {
    for (const id of await existing(db, table, 'id', list.map((r) => r.id))) clashes.push(`${what} ${id} already exists`);
  };
  await ids('clusters', 'cluster', rows.clusters);
  await ids('nodes', 'node', rows.nodes);
  await ids('devices', 'device', rows.devices);
  await ids('volumes', 'volume', rows.volumes);
  await ids('bricks', 'brick', rows.bricks);
  return clashes;
}

/** Inserts every imported record (one transaction, the caller's). */
export async function insertImported(trx: Knex.Transaction, rows: ImportRows): Promise<void> {
  await insertChunked(
    trx,
    'clusters',
    rows.clusters.map((c) => ({ id: c.id, file: c.file, block: c.block, volume_count: c.volumeCount })),
  );
  await insertChunked(
    trx,
    'nodes',
    rows.nodes.map((n) => ({
      id: n.id,
      cluster_id: n.clusterId,
      zone: n.zone,
      state: n.state,
      lifecycle: 'ready',
      manage_hostnames: JSON.stringify(n.manageHostnames),
      storage_hostnames: JSON.stringify(n.storageHostnames),
      tags: JSON.stringify(n.tags),
    })),
  );
  await insertChunked(
    trx,
    'node_hostnames',
    rows.nodes.flatMap((n) => [
      ...n.manageHostnames.map((hostname) => ({ kind: 'manage', hostname, node_id: n.id })),
      ...n.storageHostnames.map((hostname) => ({ kind: 'storage', hostname, node_id: n.id })),
    ]),
  );
  await insertChunked(
    trx,
    'devices',
    rows.devices.map((d) => ({
      id: d.id,
      node_id: d.nodeId,
      name: d.name,
      state: d.state,
      lifecycle: 'ready',
      total_kib: d.totalKib,
      free_kib: d.freeKib,
      used_kib: d.usedKib,
      brick_count: d.brickCount,
      extent_kib: d.extentKib,
      pv_uuid: d.pvUuid,
      paths: JSON.stringify(d.paths),
      tags: JSON.stringify(d.tags),
      destroy_data: false,
    })),
  );
  await insertChunked(
    trx,
    'volumes',
    rows.volumes.map((v) => ({
      id: v.id,
      cluster_id: v.clusterId,
      name: v.name,
      size_gib: v.sizeGib,
      durability: JSON.stringify(v.durability),
      gid: v.gid,
      snapshot: JSON.stringify(v.snapshot),
      options: JSON.stringify(v.glusterVolumeOptions),
      arbiter: v.arbiter,
      state: v.state,
      mount_hosts: v.mountHosts ? JSON.stringify(v.mountHosts) : null,
    })),
  );
  await insertChunked(
    trx,
    'bricks',
    rows.bricks.map((b) => ({
      id: b.id,
      volume_id: b.volumeId,
      device_id: b.deviceId,
      node_id: b.nodeId,
      set_index: b.setIndex,
      position: b.position,
      size_kib: b.sizeKib,
      tp_size_kib: b.tpSizeKib,
      pool_metadata_kib: b.poolMetadataKib,
      reserved_kib: b.reservedKib,
      arbiter: b.arbiter,
      state: b.state,
      thin_pool: b.thinPool ?? null,
    })),
  );
}

export interface ImportRecord {
  digest: string;
  report: Record<string, unknown>;
  importedAt: string;
}

export async function findImportRecord(db: Knex, digest: string): Promise<ImportRecord | undefined> {
  const row = await db('heketi_imports').where({ digest }).first();
  if (!row) return undefined;
  return { digest: row.digest, report: row.report, importedAt: new Date(row.imported_at).toISOString() };
}

export async function recordImport(trx: Knex.Transaction, digest: string, report: object): Promise<void> {
  await trx('heketi_imports').insert({ digest, report: JSON.stringify(report) });
}

export async function readHeketiAttributes(db: Knex): Promise<Record<string, string>> {
  const rows = await db('heketi_attributes').select('key', 'value').orderBy('key');
  return Object.fromEntries(rows.map((r: { key: string; value: string }) => [r.key, r.value]));
}

export async function writeHeketiAttributes(trx: Knex.Transaction, attributes: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(attributes)) {
    await trx('heketi_attributes').insert({ key, value }).onConflict('key').merge();
  }
}
