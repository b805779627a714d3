import type { BrickAddress } from '../types';

/**
 * Where the mock executor's node model is kept beyond one process (the server uses the database, see
 * src/db/mock-node-store.ts), so that a restarted server, and every server on one database, sees the same mock
 * nodes. The model is read whole when another process changed it and written back piecewise after each change.
 */
export interface MockDiskState {
  path: string;
  sizeKib: number;
  /** A filesystem or foreign PV signature: refused unless destroyData. */
  hasSignature: boolean;
  /** spareKib: LVM's pool metadata spare (lvol0_pmspare), as large as the largest pool metadata. */
  vg?: { name: string; freeKib: number; extentKib: number; pvUuid: string; spareKib: number; pools: number };
}

export interface MockBrickState {
  id: string;
  deviceId: string;
  path: string;
  sizeKib: number;
  reservedKib: number;
  gid: number;
  arbiter: boolean;
}

export interface MockVolumeState {
  name: string;
  status: 'Started' | 'Stopped';
  bricks: BrickAddress[];
  options: Record<string, string>;
}

export interface MockSnapshot {
  nodes: Array<{ host: string; peers: string[] }>;
  disks: Array<{ host: string; disk: MockDiskState }>;
  bricks: Array<{ host: string; brick: MockBrickState }>;
  volumes: MockVolumeState[];
}

/** What one call changed; null: the thing is gone. */
export interface MockChanges {
  nodes: Array<{ host: string; peers: string[] | null }>;
  disks: Array<{ host: string; path: string; disk: MockDiskState | null }>;
  bricks: Array<{ host: string; id: string; brick: MockBrickState | null }>;
  volumes: Array<{ name: string; volume: MockVolumeState | null }>;
}

export interface MockStateSession {
  /** Increases with every saved change, whoever made it. */
  version: number;
  load(): Promise<MockSnapshot>;
  /** Writes the changes; resolves with the new version. */
  save(changes: MockChanges): Promise<number>;
  /** The newest generation of the operation a takeover's barrier recorded on the host (0: none). */
  fenceOf(host: string, operationId: string): Promise<number>;
  /** A takeover's barrier: from now on the host refuses the operation's commands of older generations. */
  raiseFence(host: string, operationId: string, generation: number): Promise<void>;
}

export interface MockStateStore {
  /** Runs `work` holding the model's lock (one change at a time across every server on the store). */
  withLock<T>(work: (session: MockStateSession) => Promise<T>): Promise<T>;
}
