import type { Knex } from 'knex';
import pg from 'pg';
import { migrationSource } from '../../db/migrations';

/**
 * Every Brickyard server migrates on start. knex's own lock (a row in knex_migrations_lock) is not enough when
 * several servers start together on a fresh database: they race to create knex's tables and the lock row
 * (two rows, or "relation already exists"), and a start killed while holding it leaves it set for ever. So
 * the whole migration runs under a PostgreSQL advisory lock held by a dedicated session (outside knex's pool,
 * which may have a single connection): one server migrates at a time, and the one holding it may repair
 * knex's lock table because nobody else can be migrating.
 */
export const MIGRATION_ADVISORY_LOCK = 0x6272_6b79; // "brky"

/** Clears what a start that crashed mid-migration leaves in knex's lock table; only under the advisory lock. */
export async function repairKnexLock(db: Knex): Promise<void> {
  if (!(await db.schema.hasTable('knex_migrations_lock'))) return;
  const rows = await db('knex_migrations_lock').select('index', 'is_locked');
  if (rows.length === 1 && Number(rows[0].is_locked) === 0) return;
  await db.transaction(async (trx) => {
    await trx('knex_migrations_lock').del();
    await trx('knex_migrations_lock').insert({ is_locked: 0 });
  });
}

async function migrateLatest(db: Knex): Promise<void> {
  await repairKnexLock(db);
  await db.migrate.latest({ migrationSource });
}

function isPg(db: Knex): boolean {
  return db.client.config.client === 'pg';
}

export async function migrateUnderLock(db: Knex): Promise<void> {
  // PGlite is one connection in one process (the data directory lock keeps other servers out): nothing to race.
  if (!isPg(db)) return migrateLatest(db);
  const connection = db.client.config.connection as string | pg.ClientConfig;
  const session = new pg.Client(connection);
  await session.connect();
  try {
    await session.query('select pg_advisory_lock($1)', [MIGRATION_ADVISORY_LOCK]);
    try {
      await migrateLatest(db);
    } finally {
      await session.query('select pg_advisory_unlock($1)', [MIGRATION_ADVISORY_LOCK]);
    }
  } finally {
    await session.end();
  }
}
