import type { Knex } from 'knex';
import type {
  MockChanges,
  MockSnapshot,
  MockStateSession,
  MockStateStore,
} from '../executors/mock/state-store';

/**
 * The mock executor's node model in the database (tables from migration 20261202_100_mock_nodes). One change
 * at a time: the mock_state row is locked for the change's transaction, across every server on the database;
 * within this process a queue keeps changes from waiting on each other for connections.
 */
export class MockNodeStore implements MockStateStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly db: Knex) {}

  withLock<T>(work: (session: MockStateSession) => Promise<T>): Promise<T> {
    const run = this.queue.then(() => this.db.transaction((trx) => this.locked(trx, work)));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async locked<T>(trx: Knex.Transaction, work: (session: MockStateSession) => Promise<T>): Promise<T> {
    const row = await trx('mock_state').where({ id: 1 }).forUpdate().first('version');
    let version = Number(row.version);
    return work({
      version,
      load: () => loadSnapshot(trx),
      save: async (changes) => {
        await saveChanges(trx, changes);
        version += 1;
        await trx('mock_state').where({ id: 1 }).update({ version });
        return version;
      },
      fenceOf: async (host, operationId) => {
        const row = await trx('mock_fences').where({ host, operation_id: operationId }).first('generation');
        return row ? Number(row.generation) : 0;
      },
      raiseFence: async (host, operationId, generation) => {
        await trx('mock_fences')
          .insert({ host, operation_id: operationId, generation })
          .onConflict(['host', 'operation_id'])
          .merge({ generation: trx.raw('greatest(mock_fences.generation, excluded.generation)') });
      },
    });
  }
}

async function loadSnapshot(trx: Knex.Transaction): Promise<MockSnapshot> {
  const [nodes, disks, bricks, volumes] = await Promise.all([
    trx('mock_nodes').select('host', 'peers'),
    trx('mock_disks').select('host', 'disk'),
    trx('mock_bricks').select('host', 'brick'),
    trx('mock_volumes').select('volume'),
  ]);
  return {
    nodes: nodes.map((r) => ({ host: r.host, peers: r.peers })),
    disks: disks.map((r) => ({ host: r.host, disk: r.disk })),
    bricks: bricks.map((r) => ({ host: r.host, brick: r.brick })),
    volumes: volumes.map((r) => r.volume),
  };
}

const json = (value: unknown): string => JSON.stringify(value);

async function saveChanges(trx: Knex.Transaction, changes: MockChanges): Promise<void> {
  for (const n of changes.nodes) {
    if (n.peers === null) await trx('mock_nodes').where({ host: n.host }).del();
    else await trx('mock_nodes').insert({ host: n.host, peers: json(n.peers) }).onConflict('host').merge();
  }
  for (const d of changes.disks) {
    if (d.disk === null) await trx('mock_disks').where({ host: d.host, path: d.path }).del();
    else {
      await trx('mock_disks')
        .insert({ host: d.host, path: d.path, disk: json(d.disk) })
        .onConflict(['host', 'path'])
        .merge();
    }
  }
  for (const b of changes.bricks) {
    if (b.brick === null) await trx('mock_bricks').where({ id: b.id }).del();
    else await trx('mock_bricks').insert({ id: b.id, host: b.host, brick: json(b.brick) }).onConflict('id').merge();
  }
  for (const v of changes.volumes) {
    if (v.volume === null) await trx('mock_volumes').where({ name: v.name }).del();
    else await trx('mock_volumes').insert({ name: v.name, volume: json(v.volume) }).onConflict('name').merge();
  }
}
