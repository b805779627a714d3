import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';

import { ExecutorError } from '../types';
import { apiFailure } from './api-errors';

/** Where a host's commands run. */
export interface PodTarget {
  pod: string;
  container: string;
}

export type PodLister = Pick<CoreV1Api, 'listNamespacedPod'>;

export interface PodFinderOptions {
  /** Label whose value names the host a pod serves (Heketi's convention). */
  hostLabel?: string;
  /** Labels marking a gluster daemonset pod; any one of them is enough. */
  daemonSetLabels?: Array<[string, string]>;
  /** How long a found pod is trusted before it is looked up again. */
  cacheMs?: number;
  /** Give up on a pod list that has not answered by then. Default 30 s. */
  requestTimeoutMs?: number;
  /** For error messages. */
  server?: string;
  now?: () => number;
}

export const DEFAULT_HOST_LABEL = 'glusterfs-node';
/** gluster-kubernetes labels its daemonset pods with both. */
export const DEFAULT_DAEMONSET_LABELS: Array<[string, string]> = [
  ['glusterfs', 'pod'],
  ['glusterfs-node', 'pod'],
];

export const FIND_POD_STEP = 'find gluster pod';
const STEP = FIND_POD_STEP;
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)$/;

/**
 * Finds the gluster pod serving a host: a pod labelled `glusterfs-node=<host>`, otherwise a gluster daemonset pod
 * scheduled on node `<host>`. Exactly one must be Running. Results are cached briefly; `forget` drops one after an
 * exec showed the pod is gone.
 */
export class GlusterPodFinder {
  private readonly cache = new Map<string, { target: PodTarget; until: number }>();
  /** Lookups under way, so that many commands for one host starting together list pods once. */
  private readonly pending = new Map<string, Promise<PodTarget>>();
  private readonly hostLabel: string;
  private readonly daemonSetLabels: Array<[string, string]>;
  private readonly cacheMs: number;
  private readonly requestTimeoutMs: number;
  private readonly server: string;
  private readonly now: () => number;

  constructor(
    private readonly api: PodLister,
    readonly namespace: string,
    options: PodFinderOptions = {},
  ) {
    this.hostLabel = options.hostLabel ?? DEFAULT_HOST_LABEL;
    this.daemonSetLabels = options.daemonSetLabels ?? DEFAULT_DAEMONSET_LABELS;
    this.cacheMs = options.cacheMs ?? 60_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.server = options.server ?? 'the API server';
    this.now = options.now ?? Date.now;
  }

  async find(host: string): Promise<PodTarget> {
    const cached = this.cache.get(host);
    if (cached && cached.until > this.now()) return cached.target;
    let lookup = this.pending.get(host);
    if (!lookup) {
      lookup = this.lookUp(host).finally(() => this.pending.delete(host));
      this.pending.set(host, lookup);
    }
    return lookup;
  }

  forget(host: string): void {
    this.cache.delete(host);
  }

  private async lookUp(host: string): Promise<PodTarget> {
    let candidates: V1Pod[] = [];
    const lookedFor: string[] = [];
    // A label value is at most 63 of [A-Za-z0-9._-]; a host that cannot be one (an IPv6 address, a long FQDN)
    // can only be found through its node.
    if (LABEL_VALUE.test(host)) {
      candidates = await this.list(host, { labelSelector: `${this.hostLabel}=${host}` });
      lookedFor.push(`pods labelled ${this.hostLabel}=${host}`);
    }
    if (candidates.length === 0) {
      const onNode = await this.list(host, { fieldSelector: `spec.nodeName=${host}` });
      candidates = onNode.filter((pod) => this.isDaemonSetPod(pod));
      const labels = this.daemonSetLabels.map(([k, v]) => `${k}=${v}`).join(' or ');
      lookedFor.push(`pods labelled ${labels} on node ${host}`);
    }

    const target = this.pick(host, candidates, lookedFor.join(', then '));
    this.cache.set(host, { target, until: this.now() + this.cacheMs });
    return target;
  }

  private async list(host: string, selector: { labelSelector?: string; fieldSelector?: string }): Promise<V1Pod[]> {
    const action = `listing pods in namespace ${this.namespace}`;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ExecutorError(host, STEP, `${action}: no answer from ${this.server} within ${this.requestTimeoutMs} ms`, true)),
        this.requestTimeoutMs,
      );
    });
    try {
      const list = await Promise.race([this.api.listNamespacedPod({ namespace: this.namespace, ...selector }), timeout]);
      return list.items;
    } catch (err) {
      if (err instanceof ExecutorError) throw err;
      const failure = apiFailure(err, action, this.server);
      throw new ExecutorError(host, STEP, failure.message, failure.transient);
    } finally {
      clearTimeout(timer);
    }
  }

  private isDaemonSetPod(pod: V1Pod): boolean {
    const labels = pod.metadata?.labels ?? {};
    return this.daemonSetLabels.some(([key, value]) => labels[key] === value);
  }

  private pick(host: string, candidates: V1Pod[], lookedFor: string): PodTarget {
    const where = `namespace ${this.namespace}`;
    if (candidates.length === 0) {
      throw new ExecutorError(host, STEP, `no gluster pod for host ${host} in ${where}; looked for ${lookedFor}`);
    }
    const running = candidates.filter((pod) => pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp);
    if (running.length === 0) {
      const states = candidates
        .map((pod) => `${pod.metadata?.name} (${pod.metadata?.deletionTimestamp ? 'Terminating' : (pod.status?.phase ?? 'Unknown')})`)
        .join(', ');
      // A pod being restarted by its daemonset comes back: worth another try later.
      throw new ExecutorError(host, STEP, `gluster pod for host ${host} in ${where} is not running: ${states}`, true);
    }
    if (running.length > 1) {
      const names = running.map((pod) => pod.metadata?.name).join(', ');
      throw new ExecutorError(
        host,
        STEP,
        `several running gluster pods for host ${host} in ${where} (${names}); expected exactly one`,
      );
    }
    const pod = running[0]!;
    const container = pod.spec?.containers?.[0]?.name;
    if (!pod.metadata?.name || !container) {
      throw new ExecutorError(host, STEP, `gluster pod for host ${host} has no name or no container`);
    }
    return { pod: pod.metadata.name, container };
  }
}
