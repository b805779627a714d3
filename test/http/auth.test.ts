import { createHash, createHmac } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ADMIN_KEY, USER_KEY, buildTopology, startTestServer, type TestServer } from '../support/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const qsh = (method: string, path: string) => createHash('sha256').update(`${method}&${path}`).digest('hex');
const now = () => Math.floor(Date.now() / 1000);

function token(claims: Record<string, unknown>, key = ADMIN_KEY, options: jwt.SignOptions = { algorithm: 'HS256' }) {
  return jwt.sign(claims, key, options);
}

async function call(method: string, path: string, authorization?: string, body?: unknown) {
  const res = await fetch(server.url + path, {
    method,
    redirect: 'manual',
    headers: { ...(authorization ? { Authorization: authorization } : {}), 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const good = (method: string, path: string, iss = 'admin', key = ADMIN_KEY) =>
  `Bearer ${token({ iss, iat: now(), exp: now() + 60, qsh: qsh(method, path) }, key)}`;

describe('JWT authentication', () => {
  test('hello and metrics need no token', async () => {
    const hello = await call('GET', '/hello');
    expect(hello.status).toBe(200);
    expect(hello.text).toBe('Hello from Heketi');
    const metrics = await call('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('heketi_up 1');
  });

  test('missing token: 401 with Heketi text, even on an unknown path', async () => {
    for (const path of ['/clusters', '/no/such/route']) {
      const r = await call('GET', path);
      expect(r.status).toBe(401);
      expect(r.text).toBe('Required authorization token not found\n');
      expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    }
  });

  test('wrong scheme: 400', async () => {
    const r = await call('GET', '/clusters', 'Basic YWRtaW46c2VjcmV0');
    expect(r.status).toBe(400);
    expect(r.text).toBe('Authorization header format must be Bearer {token}\n');
  });

  test('scheme word is case-insensitive (the Go client sends "bearer")', async () => {
    const r = await call('GET', '/clusters', good('GET', '/clusters').replace('Bearer', 'bEaReR'));
    expect(r.status).toBe(200);
  });

  test('bad signature says the secrets may not match', async () => {
    const t = token({ iss: 'admin', iat: now(), exp: now() + 60, qsh: qsh('GET', '/clusters') }, 'wrong-key');
    const r = await call('GET', '/clusters', `Bearer ${t}`);
    expect(r.status).toBe(401);
    expect(r.text).toMatch(/^Invalid JWT token: .*\(client and server secrets may not match\)\n$/);
  });

  test('a token signed with an empty key (a client given a user but no key) says no key was given', async () => {
    for (const [iss, key] of [['admin', ADMIN_KEY], ['user', USER_KEY]]) {
      const empty = jwt.sign({ iss, iat: now(), exp: now() + 60, qsh: qsh('GET', '/volumes') }, Buffer.alloc(0), { algorithm: 'HS256' });
      const r = await call('GET', '/volumes', `Bearer ${empty}`);
      expect(r.status).toBe(401);
      expect(r.text).toBe(`Invalid JWT token: no key given: the client signed the token with an empty key (give the ${iss} key)\n`);
      expect((await call('GET', '/volumes', good('GET', '/volumes', iss, key))).status).toBe(200);
    }
  });

  test('missing iss claim', async () => {
    const t = token({ iat: now(), exp: now() + 60, qsh: qsh('GET', '/clusters') });
    const r = await call('GET', '/clusters', `Bearer ${t}`);
    expect(r.status).toBe(401);
    expect(r.text).toBe('Invalid JWT token: Token missing iss claim\n');
  });

  test('unknown issuer', async () => {
    const t = token({ iss: 'root', iat: now(), exp: now() + 60, qsh: qsh('GET', '/clusters') });
    const r = await call('GET', '/clusters', `Bearer ${t}`);
    expect(r.status).toBe(401);
    expect(r.text).toMatch(/^Invalid JWT token: Unknown user root/);
  });

  test('expired token', async () => {
    const t = token({ iss: 'admin', iat: now() - 120, exp: now() - 60, qsh: qsh('GET', '/clusters') });
    const r = await call('GET', '/clusters', `Bearer ${t}`);
    expect(r.status).toBe(401);
    expect(r.text).toMatch(/^Invalid JWT token: token is expired/);
  });

  test('a token is valid while now <= exp in whole seconds (Heketi\'s library), refused the second after', async () => {
    const exp = now() + 30;
    const t = token({ iss: 'admin', iat: exp - 1, exp, qsh: qsh('GET', '/clusters') });
    // the server's clock is held at the last millisecond of the second exp names, then at the next second
    const clock = jest.spyOn(Date, 'now');
    try {
      clock.mockReturnValue(exp * 1000 + 999);
      expect((await call('GET', '/clusters', `Bearer ${t}`)).status).toBe(200);
      clock.mockReturnValue((exp + 1) * 1000);
      const r = await call('GET', '/clusters', `Bearer ${t}`);
      expect(r.status).toBe(401);
      expect(r.text).toBe('Invalid JWT token: token is expired\n');
    } finally {
      clock.mockRestore();
    }
  });

  test('nbf in the future is refused; a fraction of a second is cut as by the Go library', async () => {
    const future = token({ iss: 'admin', iat: now(), exp: now() + 600, nbf: now() + 300, qsh: qsh('GET', '/clusters') });
    const r = await call('GET', '/clusters', `Bearer ${future}`);
    expect(r.status).toBe(401);
    expect(r.text).toBe('Invalid JWT token: token is not valid yet\n');
    const fraction = token({ iss: 'admin', iat: now(), exp: now() + 600, nbf: now() - 0.5, qsh: qsh('GET', '/clusters') });
    expect((await call('GET', '/clusters', `Bearer ${fraction}`)).status).toBe(200);
  });

  const raw = (header: object | string, payload: string) => {
    const h = typeof header === 'string' ? header : Buffer.from(JSON.stringify(header)).toString('base64url');
    const p = Buffer.from(payload).toString('base64url');
    const sig = createHmac('sha256', ADMIN_KEY).update(`${h}.${p}`).digest('base64url');
    return `Bearer ${h}.${p}.${sig}`;
  };
  const hs256 = { alg: 'HS256', typ: 'JWT' };

  test.each([
    ['payload null', 'null', /^Invalid JWT token: token is malformed: payload is not a JSON object\n$/],
    ['payload not JSON', '{"iss":"admin",', /^Invalid JWT token: token is malformed: payload is not JSON\n$/],
    ['payload an array', '["admin"]', /^Invalid JWT token: token is malformed: payload is not a JSON object\n$/],
    ['payload a number', '42', /^Invalid JWT token: token is malformed: payload is not a JSON object\n$/],
  ])('%s: 401, correctly signed or not', async (_name, payload, expected) => {
    const r = await call('GET', '/clusters', raw(hs256, payload));
    expect(r.status).toBe(401);
    expect(r.text).toMatch(expected);
  });

  test.each([
    ['exp a string', { exp: String(now() + 600) }, 'exp'],
    ['iat a string a year ahead', { iat: String(now() + 365 * 86400) }, 'iat'],
    ['iat null', { iat: null }, 'iat'],
    ['nbf an object', { nbf: {} }, 'nbf'],
    ['exp true', { exp: true }, 'exp'],
  ])('%s: 401, never accepted', async (_name, override, claim) => {
    const claims = { iss: 'admin', iat: now(), exp: now() + 600, qsh: qsh('GET', '/clusters'), ...override };
    const r = await call('GET', '/clusters', raw(hs256, JSON.stringify(claims)));
    expect(r.status).toBe(401);
    expect(r.text).toBe(`Invalid JWT token: ${claim} claim must be a number\n`);
  });

  test.each([
    ['garbage', 'garbage', 'token contains an invalid number of segments'],
    ['four segments', 'a.b.c.d', 'token contains an invalid number of segments'],
    ['header not base64url', 'a*b.c.d', 'token is malformed: header is not base64url'],
    ['header not JSON', `${Buffer.from('{').toString('base64url')}.e30.sig`, 'token is malformed: header is not JSON'],
  ])('bearer %s: 401 naming the problem', async (_name, t, expected) => {
    const r = await call('GET', '/clusters', `bearer ${t}`);
    expect(r.status).toBe(401);
    expect(r.text).toBe(`Invalid JWT token: ${expected}\n`);
  });

  test('exp is required', async () => {
    const t = token({ iss: 'admin', iat: now(), qsh: qsh('GET', '/clusters') });
    const r = await call('GET', '/clusters', `Bearer ${t}`);
    expect(r.status).toBe(401);
    expect(r.text).toBe('Invalid JWT token: Token missing exp claim\n');
  });

  test('iat up to 120 s in the future is accepted, further is refused with the clock hint', async () => {
    const ok = token({ iss: 'admin', iat: now() + 100, exp: now() + 600, qsh: qsh('GET', '/clusters') });
    expect((await call('GET', '/clusters', `Bearer ${ok}`)).status).toBe(200);
    const bad = token({ iss: 'admin', iat: now() + 300, exp: now() + 600, qsh: qsh('GET', '/clusters') });
    const r = await call('GET', '/clusters', `Bearer ${bad}`);
    expect(r.status).toBe(401);
    expect(r.text).toMatch(/\(client and server clocks may differ\)\n$/);
  });

  test('qsh must match method and path (not the query string)', async () => {
    const wrongPath = token({ iss: 'admin', iat: now(), exp: now() + 60, qsh: qsh('GET', '/volumes') });
    const r = await call('GET', '/clusters', `Bearer ${wrongPath}`);
    expect(r.status).toBe(401);
    expect(r.text).toBe('Invalid qsh claim in token\n');
    const wrongMethod = token({ iss: 'admin', iat: now(), exp: now() + 60, qsh: qsh('POST', '/clusters') });
    expect((await call('GET', '/clusters', `Bearer ${wrongMethod}`)).status).toBe(401);
    const missing = token({ iss: 'admin', iat: now(), exp: now() + 60 });
    expect((await call('GET', '/clusters', `Bearer ${missing}`)).text).toBe('Invalid qsh claim in token\n');
  });

  test('only HMAC: alg none and RS256 are refused', async () => {
    const claims = { iss: 'admin', iat: now(), exp: now() + 60, qsh: qsh('GET', '/clusters') };
    const none = jwt.sign(claims, '', { algorithm: 'none' });
    const r1 = await call('GET', '/clusters', `Bearer ${none}`);
    expect(r1.status).toBe(401);
    expect(r1.text).toMatch(/^Invalid JWT token: unexpected signing method: none/);
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const r2 = await call('GET', '/clusters', `Bearer ${header}.${payload}.c2ln`);
    expect(r2.status).toBe(401);
    expect(r2.text).toMatch(/unexpected signing method: RS256/);
  });

  test('HS512 tokens are accepted', async () => {
    const t = token({ iss: 'admin', iat: now(), exp: now() + 60, qsh: qsh('GET', '/clusters') }, ADMIN_KEY, {
      algorithm: 'HS512',
    });
    expect((await call('GET', '/clusters', `Bearer ${t}`)).status).toBe(200);
  });

  test('a user token is refused on admin routes, signed with the admin key it is refused too', async () => {
    const r = await call('GET', '/clusters', good('GET', '/clusters', 'user', USER_KEY));
    expect(r.status).toBe(401);
    expect(r.text).toBe('Administrator access required\n');
    const wrongKey = await call('GET', '/volumes', good('GET', '/volumes', 'user', ADMIN_KEY));
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.text).toMatch(/secrets may not match/);
  });

  test('a user token may use every volume route and poll volume queue entries, not an admin device one', async () => {
    const topology = await buildTopology(server.admin, { nodes: 3, zones: 3, devicesPerNode: 1, hostPrefix: 'auth' });
    const created = await call('POST', '/volumes', good('POST', '/volumes', 'user', USER_KEY), { size: 1 });
    expect(created.status).toBe(202);
    const location = created.headers.get('location')!;
    let poll;
    do {
      poll = await call('GET', location, good('GET', location, 'user', USER_KEY));
    } while (poll.status === 200);
    expect(poll.status).toBe(303);
    const volumePath = poll.headers.get('location')!;
    const info = await call('GET', volumePath, good('GET', volumePath, 'user', USER_KEY));
    expect(info.status).toBe(200);
    const id = JSON.parse(info.text).id as string;
    const expand = await call('POST', `/volumes/${id}/expand`, good('POST', `/volumes/${id}/expand`, 'user', USER_KEY), {
      expand_size: 1,
    });
    expect(expand.status).toBe(202);
    await server.container.runner.idle();

    // A volume operation the admin started is readable by the user (a retried create is handed the entry
    // of the identical create already running, whoever started it)...
    const adminOp = await call('DELETE', `/volumes/${id}`, good('DELETE', `/volumes/${id}`));
    expect(adminOp.status).toBe(202);
    const adminLocation = adminOp.headers.get('location')!;
    const allowed = await call('GET', adminLocation, good('GET', adminLocation, 'user', USER_KEY));
    expect([200, 204]).toContain(allowed.status);
    await server.container.runner.idle();
    // ...an operation on the topology is not.
    const resyncPath = `/devices/${topology.deviceIds[0]}/resync`;
    const resync = await call('GET', resyncPath, good('GET', resyncPath));
    expect(resync.status).toBe(202);
    const resyncLocation = resync.headers.get('location')!;
    const denied = await call('GET', resyncLocation, good('GET', resyncLocation, 'user', USER_KEY));
    expect(denied.status).toBe(401);
    expect(denied.text).toBe('Administrator access required\n');
  });
});

describe('use_auth false', () => {
  test('no token needed', async () => {
    const open = await startTestServer({ auth: false });
    try {
      const r = await fetch(`${open.url}/clusters`);
      expect(r.status).toBe(200);
    } finally {
      await open.close();
    }
  });
});
