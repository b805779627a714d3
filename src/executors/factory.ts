import type { Config } from '../config/schema';
import { MockExecutor } from './mock';
import type { StorageExecutor } from './types';

export type ClosableExecutor = StorageExecutor & { close?: () => Promise<void> };

/** Builds the executor the config names; the ssh and kubernetes clients load only when used. */
export async function createExecutor(config: Config): Promise<ClosableExecutor> {
  const g = config.glusterfs;
  switch (g.executor) {
    case 'mock':
      return new MockExecutor({ device_size_gib: g.mockexec.device_size_gib, device_sizes: { ...g.mockexec.device_sizes } });
    case 'ssh':
    case 'kubernetes':
      throw new Error(`executor ${g.executor} is not available yet`);
  }
}
