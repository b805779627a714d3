import type { Knex } from 'knex';

/**
 * Operations are the queue Heketi kept in memory: durable, so /queue/{id} survives restarts and any replica
 * can answer it, and so a crashed operation is found and rolled back or finished (lease_expires_at).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('operations', (t) => {
    t.string('id', 32).primary();
    t.string('kind', 32).notNullable();
    // pending: recorded, waiting for a slot; running; succeeded; failed
    t.string('state', 16).notNullable();
    // build | exec | finalize | rollback | done: how far it got, for recovery and for operators
    t.string('phase', 16).notNullable().defaultTo('build');
    t.string('initiator', 8).notNullable();
    t.string('target_id', 32).nullable();
    t.text('result_path').nullable();
    t.text('error').nullable();
    t.jsonb('payload').notNullable().defaultTo('{}');
    // A failed operation whose undo could not finish (a node was unreachable): the cleaner retries it.
    t.boolean('cleanup_pending').notNullable().defaultTo(false);
    t.integer('attempts').notNullable().defaultTo(0);
    t.string('owner', 64).nullable();
    t.timestamp('lease_expires_at', { useTz: true }).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true }).nullable();
    t.index(['state']);
    t.index(['target_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('operations');
}
