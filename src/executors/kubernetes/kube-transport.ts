import { CoreV1Api } from '@kubernetes/client-node';

import type { CommandResult, RunOptions, Transport } from '../transport';
import { ExecutorError } from '../types';
import type { KubeCredentials } from './credentials';
import { execInPod, PodExecError } from './pod-exec';
import { FIND_POD_STEP, GlusterPodFinder, type PodFinderOptions } from './pod-finder';

/** `timeout` exits with this when it had to stop the command. */
export const TIMEOUT_EXIT_CODE = 124;

/**
 * No exit status came back (the connection closed, or none arrived in time) for a command that is not safe to run
 * again: it may or may not have taken effect, so the caller has to look at the node before deciding what next.
 */
export class CommandOutcomeUnknownError extends ExecutorError {
  constructor(host: string, message: string) {
    super(host, 'exec', message, false);
    this.name = 'CommandOutcomeUnknownError';
  }
}

export interface KubernetesTransportOptions {
  podFinder?: Omit<PodFinderOptions, 'server'>;
  /** Tries per command when a retry is safe (never opened, or idempotent). Default 3. */
  maxAttempts?: number;
  /** Pause before the second try; doubled for each further try. Default 500 ms. */
  retryDelayMs?: number;
  /** How long past the command's own timeout to wait for its exit status before giving up. Default 15 s. */
  deadlineGraceMs?: number;
  /** Cap on buffered output per command. Default 64 MiB. */
  maxOutputBytes?: number;
}

/**
 * Runs command lines in the gluster pod of a node through the API server's exec subresource, as
 * `timeout <N>s bash -c <command>` (an argv, so the command line arrives as one argument, unquoted again).
 */
export class KubernetesTransport implements Transport {
  readonly pods: GlusterPodFinder;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly deadlineGraceMs: number;
  private readonly maxOutputBytes: number | undefined;
  private closed = false;

  constructor(
    private readonly credentials: KubeCredentials,
    options: KubernetesTransportOptions = {},
  ) {
    const lister = credentials.kubeConfig.makeApiClient(CoreV1Api);
    this.pods = new GlusterPodFinder(lister, credentials.namespace, { ...options.podFinder, server: credentials.server });
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.deadlineGraceMs = options.deadlineGraceMs ?? 15_000;
    this.maxOutputBytes = options.maxOutputBytes;
  }

  get namespace(): string {
    return this.credentials.namespace;
  }

  async run(host: string, command: string, options: RunOptions): Promise<CommandResult> {
    if (this.closed) throw new ExecutorError(host, 'exec', 'kubernetes transport is closed');
    const seconds = Math.max(1, Math.ceil(options.timeoutMs / 1000));
    const argv = ['timeout', `${seconds}s`, 'bash', '-c', command];

    for (let attempt = 1; ; attempt++) {
      const mayRetry = attempt < this.maxAttempts;
      try {
        return await this.runOnce(host, command, argv, seconds);
      } catch (err) {
        if (err instanceof PodExecError) {
          // A refused or dropped exec may mean the pod was replaced; look it up again before any retry.
          if (err.httpStatus === 404 || err.kind === 'lost') this.pods.forget(host);
          const safe = !err.mayHaveRun || options.idempotent;
          if (err.transient && safe && err.kind !== 'deadline' && mayRetry) {
            await this.pause(attempt);
            continue;
          }
          if (err.mayHaveRun && !options.idempotent) {
            throw new CommandOutcomeUnknownError(
              host,
              `${err.message}; the command may or may not have run and is not safe to repeat: ${command}`,
            );
          }
          const tries = attempt > 1 ? ` (after ${attempt} tries)` : '';
          throw new ExecutorError(host, 'exec', `${err.message}${tries}`, err.transient);
        }
        // The pod lookup failed before anything ran (API unreachable, pod restarting): safe for any command.
        if (err instanceof ExecutorError && err.step === FIND_POD_STEP && err.transient && mayRetry) {
          await this.pause(attempt);
          continue;
        }
        throw err;
      }
    }
  }

  private async runOnce(host: string, command: string, argv: string[], seconds: number): Promise<CommandResult> {
    const target = await this.pods.find(host);
    const result = await execInPod(this.credentials.kubeConfig, {
      namespace: this.credentials.namespace,
      pod: target.pod,
      container: target.container,
      command: argv,
      deadlineMs: seconds * 1000 + this.deadlineGraceMs,
      maxOutputBytes: this.maxOutputBytes,
    });
    if (result.exitCode === TIMEOUT_EXIT_CODE) {
      const said = result.stderr.trim();
      throw new ExecutorError(
        host,
        'exec',
        `command timed out after ${seconds}s in pod ${target.pod}: ${command}${said ? ` (${said})` : ''}`,
        true,
      );
    }
    return result;
  }

  private pause(attempt: number): Promise<void> {
    const ms = this.retryDelayMs * 2 ** (attempt - 1);
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  async close(): Promise<void> {
    // Nothing is pooled: each exec opens and closes its own WebSocket.
    this.closed = true;
  }
}
