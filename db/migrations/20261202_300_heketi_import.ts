import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * What a Heketi import needs beyond the topology tables:
 * - volumes.mount_hosts: the mount host list Heketi recorded for a volume (its order is part of the volume's
 *   JSON); null for volumes Brickyard made, whose list is computed from the cluster.
 * - bricks.thin_pool: the thin pool Heketi recorded for a brick when it is not tp_<brick id>; null otherwise.
 * - heketi_attributes: Heketi's dbattributeentries, so `GET /db/dump` answers them (DB_GENERATION_ID is made
 *   once here and replaced by the file's on an import into an empty database).
 * - heketi_imports: one row per imported file (its digest), so a second run of the same file changes nothing.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('volumes', (t) => {
    t.jsonb('mount_hosts').nullable();
  });
  await knex.schema.alterTable('bricks', (t) => {
    t.string('thin_pool', 64).nullable();
  });
  await knex.schema.createTable('heketi_attributes', (t) => {
    t.string('key', 64).primary();
    t.string('value', 256).notNullable();
  });
  await knex('heketi_attributes').insert({ key: 'DB_GENERATION_ID', value: randomBytes(16).toString('hex') });
  await knex.schema.createTable('heketi_imports', (t) => {
    t.string('digest', 64).primary();
    t.jsonb('report').notNullable();
    t.timestamp('imported_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('heketi_imports');
  await knex.schema.dropTableIfExists('heketi_attributes');
  await knex.schema.alterTable('volumes', (t) => {
    t.dropColumn('mount_hosts');
  });
  await knex.schema.alterTable('bricks', (t) => {
    t.dropColumn('thin_pool');
  });
}
