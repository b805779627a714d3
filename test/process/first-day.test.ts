import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeketiClient } from '../../src/client/heketi-client';
import { createTestDatabase } from '../support/pg';
import { makeSelfSignedCert } from '../support/self-signed-cert';
import { freePort, startServerProcess, type ServerProcess } from '../support/server-process';

/**
 * A new user's first day with the real start command: restarts on the defaults, several servers on one
 * database, one server per embedded data directory, an unreachable PostgreSQL, TLS, --help and --version.
 */
const BOUND = 3_600_000;
const running: ServerProcess[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop('SIGKILL')));
});

function workDir(): string {
  return mkdtempSync(join(tmpdir(), 'brickyard-firstday-'));
}

function writeConfig(dir: string, config: Record<string, unknown>): string {
  const file = join(dir, 'heketi.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

async function serve(config: string, port?: number): Promise<{ server: ServerProcess; client: HeketiClient }> {
  const server = startServerProcess(['--config', config], { port: port ?? (await freePort()) });
  running.push(server);
  await server.listening();
  return { server, client: new HeketiClient(`http://127.0.0.1:${server.port}`, { pollIntervalMs: 50 }) };
}

async function stop(server: ServerProcess): Promise<void> {
  expect(await server.stop('SIGTERM')).toBe(0);
  running.splice(running.indexOf(server), 1);
}

async function threeNodes(client: HeketiClient): Promise<void> {
  const cluster = await client.clusterCreate();
  for (let i = 1; i <= 3; i += 1) {
    const node = await client.nodeAdd({ zone: i, cluster: cluster.id, hostnames: { manage: [`n${i}`], storage: [`10.0.0.${i}`] } });
    await client.deviceAdd({ node: node!.id, name: '/dev/sdb' });
  }
}

const mockConfig = (db: string) => ({ glusterfs: { executor: 'mock', db, loglevel: 'info' } });

test('stop and start on an embedded data directory: creates, expands and deletes keep working', async () => {
  const dir = workDir();
  const config = writeConfig(dir, mockConfig(join(dir, 'data')));
  let { server, client } = await serve(config);
  await threeNodes(client);
  const first = await client.volumeCreate({ size: 2, durability: { type: 'replicate', replicate: { replica: 3 } } });
  await stop(server);

  ({ server, client } = await serve(config));
  const expanded = await client.volumeExpand(first!.id, 2);
  expect(expanded!.size).toBe(4);
  expect(expanded!.bricks).toHaveLength(6);
  const second = await client.volumeCreate({ size: 1, durability: { type: 'replicate', replicate: { replica: 3 } } });
  await stop(server);

  ({ server, client } = await serve(config));
  await client.volumeDelete(first!.id);
  await client.volumeDelete(second!.id);
  const third = await client.volumeCreate({ size: 3, durability: { type: 'replicate', replicate: { replica: 3 } } });
  expect(third!.bricks).toHaveLength(3);
  expect((await client.dbCheck()).problems).toEqual([]);
  expect(server.output()).not.toMatch(/not found/);
  await stop(server);
}, BOUND);

test('two servers on one PostgreSQL database see one set of mock nodes', async () => {
  const pg = await createTestDatabase();
  try {
    const dir = workDir();
    const config = writeConfig(dir, mockConfig(pg.url));
    const [a, b] = await Promise.all([serve(config), serve(config)]);
    await threeNodes(a.client); // devices set up through A's mock
    const volume = await b.client.volumeCreate({ size: 2, durability: { type: 'replicate', replicate: { replica: 3 } } }); // bricks on those devices, through B
    const expanded = await a.client.volumeExpand(volume!.id, 1);
    expect(expanded!.bricks).toHaveLength(6);
    await b.client.volumeDelete(volume!.id);
    expect((await a.client.dbCheck()).problems).toEqual([]);
    await Promise.all([stop(a.server), stop(b.server)]);
  } finally {
    await pg.drop();
  }
}, BOUND);

test('a second server on the same data directory refuses with one line; a killed one’s lock is taken over', async () => {
  const dir = workDir();
  const config = writeConfig(dir, mockConfig(join(dir, 'data')));
  const { server: first } = await serve(config);
  const second = startServerProcess(['--config', config], { port: await freePort() });
  running.push(second);
  expect(await second.exited()).toBe(1);
  const lines = second.output().trim().split('\n');
  expect(lines[lines.length - 1]).toBe(
    `brickyard: data directory ${join(dir, 'data')} is in use by another brickyard (pid ${first.child.pid}); stop it, or give this one another glusterfs.db`,
  );
  expect(second.output()).not.toMatch(/^\s+at /m);

  await first.stop('SIGKILL'); // no chance to remove its lock
  const { server: third, client } = await serve(config);
  expect((await client.hello()).status).toBe(200);
  await stop(third);
}, BOUND);

test('an unreachable PostgreSQL: one line per retry saying what and where, then a clear exit', async () => {
  const port = await freePort(); // nothing listens there
  const dir = workDir();
  const config = writeConfig(dir, { glusterfs: { executor: 'mock', db: `postgres://brickyard:pw@127.0.0.1:${port}/nowhere`, db_wait_seconds: 3, loglevel: 'info' } });
  const server = startServerProcess(['--config', config], { port: await freePort() });
  running.push(server);
  expect(await server.exited()).toBe(1);
  const out = server.output();
  const retries = out.split('\n').filter((l) => l.includes('not answering'));
  expect(retries.length).toBeGreaterThanOrEqual(1);
  for (const line of retries) {
    expect(line).toContain(`postgres://brickyard:***@127.0.0.1:${port}/nowhere`);
    expect(line).toContain('ECONNREFUSED');
  }
  expect(out).not.toContain(':pw@');
  expect(out).not.toMatch(/^\s+at /m);
  expect(out.trim().split('\n').pop()).toMatch(
    new RegExp(`^brickyard: database postgres://brickyard:\\*\\*\\*@127\\.0\\.0\\.1:${port}/nowhere not reachable after \\d+ tries in 3 s: .*ECONNREFUSED`),
  );
}, BOUND);

test('--help and --version answer without starting a server', async () => {
  for (const [flag, pattern] of [
    ['--help', /^Usage: brickyard-server \[--config FILE\]/],
    ['-h', /^Usage: brickyard-server/],
    ['--version', /^brickyard \d+\.\d+\.\d+\n$/],
  ] as const) {
    const server = startServerProcess([flag], { port: await freePort() });
    running.push(server);
    expect(await server.exited()).toBe(0);
    expect(server.output()).toMatch(pattern);
    expect(server.output()).not.toMatch(/listening/);
  }
  const bad = startServerProcess(['--frobnicate']);
  running.push(bad);
  expect(await bad.exited()).toBe(1);
  expect(bad.output()).toBe('brickyard: unknown argument "--frobnicate" (see --help)\n');
}, BOUND);

describe('TLS', () => {
  test('enable_tls serves HTTPS with cert_file and key_file; clients trust it by CA or insecure switch', async () => {
    const dir = workDir();
    const pair = makeSelfSignedCert('brickyard-test');
    writeFileSync(join(dir, 'cert.pem'), pair.cert);
    writeFileSync(join(dir, 'key.pem'), pair.key);
    const config = writeConfig(dir, {
      ...mockConfig('memory://'),
      enable_tls: true,
      cert_file: join(dir, 'cert.pem'),
      key_file: join(dir, 'key.pem'),
    });
    const { server } = await serve(config);
    const url = `https://127.0.0.1:${server.port}`;
    expect(server.output()).toMatch(/"tls":true/);
    expect((await new HeketiClient(url, { tls: { ca: pair.cert } }).hello()).status).toBe(200);
    expect((await new HeketiClient(url, { tls: { insecure: true } }).hello()).status).toBe(200);
    await expect(new HeketiClient(url).hello()).rejects.toThrow(/Unable to reach server .*(SELF_SIGNED|UNABLE_TO_VERIFY|certificate)/i);
    await expect(new HeketiClient(`http://127.0.0.1:${server.port}`, { timeoutMs: 20_000 }).hello()).rejects.toThrow();
    await stop(server);
  }, BOUND);

  test('a missing or unreadable cert/key file stops the start with one clear line', async () => {
    const dir = workDir();
    const pair = makeSelfSignedCert('brickyard-test');
    writeFileSync(join(dir, 'cert.pem'), pair.cert);
    writeFileSync(join(dir, 'garbage.pem'), 'not a key\n');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ cert_file: join(dir, 'missing.pem'), key_file: join(dir, 'cert.pem') }, `brickyard: cannot read cert_file ${join(dir, 'missing.pem')}: ENOENT`],
      [{ cert_file: join(dir, 'cert.pem'), key_file: dir }, `brickyard: cannot read key_file ${dir}: EISDIR`],
      [{ cert_file: join(dir, 'cert.pem') }, 'brickyard: enable_tls is true but key_file is not set'],
      [{ cert_file: join(dir, 'cert.pem'), key_file: join(dir, 'garbage.pem') }, `brickyard: cert_file ${join(dir, 'cert.pem')} and key_file ${join(dir, 'garbage.pem')} are not a usable PEM certificate and key`],
    ];
    for (const [files, line] of cases) {
      const config = writeConfig(dir, { ...mockConfig('memory://'), enable_tls: true, ...files });
      const server = startServerProcess(['--config', config], { port: await freePort() });
      running.push(server);
      expect(await server.exited()).toBe(1);
      const out = server.output().trim().split('\n');
      expect(out[out.length - 1]!.startsWith(line)).toBe(true);
      expect(server.output()).not.toMatch(/^\s+at /m);
    }
  }, BOUND);
});
