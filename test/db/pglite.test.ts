import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/connect';
import { initializeDataDir, openPGlite, scheduleCheckpoints } from '../../src/db/pglite';

/**
 * The embedded database: a new directory is initialised by a child process (initdb's memory never enters
 * the server), opened with small buffers, and what was written is there after reopening.
 */
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'brickyard-pglite-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a new directory is initialised in a child; the server opens it with small buffers and keeps its data', async () => {
  initializeDataDir(dir);
  expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);

  const first = openPGlite(dir);
  await first.waitReady;
  const settings = await first.query<{ name: string; setting: string; unit: string }>(
    `select name, setting, unit from pg_settings where name in ('shared_buffers', 'maintenance_work_mem') order by name`,
  );
  // shared_buffers counts 8 kB pages: 1024 x 8 kB = 8 MB, where PostgreSQL's default is 128 MB.
  expect(settings.rows).toEqual([
    { name: 'maintenance_work_mem', setting: '8192', unit: 'kB' },
    { name: 'shared_buffers', setting: '1024', unit: '8kB' },
  ]);
  await first.exec('create table kept (v text); insert into kept values (\'written\')');
  await first.close();

  const second = openPGlite(dir);
  expect((await second.query<{ v: string }>('select v from kept')).rows).toEqual([{ v: 'written' }]);
  await second.close();
}, 300_000);

test('a directory that cannot be created is reported with its path', () => {
  expect(() => initializeDataDir('/proc/brickyard-cannot-be-here')).toThrow(/\/proc\/brickyard-cannot-be-here/);
});

test("PostgreSQL's WebAssembly is compiled by V8's baseline compiler only (the memory it saves: docs/benchmarks.md)", async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const v8 = require('node:v8') as typeof import('node:v8');
  const flags = jest.spyOn(v8, 'setFlagsFromString');
  try {
    const db = openPGlite(undefined);
    // set before PGlite compiles its module: V8 reads the flag at compile time
    expect(flags).toHaveBeenCalledWith('--liftoff-only');
    await db.waitReady;
    expect((await db.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await db.close();
  } finally {
    flags.mockRestore();
  }
}, 300_000);

test('the embedded database is checkpointed on a timer (no checkpointer process runs inside PGlite)', async () => {
  const database = openDatabase('memory://');
  await database.ready();
  const checkpointAt = async (): Promise<string> =>
    (await database.knex.raw('select checkpoint_lsn::text as lsn from pg_control_checkpoint()')).rows[0].lsn;
  const errors: unknown[] = [];
  let stop: (() => void) | undefined;
  try {
    await database.knex.raw('create table written (v int)');
    await database.knex.raw('insert into written values (1)');
    const before = await checkpointAt();
    // nothing else checkpoints this database: only the timer can move the checkpoint forward
    expect(await checkpointAt()).toBe(before);
    stop = scheduleCheckpoints(database.knex, 50, (err) => errors.push(err));
    const deadline = Date.now() + 120_000;
    while ((await checkpointAt()) === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await checkpointAt()).not.toBe(before);
    expect(errors).toEqual([]);
  } finally {
    stop?.();
    await database.knex.destroy();
  }
}, 300_000);
