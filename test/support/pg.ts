import { randomBytes } from 'node:crypto';
import knex, { type Knex } from 'knex';

/**
 * Real PostgreSQL for tests (127.0.0.1:5432, trust auth; .ci/run starts one when none answers). A template
 * database is migrated once per run; each test database is a cheap copy of it.
 */
export const PG_ADMIN_URL = process.env.BRICKYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Per jest run (the parent's pid), so concurrent runs never drop each other's template. */
export const RUN_ID = process.env.BRICKYARD_TEST_RUN ?? String(process.pid);
export const TEMPLATE_DB = `brickyard_tpl_${RUN_ID}`;

export function urlFor(database: string): string {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

export function adminKnex(): Knex {
  return knex({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
}

/** A fresh database copied from the migrated template; `drop` removes it. */
export async function createTestDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `brickyard_test_${RUN_ID}_${randomBytes(5).toString('hex')}`;
  const admin = adminKnex();
  try {
    await admin.raw(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`);
  } finally {
    await admin.destroy();
  }
  return {
    name,
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
