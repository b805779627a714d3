import type { Knex } from 'knex';

/**
 * The mock executor's storage nodes (disks, volume groups, bricks, peers, gluster volumes), kept with the rest
 * of the state so that a restarted server and every server on one database see the same mock nodes. Unused by
 * the ssh and kubernetes executors. mock_state's version increases at every change: a server reloads the
 * model when it differs from the one it last saw.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('mock_state', (t) => {
    t.integer('id').primary();
    t.bigInteger('version').notNullable();
  });
  await knex('mock_state').insert({ id: 1, version: 0 });
  await knex.schema.createTable('mock_nodes', (t) => {
    t.text('host').primary();
    t.jsonb('peers').notNullable();
  });
  await knex.schema.createTable('mock_disks', (t) => {
    t.text('host').notNullable();
    t.text('path').notNullable();
    t.jsonb('disk').notNullable();
    t.primary(['host', 'path']);
  });
  await knex.schema.createTable('mock_bricks', (t) => {
    t.text('id').primary();
    t.text('host').notNullable();
    t.jsonb('brick').notNullable();
  });
  await knex.schema.createTable('mock_volumes', (t) => {
    t.text('name').primary();
    t.jsonb('volume').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['mock_volumes', 'mock_bricks', 'mock_disks', 'mock_nodes', 'mock_state']) {
    await knex.schema.dropTableIfExists(table);
  }
}
