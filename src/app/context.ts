import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from '../config/schema';
import type { PlacementLimits, ZoneChecking } from '../domain/placement/types';
import { DEFAULT_EXTENT_KIB } from '../domain/thin-pool';
import type { StorageExecutor } from '../executors/types';

/** What every application operation needs; built once by the composition root. */
export interface AppContext {
  db: Knex;
  executor: StorageExecutor;
  config: Config;
  log: Logger;
  /** Identifies this process as the owner of the operations it runs (leases). */
  instanceId: string;
  limits: PlacementLimits;
  zoneChecking: ZoneChecking;
  leaseSeconds: number;
}

export function placementLimits(config: Config): PlacementLimits {
  const g = config.glusterfs;
  return {
    brickMinSizeGib: g.brick_min_size_gb,
    brickMaxSizeGib: g.brick_max_size_gb,
    maxBricksPerVolume: g.max_bricks_per_volume,
    maxVolumesPerCluster: g.max_volumes_per_cluster,
    averageFileSizeKb: g.average_file_size_kb,
    extentKib: DEFAULT_EXTENT_KIB,
  };
}
