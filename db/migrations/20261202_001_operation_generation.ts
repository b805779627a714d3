import type { Knex } from 'knex';

/**
 * Fencing: every takeover of an operation (a fresh start or a recovery) raises its generation, and every
 * write an operation makes checks owner and generation first, so a server that lost an operation while it
 * was stalled cannot write for it again.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('operations', (t) => {
    t.integer('generation').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('operations', (t) => {
    t.dropColumn('generation');
  });
}
