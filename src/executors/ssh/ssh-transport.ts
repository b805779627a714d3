import { constants as osConstants } from 'node:os';

import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';

import { shellQuote } from '../commands/shell';
import type { CommandResult, RunOptions, Transport } from '../transport';
import { ExecutorError } from '../types';
import type { HostKeyPolicy } from './host-keys';

export interface SshTransportOptions {
  user: string;
  privateKey: Buffer | string;
  port: number;
  /** Run every command as `sudo -n ...` (for a non-root user allowed to sudo without a password). */
  sudo: boolean;
  hostKeys: HostKeyPolicy;
  /** Channels open at once on one host's connection; more commands wait their turn. */
  maxChannels: number;
  connectTimeoutMs: number;
  /** Tries per command when a retry is safe. Default 3. */
  maxAttempts?: number;
  /** Pause before the second try, doubled for each further one. Default 250 ms. */
  retryDelayMs?: number;
  /** Keepalive probe interval; a connection missing 3 answers in a row counts as dropped. Default 5 s. */
  keepaliveIntervalMs?: number;
  /** Cap on what is kept of one command's stdout and of its stderr. Default 64 MiB. */
  maxOutputBytes?: number;
  /** Seconds after the deadline's TERM before the node sends KILL to a command still running. Default 5. */
  killAfterSeconds?: number;
}

/** A command whose connection dropped after it was sent, and which is not safe to send again. */
export class CommandMayHaveRunError extends ExecutorError {
  constructor(host: string, message: string) {
    super(host, 'exec', message, false);
    this.name = 'CommandMayHaveRunError';
  }
}

type FailureKind = 'connect' | 'auth' | 'hostkey' | 'open' | 'lost' | 'timeout' | 'closed';

/** Why one try failed, and whether the command may have started on the node. */
class TryFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly mayHaveRun: boolean,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return this.kind === 'connect' || this.kind === 'open' || this.kind === 'lost';
  }
}

/** One host's pooled connection and its channel slots. */
interface HostPool {
  client: Client | null;
  connecting: Promise<Client> | null;
  busy: number;
  waiting: Array<() => void>;
}

/** How long past the deadline's KILL the exit status may take before the channel is closed unheard. */
const LOCAL_DEADLINE_MARGIN_MS = 3000;
/** Exit codes of `timeout` when it had to stop the command (TERM, then KILL). */
const TIMED_OUT_EXIT_CODES = new Set([124, 137]);

function summary(command: string): string {
  return command.length > 200 ? `${command.slice(0, 200)}...` : command;
}

function signalExitCode(signal: string | undefined): number {
  const name = signal ? `SIG${signal.replace(/^SIG/, '')}` : '';
  const number = (osConstants.signals as Record<string, number>)[name];
  return 128 + (number ?? 0);
}

/**
 * Runs command lines on storage nodes over SSH (ssh2): one pooled connection per host carrying up to
 * `maxChannels` commands at once, a per-command timeout that stops the command on the node, host keys
 * checked by a HostKeyPolicy, and reconnection after a dropped connection. A command lost with its
 * connection is sent again only when the caller marked it idempotent; otherwise the caller hears that it
 * may or may not have run.
 *
 * Each command line runs on the node as `[sudo -n] timeout -k 5 <s> /bin/bash --norc --noprofile -c '<command>'`: at the
 * deadline the node's own `timeout` ends the whole command (TERM to its process group, KILL 5 s later),
 * also when the connection is gone. (An ssh "signal" request cannot do this: OpenSSH ignores it for
 * root sessions.) A command whose exit status does not arrive even after that has its channel closed.
 */
export class SshTransport implements Transport {
  private readonly pools = new Map<string, HostPool>();
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly maxOutputBytes: number;
  private readonly killAfterSeconds: number;
  private closed = false;

  constructor(private readonly options: SshTransportOptions) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.maxOutputBytes = options.maxOutputBytes ?? 64 * 1024 * 1024;
    this.killAfterSeconds = options.killAfterSeconds ?? 5;
  }

  async run(host: string, command: string, options: RunOptions): Promise<CommandResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.runOnce(host, command, options.timeoutMs);
      } catch (err) {
        if (!(err instanceof TryFailure)) throw err;
        const safe = !err.mayHaveRun || options.idempotent;
        if (err.retryable && safe && attempt < this.maxAttempts && !this.closed) {
          await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs * 2 ** (attempt - 1)));
          continue;
        }
        throw this.report(host, command, err, attempt);
      }
    }
  }

  private report(host: string, command: string, failure: TryFailure, attempts: number): ExecutorError {
    const tries = attempts > 1 ? ` (after ${attempts} tries)` : '';
    switch (failure.kind) {
      case 'lost':
        if (failure.mayHaveRun)
          return new CommandMayHaveRunError(
            host,
            `connection to ${host} was lost while a command ran; it may or may not have run: ${summary(command)}${tries}`,
          );
        return new ExecutorError(host, 'exec', `${failure.message}${tries}`, true);
      case 'timeout':
        return new ExecutorError(host, 'exec', failure.message, true);
      case 'connect':
      case 'open':
        return new ExecutorError(host, 'connect', `${failure.message}${tries}`, true);
      case 'auth':
      case 'hostkey':
      case 'closed':
        return new ExecutorError(host, 'connect', failure.message, false);
    }
  }

  // ---- one try --------------------------------------------------------------------------------------

  private pool(host: string): HostPool {
    let pool = this.pools.get(host);
    if (!pool) {
      pool = { client: null, connecting: null, busy: 0, waiting: [] };
      this.pools.set(host, pool);
    }
    return pool;
  }

  private async acquire(pool: HostPool): Promise<void> {
    if (pool.busy < this.options.maxChannels) {
      pool.busy += 1;
      return;
    }
    // The slot is handed over by release(), busy stays counted.
    await new Promise<void>((resolve) => pool.waiting.push(resolve));
  }

  private release(pool: HostPool): void {
    const next = pool.waiting.shift();
    if (next) next();
    else pool.busy -= 1;
  }

  private async runOnce(host: string, command: string, timeoutMs: number): Promise<CommandResult> {
    if (this.closed) throw new TryFailure('closed', 'ssh transport is closed', false);
    const pool = this.pool(host);
    await this.acquire(pool);
    try {
      if (this.closed) throw new TryFailure('closed', 'ssh transport is closed', false);
      const client = await this.connection(host, pool);
      return await this.exec(host, client, command, timeoutMs);
    } finally {
      this.release(pool);
    }
  }

  private remoteLine(command: string, timeoutMs: number): string {
    const seconds = String(Math.max(1, Math.round(timeoutMs)) / 1000);
    // --norc: what the login user's ~/.bashrc prints or costs stays out of every command
    const line = `timeout -k ${this.killAfterSeconds} ${seconds} /bin/bash --norc --noprofile -c ${shellQuote(command)}`;
    return this.options.sudo ? `sudo -n ${line}` : line;
  }

  private exec(host: string, client: Client, command: string, timeoutMs: number): Promise<CommandResult> {
    return new Promise<CommandResult>((resolve, reject) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const kept = { stdout: 0, stderr: 0 };
      let channel: ClientChannel | undefined;
      let exit: { code: number } | undefined;
      let done = false;

      const finish = (outcome: CommandResult | TryFailure): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        client.removeListener('close', onConnectionClosed);
        if (outcome instanceof TryFailure) reject(outcome);
        else resolve(outcome);
      };
      const onConnectionClosed = (): void =>
        finish(new TryFailure('lost', `connection to ${host} was lost while a command ran`, true));
      client.on('close', onConnectionClosed);

      const started = Date.now();
      const timedOut = (how: string): TryFailure =>
        new TryFailure('timeout', `command timed out after ${timeoutMs / 1000} s and was ${how}: ${summary(command)}`, true);
      // The node stops the command at the deadline; this only gives up on a node that never says so.
      const timer = setTimeout(() => {
        try {
          channel?.close();
        } catch {
          // already closed
        }
        finish(timedOut('abandoned (no exit status from the node)'));
      }, timeoutMs + this.killAfterSeconds * 1000 + LOCAL_DEADLINE_MARGIN_MS);

      const keep = (stream: 'stdout' | 'stderr', chunks: Buffer[]) => (data: Buffer) => {
        const room = this.maxOutputBytes - kept[stream];
        if (room <= 0) return;
        const piece = data.length > room ? data.subarray(0, room) : data;
        chunks.push(piece);
        kept[stream] += piece.length;
      };

      try {
        client.exec(this.remoteLine(command, timeoutMs), (err, stream) => {
          if (err) {
            // Refused by the server before anything ran (e.g. too many sessions): safe to try again.
            const refused = /Channel open failure/i.test(err.message);
            finish(new TryFailure(refused ? 'open' : 'lost', `${host}: ${err.message}`, !refused));
            return;
          }
          channel = stream;
          if (done) {
            stream.close();
            return;
          }
          stream.on('data', keep('stdout', stdout));
          stream.stderr.on('data', keep('stderr', stderr));
          stream.on('exit', (code: number | null, signal?: string) => {
            exit = { code: code ?? signalExitCode(signal) };
          });
          stream.on('close', () => {
            if (exit === undefined) {
              finish(new TryFailure('lost', `connection to ${host} closed the command's channel without an exit status`, true));
              return;
            }
            if (TIMED_OUT_EXIT_CODES.has(exit.code) && Date.now() - started >= timeoutMs - 100) {
              finish(timedOut('stopped on the node'));
              return;
            }
            finish({
              stdout: Buffer.concat(stdout).toString('utf8'),
              stderr: Buffer.concat(stderr).toString('utf8'),
              exitCode: exit.code,
            });
          });
        });
      } catch (err) {
        // ssh2 throws synchronously when the connection is already gone: nothing was sent.
        finish(new TryFailure('lost', `${host}: ${(err as Error).message}`, false));
      }
    });
  }

  // ---- connections ----------------------------------------------------------------------------------

  private async connection(host: string, pool: HostPool): Promise<Client> {
    if (pool.client) return pool.client;
    if (!pool.connecting) {
      pool.connecting = this.connect(host, pool).finally(() => {
        pool.connecting = null;
      });
    }
    return pool.connecting;
  }

  private connect(host: string, pool: HostPool): Promise<Client> {
    const { options } = this;
    return new Promise<Client>((resolve, reject) => {
      const client = new Client();
      client.setMaxListeners(options.maxChannels + 16);
      let ready = false;
      let refusal: string | null = null;

      client.on('ready', () => {
        ready = true;
        pool.client = client;
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string }) => {
        if (ready) return; // 'close' follows and ends what was running
        if (refusal !== null) reject(new TryFailure('hostkey', `refusing ${host}: ${refusal}`, false));
        else if (err.level === 'client-authentication')
          reject(new TryFailure('auth', `ssh authentication as ${options.user}@${host} failed: ${err.message}`, false));
        else if (err.level === 'client-timeout')
          reject(new TryFailure('connect', `ssh connection to ${host}:${options.port} timed out after ${options.connectTimeoutMs / 1000} s`, false));
        else reject(new TryFailure('connect', `ssh connection to ${host}:${options.port} failed: ${err.message}`, false));
      });
      client.on('close', () => {
        if (pool.client === client) pool.client = null;
        if (!ready) reject(new TryFailure('connect', `ssh connection to ${host}:${options.port} closed before it was ready`, false));
      });

      const algorithms = options.hostKeys.algorithmsFor(host, options.port);
      const config: ConnectConfig = {
        host,
        port: options.port,
        username: options.user,
        privateKey: options.privateKey,
        readyTimeout: options.connectTimeoutMs,
        keepaliveInterval: options.keepaliveIntervalMs ?? 5000,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          refusal = options.hostKeys.check(host, options.port, key);
          return refusal === null;
        },
        ...(algorithms ? { algorithms: { serverHostKey: algorithms as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] } } : {}),
      };
      try {
        client.connect(config);
      } catch (err) {
        // ssh2 checks its configuration (the private key above all) before connecting: no retry helps.
        reject(new TryFailure('auth', `ssh connection to ${host}: ${(err as Error).message}`, false));
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const clients: Client[] = [];
    for (const pool of this.pools.values()) {
      if (pool.client) clients.push(pool.client);
      pool.client = null;
      for (const wake of pool.waiting.splice(0)) wake();
    }
    await Promise.all(
      clients.map(
        (client) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              client.destroy();
              resolve();
            }, 2000);
            client.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            client.end();
          }),
      ),
    );
  }
}
