import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ADMIN_KEY } from './counting-client';

/**
 * Brickyard as deployed: `node dist/src/main.js --config <file>` in its own process (mock executor, auth on,
 * logging off), so its resident memory, CPU time and start-up time are its own and not the benchmark's.
 */
export interface ProcessServer {
  url: string;
  pid: number;
  /** From spawn to the first answer of GET /hello. */
  startupMs: number;
  /** Resident set size now (VmRSS), MB. */
  rssMb(): number;
  /** User + system CPU time of the process so far, ms. */
  cpuMs(): number;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL (no shutdown at all) and wait for the exit. */
  kill9(): Promise<void>;
}

export interface ProcessServerOptions {
  /** glusterfs.db: a directory (PGlite) or a postgres:// URL. */
  db: string;
  /** Where the config file is written. */
  workDir: string;
  glusterfs?: Record<string, unknown>;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/x']. */
  nodeFlags?: string[];
  /** Another build's server entry (e.g. a checkout of the previous commit: <dir>/dist/src/main.js); default this build's. */
  main?: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const CLK_TCK = 100;

function procCpuMs(pid: number): number {
  // /proc/<pid>/stat: fields 14 and 15 (utime, stime) in clock ticks, after the parenthesised command name.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

function procRssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startProcessServer(options: ProcessServerOptions): Promise<ProcessServer> {
  const port = await freePort();
  const configFile = join(options.workDir, `brickyard-${port}.json`);
  writeFileSync(
    configFile,
    JSON.stringify({
      port: String(port),
      bind: '127.0.0.1',
      use_auth: true,
      jwt: { admin: { key: ADMIN_KEY }, user: { key: 'bench-user-key' } },
      glusterfs: { executor: 'mock', db: options.db, loglevel: 'none', db_wait_seconds: 900, ...options.glusterfs },
    }),
  );
  const main = options.main ?? join(__dirname, '..', '..', 'src', 'main.js');
  const started = performance.now();
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), main, '--config', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`brickyard exited with ${child.exitCode} at start: ${stderr.trim()}`);
    try {
      const res = await fetch(`${url}/hello`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const startupMs = performance.now() - started;
  const pid = child.pid as number;
  return {
    url,
    pid,
    startupMs,
    rssMb: () => procRssMb(pid),
    cpuMs: () => procCpuMs(pid),
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
    async kill9() {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}
