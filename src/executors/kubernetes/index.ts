import type { KubeExecConfig } from '../../config/schema';
import { loadKubeCredentials, type CredentialOptions } from './credentials';
import { KubernetesTransport, type KubernetesTransportOptions } from './kube-transport';

export { loadKubeCredentials, SERVICE_ACCOUNT_DIR, type CredentialOptions, type KubeCredentials } from './credentials';
export { CommandOutcomeUnknownError, KubernetesTransport, type KubernetesTransportOptions } from './kube-transport';
export { GlusterPodFinder, type PodTarget } from './pod-finder';

export type KubernetesExecutorOptions = KubernetesTransportOptions & CredentialOptions;

/** A transport that runs command lines in the gluster pods, with credentials picked from the kubeexec settings. */
export function createKubernetesTransport(config: KubeExecConfig, options: KubernetesExecutorOptions = {}): KubernetesTransport {
  const { serviceAccountDir, env, ...transportOptions } = options;
  return new KubernetesTransport(loadKubeCredentials(config, { serviceAccountDir, env }), transportOptions);
}
