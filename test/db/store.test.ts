import type { Knex } from 'knex';
import { migrate, openDatabase, rollbackAll, type Database } from '../../src/db/connect';
import { insertCluster, listClustersWithVolumeCounts } from '../../src/db/repositories/clusters';
import { deleteVolume, insertVolume } from '../../src/db/repositories/volumes';
import type { Volume } from '../../src/domain/model';
import { findDevice, insertDevice, lockDevices, updateDevice } from '../../src/db/repositories/devices';
import { findHostnameOwner, insertNode, updateNode } from '../../src/db/repositories/nodes';
import { claimAbandoned, findOperation, insertOperation, pruneFinished, renewLeases } from '../../src/db/repositories/operations';
import { StaleSnapshot, releaseSpace, reserveSpace } from '../../src/app/reservations';
import { newId } from '../../src/domain/ids';
import { createTestDatabase } from '../support/pg';

/** The same store code on a real PostgreSQL and on PGlite. */
describe.each(['postgres', 'pglite'] as const)('store on %s', (kind) => {
  let database: Database;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (kind === 'postgres') {
      const pg = await createTestDatabase();
      drop = pg.drop;
      database = openDatabase(pg.url);
    } else {
      database = openDatabase('memory://');
      await migrate(database.knex);
    }
  });
  afterAll(async () => {
    await database.knex.destroy();
    await drop?.();
  });

  async function device(db: Knex, freeKib: number) {
    const clusterId = newId();
    const nodeId = newId();
    const deviceId = newId();
    await insertCluster(db, { id: clusterId, file: true, block: true });
    await insertNode(db, { id: nodeId, clusterId, zone: 1, state: 'online', manageHostnames: [`h${nodeId}`], storageHostnames: [`s${nodeId}`], tags: {} }, 'ready');
    await insertDevice(db, { id: deviceId, nodeId, name: '/dev/sdb', tags: {}, destroyData: false });
    await updateDevice(db, deviceId, { lifecycle: 'ready', totalKib: freeKib, freeKib, usedKib: 0 });
    return { clusterId, nodeId, deviceId };
  }

  test('reservations move space from free to used and back, counting bricks', async () => {
    const db = database.knex;
    const { deviceId } = await device(db, 1000);
    await db.transaction((trx) => reserveSpace(trx, [{ deviceId, reservedKib: 300 }, { deviceId, reservedKib: 200 }]));
    expect(await findDevice(db, deviceId)).toMatchObject({ freeKib: 500, usedKib: 500, brickCount: 2 });
    await db.transaction((trx) => releaseSpace(trx, [{ deviceId, reservedKib: 300 }]));
    expect(await findDevice(db, deviceId)).toMatchObject({ freeKib: 800, usedKib: 200, brickCount: 1 });
  });

  test('one release credits several devices, every brick of a device that holds two', async () => {
    const db = database.knex;
    const a = await device(db, 1000);
    const b = await device(db, 1000);
    const claims = [
      { deviceId: a.deviceId, reservedKib: 300 },
      { deviceId: b.deviceId, reservedKib: 100 },
      { deviceId: a.deviceId, reservedKib: 200 },
    ];
    await db.transaction((trx) => reserveSpace(trx, claims));
    expect(await findDevice(db, a.deviceId)).toMatchObject({ freeKib: 500, usedKib: 500, brickCount: 2 });
    expect(await findDevice(db, b.deviceId)).toMatchObject({ freeKib: 900, usedKib: 100, brickCount: 1 });
    await db.transaction((trx) => releaseSpace(trx, claims));
    expect(await findDevice(db, a.deviceId)).toMatchObject({ freeKib: 1000, usedKib: 0, brickCount: 0 });
    expect(await findDevice(db, b.deviceId)).toMatchObject({ freeKib: 1000, usedKib: 0, brickCount: 0 });
  });

  test('a reservation on a device whose node is offline is refused', async () => {
    const db = database.knex;
    const { deviceId, nodeId } = await device(db, 1000);
    await updateNode(db, nodeId, { state: 'offline' });
    await expect(db.transaction((trx) => reserveSpace(trx, [{ deviceId, reservedKib: 100 }]))).rejects.toBeInstanceOf(StaleSnapshot);
    expect(await findDevice(db, deviceId)).toMatchObject({ freeKib: 1000, usedKib: 0, brickCount: 0 });
  });

  test("a cluster's volume count follows the volumes recorded and deleted in it", async () => {
    const db = database.knex;
    const { clusterId } = await device(db, 1000);
    const volume = (): Volume => {
      const id = newId();
      return {
        id,
        clusterId,
        name: `vol_${id}`,
        sizeGib: 1,
        durability: { type: 'none' },
        gid: 0,
        snapshot: { enable: false, factor: 1 },
        glusterVolumeOptions: [],
        arbiter: false,
        state: 'pending',
      };
    };
    const count = async () => (await listClustersWithVolumeCounts(db)).find((c) => c.id === clusterId)!.volumeCount;
    const [a, b] = [volume(), volume()];
    expect(await insertVolume(db, a)).toBe(1);
    expect(await insertVolume(db, b)).toBe(2);
    await expect(insertVolume(db, { ...volume(), name: a.name })).rejects.toMatchObject({ code: '23505' });
    expect(await count()).toBe(2);
    expect(await deleteVolume(db, a.id)).toBe(true);
    expect(await deleteVolume(db, a.id)).toBe(false);
    expect(await count()).toBe(1);
  });

  test('a reservation that does not fit is refused and changes nothing', async () => {
    const db = database.knex;
    const { deviceId } = await device(db, 1000);
    await expect(db.transaction((trx) => reserveSpace(trx, [{ deviceId, reservedKib: 1000 }]))).rejects.toBeInstanceOf(StaleSnapshot);
    await expect(
      db.transaction((trx) => reserveSpace(trx, [{ deviceId, reservedKib: 600 }, { deviceId, reservedKib: 600 }])),
    ).rejects.toBeInstanceOf(StaleSnapshot);
    expect(await findDevice(db, deviceId)).toMatchObject({ freeKib: 1000, usedKib: 0, brickCount: 0 });
  });

  test('the database itself refuses a negative free space', async () => {
    const db = database.knex;
    const { deviceId } = await device(db, 10);
    await expect(db('devices').where({ id: deviceId }).update({ free_kib: -1 })).rejects.toThrow(/devices_space_nonnegative/);
  });

  test('parallel reservations on one device never over-commit it', async () => {
    const db = database.knex;
    const { deviceId } = await device(db, 10_000);
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, () => db.transaction((trx) => reserveSpace(trx, [{ deviceId, reservedKib: 700 }]))),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    expect(ok).toBe(14); // 14 x 700 = 9800 < 10000; a 15th would leave nothing strictly greater
    expect(await findDevice(db, deviceId)).toMatchObject({ freeKib: 10_000 - ok * 700, usedKib: ok * 700, brickCount: ok });
  });

  test('hostnames are unique per kind in the database', async () => {
    const db = database.knex;
    const { nodeId } = await device(db, 1);
    expect(await findHostnameOwner(db, 'manage', [`h${nodeId}`])).toEqual({ hostname: `h${nodeId}`, nodeId });
    await expect(
      insertNode(db, { id: newId(), clusterId: (await db('nodes').where({ id: nodeId }).first()).cluster_id, zone: 2, state: 'online', manageHostnames: [`h${nodeId}`], storageHostnames: ['other'], tags: {} }, 'ready'),
    ).rejects.toMatchObject({ code: '23505' });
  });

  test('abandoned operations are claimed once their lease lapses, live ones are not', async () => {
    const db = database.knex;
    const live = newId();
    const dead = newId();
    for (const [id, owner, lease] of [[live, 'alive', 60], [dead, 'dead', 60]] as const) {
      await insertOperation(db, { id, kind: 'volume_create', initiator: 'admin', targetId: null, payload: {}, owner, leaseSeconds: lease });
    }
    await db('operations').where({ id: dead }).update({ lease_expires_at: new Date(Date.now() - 1000) });
    const claimed = await db.transaction((trx) => claimAbandoned(trx, 'rescuer', 30, 10));
    expect(claimed.map((o) => o.id)).toContain(dead);
    expect(claimed.map((o) => o.id)).not.toContain(live);
    const taken = await findOperation(db, dead);
    expect(taken).toMatchObject({ owner: 'rescuer', attempts: 1, generation: 1 });
    // the renewal is fenced by generation: the old one renews nothing, the current one renews
    expect((await renewLeases(db, 'rescuer', [{ id: dead, generation: 0 }], 30)).size).toBe(0);
    expect([...(await renewLeases(db, 'rescuer', [{ id: dead, generation: 1 }], 30))]).toEqual([dead]);
    expect((await renewLeases(db, 'dead', [{ id: dead, generation: 1 }], 30)).size).toBe(0);
    // claimed and renewed: nobody else takes it
    expect((await db.transaction((trx) => claimAbandoned(trx, 'third', 30, 10))).map((o) => o.id)).not.toContain(dead);
  });
});

// PGlite is a single connection: there is no second session to block, so this is PostgreSQL only.
describe('device row locks on postgres', () => {
  test('row locks are taken in id order and hold until commit', async () => {
    const pg = await createTestDatabase();
    const db = openDatabase(pg.url).knex;
    const deviceId = newId();
    const clusterId = newId();
    const nodeId = newId();
    await insertCluster(db, { id: clusterId, file: true, block: true });
    await insertNode(db, { id: nodeId, clusterId, zone: 1, state: 'online', manageHostnames: ['lockhost'], storageHostnames: ['lockhost'], tags: {} }, 'ready');
    await insertDevice(db, { id: deviceId, nodeId, name: '/dev/sdb', tags: {}, destroyData: false });
    await updateDevice(db, deviceId, { lifecycle: 'ready', totalKib: 100, freeKib: 100, usedKib: 0 });
    const events: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = db.transaction(async (trx) => {
      await lockDevices(trx, [deviceId]);
      events.push('first locked');
      await held;
      await trx('devices').where({ id: deviceId }).update({ free_kib: 50, used_kib: 50 });
      events.push('first done');
    });
    await new Promise((r) => setTimeout(r, 50));
    const second = db.transaction(async (trx) => {
      const d = (await lockDevices(trx, [deviceId])).get(deviceId)!;
      events.push(`second sees ${d.freeKib}`);
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(events).toEqual(['first locked']);
    release();
    await Promise.all([first, second]);
    expect(events).toEqual(['first locked', 'first done', 'second sees 50']);
    await db.destroy();
    await pg.drop();
  });
});

describe('migrations', () => {
  test('down and up again with data in the tables', async () => {
    const pg = await createTestDatabase();
    const db = openDatabase(pg.url, { poolMax: 2 }).knex;
    try {
      await insertCluster(db, { id: newId(), file: true, block: false });
      await rollbackAll(db);
      expect(await db.schema.hasTable('clusters')).toBe(false);
      expect(await db.schema.hasTable('operations')).toBe(false);
      await migrate(db);
      for (const table of ['clusters', 'nodes', 'node_hostnames', 'devices', 'volumes', 'bricks', 'operations']) {
        expect(await db.schema.hasTable(table)).toBe(true);
      }
      await insertCluster(db, { id: newId(), file: true, block: true });
      expect(Number((await db('clusters').count('* as n').first())!.n)).toBe(1);
    } finally {
      await db.destroy();
      await pg.drop();
    }
  });

  test('an embedded database in a directory keeps its data across opens', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = join(mkdtempSync(join(tmpdir(), 'brickyard-pglite-')), 'db');
    const id = newId();
    let database = openDatabase(dir);
    await migrate(database.knex);
    await insertCluster(database.knex, { id, file: true, block: true });
    await database.knex.destroy();
    database = openDatabase(dir);
    await migrate(database.knex);
    expect((await database.knex('clusters').where({ id }).first()).id).toBe(id);
    await database.knex.destroy();
  }, 600_000); // two PGlite starts with migrations: minutes on a loaded machine
});

describe('finished operations', () => {
  test('are forgotten after the retention, unfinished ones and undos still pending never', async () => {
    const database = openDatabase('memory://');
    const db = database.knex;
    try {
      await migrate(db);
      const ids = { old: newId(), fresh: newId(), running: newId(), cleanup: newId() };
      for (const [name, id] of Object.entries(ids)) {
        await insertOperation(db, {
          id,
          kind: 'volume_delete',
          initiator: 'admin',
          targetId: null,
          payload: {},
          owner: 'me',
          leaseSeconds: 30,
          state: name === 'running' ? undefined : 'succeeded',
        });
      }
      const longAgo = new Date(Date.now() - 200 * 3600 * 1000);
      await db('operations').whereIn('id', [ids.old, ids.cleanup]).update({ finished_at: longAgo });
      await db('operations').where({ id: ids.cleanup }).update({ state: 'failed', cleanup_pending: true });
      expect(await pruneFinished(db, 168)).toBe(1);
      const left = (await db('operations').select('id')).map((r: { id: string }) => r.id).sort();
      expect(left).toEqual([ids.fresh, ids.running, ids.cleanup].sort());
    } finally {
      await db.destroy();
    }
  });
});
