import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AppContext } from '../app/context';
import { inventory } from '../app/queries';
import type { OperationRunner } from '../app/runner';
import type { RequestFailure } from './errors';

/**
 * Prometheus metrics: Heketi's names (dashboards and alerts written for Heketi keep working), read from the
 * database at scrape time, plus Brickyard's own request and operation metrics and Node.js's process metrics
 * (memory, CPU, event loop lag, handles). Operation counts are registered on the same registry by the
 * operation observer.
 */
export function createMetrics(app: AppContext, runner: OperationRunner, registry: Registry = new Registry()) {
  collectDefaultMetrics({ register: registry });
  const deviceLabels = ['cluster', 'hostname', 'device'] as const;

  const up = new Gauge({ name: 'heketi_up', help: 'Whether the server is up', registers: [registry] });
  const clusterCount = new Gauge({ name: 'heketi_cluster_count', help: 'Number of clusters', registers: [registry] });
  const nodesCount = new Gauge({ name: 'heketi_nodes_count', help: 'Number of nodes per cluster', labelNames: ['cluster'], registers: [registry] });
  const deviceCount = new Gauge({ name: 'heketi_device_count', help: 'Number of devices per node', labelNames: ['cluster', 'hostname'], registers: [registry] });
  const deviceSize = new Gauge({ name: 'heketi_device_size', help: 'Device size in KiB', labelNames: deviceLabels, registers: [registry] });
  const deviceFree = new Gauge({ name: 'heketi_device_free', help: 'Device free space in KiB', labelNames: deviceLabels, registers: [registry] });
  const deviceUsed = new Gauge({ name: 'heketi_device_used', help: 'Device used space in KiB', labelNames: deviceLabels, registers: [registry] });
  const deviceBricks = new Gauge({ name: 'heketi_device_brick_count', help: 'Bricks on a device', labelNames: deviceLabels, registers: [registry] });
  const volumesCount = new Gauge({ name: 'heketi_volumes_count', help: 'Number of volumes per cluster', labelNames: ['cluster'], registers: [registry] });
  const inFlight = new Gauge({ name: 'brickyard_operations_in_flight', help: 'Operations running on storage nodes in this process', registers: [registry] });
  const queued = new Gauge({ name: 'brickyard_operations_queued', help: 'Operations waiting for a slot in this process', registers: [registry] });

  const requestDuration = new Histogram({
    name: 'brickyard_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const requests = new Counter({ name: 'brickyard_http_requests_total', help: 'HTTP requests', labelNames: ['method', 'status'], registers: [registry] });
  // "No space", bad input, not found, busy: the client's request, refused; kept apart from server faults.
  const refusals = new Counter({
    name: 'brickyard_http_refusals_total',
    help: 'Requests refused, by reason kind (no_space, validation, not_found, conflict, busy, http...)',
    labelNames: ['kind', 'status'],
    registers: [registry],
  });
  const faults = new Counter({
    name: 'brickyard_http_server_faults_total',
    help: 'Requests that failed through a fault of the server or a storage node',
    labelNames: ['kind', 'status'],
    registers: [registry],
  });

  async function collect(): Promise<void> {
    const { clusterIds, nodes, devices, volumesByCluster } = await inventory(app);
    for (const g of [nodesCount, deviceCount, deviceSize, deviceFree, deviceUsed, deviceBricks, volumesCount]) g.reset();
    up.set(1);
    clusterCount.set(clusterIds.length);
    const nodeById = new Map(nodes.map((n) => [n.id, n]));
    for (const id of clusterIds) {
      nodesCount.set({ cluster: id }, nodes.filter((n) => n.clusterId === id).length);
      volumesCount.set({ cluster: id }, 0);
    }
    for (const [clusterId, n] of volumesByCluster) volumesCount.set({ cluster: clusterId }, n);
    for (const n of nodes) {
      const hostname = n.manageHostnames[0] ?? n.id;
      deviceCount.set({ cluster: n.clusterId, hostname }, devices.filter((d) => d.nodeId === n.id).length);
    }
    for (const d of devices) {
      const node = nodeById.get(d.nodeId);
      if (!node) continue;
      const labels = { cluster: node.clusterId, hostname: node.manageHostnames[0] ?? node.id, device: d.name };
      deviceSize.set(labels, Number(d.totalKib));
      deviceFree.set(labels, Number(d.freeKib));
      deviceUsed.set(labels, Number(d.usedKib));
      deviceBricks.set(labels, Number(d.brickCount));
    }
    inFlight.set(runner.inFlight);
    queued.set(runner.queued);
  }

  return {
    registry,
    async render(): Promise<string> {
      await collect();
      return registry.metrics();
    },
    observe(method: string, route: string, status: number, seconds: number, failure?: RequestFailure): void {
      requestDuration.observe({ method, route, status: String(status) }, seconds);
      requests.inc({ method, status: String(status) });
      if (failure) (failure.fault ? faults : refusals).inc({ kind: failure.kind, status: String(status) });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
