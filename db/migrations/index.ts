import type { Knex } from 'knex';
import * as topology from './20261125_001_topology';
import * as operations from './20261125_002_operations';
import * as operationGeneration from './20261202_001_operation_generation';
import * as mockNodes from './20261202_100_mock_nodes';
import * as deviceTotal from './20261202_200_device_total_without_spare';
import * as heketiImport from './20261202_300_heketi_import';
import * as mockFences from './20261202_400_mock_fences';

/** Migrations in order. Listed here (not globbed) so the same code runs from TypeScript and from dist/. */
const MIGRATIONS: Record<string, Knex.Migration> = {
  '20261125_001_topology': topology,
  '20261125_002_operations': operations,
  '20261202_001_operation_generation': operationGeneration,
  '20261202_100_mock_nodes': mockNodes,
  '20261202_200_device_total_without_spare': deviceTotal,
  '20261202_300_heketi_import': heketiImport,
  '20261202_400_mock_fences': mockFences,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(MIGRATIONS),
  getMigrationName: (name) => name,
  getMigration: async (name) => MIGRATIONS[name]!,
};
