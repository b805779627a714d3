import { createHash } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { RawConnection, requestBytes } from '../support/raw-http';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/server';

/** An oversized body gets 413 and leaves the keep-alive connection usable for the next request. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

function auth(method: string, path: string): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  const qsh = createHash('sha256').update(`${method}&${path}`).digest('hex');
  return { Authorization: `bearer ${jwt.sign({ iss: 'admin', iat: now, exp: now + 600, qsh }, ADMIN_KEY)}` };
}

const big = (bytes: number) => `{"size":1,"name":"${'a'.repeat(bytes)}"}`;

test('2 MiB body (Content-Length): 413, then the next request on the same connection is answered', async () => {
  const c = await RawConnection.open(server.port);
  try {
    await c.write(requestBytes('POST', '/volumes', { ...auth('POST', '/volumes'), 'Content-Type': 'application/json' }, big(2 * 1024 * 1024)));
    const refused = await c.response();
    expect(refused.status).toBe(413);
    expect(refused.body).toBe('request body too large (at most 1048576 bytes)\n');
    await c.write(requestBytes('GET', '/clusters', auth('GET', '/clusters')));
    const next = await c.response();
    expect(next.status).toBe(200);
    expect(JSON.parse(next.body)).toEqual({ clusters: [] });
    expect(c.isClosed).toBe(false);
  } finally {
    c.close();
  }
  // nothing was recorded
  expect((await server.admin.volumeList()).volumes).toEqual([]);
});

test('chunked oversized body: 413, connection still answers', async () => {
  const c = await RawConnection.open(server.port);
  try {
    const head = [
      'POST /volumes HTTP/1.1',
      'Host: 127.0.0.1',
      `Authorization: ${auth('POST', '/volumes').Authorization}`,
      'Content-Type: application/json',
      'Transfer-Encoding: chunked',
    ].join('\r\n');
    const chunk = 'x'.repeat(256 * 1024);
    let bytes = `${head}\r\n\r\n`;
    for (let i = 0; i < 8; i += 1) bytes += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    bytes += '0\r\n\r\n';
    await c.write(bytes);
    expect((await c.response()).status).toBe(413);
    await c.write(requestBytes('GET', '/hello', {}));
    const hello = await c.response();
    expect(hello.status).toBe(200);
    expect(hello.body).toBe('Hello from Heketi');
  } finally {
    c.close();
  }
});

test('a body announced beyond what is worth reading: 413 at once and the connection is closed', async () => {
  const c = await RawConnection.open(server.port);
  try {
    const head = requestBytes('POST', '/volumes', { ...auth('POST', '/volumes'), 'Content-Length': String(1024 ** 3) });
    await c.write(head);
    const refused = await c.response();
    expect(refused.status).toBe(413);
    expect(refused.headers.connection).toBe('close');
    await c.closedByServer();
  } finally {
    c.close();
  }
});

test('a body just under the limit is read whole (400 for its content, not 413)', async () => {
  const c = await RawConnection.open(server.port);
  try {
    await c.write(requestBytes('POST', '/volumes', auth('POST', '/volumes'), big(1024 * 1024 - 64)));
    const r = await c.response();
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/^validation failed: name: must be at most 255 characters/);
  } finally {
    c.close();
  }
});
