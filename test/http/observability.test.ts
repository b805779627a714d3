import { createContainer, type Container } from '../../src/container';
import { HeketiClient } from '../../src/client/heketi-client';
import { MockExecutor } from '../../src/executors/mock';
import { capturedLogger, type LogLine } from '../support/log-capture';
import { createTestDatabase } from '../support/pg';
import { ADMIN_KEY, buildTopology, startTestServer, testConfig, type TestServer } from '../support/server';

/**
 * What an operator sees: the server's real logger (JSON lines) captured in memory, and /metrics scraped over
 * the socket, while a real server serves requests and runs operations on the mock executor.
 */
const capture = capturedLogger('debug');
let server: TestServer;

/** Parses Prometheus text: the value of `name` whose labels include `labels`, or undefined. */
function metric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function scrape(): Promise<string> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

function one(match: Partial<LogLine>): LogLine {
  const found = capture.find(match);
  if (found.length !== 1) throw new Error(`expected one log line like ${JSON.stringify(match)}, found ${found.length}`);
  return found[0]!;
}

beforeAll(async () => {
  server = await startTestServer({ db: 'postgres', auth: true, log: capture.log });
  await buildTopology(server.admin, { nodes: 3, zones: 3, devicesPerNode: 1 });
}, 180_000); // generous: the machine is loaded
afterAll(async () => {
  await server?.close();
});

test('a create logs its request and its operation from start to end, with the ids and the volume name', async () => {
  const res = await fetch(`${server.url}/volumes`, {
    method: 'POST',
    headers: {
      Authorization: `bearer ${server.admin.token('POST', '/volumes')}`,
      'Content-Type': 'application/json',
      'X-Request-Id': 'req-create-1',
    },
    body: JSON.stringify({ size: 5, name: 'obs_one', durability: { type: 'replicate', replicate: { replica: 3 } } }),
  });
  expect(res.status).toBe(202);
  expect(res.headers.get('X-Request-Id')).toBe('req-create-1');
  const opId = res.headers.get('Location')!.split('/').pop()!;
  const volume = (await server.admin.waitFor(`/queue/${opId}`))!;
  await server.container.runner.idle();

  const request = one({ msg: 'request', method: 'POST', path: '/volumes', req: 'req-create-1' });
  expect(request).toMatchObject({ level: 30, status: 202, role: 'admin' });
  expect(typeof request.ms).toBe('number');

  const subject = { op: opId, kind: 'volume_create', volumeId: volume.id, volumeName: 'obs_one', initiator: 'admin' };
  expect(one({ msg: 'operation started', op: opId })).toMatchObject({ level: 30, ...subject, req: 'req-create-1' });
  const ended = one({ msg: 'operation succeeded', op: opId });
  expect(ended).toMatchObject({ level: 30, ...subject, outcome: 'succeeded' });
  expect(ended.ms).toBeGreaterThanOrEqual(0);

  // debug: every executor step of this operation, on its hosts
  const steps = capture.find({ msg: 'executor step', op: opId });
  expect(steps.filter((s) => s.step === 'brickCreate').map((s) => s.host).sort()).toEqual([
    'node0.example.com',
    'node1.example.com',
    'node2.example.com',
  ]);
  expect(steps.some((s) => s.step === 'volumeCreate')).toBe(true);
  expect(steps.every((s) => s.level === 20 && typeof s.ms === 'number')).toBe(true);

  // the queue polls are requests too, each with its own id
  const polls = capture.find({ msg: 'request', method: 'GET', path: `/queue/${opId}` });
  expect(polls.length).toBeGreaterThan(0);
  expect(new Set(polls.map((p) => p.req)).size).toBe(polls.length);

  const text = await scrape();
  expect(metric(text, 'brickyard_operations_total', { kind: 'volume_create', outcome: 'succeeded' })).toBe(1);
  expect(
    metric(text, 'brickyard_operation_duration_seconds_count', { kind: 'volume_create', outcome: 'succeeded' }),
  ).toBe(1);
});

test('refusals are logged with their reason; No space is counted apart from server faults', async () => {
  const before = await scrape();
  const noSpaceBefore = metric(before, 'brickyard_http_refusals_total', { kind: 'no_space' }) ?? 0;

  const noSpace = await server.admin.raw('POST', '/volumes', { size: 100000, durability: { type: 'replicate' } });
  expect(noSpace.status).toBe(500);
  expect(noSpace.text).toMatch(/No space/);
  const bad = await server.admin.raw('POST', '/volumes', { size: -1 });
  expect(bad.status).toBe(400);
  const missing = await server.admin.raw('GET', `/volumes/${'0'.repeat(32)}`);
  expect(missing.status).toBe(404);
  const denied = await server.user.raw('GET', '/clusters');
  expect(denied.status).toBe(401);

  const refused = capture.find({ msg: 'request refused' });
  const noSpaceLine = refused.find((l) => l.kind === 'no_space')!;
  expect(noSpaceLine).toMatchObject({ level: 30, method: 'POST', path: '/volumes', status: 500, role: 'admin' });
  expect(noSpaceLine.reason).toBe(noSpace.text.trim());
  expect(refused.find((l) => l.status === 400 && l.path === '/volumes')!.reason).toBe(bad.text.trim());
  expect(refused.find((l) => l.status === 404)!.reason).toBe(missing.text.trim());
  const deniedLine = refused.find((l) => l.status === 401)!;
  expect(deniedLine).toMatchObject({ path: '/clusters', reason: denied.text.trim(), role: 'none' });
  expect(capture.find({ msg: 'request failed' })).toEqual([]);

  const after = await scrape();
  expect(metric(after, 'brickyard_http_refusals_total', { kind: 'no_space', status: '500' })).toBe(noSpaceBefore + 1);
  expect(metric(after, 'brickyard_http_refusals_total', { kind: 'validation', status: '400' })).toBeGreaterThanOrEqual(1);
  expect(metric(after, 'brickyard_http_refusals_total', { status: '401' })).toBe(1);
  expect(metric(after, 'brickyard_http_server_faults_total')).toBeUndefined();
});

test('a failed operation is logged with its error and counted as failed', async () => {
  server.mock.failAt('volumeCreate', { message: 'gluster said no' });
  const res = await server.admin.raw('POST', '/volumes', { size: 2, name: 'obs_fails', durability: { type: 'replicate' } });
  expect(res.status).toBe(202);
  const opId = res.headers.get('Location')!.split('/').pop()!;
  await expect(server.admin.waitFor(`/queue/${opId}`)).rejects.toThrow(/gluster said no/);
  await server.container.runner.idle();
  server.mock.clearFaults();

  const failed = one({ msg: 'operation failed', op: opId });
  expect(failed).toMatchObject({ level: 40, kind: 'volume_create', volumeName: 'obs_fails', outcome: 'failed' });
  expect(failed.error).toMatch(/gluster said no/);
  const failedStep = capture.find({ msg: 'executor step failed', op: opId });
  expect(failedStep.map((s) => s.step)).toContain('volumeCreate');

  const text = await scrape();
  expect(metric(text, 'brickyard_operations_total', { kind: 'volume_create', outcome: 'failed' })).toBe(1);
  expect(metric(text, 'brickyard_operation_duration_seconds_count', { kind: 'volume_create', outcome: 'failed' })).toBe(1);
});

test('/metrics has the Node.js process metrics and is not logged at info', async () => {
  const text = await scrape();
  expect(metric(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  expect(metric(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
  expect(metric(text, 'heketi_up')).toBe(1);
  const scrapes = capture.find({ path: '/metrics' });
  expect(scrapes.length).toBeGreaterThan(0);
  expect(scrapes.every((l) => l.level === 20)).toBe(true);
});

test('a recovery after a crash is logged with what it did, and counted', async () => {
  const pg = await createTestDatabase();
  const mock = new MockExecutor({ device_size_gib: 100, device_sizes: {} });
  const started: Container[] = [];
  const start = async (log = capturedLogger('info')) => {
    const config = testConfig(pg.url, { glusterfs: { operation_lease_seconds: 1 } });
    const container = await createContainer(config, { executor: mock, log: log.log });
    const port = await container.listen(0, '127.0.0.1');
    started.push(container);
    const client = new HeketiClient(`http://127.0.0.1:${port}`, { user: 'admin', key: ADMIN_KEY, pollIntervalMs: 20 });
    return { container, client, log, port };
  };
  try {
    const first = await start();
    await buildTopology(first.client, { nodes: 3, zones: 3, devicesPerNode: 1 });
    mock.hangAt('brickCreate', { skip: 1 });
    const accepted = await first.client.raw('POST', '/volumes', { size: 3, name: 'obs_crash', durability: { type: 'replicate' } });
    expect(accepted.status).toBe(202);
    const opId = accepted.headers.get('Location')!.split('/').pop()!;
    while (first.log.find({ msg: 'operation started', op: opId }).length === 0) await new Promise((r) => setTimeout(r, 10));
    void first.container.runner.stop(0); // what a kill -9 leaves: no more lease renewals; its second brick hangs

    const second = await start();
    // the lease (1 s) must lapse before the second server may take it over
    for (let i = 0; i < 200 && second.log.find({ op: opId, msg: 'operation recovered: rolled back' }).length === 0; i += 1) {
      await second.container.runner.recoverAbandoned();
      await second.container.runner.idle();
      await new Promise((r) => setTimeout(r, 100));
    }
    const line = second.log.find({ op: opId, msg: 'operation recovered: rolled back' })[0];
    expect(line).toMatchObject({ level: 40, kind: 'volume_create', volumeName: 'obs_crash', action: 'rolled back' });
    const text = await (await fetch(`http://127.0.0.1:${second.port}/metrics`)).text();
    expect(
      metric(text, 'brickyard_operation_recoveries_total', { kind: 'volume_create', action: 'rolled back', completed: 'true' }),
    ).toBe(1);
  } finally {
    mock.clearFaults();
    for (const c of started) await c.close(50);
    await pg.drop();
  }
}, 60_000);
