import { existsSync, readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import { KubeConfig, type Cluster, type User } from '@kubernetes/client-node';

import type { KubeExecConfig } from '../../config/schema';

/** Where Kubernetes mounts a pod's service account: token, ca.crt, namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export type CredentialSource = 'kubeconfig' | 'settings' | 'in-cluster';

export interface KubeCredentials {
  kubeConfig: KubeConfig;
  /** Namespace the gluster pods live in. */
  namespace: string;
  source: CredentialSource;
  /** The API server's base URL, for error messages. */
  server: string;
}

export interface CredentialOptions {
  /** Defaults to SERVICE_ACCOUNT_DIR; tests point it at a directory they made. */
  serviceAccountDir?: string;
  /** Defaults to process.env; read for KUBERNETES_SERVICE_HOST/PORT. */
  env?: NodeJS.ProcessEnv;
}

type CredentialSettings = Pick<
  KubeExecConfig,
  'host' | 'cert' | 'insecure' | 'user' | 'password' | 'token' | 'namespace' | 'kubeconfig'
>;

/**
 * Picks the credentials, in this order: a kubeconfig file when `kubeconfig` is set; the explicit `host` (+ cert,
 * insecure, token or user/password) when `host` is set; otherwise the pod's own service account (in-cluster).
 * The namespace is `namespace` when set, else the kubeconfig context's, else the service account's namespace file.
 */
export function loadKubeCredentials(settings: CredentialSettings, options: CredentialOptions = {}): KubeCredentials {
  const saDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const env = options.env ?? process.env;
  const kubeConfig = new KubeConfig();
  let source: CredentialSource;
  let contextNamespace: string | undefined;

  if (settings.kubeconfig !== '') {
    source = 'kubeconfig';
    if (!existsSync(settings.kubeconfig)) {
      throw new Error(`kubeexec.kubeconfig: file ${settings.kubeconfig} does not exist`);
    }
    try {
      kubeConfig.loadFromFile(settings.kubeconfig);
    } catch (err) {
      throw new Error(`kubeexec.kubeconfig: cannot read ${settings.kubeconfig}: ${(err as Error).message}`);
    }
    if (!kubeConfig.getCurrentCluster()) {
      throw new Error(`kubeexec.kubeconfig: ${settings.kubeconfig} has no current context with a cluster`);
    }
    contextNamespace = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace;
  } else if (settings.host !== '') {
    source = 'settings';
    kubeConfig.loadFromClusterAndUser(explicitCluster(settings), explicitUser(settings, saDir));
  } else {
    source = 'in-cluster';
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT;
    if (!host || !port) {
      throw new Error(
        'no Kubernetes credentials: set kubeexec.kubeconfig or kubeexec.host, or run inside a pod ' +
          '(KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)',
      );
    }
    const tokenFile = join(saDir, 'token');
    if (!existsSync(tokenFile)) {
      throw new Error(`no Kubernetes credentials: service account token ${tokenFile} does not exist`);
    }
    const caFile = join(saDir, 'ca.crt');
    kubeConfig.loadFromClusterAndUser(
      {
        name: 'in-cluster',
        server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
        skipTLSVerify: false,
        ...(existsSync(caFile) ? { caFile } : {}),
      },
      // A file token is re-read periodically, so a rotated (projected) token keeps working.
      { name: 'service-account', authProvider: { name: 'tokenFile', config: { tokenFile } } },
    );
  }

  const namespace = settings.namespace || contextNamespace || readNamespaceFile(saDir);
  if (!namespace) {
    throw new Error(
      `kubeexec.namespace is not set and there is no service account namespace file ${join(saDir, 'namespace')}`,
    );
  }
  return { kubeConfig, namespace, source, server: kubeConfig.getCurrentCluster()?.server ?? '' };
}

function explicitCluster(settings: CredentialSettings): Cluster {
  let url: URL;
  try {
    url = new URL(settings.host);
  } catch {
    throw new Error(`kubeexec.host: "${settings.host}" is not a URL (expected e.g. https://10.0.0.1:6443)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`kubeexec.host: "${settings.host}" must be an http:// or https:// URL`);
  }
  if (url.protocol === 'http:' && !settings.insecure) {
    throw new Error(`kubeexec.host: "${settings.host}" is plain http; set kubeexec.insecure to allow it`);
  }
  if (settings.cert !== '' && !existsSync(settings.cert)) {
    throw new Error(`kubeexec.cert: file ${settings.cert} does not exist`);
  }
  return {
    name: 'kubeexec',
    server: settings.host.replace(/\/+$/, ''),
    skipTLSVerify: settings.insecure,
    ...(settings.cert !== '' ? { caFile: settings.cert } : {}),
  };
}

function explicitUser(settings: CredentialSettings, saDir: string): User {
  if (settings.token.trim() !== '') return { name: 'kubeexec', token: settings.token.trim() };
  if (settings.user !== '') return { name: 'kubeexec', username: settings.user, password: settings.password };
  // Heketi's behaviour: with a host but no credentials, use the pod's service account token.
  const tokenFile = join(saDir, 'token');
  if (existsSync(tokenFile)) return { name: 'kubeexec', authProvider: { name: 'tokenFile', config: { tokenFile } } };
  return { name: 'kubeexec' };
}

function readNamespaceFile(saDir: string): string | undefined {
  const file = join(saDir, 'namespace');
  if (!existsSync(file)) return undefined;
  const value = readFileSync(file, 'utf8').trim();
  return value === '' ? undefined : value;
}
