import type { Knex } from 'knex';

/** Clusters, nodes (with globally unique hostnames), devices, volumes, bricks. Sizes in KiB, ids 32 hex. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('clusters', (t) => {
    t.string('id', 32).primary();
    t.boolean('file').notNullable().defaultTo(true);
    t.boolean('block').notNullable().defaultTo(true);
    // Kept by the same transactions that add and remove volumes, so placement never counts volumes.
    t.integer('volume_count').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('nodes', (t) => {
    t.string('id', 32).primary();
    t.string('cluster_id', 32).notNullable().references('clusters.id');
    t.integer('zone').notNullable();
    t.string('state', 16).notNullable().defaultTo('online');
    // pending: being added; ready: usable; deleting: being removed
    t.string('lifecycle', 16).notNullable().defaultTo('pending');
    t.jsonb('manage_hostnames').notNullable();
    t.jsonb('storage_hostnames').notNullable();
    t.jsonb('tags').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['cluster_id']);
  });

  // One row per hostname so the database itself refuses a hostname used twice, even under concurrency.
  await knex.schema.createTable('node_hostnames', (t) => {
    t.string('kind', 8).notNullable();
    t.string('hostname', 253).notNullable();
    t.string('node_id', 32).notNullable().references('nodes.id').onDelete('CASCADE');
    t.primary(['kind', 'hostname']);
    t.index(['node_id']);
  });

  await knex.schema.createTable('devices', (t) => {
    t.string('id', 32).primary();
    t.string('node_id', 32).notNullable().references('nodes.id');
    t.string('name', 255).notNullable();
    t.string('state', 16).notNullable().defaultTo('online');
    t.string('lifecycle', 16).notNullable().defaultTo('pending');
    t.bigInteger('total_kib').notNullable().defaultTo(0);
    t.bigInteger('free_kib').notNullable().defaultTo(0);
    t.bigInteger('used_kib').notNullable().defaultTo(0);
    // Kept with the space columns (same locked update) so placement never has to count bricks.
    t.integer('brick_count').notNullable().defaultTo(0);
    t.integer('extent_kib').notNullable().defaultTo(4096);
    t.string('pv_uuid', 64).notNullable().defaultTo('');
    t.jsonb('paths').notNullable().defaultTo('[]');
    t.jsonb('tags').notNullable().defaultTo('{}');
    t.boolean('destroy_data').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['node_id', 'name']);
  });
  await knex.raw('ALTER TABLE devices ADD CONSTRAINT devices_space_nonnegative CHECK (free_kib >= 0 AND used_kib >= 0 AND brick_count >= 0)');

  await knex.schema.createTable('volumes', (t) => {
    t.string('id', 32).primary();
    t.string('cluster_id', 32).notNullable().references('clusters.id');
    // Names are unique across clusters: an idempotent create must find one volume by name.
    t.string('name', 255).notNullable().unique();
    t.integer('size_gib').notNullable();
    t.jsonb('durability').notNullable();
    t.bigInteger('gid').notNullable().defaultTo(0);
    t.jsonb('snapshot').notNullable();
    t.jsonb('options').notNullable().defaultTo('[]');
    t.boolean('arbiter').notNullable().defaultTo(false);
    t.string('state', 16).notNullable().defaultTo('pending');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['cluster_id']);
  });

  await knex.schema.createTable('bricks', (t) => {
    t.string('id', 32).primary();
    t.string('volume_id', 32).notNullable().references('volumes.id');
    t.string('device_id', 32).notNullable().references('devices.id');
    t.string('node_id', 32).notNullable().references('nodes.id');
    t.integer('set_index').notNullable();
    t.integer('position').notNullable();
    t.bigInteger('size_kib').notNullable();
    t.bigInteger('tp_size_kib').notNullable();
    t.bigInteger('pool_metadata_kib').notNullable();
    t.bigInteger('reserved_kib').notNullable();
    t.boolean('arbiter').notNullable().defaultTo(false);
    t.string('state', 16).notNullable().defaultTo('pending');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['volume_id']);
    t.index(['device_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['bricks', 'volumes', 'devices', 'node_hostnames', 'nodes', 'clusters']) {
    await knex.schema.dropTableIfExists(table);
  }
}
