import { migrationSource } from '../../db/migrations';
import { openDatabase, type Database } from '../../src/db/connect';
import { findDevice, insertDevice, updateDevice } from '../../src/db/repositories/devices';
import { insertCluster } from '../../src/db/repositories/clusters';
import { insertNode } from '../../src/db/repositories/nodes';
import { newId } from '../../src/domain/ids';
import { metadataSpareKib } from '../../src/domain/thin-pool';

/** Devices recorded before 20261202_200 counted the metadata spare allowance as used; after it, total lacks it. */
let database: Database;
beforeAll(async () => {
  database = openDatabase('memory://');
  await database.knex.migrate.up({ migrationSource, name: '20261125_001_topology' });
  await database.knex.migrate.up({ migrationSource, name: '20261125_002_operations' });
});
afterAll(async () => {
  await database.knex.destroy();
});

test('old books (allowance in used) become total without it, used = bricks only; down restores them', async () => {
  const db = database.knex;
  const clusterId = newId();
  const nodeId = newId();
  await insertCluster(db, { id: clusterId, file: true, block: true });
  await insertNode(db, { id: nodeId, clusterId, zone: 1, state: 'online', manageHostnames: ['m1'], storageHostnames: ['s1'], tags: {} }, 'ready');
  const total = 500 * 1024 * 1024;
  const allowance = metadataSpareKib(total);
  const brick = 10 * 1024 * 1024;
  const empty = newId();
  const busy = newId();
  const pending = newId();
  for (const [id, name] of [[empty, '/dev/sdb'], [busy, '/dev/sdc'], [pending, '/dev/sdd']] as const) {
    await insertDevice(db, { id, nodeId, name, tags: {}, destroyData: false });
  }
  // as the old device add recorded them
  await updateDevice(db, empty, { lifecycle: 'ready', totalKib: total, freeKib: total - allowance, usedKib: allowance });
  await updateDevice(db, busy, { lifecycle: 'ready', totalKib: total, freeKib: total - allowance - brick, usedKib: allowance + brick });

  await database.knex.migrate.latest({ migrationSource });
  expect(await findDevice(db, empty)).toMatchObject({ totalKib: total - allowance, freeKib: total - allowance, usedKib: 0 });
  expect(await findDevice(db, busy)).toMatchObject({ totalKib: total - allowance, freeKib: total - allowance - brick, usedKib: brick });
  // a device never sized (total 0) is left alone
  expect(await findDevice(db, pending)).toMatchObject({ totalKib: 0, freeKib: 0, usedKib: 0 });

  await database.knex.migrate.down({ migrationSource, name: '20261202_200_device_total_without_spare' });
  expect(await findDevice(db, empty)).toMatchObject({ totalKib: total, freeKib: total - allowance, usedKib: allowance });
  expect(await findDevice(db, busy)).toMatchObject({ totalKib: total, freeKib: total - allowance - brick, usedKib: allowance + brick });
});
