import { createHash } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { RawConnection, requestBytes, type RawResponse } from '../support/raw-http';
import { ADMIN_KEY } from '../support/server';

/**
 * Replays requests as real Heketi clients put them on the wire (../shared/reference/real-clients.md): the
 * captured body bytes, each client's headers and its way of minting tokens, over one raw keep-alive socket.
 */
const qsh = (method: string, path: string) => createHash('sha256').update(`${method}&${path}`).digest('hex');
const nowSeconds = () => Math.floor(Date.now() / 1000);

export interface ClientStyle {
  headers: Record<string, string>;
  token(method: string, path: string): string;
}

/** Heketi's Go client (heketi-cli, the Kubernetes provisioner): iss, iat, exp 5 minutes on, qsh. */
export function goClient(user = 'admin', key = ADMIN_KEY): ClientStyle {
  return {
    headers: { 'User-Agent': 'Go-http-client/1.1', 'Accept-Encoding': 'gzip' },
    token(method, path) {
      const iat = nowSeconds();
      return jwt.sign({ iss: user, iat, exp: iat + 300, qsh: qsh(method, path) }, key, { algorithm: 'HS256' });
    },
  };
}

/** Heketi's Python client (requests + PyJWT): every token lives one second (exp = iat + 1). */
export function pythonClient(user = 'admin', key = ADMIN_KEY): ClientStyle {
  return {
    headers: { 'User-Agent': 'python-requests/2.31.0', 'Accept-Encoding': 'gzip, deflate', Accept: '*/*', Connection: 'keep-alive' },
    token(method, path) {
      const iat = nowSeconds();
      return jwt.sign({ iss: user, iat, exp: iat + 1, qsh: qsh(method, path) }, key, { algorithm: 'HS256' });
    },
  };
}

export class Replay {
  private constructor(
    private readonly conn: RawConnection,
    private readonly style: ClientStyle,
  ) {}

  static async open(port: number, style: ClientStyle): Promise<Replay> {
    return new Replay(await RawConnection.open(port), style);
  }

  /** One exchange; `body` is sent exactly as given. */
  async send(method: string, path: string, body?: string): Promise<RawResponse> {
    const headers: Record<string, string> = { ...this.style.headers, Authorization: `bearer ${this.style.token(method, path.split('?')[0]!)}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    await this.conn.write(requestBytes(method, path, headers, body));
    return this.conn.response();
  }

  /** 202 -> poll the queue entry as the Go client does -> the 303 target (or the 204/500 it ends with). */
  async async(method: string, path: string, body?: string): Promise<RawResponse> {
    const started = await this.send(method, path, body);
    if (started.status !== 202) return started;
    const queue = started.headers.location!;
    expect(queue).toMatch(/^\/queue\/[0-9a-f]{32}$/);
    for (;;) {
      const poll = await this.send('GET', queue);
      if (poll.status === 303) return this.send('GET', poll.headers.location!);
      if (poll.status !== 200) return poll;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.conn.close();
  }
}
