import type { Knex } from 'knex';

/**
 * The mock executor's node-side operation fence, kept with its nodes: the newest generation of an operation a
 * takeover's barrier recorded on a host. Servers sharing the mock nodes refuse a stalled old holder's calls
 * with it, as a real node does with its op-<id>.gen file. Unused by the ssh and kubernetes executors.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('mock_fences', (t) => {
    t.text('host').notNullable();
    t.text('operation_id').notNullable();
    t.integer('generation').notNullable();
    t.primary(['host', 'operation_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('mock_fences');
}
