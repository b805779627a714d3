import type { Knex } from 'knex';

/** Other sessions on this PostgreSQL database (a server using it), for the offline import's refusal. */
export async function countOtherSessions(knex: Knex): Promise<number> {
  const result = (await knex.raw(
    'select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
  )) as { rows: Array<{ n: number }> };
  return result.rows[0]?.n ?? 0;
}
