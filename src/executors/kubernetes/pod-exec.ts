import type { KubeConfig } from '@kubernetes/client-node';
import WebSocket from 'ws';

import type { CommandResult } from '../transport';
import { describeStatus, isCertificateError, isTransientStatus, statusMessage } from './api-errors';

/**
 * One `pods/<name>/exec` call over the API server's WebSocket streaming protocol (v5 or v4 channel.k8s.io): every
 * binary frame starts with its channel, 1 stdout, 2 stderr, 3 the final metav1.Status as JSON (255 is v5's
 * close-a-stream signal). Written over `ws` with the KubeConfig's own TLS and auth options rather than through the
 * client library's `Exec`, because this needs what `Exec` hides: the status and body of a refused upgrade, and the
 * difference between "the connection closed after the status frame" and "it closed before".
 */

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;

/**
 * - refused: the API server answered the upgrade with an error status; nothing ran.
 * - unreachable: no connection could be opened; nothing ran.
 * - lost: the connection closed after it opened but before the exit status came; the command may have run.
 * - deadline: no exit status within the deadline; the command may still be running.
 * - failed: the status frame reported a failure that is not an exit code (e.g. the command could not start).
 */
export type PodExecFailureKind = 'refused' | 'unreachable' | 'lost' | 'deadline' | 'failed';

export class PodExecError extends Error {
  constructor(
    readonly kind: PodExecFailureKind,
    message: string,
    /** HTTP status of a refused upgrade, else 0. */
    readonly httpStatus = 0,
    /** Trying the same exec again could succeed. */
    readonly transient = false,
  ) {
    super(message);
    this.name = 'PodExecError';
  }

  get mayHaveRun(): boolean {
    return this.kind === 'lost' || this.kind === 'deadline';
  }
}

export interface PodExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  /** Give up (and close the connection) when no exit status arrived within this many ms. */
  deadlineMs: number;
  /** Fail rather than buffer more than this much output (stdout + stderr). */
  maxOutputBytes?: number;
}

const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;
const MAX_ERROR_BODY = 64 * 1024;

export function execUrl(server: string, req: Pick<PodExecRequest, 'namespace' | 'pod' | 'container' | 'command'>): URL {
  const url = new URL(server);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const base = url.pathname.replace(/\/+$/, '');
  url.pathname = `${base}/api/v1/namespaces/${encodeURIComponent(req.namespace)}/pods/${encodeURIComponent(req.pod)}/exec`;
  const query = new URLSearchParams({ container: req.container, stdin: 'false', stdout: 'true', stderr: 'true', tty: 'false' });
  for (const arg of req.command) query.append('command', arg);
  url.search = query.toString();
  return url;
}

/** Reads a metav1.Status from channel 3 into an exit code, or explains why it is not one. */
export function exitCodeFromStatus(raw: string): { exitCode: number } | { failure: string } {
  let status: {
    status?: string;
    message?: string;
    reason?: string;
    details?: { causes?: Array<{ reason?: string; message?: string }> };
  };
  try {
    status = JSON.parse(raw);
  } catch {
    return { failure: `unreadable exec status: ${raw.slice(0, 200)}` };
  }
  if (status.status === 'Success') return { exitCode: 0 };
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = cause?.message !== undefined ? Number(cause.message) : NaN;
  if (Number.isInteger(code) && code >= 0) return { exitCode: code };
  return { failure: status.message ?? status.reason ?? `exec status ${raw.slice(0, 200)}` };
}

/** Runs `command` in the container and resolves with its output and exit code, or rejects with a PodExecError. */
export async function execInPod(kubeConfig: KubeConfig, req: PodExecRequest): Promise<CommandResult> {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new PodExecError('unreachable', 'no Kubernetes cluster is configured');
  const url = execUrl(server, req);
  const options: WebSocket.ClientOptions = {};
  await kubeConfig.applyToHTTPSOptions(options);
  const maxOutput = req.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const where = `exec in pod ${req.namespace}/${req.pod}`;

  return new Promise<CommandResult>((resolve, reject) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let outputBytes = 0;
    let opened = false;
    let settled = false;
    let socketError: string | undefined;

    const ws = new WebSocket(url, EXEC_PROTOCOLS, { ...options, perMessageDeflate: false });

    const finish = (outcome: CommandResult | PodExecError) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (outcome instanceof PodExecError) {
        ws.terminate();
        reject(outcome);
      } else {
        ws.close();
        resolve(outcome);
      }
    };

    const deadline = setTimeout(() => {
      finish(
        opened
          ? new PodExecError('deadline', `${where}: no exit status within ${req.deadlineMs} ms; the command may still be running`, 0, true)
          : new PodExecError('unreachable', `${where}: could not connect to ${server} within ${req.deadlineMs} ms`, 0, true),
      );
    }, req.deadlineMs);

    ws.on('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        if (size < MAX_ERROR_BODY) chunks.push(chunk);
        size += chunk.length;
      });
      const refuse = () => {
        const body = Buffer.concat(chunks).toString('utf8');
        // 404: the pod is gone (the caller looks it up again); 5xx: the server or kubelet had trouble.
        const transient = status === 404 || isTransientStatus(status);
        finish(new PodExecError('refused', describeStatus(status, statusMessage(body), where, server), status, transient));
      };
      response.on('end', refuse);
      response.on('error', refuse);
    });

    ws.on('open', () => {
      opened = true;
    });

    ws.on('message', (data: Buffer) => {
      if (settled || data.length === 0) return;
      const channel = data[0];
      const payload = data.subarray(1);
      if (channel === STDOUT || channel === STDERR) {
        outputBytes += payload.length;
        if (outputBytes > maxOutput) {
          finish(new PodExecError('failed', `${where}: output exceeds ${maxOutput} bytes`));
          return;
        }
        (channel === STDOUT ? stdout : stderr).push(Buffer.from(payload));
      } else if (channel === STATUS) {
        const outcome = exitCodeFromStatus(payload.toString('utf8'));
        if ('failure' in outcome) {
          finish(new PodExecError('failed', `${where}: ${outcome.failure}`));
        } else {
          finish({
            stdout: Buffer.concat(stdout).toString('utf8'),
            stderr: Buffer.concat(stderr).toString('utf8'),
            exitCode: outcome.exitCode,
          });
        }
      }
      // Anything else (v5's 255 close signal, resize) carries nothing for us.
    });

    ws.on('error', (err: Error) => {
      socketError = err.message;
      if (!opened) {
        // A certificate problem does not go away by trying again; a refused or reset connection may.
        const transient = !isCertificateError((err as NodeJS.ErrnoException).code);
        finish(new PodExecError('unreachable', `${where}: cannot connect to ${server}: ${err.message}`, 0, transient));
      }
    });

    ws.on('close', (code: number) => {
      if (!opened) return; // the error handler or the unexpected-response handler reports it
      const why = socketError ?? `close code ${code}`;
      finish(new PodExecError('lost', `${where}: connection closed before the command reported its exit status (${why})`, 0, true));
    });
  });
}
