import { migrate, openDatabase } from '../../src/db/connect';
import { adminKnex, urlFor } from './pg';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Migrates this run's template database (every test database is copied from it) and drops databases left
 * by earlier runs that died.
 */
export default async function globalSetup(): Promise<void> {
  process.env.BRICKYARD_TEST_RUN = String(process.pid);
  const template = `brickyard_tpl_${process.pid}`;
  const admin = adminKnex();
  try {
    const rows = await admin('pg_database').select('datname').where('datname', 'like', 'brickyard_t%');
    for (const { datname } of rows as Array<{ datname: string }>) {
      const pid = Number(/^brickyard_(?:tpl|test)_(\d+)/.exec(datname)?.[1]);
      if (pid && !alive(pid)) await admin.raw(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    }
    await admin.raw(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.raw(`CREATE DATABASE ${template}`);
  } catch (err) {
    throw new Error(
      `PostgreSQL is needed for the tests (${(err as Error).message}); start it, or run bash .ci/run which starts one`,
    );
  } finally {
    await admin.destroy();
  }
  const db = openDatabase(urlFor(template), { poolMax: 1 });
  try {
    await migrate(db.knex);
  } finally {
    await db.knex.destroy();
  }
}
