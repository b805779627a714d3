import { randomBytes } from 'node:crypto';
import { migrate, openDatabase, type Database } from '../../src/db/connect';
import { adminKnex, RUN_ID, urlFor } from '../support/pg';

/**
 * Servers started together on one PostgreSQL all migrate at once. Each "server" here is its own knex pool (its
 * own sessions), so they race exactly as separate processes do on the database side.
 */
const SERVERS = 4;
const TRIALS = 30;

async function emptyDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `brickyard_test_${RUN_ID}_${randomBytes(5).toString('hex')}`;
  const admin = adminKnex();
  try {
    await admin.raw(`CREATE DATABASE ${name}`); // empty: not the migrated template
  } finally {
    await admin.destroy();
  }
  return {
    url: urlFor(name),
    drop: async () => {
      const a = adminKnex();
      try {
        await a.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.destroy();
      }
    },
  };
}

/** Starts `SERVERS` migrations at the same moment; every one's outcome. */
async function startTogether(url: string): Promise<PromiseSettledResult<void>[]> {
  const servers: Database[] = Array.from({ length: SERVERS }, () => openDatabase(url, { poolMax: 2 }));
  try {
    await Promise.all(servers.map((s) => s.knex.raw('select 1'))); // connected, so they really start together
    return await Promise.allSettled(servers.map((s) => migrate(s.knex)));
  } finally {
    await Promise.all(servers.map((s) => s.knex.destroy()));
  }
}

async function schemaState(url: string): Promise<{ migrations: string[]; lockRows: Array<{ is_locked: number }> }> {
  const db = openDatabase(url, { poolMax: 1 }).knex;
  try {
    return {
      migrations: (await db('knex_migrations').select('name').orderBy('id')).map((r: { name: string }) => r.name),
      lockRows: await db('knex_migrations_lock').select('is_locked'),
    };
  } finally {
    await db.destroy();
  }
}

test(`${SERVERS} servers starting at the same moment on a fresh database, ${TRIALS} times: every start succeeds`, async () => {
  const failures: string[] = [];
  let expected: string[] | undefined;
  for (let trial = 0; trial < TRIALS; trial += 1) {
    const db = await emptyDatabase();
    try {
      const outcomes = await startTogether(db.url);
      outcomes.forEach((o, i) => {
        if (o.status === 'rejected') failures.push(`trial ${trial} server ${i}: ${(o.reason as Error).message}`);
      });
      const state = await schemaState(db.url);
      expected ??= state.migrations;
      expect(state.migrations).toEqual(expected); // each migration recorded once
      expect(state.lockRows).toEqual([{ is_locked: 0 }]);
    } finally {
      await db.drop();
    }
  }
  expect(failures).toEqual([]);
  expect(expected!.length).toBeGreaterThan(1);
}, 600_000);

test('a start that crashed holding knex’s lock (two lock rows, locked) does not leave the database unstartable', async () => {
  const db = await emptyDatabase();
  try {
    const first = openDatabase(db.url, { poolMax: 2 }).knex;
    try {
      await migrate(first);
      // the newest migration still to run, and what a killed start leaves behind: knex's lock taken, twice
      const newest = (await first('knex_migrations').max('id as id').first())!.id as number;
      const { name } = await first('knex_migrations').where({ id: newest }).first();
      await first.migrate.down({ migrationSource: (await import('../../db/migrations')).migrationSource, name });
      await first('knex_migrations_lock').update({ is_locked: 1 });
      await first('knex_migrations_lock').insert({ is_locked: 1 });
      expect(await first('knex_migrations_lock').count('* as n').first()).toEqual({ n: 2 });
    } finally {
      await first.destroy();
    }
    const outcomes = await startTogether(db.url);
    expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : 'ok'))).toEqual(
      Array(SERVERS).fill('ok'),
    );
    const state = await schemaState(db.url);
    expect(state.lockRows).toEqual([{ is_locked: 0 }]);
    expect(new Set(state.migrations).size).toBe(state.migrations.length);
  } finally {
    await db.drop();
  }
}, 120_000);

test('PGlite (one connection, one process) migrates under the same entry point, twice', async () => {
  const db = openDatabase('memory://');
  try {
    await migrate(db.knex);
    await migrate(db.knex);
    expect((await db.knex('knex_migrations_lock').select('is_locked'))).toEqual([{ is_locked: 0 }]);
  } finally {
    await db.knex.destroy();
  }
});
