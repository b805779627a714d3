import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import knex, { type Knex } from 'knex';
import pg from 'pg';
import ClientPGLite from 'knex-pglite';
import { migrationSource } from '../../db/migrations';
import { migrateUnderLock } from './migration-lock';
import { openPGlite } from './pglite';

// int8 (bigint sizes, counts) as JS numbers: KiB values stay far below 2^53.
pg.types.setTypeParser(20, (value) => Number.parseInt(value, 10));

export type Db = Knex;
export type DbKind = 'postgres' | 'pglite';

export interface Database {
  knex: Knex;
  kind: DbKind;
  /** Where the data lives, without credentials, for logs. */
  description: string;
  /** The embedded database's directory (PGlite kept on disk); one server at a time may use it. */
  dataDir?: string;
  /**
   * Resolves once the database can take queries: PGlite's start (and first-time initdb) can take longer than
   * knex's 30 s connection-create limit on a loaded machine, so it is awaited here, outside that limit.
   */
  ready(): Promise<void>;
}

/** The directory an embedded-database setting names, or undefined (PostgreSQL, memory). */
export function embeddedDataDir(setting: string): string | undefined {
  return isPostgresUrl(setting) || setting === 'memory://' ? undefined : resolve(setting);
}

/** knex reports each failed connection attempt with a stack; the start-up retry lines say it once, without one. */
const knexLog = {
  warn(message: unknown) {
    if (typeof message === 'string' && message.startsWith('Acquire connection error')) return;
    console.warn(message);
  },
};

export function isPostgresUrl(setting: string): boolean {
  return /^postgres(ql)?:\/\//.test(setting);
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable url)';
  }
}

/**
 * `glusterfs.db` is a postgres:// URL (PostgreSQL), `memory://` (throw-away PGlite, for tests), or a
 * directory path (embedded PGlite kept there, the way Heketi kept a local db file).
 */
export function openDatabase(setting: string, options: { poolMax?: number } = {}): Database {
  if (isPostgresUrl(setting)) {
    return {
      kind: 'postgres',
      description: redact(setting),
      knex: knex({
        client: 'pg',
        connection: setting,
        pool: { min: 0, max: options.poolMax ?? 10 },
        acquireConnectionTimeout: 120_000,
        log: knexLog,
      }),
      ready: async () => undefined,
    };
  }
  const dir = embeddedDataDir(setting);
  if (dir) mkdirSync(dir, { recursive: true });
  // knex-pglite takes a ready-made instance (its own would use PostgreSQL's buffer sizes)
  const pglite = openPGlite(dir);
  return {
    kind: 'pglite',
    description: dir ? `PGlite in ${dir}` : 'PGlite in memory',
    dataDir: dir,
    ready: async () => {
      await pglite.waitReady;
    },
    knex: knex({
      client: ClientPGLite as unknown as typeof knex.Client,
      dialect: 'postgres',
      // our own instance, so that ready() can wait for its start
      connection: { pglite } as unknown as Knex.StaticConnectionConfig,
      log: knexLog,
      // PGlite is one connection: everything queues on it, so waiting must not time out under load.
      acquireConnectionTimeout: 600_000,
    }),
  };
}

/** A start-up failure told in one line (no stack): what failed and where. */
export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError';
}

/** One line for a connection failure; a host with several addresses fails with an AggregateError and no message. */
export function describeConnectionError(err: unknown): string {
  const e = err as Error & { code?: string; errors?: Error[] };
  const parts = e.errors?.length ? e.errors.map((x) => x.message) : [e.message || e.code || String(err)];
  return [...new Set(parts)].join('; ');
}

/**
 * Retries until the database answers (PostgreSQL may still be starting) or the time is up; `onRetry` hears one
 * line per failed try (attempt number and reason), the final failure is a DatabaseUnreachableError.
 */
export async function waitForDatabase(
  db: Knex,
  timeoutMs: number,
  onRetry?: (reason: string, attempt: number) => void,
  where = 'the database',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await db.raw('select 1');
      return;
    } catch (err) {
      const reason = describeConnectionError(err);
      if (Date.now() >= deadline) {
        throw new DatabaseUnreachableError(
          `database ${where} not reachable after ${attempt} tries in ${Math.round(timeoutMs / 1000)} s: ${reason}`,
        );
      }
      onRetry?.(reason, attempt);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Brings the schema up to date; safe with many servers starting at once (see migration-lock.ts). */
export async function migrate(db: Knex): Promise<void> {
  await migrateUnderLock(db);
}

export async function rollbackAll(db: Knex): Promise<void> {
  await db.migrate.rollback({ migrationSource }, true);
}
