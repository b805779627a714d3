import type { Logger } from 'pino';
import type { Config } from '../config/schema';
import { MockExecutor } from './mock';
import type { MockStateStore } from './mock/state-store';
import type { StorageExecutor } from './types';

export type ClosableExecutor = StorageExecutor & { close?: () => Promise<void> };

/** Builds the executor the config names; the ssh and kubernetes clients load only when used. */
export async function createExecutor(
  config: Config,
  log: Logger,
  /** Where the mock keeps its nodes (the server's database); without it they live and die with this process. */
  mockStore?: MockStateStore,
): Promise<ClosableExecutor> {
  const g = config.glusterfs;
  const warn = (message: string, details: Record<string, unknown>) => log.warn(details, message);
  switch (g.executor) {
    case 'mock':
      log.warn('using the MOCK executor: nothing is created on any storage node');
      const mock = new MockExecutor({ ...g.mockexec, device_sizes: { ...g.mockexec.device_sizes } }, mockStore);
      mock.latencyMs = g.mockexec.latency_ms;
      return mock;
    case 'ssh': {
      const { createSshExecutor } = await import('./ssh');
      return createSshExecutor(g.sshexec, { warn, log });
    }
    case 'kubernetes': {
      const { createKubernetesExecutor } = await import('./kubernetes');
      return createKubernetesExecutor(g.kubeexec, { warn, log });
    }
  }
}
