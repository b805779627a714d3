import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import type { Knex } from 'knex';

/**
 * The embedded database's settings. PostgreSQL's defaults size its buffers for a server of its own (128 MB of
 * shared buffers, 64 MB for maintenance); Brickyard's data is a few MB even at 10,000 volumes, and inside PGlite
 * every buffer is WebAssembly memory in the server's process. Smaller buffers cost nothing measurable here and
 * take ~130 MB off the resident size (docs/benchmarks.md).
 */
export const PGLITE_CONF = [
  'shared_buffers = 8MB',
  'maintenance_work_mem = 8MB',
  'wal_buffers = 512kB',
  'temp_buffers = 1MB',
  // a burst of writes between two checkpoints (below) ends in one at 64 MB of WAL rather than PostgreSQL's 1 GB
  'max_wal_size = 64MB',
  'min_wal_size = 32MB',
].join('\n');

/**
 * PGlite runs PostgreSQL as a single backend, without the checkpointer process that would write a checkpoint every
 * checkpoint_timeout: left alone, everything written since the last clean stop is replayed from the WAL at the
 * next start after a crash, and that grows with the server's uptime. A checkpoint a minute bounds it.
 */
export const CHECKPOINT_INTERVAL_MS = 60_000;

/** Issues CHECKPOINT every intervalMs on the embedded database; returns the function that stops it. */
export function scheduleCheckpoints(db: Knex, intervalMs: number, onError: (err: unknown) => void): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    db.raw('checkpoint')
      .catch(onError)
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

export function pgliteOptions(): PGliteOptions {
  return { postgresqlconf: PGLITE_CONF };
}

/**
 * PostgreSQL's WebAssembly is compiled by V8's baseline compiler (Liftoff) only, without the optimising tier
 * (TurboFan) that V8 otherwise runs on every function it finds hot. Measured beside the previous build in one run
 * (docs/benchmarks.md, issue 12): resident memory right after start 219-225 -> 149-150 MB, at rest after load
 * ~60 MB less, start-up on an existing directory 2.0 -> 1.2 s, initdb 5.3-5.8 -> 4.0-4.6 s; server CPU per create
 * 0-5% higher over 1,000 creates. V8 reads the flag when a module is compiled, so it is set before PGlite
 * compiles its module; it concerns WebAssembly only.
 */
export const WASM_COMPILER_FLAG = '--liftoff-only';

function useBaselineWasmCompiler(): void {
  setFlagsFromString(WASM_COMPILER_FLAG);
}

/**
 * A new data directory is initialised (initdb) in a short-lived child process: initdb runs in its own
 * WebAssembly instance whose ~500 MB the server process would otherwise keep resident for its whole life.
 * The child writes the directory and exits; the server then opens it as an existing one.
 */
export function initializeDataDir(dir: string): void {
  if (existsSync(join(dir, 'PG_VERSION'))) return;
  const script = [
    'const { PGlite } = require(process.argv[1]);',
    'const db = new PGlite(process.argv[2], { postgresqlconf: process.argv[3] });',
    'db.waitReady.then(() => db.close()).catch((e) => { console.error(e && e.message ? e.message : e); process.exit(1); });',
  ].join('\n');
  const child = spawnSync(process.execPath, [WASM_COMPILER_FLAG, '-e', script, require.resolve('@electric-sql/pglite'), dir, PGLITE_CONF], {
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (child.status !== 0) {
    throw new Error(`initialising the embedded database in ${dir} failed: ${(child.stderr || String(child.error ?? child.signal)).trim()}`);
  }
}

/** The PGlite instance for a directory (initialised first if new) or, without one, in memory. */
export function openPGlite(dir: string | undefined): PGlite {
  if (dir !== undefined) initializeDataDir(dir);
  useBaselineWasmCompiler();
  return new PGlite(dir, pgliteOptions());
}
