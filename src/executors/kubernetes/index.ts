import type { Logger } from 'pino';
import type { KubeExecConfig } from '../../config/schema';
import { CommandExecutor, type CommandExecutorOptions } from '../command-executor';
import { LoggingTransport } from '../logging-transport';
import type { StorageExecutor } from '../types';
import { loadKubeCredentials, type CredentialOptions } from './credentials';
import { KubernetesTransport, type KubernetesTransportOptions } from './kube-transport';

export { loadKubeCredentials, SERVICE_ACCOUNT_DIR, type CredentialOptions, type KubeCredentials } from './credentials';
export { CommandOutcomeUnknownError, KubernetesTransport, type KubernetesTransportOptions } from './kube-transport';
export { GlusterPodFinder, type PodTarget } from './pod-finder';

export type KubernetesTransportFactoryOptions = KubernetesTransportOptions & CredentialOptions;
export type KubernetesExecutorOptions = KubernetesTransportFactoryOptions &
  Pick<CommandExecutorOptions, 'warn'> & { log?: Logger };

/** A transport that runs command lines in the gluster pods, with credentials picked from the kubeexec settings. */
export function createKubernetesTransport(
  config: KubeExecConfig,
  options: KubernetesTransportFactoryOptions = {},
): KubernetesTransport {
  const { serviceAccountDir, env, ...transportOptions } = options;
  return new KubernetesTransport(loadKubeCredentials(config, { serviceAccountDir, env }), transportOptions);
}

/**
 * The kubernetes executor: Brickyard's command sequences run in each node's gluster pod through the API server.
 * Throws at once when no credentials can be found (see loadKubeCredentials).
 */
export function createKubernetesExecutor(
  config: KubeExecConfig,
  options: KubernetesExecutorOptions = {},
): StorageExecutor & { close(): Promise<void> } {
  const { warn, log, ...transportOptions } = options;
  const transport = createKubernetesTransport(config, transportOptions);
  return new CommandExecutor(log ? new LoggingTransport(transport, log) : transport, config, {
    kind: 'kubernetes',
    ...(warn ? { warn } : {}),
  });
}
