import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Knex } from 'knex';
import type { Config } from './config/schema';
import { countOtherSessions } from './db/sessions';
import { describeImport } from './cli/format/heketi-import';
import { importHeketiDocument } from './app/heketi-import';
import { DomainError } from './domain/errors';
import { isPostgresUrl, migrate, openDatabase, waitForDatabase } from './db/connect';
import { lockDataDir } from './db/data-dir-lock';
import { createExecutor, type ClosableExecutor } from './executors/factory';
import { createLogger } from './logger';

/**
 * The server entry's offline form: `node dist/src/main.js db import --heketi <file> [--merge] [--verify]
 * [--json] [--config heketi.json]` imports straight into the configured database, for a database no server is
 * using (before the first start, or with the servers stopped): PostgreSQL with no other session on it, or a
 * data directory whose lock no server holds. Exit 0 on success, 1 when refused.
 */
export interface OfflineArgs {
  file: string;
  merge: boolean;
  verify: boolean;
  json: boolean;
}

export class OfflineUsageError extends Error {}

export function offlineConfigPath(argv: string[]): string | undefined {
  for (let i = 2; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--config' || arg === '-c') return argv[i + 1];
    if (arg.startsWith('--config=')) return arg.slice('--config='.length);
  }
  return process.env.BRICKYARD_CONFIG || undefined;
}

export function parseOfflineArgs(argv: string[]): OfflineArgs {
  const args: OfflineArgs = { file: '', merge: false, verify: false, json: false };
  for (let i = 2; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--heketi') args.file = argv[++i] ?? '';
    else if (arg.startsWith('--heketi=')) args.file = arg.slice('--heketi='.length);
    else if (arg === '--merge') args.merge = true;
    else if (arg === '--verify') args.verify = true;
    else if (arg === '--json') args.json = true;
    else if (arg === '--config' || arg === '-c') i += 1;
    else if (!arg.startsWith('--config=')) throw new OfflineUsageError(`unknown argument ${arg}`);
  }
  if (!args.file) throw new OfflineUsageError('usage: main.js db import --heketi <file> [--merge] [--verify] [--json] [--config <file>]');
  return args;
}

/** Refuses a database a server has open: other sessions on PostgreSQL, PGlite's pid file in its directory. */
async function refuseWhenInUse(config: Config, knex: Knex): Promise<void> {
  const setting = config.glusterfs.db;
  if (isPostgresUrl(setting)) {
    const others = await countOtherSessions(knex);
    if (others > 0) {
      throw new DomainError('conflict', `${others} other sessions are connected to this database (a running server?): stop them, or import through the server with brickyard db import`);
    }
  }
}

export async function runOfflineImport(config: Config, argv: string[], out: NodeJS.WritableStream): Promise<void> {
  const args = parseOfflineArgs(argv);
  const text = await readFile(args.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new OfflineUsageError(`${args.file}: cannot read the file (${err.code ?? err.message})`);
  });
  const setting = config.glusterfs.db;
  // An embedded data directory: the lock every server takes (refused while a server holds it).
  const embedded = !isPostgresUrl(setting) && setting !== 'memory://';
  if (embedded) mkdirSync(resolve(setting), { recursive: true });
  const dirLock = embedded ? lockDataDir(resolve(setting)) : undefined;
  const log = createLogger(config.glusterfs.loglevel);
  const database = openDatabase(setting, { poolMax: 2 });
  let executor: ClosableExecutor | undefined;
  try {
    await waitForDatabase(database.knex, config.glusterfs.db_wait_seconds * 1000);
    await refuseWhenInUse(config, database.knex);
    await migrate(database.knex);
    executor = args.verify ? await createExecutor(config, log) : undefined;
    const report = await importHeketiDocument(database.knex, text, { merge: args.merge, verifyWith: executor });
    out.write(`${args.json ? JSON.stringify(report, null, 2) : describeImport(report)}\n`);
  } finally {
    await executor?.close?.();
    await database.knex.destroy();
    dirLock?.release();
  }
}
