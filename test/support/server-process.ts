import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

/**
 * The built server (`node dist/src/main.js`, the Dockerfile's entry point) as a child process. Everything waits on
 * events (a log line, the exit) with generous bounds: a loaded machine makes starts slow, not wrong.
 */
export const MAIN = resolve(__dirname, '../../dist/src/main.js');
/** A start migrates an embedded database: PGlite alone took 108 s to start under a load of 32 on two cores. */
export const START_BOUND_MS = 900_000;

export async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  output(): string;
  /** Resolves when the output matches; rejects (with the output) if the process exits first or the bound passes. */
  waitFor(pattern: RegExp, boundMs?: number): Promise<void>;
  /** Resolves once listening ("brickyard listening" logged). */
  listening(boundMs?: number): Promise<void>;
  exited(boundMs?: number): Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startServerProcess(args: string[], options: { env?: NodeJS.ProcessEnv; port?: number } = {}): ServerProcess {
  const port = options.port ?? 0;
  let out = '';
  const listeners = new Set<() => void>();
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { ...process.env, BRICKYARD_PORT: String(port), BRICKYARD_BIND: '127.0.0.1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const heard = (d: Buffer) => {
    out += d;
    for (const l of [...listeners]) l();
  };
  child.stdout!.on('data', heard);
  child.stderr!.on('data', heard);
  const exit = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  child.once('exit', () => {
    for (const l of [...listeners]) l();
  });

  const waitFor = (pattern: RegExp, boundMs = START_BOUND_MS) =>
    new Promise<void>((res, rej) => {
      const timer = setTimeout(() => done(new Error(`no ${pattern} within ${boundMs} ms; output:\n${out}`)), boundMs);
      const check = () => {
        if (pattern.test(out)) done();
        else if (child.exitCode !== null || child.signalCode !== null) {
          done(new Error(`server exited (${child.exitCode ?? child.signalCode}) before ${pattern}; output:\n${out}`));
        }
      };
      const done = (err?: Error) => {
        clearTimeout(timer);
        listeners.delete(check);
        if (err) rej(err);
        else res();
      };
      listeners.add(check);
      check();
    });

  const exited = (boundMs = START_BOUND_MS) =>
    Promise.race([
      exit,
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`server did not exit within ${boundMs} ms; output:\n${out}`)), boundMs).unref()),
    ]);

  return {
    child,
    port,
    output: () => out,
    waitFor,
    listening: (boundMs) => waitFor(/"msg":"brickyard listening"/, boundMs),
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited();
    },
  };
}
