/**
 * FAKE KUBERNETES API SERVER - a stand-in, because no Kubernetes API server (nor kubelet, nor container runtime) can
 * run on this machine. It exists only so the Kubernetes transport can be tested over real sockets and real
 * protocols, and it implements only what that transport uses:
 *
 * - HTTPS (a self-signed certificate made at start-up, see self-signed-cert.ts) or plain HTTP;
 * - authentication by bearer token or basic auth, answering 401 with a metav1.Status otherwise;
 * - `GET /api/v1/namespaces/<ns>/pods` (and `/api/v1/pods`) with `labelSelector` (=, ==, !=, exists, !exists, in,
 *   notin) and `fieldSelector` (=, ==, != on the pod fields the real server supports);
 * - `pods/<name>/exec` over WebSocket with the `v5.channel.k8s.io` / `v4.channel.k8s.io` subprotocols: binary frames
 *   whose first byte is the channel (0 stdin, 1 stdout, 2 stderr, 3 status as metav1.Status JSON, 255 v5 close).
 *
 * There are no containers: an exec runs its argv for real on this machine (no shell in between, as a container
 * runtime would), in a per-pod directory under a temporary work directory, with HOSTNAME set to the pod name as
 * Kubernetes does. So exit codes, output and timeouts are real. `disruptNextExecs` breaks the next connections on
 * purpose (dropped before the command ran, after its first output, after it exited, or never answered) to test what
 * a client does when the connection is lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';

import { makeSelfSignedCert } from './self-signed-cert';

export interface FakePod {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
  nodeName?: string;
  /** Default 'Running'. */
  phase?: string;
  /** Container names; default ['glusterfs']. */
  containers?: string[];
  /** Marked for deletion (metadata.deletionTimestamp set). */
  terminating?: boolean;
  /** Environment of its commands on top of PATH, HOME, LANG and HOSTNAME (the pod name). */
  env?: Record<string, string>;
}

export interface FakeKubeApiServerOptions {
  /** HTTPS with a fresh self-signed certificate (default) or plain HTTP. */
  tls?: boolean;
  /** The one bearer token accepted. */
  token?: string;
  /** Accepted basic-auth credentials. */
  basicAuth?: { user: string; password: string };
  pods?: FakePod[];
  /** Subprotocols offered, in preference order. Default v5 then v4. */
  protocols?: string[];
}

export interface ExecRecord {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  protocol: string;
}

export interface ListRecord {
  namespace: string | null;
  labelSelector: string;
  fieldSelector: string;
}

/**
 * - drop-before-run: accept the upgrade, then cut the connection without running anything;
 * - drop-after-output: cut it at the command's first output (the command goes on running);
 * - drop-after-exit: run the command to the end, then cut it instead of sending the status;
 * - stall: accept the upgrade and never answer;
 * - refuse-503: refuse the upgrade as the API server does when it cannot reach the node's kubelet.
 */
export type ExecDisruption = 'drop-before-run' | 'drop-after-output' | 'drop-after-exit' | 'stall' | 'refuse-503';

const SUPPORTED_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const POD_FIELDS: Record<string, (pod: FakePod) => string> = {
  'metadata.name': (p) => p.name,
  'metadata.namespace': (p) => p.namespace,
  'spec.nodeName': (p) => p.nodeName ?? '',
  'status.phase': (p) => p.phase ?? 'Running',
};

export class FakeKubeApiServer {
  pods: FakePod[];
  token: string | undefined;
  basicAuth: { user: string; password: string } | undefined;
  /** When set, exec is refused with 403 as RBAC does for a service account without `create` on `pods/exec`. */
  forbidExec = false;
  readonly execs: ExecRecord[] = [];
  readonly lists: ListRecord[] = [];
  /** Present when serving HTTPS: the PEM certificate a client must trust. */
  readonly caCert: string | undefined;
  readonly workDir: string;
  private readonly protocols: string[];
  private readonly disruptions: ExecDisruption[] = [];
  private listsToStall = 0;
  private readonly children = new Set<ChildProcess>();
  private readonly sockets = new Set<Duplex>();
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    // The server's preference among what the client offered (handleUpgrade below already refused when none fits).
    handleProtocols: (offered) => this.protocols.find((p) => offered.has(p)) ?? false,
  });
  private readonly server: http.Server;
  private port = 0;

  private constructor(options: FakeKubeApiServerOptions) {
    this.pods = options.pods ?? [];
    this.token = options.token;
    this.basicAuth = options.basicAuth;
    this.protocols = options.protocols ?? SUPPORTED_PROTOCOLS;
    this.workDir = mkdtempSync(join(tmpdir(), 'fake-kube-'));
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handleRequest(req, res);
    if (options.tls === false) {
      this.caCert = undefined;
      this.server = http.createServer(handler);
    } else {
      const { cert, key } = makeSelfSignedCert();
      this.caCert = cert;
      this.server = https.createServer({ cert, key }, handler);
    }
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.handleUpgrade(req, socket, head));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(options: FakeKubeApiServerOptions = {}): Promise<FakeKubeApiServer> {
    const fake = new FakeKubeApiServer(options);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(0, '127.0.0.1', () => resolve());
    });
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  get url(): string {
    return `${this.caCert ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  get portNumber(): number {
    return this.port;
  }

  /** The directory commands of this pod run in (created on first use). */
  podDir(pod: string): string {
    const dir = join(this.workDir, pod);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** The next `count` execs are disrupted in the given way, after which execs behave again. */
  disruptNextExecs(count: number, how: ExecDisruption): void {
    for (let i = 0; i < count; i++) this.disruptions.push(how);
  }

  /** The next `count` pod lists get no answer at all (until the server stops). */
  stallNextLists(count: number): void {
    this.listsToStall += count;
  }

  /** Forgets disruptions not yet used (so one test's leftovers cannot reach the next). */
  clearDisruptions(): void {
    this.disruptions.length = 0;
    this.listsToStall = 0;
  }

  async stop(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    for (const client of this.wss.clients) client.terminate();
    for (const socket of this.sockets) socket.destroy();
    this.wss.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.workDir, { recursive: true, force: true });
  }

  // --- HTTP ---------------------------------------------------------------------------------------------------

  private handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!this.authorized(req)) return send(401, statusBody(401, 'Unauthorized', 'Unauthorized'));
    const url = new URL(req.url ?? '/', 'http://fake');
    const match = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?pods$/.exec(url.pathname);
    if (req.method !== 'GET' || !match) {
      return send(404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
    }
    const namespace = match[1] !== undefined ? decodeURIComponent(match[1]) : null;
    const labelSelector = url.searchParams.get('labelSelector') ?? '';
    const fieldSelector = url.searchParams.get('fieldSelector') ?? '';
    this.lists.push({ namespace, labelSelector, fieldSelector });
    if (this.listsToStall > 0) {
      this.listsToStall--;
      return;
    }
    let labelTest: (pod: FakePod) => boolean;
    let fieldTest: (pod: FakePod) => boolean;
    try {
      labelTest = parseLabelSelector(labelSelector);
      fieldTest = parseFieldSelector(fieldSelector);
    } catch (err) {
      return send(400, statusBody(400, 'BadRequest', (err as Error).message));
    }
    const items = this.pods
      .filter((pod) => (namespace === null || pod.namespace === namespace) && labelTest(pod) && fieldTest(pod))
      .map(podJson);
    send(200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items });
  }

  private authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    if (this.token !== undefined && header === `Bearer ${this.token}`) return true;
    if (this.basicAuth && header.startsWith('Basic ')) {
      const [user, ...rest] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
      return user === this.basicAuth.user && rest.join(':') === this.basicAuth.password;
    }
    return false;
  }

  // --- exec over WebSocket ------------------------------------------------------------------------------------

  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: number, reason: string, message: string) => {
      const body = JSON.stringify(statusBody(status, reason, message));
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    };
    if (!this.authorized(req)) return refuse(401, 'Unauthorized', 'Unauthorized');
    const url = new URL(req.url ?? '/', 'http://fake');
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
    if (!match) return refuse(404, 'NotFound', 'the server could not find the requested resource');
    const namespace = decodeURIComponent(match[1]!);
    const podName = decodeURIComponent(match[2]!);
    if (this.forbidExec) {
      return refuse(
        403,
        'Forbidden',
        `pods "${podName}" is forbidden: User "system:serviceaccount:${namespace}:brickyard" cannot create resource "pods/exec" in API group "" in the namespace "${namespace}"`,
      );
    }
    const pod = this.pods.find((p) => p.namespace === namespace && p.name === podName);
    if (!pod) return refuse(404, 'NotFound', `pods "${podName}" not found`);
    const containers = pod.containers ?? ['glusterfs'];
    let container = url.searchParams.get('container') ?? '';
    if (container === '') {
      if (containers.length !== 1) {
        return refuse(400, 'BadRequest', `a container name must be specified for pod ${podName}, choose one of: [${containers.join(' ')}]`);
      }
      container = containers[0]!;
    }
    if (!containers.includes(container)) return refuse(400, 'BadRequest', `container ${container} is not valid for pod ${podName}`);
    if ((pod.phase ?? 'Running') !== 'Running') {
      return refuse(400, 'BadRequest', `unable to upgrade connection: container not found ("${container}")`);
    }
    const command = url.searchParams.getAll('command');
    if (command.length === 0) return refuse(400, 'BadRequest', 'you must specify at least one command for the container');
    const flag = (name: string) => url.searchParams.get(name) === 'true' || url.searchParams.get(name) === '1';
    const streams = { stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr') };
    if (!streams.stdin && !streams.stdout && !streams.stderr) {
      return refuse(400, 'BadRequest', 'you must specify at least 1 of stdin, stdout, stderr');
    }
    if (flag('tty')) return refuse(400, 'BadRequest', 'tty is not supported by this fake API server');
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const protocol = this.protocols.find((p) => offered.includes(p));
    if (!protocol) return refuse(400, 'BadRequest', `unable to upgrade: none of the offered subprotocols is supported: ${offered.join(', ')}`);

    const disruption = this.disruptions.shift();
    if (disruption === 'refuse-503') {
      return refuse(503, 'ServiceUnavailable', `error dialing backend: dial tcp 127.0.0.1:10250: connect: connection refused`);
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.execs.push({ namespace, pod: podName, container, command, protocol });
      this.runExec(ws, pod, command, streams, disruption);
    });
  }

  private runExec(
    ws: WebSocket,
    pod: FakePod,
    command: string[],
    streams: { stdin: boolean; stdout: boolean; stderr: boolean },
    disruption: ExecDisruption | undefined,
  ): void {
    if (disruption === 'stall') return;
    if (disruption === 'drop-before-run') {
      ws.terminate();
      return;
    }
    const [file, ...args] = command;
    const child = spawn(file!, args, {
      cwd: this.podDir(pod.name),
      env: {
        PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: '/root',
        LANG: 'C.UTF-8',
        ...pod.env,
        HOSTNAME: pod.name,
      },
      stdio: [streams.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    this.children.add(child);
    let spawnError: Error | undefined;
    const frame = (channel: number, data: Buffer | string) => {
      if (ws.readyState !== ws.OPEN) return;
      const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      ws.send(Buffer.concat([Buffer.from([channel]), payload]), { binary: true });
    };
    const output = (channel: number, wanted: boolean) => (data: Buffer) => {
      if (disruption === 'drop-after-output') ws.terminate();
      if (wanted) frame(channel, data);
    };
    child.stdout!.on('data', output(1, streams.stdout));
    child.stderr!.on('data', output(2, streams.stderr));
    if (child.stdin) {
      const stdin = child.stdin;
      stdin.on('error', () => undefined); // the command may exit without reading its input
      ws.on('message', (data: Buffer) => {
        if (data[0] === 0) stdin.write(data.subarray(1));
        else if (data[0] === 255 && data[1] === 0) stdin.end(); // v5: the client closed stdin
      });
    }
    child.on('error', (err) => {
      spawnError = err;
    });
    child.on('close', (code, signal) => {
      this.children.delete(child);
      if (disruption === 'drop-after-exit') {
        ws.terminate();
        return;
      }
      if (spawnError) {
        frame(3, JSON.stringify(statusBody(500, 'InternalError', `failed to exec in container: exec: "${file}": ${spawnError.message}`)));
      } else {
        const exitCode = code ?? 128 + signalNumber(signal);
        frame(3, JSON.stringify(exitStatus(command, exitCode)));
      }
      if (ws.readyState === ws.OPEN) ws.close(1000);
    });
  }
}

function statusBody(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/** The status a kubelet sends on channel 3 when the command ended. */
function exitStatus(command: string[], exitCode: number) {
  if (exitCode === 0) return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return (signal && numbers[signal]) || 0;
}

function podJson(pod: FakePod) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: pod.name,
      namespace: pod.namespace,
      uid: `uid-${pod.namespace}-${pod.name}`,
      labels: pod.labels ?? {},
      ...(pod.terminating ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
    },
    spec: {
      ...(pod.nodeName ? { nodeName: pod.nodeName } : {}),
      containers: (pod.containers ?? ['glusterfs']).map((name) => ({ name, image: 'gluster/gluster-centos:latest' })),
    },
    status: { phase: pod.phase ?? 'Running' },
  };
}

/** Splits on commas outside parentheses: `a=b,c in (d,e)` -> [`a=b`, `c in (d,e)`]. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  if (current.trim() !== '' || terms.length > 0) terms.push(current.trim());
  return terms;
}

const LABEL_KEY = /^([A-Za-z0-9][-A-Za-z0-9_.]*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function parseLabelSelector(selector: string): (pod: FakePod) => boolean {
  const tests = splitTerms(selector).map((term): ((labels: Record<string, string>) => boolean) => {
    const bad = () => new Error(`unable to parse requirement: invalid label selector term "${term}"`);
    let m: RegExpExecArray | null;
    if ((m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term))) {
      const [, key, op, list] = m;
      const values = list!.split(',').map((v) => v.trim());
      if (!LABEL_KEY.test(key!) || !values.every((v) => LABEL_VALUE.test(v))) throw bad();
      return op === 'in' ? (l) => values.includes(l[key!] ?? '\0') : (l) => !values.includes(l[key!] ?? '\0');
    }
    if ((m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term))) {
      const [, key, op, value] = m;
      if (!LABEL_KEY.test(key!)) throw bad();
      if (!LABEL_VALUE.test(value!)) {
        throw new Error(`unable to parse requirement: values[0][${key}]: Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'`);
      }
      return op === '!=' ? (l) => l[key!] !== value : (l) => l[key!] === value;
    }
    if ((m = /^!(\S+)$/.exec(term))) {
      const key = m[1]!;
      if (!LABEL_KEY.test(key)) throw bad();
      return (l) => !(key in l);
    }
    if (LABEL_KEY.test(term)) return (l) => term in l;
    throw bad();
  });
  return (pod) => tests.every((test) => test(pod.labels ?? {}));
}

function parseFieldSelector(selector: string): (pod: FakePod) => boolean {
  const tests = splitTerms(selector).map((term): ((pod: FakePod) => boolean) => {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
    if (!m) throw new Error(`invalid selector: '${selector}'; can't understand '${term}'`);
    const [, field, op, value] = m;
    const read = POD_FIELDS[field!];
    if (!read) throw new Error(`field label not supported: ${field}`);
    return op === '!=' ? (pod) => read(pod) !== value : (pod) => read(pod) === value;
  });
  return (pod) => tests.every((test) => test(pod));
}
