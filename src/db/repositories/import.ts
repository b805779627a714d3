import type { Knex } from 'knex';
import type { Brick, Cluster, DeviceRecord, StorageNode, Volume } from '../../domain/model';
import { brickRow } from './bricks';
import { clusterRow } from './clusters';
import { deviceRow } from './devices';
import { hostnameRows, nodeRow } from './nodes';
import { volumeRow } from './volumes';

/** SQL of the Heketi import: bulk inserts, clash lookups, Heketi's attributes and the record of imported files. */
const CHUNK = 500;

/** A device as an import records it: Heketi's fields, space recomputed from its bricks (ready, never wiped). */
export type ImportedDevice = Omit<DeviceRecord, 'lifecycle' | 'destroyData'>;

export interface ImportRows {
  clusters: Array<Cluster & { volumeCount: number }>;
  nodes: StorageNode[];
  devices: ImportedDevice[];
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

/** Inserts every imported record (one transaction, the caller's), with the columns the repositories write. */
export async function insertImported(trx: Knex.Transaction, rows: ImportRows): Promise<void> {
  await insertChunked(trx, 'clusters', rows.clusters.map((c) => ({ ...clusterRow(c), volume_count: c.volumeCount })));
  await insertChunked(trx, 'nodes', rows.nodes.map((n) => nodeRow(n, 'ready')));
  await insertChunked(trx, 'node_hostnames', rows.nodes.flatMap(hostnameRows));
  await insertChunked(trx, 'devices', rows.devices.map((d) => deviceRow({ ...d, lifecycle: 'ready', destroyData: false })));
  await insertChunked(trx, 'volumes', rows.volumes.map(volumeRow));
  // Heketi's pool name where it is not tp_<brick id> (brickRow leaves the column to bricks Brickyard makes)
  await insertChunked(trx, 'bricks', rows.bricks.map((b) => ({ ...brickRow(b), thin_pool: b.thinPool ?? null })));
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
