import { createHash, createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { exchange, ExchangeError, type ClientTls } from './http-exchange';

/**
 * A client of the Heketi API that behaves as Heketi's Go client does: a fresh HS256 token per request
 * (iss, iat, exp, qsh over METHOD&path), 202 -> poll /queue every 400 ms -> follow the 303 with a newly
 * signed token, and 429 retried (honouring Retry-After) up to 6 times. Used by the CLI and by the tests.
 */
export class HeketiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HeketiError';
  }
}

export interface ClientOptions {
  user?: string;
  key?: string;
  pollIntervalMs?: number;
  /**
   * When set, the first queue poll waits this long and each later wait doubles up to pollIntervalMs, so that
   * quick operations finish without a full poll interval (the CLI uses it; the Go client polls at a fixed 400 ms).
   */
  firstPollMs?: number;
  maxRetries?: number;
  /** Seconds of token validity. */
  tokenTtl?: number;
  /** Per HTTP request. */
  timeoutMs?: number;
  /** For https:// servers: a CA to trust, or no verification. */
  tls?: ClientTls;
}

/** What a caller may hear while an asynchronous request runs (the CLI shows progress and names the operation). */
export interface OperationWatch {
  /** The server accepted the request: the operation id of its queue entry. */
  accepted?(operationId: string): void;
  /** A poll found it still running; the phase when the server tells it (Brickyard's X-Operation-Phase). */
  pending?(phase: string | undefined): void;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export class HeketiClient {
  readonly server: string;
  private readonly user: string;
  private readonly key: string;
  private secret?: KeyObject;
  private readonly pollIntervalMs: number;
  private readonly firstPollMs: number | undefined;
  private readonly maxRetries: number;
  private readonly tokenTtl: number;
  private readonly timeoutMs: number;
  private readonly tls: ClientTls | undefined;

  constructor(server: string, options: ClientOptions = {}) {
    this.server = server.replace(/\/+$/, '');
    this.user = options.user ?? '';
    this.key = options.key ?? '';
    this.pollIntervalMs = options.pollIntervalMs ?? 400;
    this.firstPollMs = options.firstPollMs;
    this.maxRetries = options.maxRetries ?? 6;
    this.tokenTtl = options.tokenTtl ?? 600;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.tls = options.tls;
  }

  token(method: string, path: string): string {
    const now = Math.floor(Date.now() / 1000);
    const qsh = createHash('sha256').update(`${method}&${path}`).digest('hex');
    // A KeyObject made once: signing with a string key makes jsonwebtoken try to parse it as a key each time.
    this.secret ??= createSecretKey(Buffer.from(this.key, 'utf8'));
    return jwt.sign({ iss: this.user, iat: now, exp: now + this.tokenTtl, qsh }, this.secret, { algorithm: 'HS256' });
  }

  /** One HTTP exchange (redirects not followed), with 429 retries. */
  async raw(method: string, path: string, body?: unknown): Promise<RawResponse> {
    for (let attempt = 0; ; attempt += 1) {
      const headers: Record<string, string> = {};
      if (this.user) headers.Authorization = `bearer ${this.token(method, path.split('?')[0]!)}`;
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      let res: Awaited<ReturnType<typeof exchange>>;
      try {
        res = await exchange({
          method,
          url: this.server + path,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          timeoutMs: this.timeoutMs,
          tls: this.tls,
        });
      } catch (err) {
        const reason = err instanceof ExchangeError ? err.reason : (err as Error).message;
        throw new HeketiError(0, `Unable to reach server ${this.server}: ${reason}`);
      }
      const text = res.text;
      if (res.status === 429 && attempt < this.maxRetries) {
        const after = Number.parseFloat(res.headers.get('Retry-After') ?? '');
        await sleep(Number.isFinite(after) ? after * 1000 : 1000 * 2 ** attempt);
        continue;
      }
      return { status: res.status, headers: res.headers, text };
    }
  }

  private fail(res: RawResponse): never {
    throw new HeketiError(res.status, res.text.trim() || `HTTP ${res.status}`);
  }

  async json(method: string, path: string, body?: unknown, expect = 200): Promise<Json> {
    const res = await this.raw(method, path, body);
    if (res.status !== expect) this.fail(res);
    return JSON.parse(res.text) as Json;
  }

  async noContent(method: string, path: string, body?: unknown, expect = 200): Promise<void> {
    const res = await this.raw(method, path, body);
    if (res.status !== expect) this.fail(res);
  }

  /** Sends a request that answers 202 and follows the queue to the end: the result's JSON, or null. */
  async async(method: string, path: string, body?: unknown, watch?: OperationWatch): Promise<Json | null> {
    const res = await this.raw(method, path, body);
    if (res.status !== 202) this.fail(res);
    const location = res.headers.get('Location');
    if (!location) throw new HeketiError(res.status, 'server answered 202 without a Location');
    watch?.accepted?.(location.split('/').pop() ?? location);
    return this.waitFor(location, watch);
  }

  async waitFor(location: string, watch?: OperationWatch): Promise<Json | null> {
    let wait = this.firstPollMs ?? this.pollIntervalMs;
    for (;;) {
      const res = await this.raw('GET', location);
      if (res.status === 200 && res.headers.get('X-Pending') === 'true') {
        watch?.pending?.(res.headers.get('X-Operation-Phase') ?? undefined);
        await sleep(Math.min(wait, this.pollIntervalMs));
        wait *= 2;
        continue;
      }
      if (res.status === 303) {
        const target = res.headers.get('Location');
        if (!target) throw new HeketiError(303, 'queue answered 303 without a Location');
        return this.json('GET', target);
      }
      if (res.status === 204) return null;
      if (res.status === 200) return res.text ? (JSON.parse(res.text) as Json) : null;
      this.fail(res);
    }
  }

  hello(): Promise<RawResponse> {
    return this.raw('GET', '/hello');
  }

  // clusters
  clusterCreate(req: { file?: boolean; block?: boolean } = { file: true, block: true }) {
    return this.json('POST', '/clusters', req, 201);
  }
  clusterList() {
    return this.json('GET', '/clusters');
  }
  clusterInfo(id: string) {
    return this.json('GET', `/clusters/${id}`);
  }
  clusterSetFlags(id: string, flags: { file?: boolean; block?: boolean }) {
    return this.noContent('POST', `/clusters/${id}/flags`, flags);
  }
  clusterDelete(id: string) {
    return this.noContent('DELETE', `/clusters/${id}`);
  }
  clusterCapacity(id: string) {
    return this.json('GET', `/clusters/${id}/capacity`);
  }

  // nodes
  nodeAdd(req: { zone: number; cluster: string; hostnames: { manage: string[]; storage: string[] }; tags?: Record<string, string> }) {
    return this.async('POST', '/nodes', req);
  }
  nodeInfo(id: string) {
    return this.json('GET', `/nodes/${id}`);
  }
  nodeDelete(id: string) {
    return this.async('DELETE', `/nodes/${id}`);
  }
  nodeState(id: string, state: 'online' | 'offline' | 'failed') {
    return this.async('POST', `/nodes/${id}/state`, { state });
  }
  nodeSetTags(id: string, change_type: 'set' | 'update' | 'delete', tags: Record<string, string>) {
    return this.noContent('POST', `/nodes/${id}/tags`, { change_type, tags });
  }

  // devices
  deviceAdd(req: { node: string; name: string; destroydata?: boolean; tags?: Record<string, string> }) {
    return this.async('POST', '/devices', req);
  }
  deviceInfo(id: string) {
    return this.json('GET', `/devices/${id}`);
  }
  deviceDelete(id: string) {
    return this.async('DELETE', `/devices/${id}`);
  }
  deviceState(id: string, state: 'online' | 'offline' | 'failed') {
    return this.async('POST', `/devices/${id}/state`, { state });
  }
  deviceResync(id: string) {
    return this.async('GET', `/devices/${id}/resync`);
  }
  deviceSetTags(id: string, change_type: 'set' | 'update' | 'delete', tags: Record<string, string>) {
    return this.noContent('POST', `/devices/${id}/tags`, { change_type, tags });
  }

  // volumes
  volumeCreate(req: Json, watch?: OperationWatch) {
    return this.async('POST', '/volumes', req, watch) as Promise<Json>;
  }
  volumePlan(req: Json) {
    return this.json('POST', '/volumes?dry_run=true', req);
  }
  volumeList() {
    return this.json('GET', '/volumes');
  }
  volumeInfo(id: string) {
    return this.json('GET', `/volumes/${id}`);
  }
  volumeExpand(id: string, expandGib: number, watch?: OperationWatch) {
    return this.async('POST', `/volumes/${id}/expand`, { expand_size: expandGib }, watch) as Promise<Json>;
  }
  volumeDelete(id: string, watch?: OperationWatch) {
    return this.async('DELETE', `/volumes/${id}`, undefined, watch);
  }

  // system
  dbDump() {
    return this.json('GET', '/db/dump');
  }
  dbCheck() {
    return this.json('GET', '/db/check');
  }
  operations() {
    return this.json('GET', '/operations');
  }
  /** Brickyard: unfinished operations (running, waiting, or with an undo still to do). */
  operationsPending() {
    return this.json('GET', '/operations/pending');
  }
  /** Brickyard: one operation, finished or not (kept for operation_retention_hours). */
  operationInfo(id: string) {
    return this.json('GET', `/operations/pending/${id}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
