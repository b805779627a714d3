import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HeketiClient } from '../../src/client/heketi-client';

/**
 * The real start command (`node dist/src/main.js --config FILE`, the Dockerfile's entry point) as a
 * process: embedded PGlite in a directory, migrations on start, SIGTERM lets running operations finish,
 * and queue entries survive the restart.
 */
const MAIN = resolve(__dirname, '../../dist/src/main.js');

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function start(config: string, port: number): { child: ChildProcess; output: () => string } {
  let out = '';
  const child = spawn(process.execPath, [MAIN, '--config', config], {
    env: { ...process.env, BRICKYARD_PORT: String(port), BRICKYARD_BIND: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, output: () => out };
}

async function waitUp(client: HeketiClient): Promise<void> {
  // generous: a start migrates the embedded database, which takes long on a loaded machine
  for (let i = 0; i < 3000; i += 1) {
    try {
      if ((await client.hello()).status === 200) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not come up');
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((res) => (child.exitCode !== null ? res(child.exitCode) : child.once('exit', (code) => res(code))));

test('built server exists (npm test builds first)', () => {
  expect(existsSync(MAIN)).toBe(true);
});

test('SIGTERM waits for the running operation; after a restart its queue entry still answers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'brickyard-process-'));
  const config = join(dir, 'heketi.json');
  writeFileSync(
    config,
    JSON.stringify({
      use_auth: true,
      jwt: { admin: { key: 'adm' }, user: { key: 'usr' } },
      glusterfs: { executor: 'mock', db: join(dir, 'db'), loglevel: 'info', mockexec: { latency_ms: 300 } },
    }),
  );
  const port = await freePort();
  const client = new HeketiClient(`http://127.0.0.1:${port}`, { user: 'admin', key: 'adm', pollIntervalMs: 50 });
  let server = start(config, port);
  await waitUp(client);
  expect(server.output()).toMatch(/"msg":"brickyard listening"/);

  const cluster = await client.clusterCreate();
  for (let i = 1; i <= 3; i += 1) {
    const node = await client.nodeAdd({ zone: i, cluster: cluster.id, hostnames: { manage: [`n${i}`], storage: [`10.0.0.${i}`] } });
    await client.deviceAdd({ node: node!.id, name: '/dev/sdb' });
  }
  const accepted = await client.raw('POST', '/volumes', { size: 1, durability: { type: 'replicate' } });
  expect(accepted.status).toBe(202);
  await new Promise((r) => setTimeout(r, 100)); // the operation is now in its remote phase (300 ms per call)
  server.child.kill('SIGTERM');
  expect(await exited(server.child)).toBe(0);
  expect(server.output()).toMatch(/shutting down/);
  expect(server.output()).not.toMatch(/operations still running at shutdown/);

  server = start(config, port);
  await waitUp(client);
  const done = await client.raw('GET', accepted.headers.get('Location')!);
  expect(done.status).toBe(303);
  const volume = await client.json('GET', done.headers.get('Location')!);
  expect(volume.bricks).toHaveLength(3);
  expect((await client.dbCheck()).problems).toEqual([]);
  server.child.kill('SIGTERM');
  expect(await exited(server.child)).toBe(0);
}, 900_000);

test('a bad config file stops the start with the reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'brickyard-badconfig-'));
  const config = join(dir, 'heketi.json');
  writeFileSync(config, JSON.stringify({ glusterfs: { executor: 'carrier-pigeon' } }));
  const server = start(config, await freePort());
  expect(await exited(server.child)).toBe(1);
  expect(server.output()).toMatch(/^brickyard: invalid configuration in .*glusterfs\.executor/m);
});
