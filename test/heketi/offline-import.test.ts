import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDatabase } from '../../src/db/connect';
import { LOCK_FILE } from '../../src/db/data-dir-lock';
import { cleanEnv, run } from '../cli/run-cli';
import { REFERENCE_EXPORT_PATH } from '../support/heketi-nodes';

/**
 * The server entry's offline form (`node dist/src/main.js db import --heketi FILE`) on an embedded data
 * directory no server is using: imports, says so on a second run, and refuses while a server holds the
 * directory's lock. Runs the built entry as a separate process, as an operator would.
 */
jest.setTimeout(300_000);

const SERVER_ENTRY = resolve(__dirname, '../../dist/src/main.js');
const dir = mkdtempSync(join(tmpdir(), 'brickyard-offline-import-'));
const dataDir = join(dir, 'data');
const config = join(dir, 'heketi.json');
writeFileSync(config, JSON.stringify({ glusterfs: { executor: 'mock', db: dataDir, loglevel: 'none', db_wait_seconds: 240 } }));

const offline = (...args: string[]) =>
  run(process.execPath, [SERVER_ENTRY, 'db', 'import', '--heketi', REFERENCE_EXPORT_PATH, '--config', config, ...args], cleanEnv({}), 240_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('imports into the data directory, then says nothing changed on a second run', async () => {
  const first = await offline();
  expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
  expect(first.stdout).toMatch(/^Imported \(into an empty database\) in \d+ ms\n {2}clusters: 1, nodes: 6, devices: 15, volumes: 6, bricks: 21\n/);
  expect(first.stdout).toContain('every device matches its bricks (no drift)');

  const again = await offline('--json');
  expect(again.code).toBe(0);
  expect(JSON.parse(again.stdout)).toMatchObject({ changed: false, counts: { volumes: 6 } });

  const db = openDatabase(dataDir);
  try {
    expect(Number((await db.knex('volumes').count('* as n').first())!.n)).toBe(6);
    expect(Number((await db.knex('bricks').whereNotNull('thin_pool').count('* as n').first())!.n)).toBe(6);
  } finally {
    await db.knex.destroy();
  }
});

test('refuses a data directory a server holds, and leaves it alone', async () => {
  // a live process owns the lock, as a running server's does
  writeFileSync(join(dataDir, LOCK_FILE), `${process.pid}\n`);
  try {
    const refused = await offline('--merge');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^brickyard: data directory .* is in use by another brickyard \(pid \d+\)/);
  } finally {
    rmSync(join(dataDir, LOCK_FILE), { force: true });
  }
});

test('a bad file is refused with the entry and field, exit 1', async () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"clusterentries": {}, "volumeentries": ');
  const r = await run(process.execPath, [SERVER_ENTRY, 'db', 'import', `--heketi=${bad}`, '--config', config], cleanEnv({}), 240_000);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^brickyard: Heketi import refused \(1 problem\), nothing was written:\n {2}file: is not valid JSON/);
});
