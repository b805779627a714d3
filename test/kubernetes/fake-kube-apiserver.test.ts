import WebSocket from 'ws';

import { FakeKubeApiServer } from '../support/fake-kube-apiserver';

/**
 * The fake API server (a stand-in: no Kubernetes API server can run here) is only worth testing against if it
 * filters and refuses like the real one; these check it with a plain HTTP client and WebSocket, not the transport.
 */
describe('FakeKubeApiServer', () => {
  let fake: FakeKubeApiServer;
  const auth = { Authorization: 'Bearer t0k3n' };

  beforeAll(async () => {
    fake = await FakeKubeApiServer.start({ tls: false, token: 't0k3n' });
    fake.pods = [
      { name: 'a', namespace: 'ns', labels: { app: 'gluster', tier: 'storage' }, nodeName: 'n1' },
      { name: 'b', namespace: 'ns', labels: { app: 'gluster' }, nodeName: 'n2', phase: 'Pending' },
      { name: 'c', namespace: 'other', labels: { app: 'web' }, nodeName: 'n1' },
    ];
  });
  afterAll(() => fake.stop());

  const names = async (path: string) => {
    const res = await fetch(`${fake.url}${path}`, { headers: auth });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { kind: string; items: Array<{ metadata: { name: string } }> };
    expect(body.kind).toBe('PodList');
    return body.items.map((p) => p.metadata.name);
  };
  const sel = (s: string) => encodeURIComponent(s);

  it('filters pods by namespace, label selector and field selector', async () => {
    await expect(names('/api/v1/namespaces/ns/pods')).resolves.toEqual(['a', 'b']);
    await expect(names('/api/v1/pods')).resolves.toEqual(['a', 'b', 'c']);
    await expect(names(`/api/v1/pods?labelSelector=${sel('app=gluster,tier')}`)).resolves.toEqual(['a']);
    await expect(names(`/api/v1/pods?labelSelector=${sel('app==gluster,!tier')}`)).resolves.toEqual(['b']);
    await expect(names(`/api/v1/pods?labelSelector=${sel('app!=gluster')}`)).resolves.toEqual(['c']);
    await expect(names(`/api/v1/pods?labelSelector=${sel('app in (web, gluster),tier notin (storage)')}`)).resolves.toEqual(['b', 'c']);
    await expect(names(`/api/v1/pods?fieldSelector=${sel('spec.nodeName=n1')}`)).resolves.toEqual(['a', 'c']);
    await expect(names(`/api/v1/pods?fieldSelector=${sel('spec.nodeName=n1,status.phase!=Running')}`)).resolves.toEqual([]);
  });

  it('answers a bad selector or token as the real server does', async () => {
    const bad = await fetch(`${fake.url}/api/v1/pods?fieldSelector=${sel('spec.hostname=n1')}`, { headers: auth });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: 'field label not supported: spec.hostname' });
    const badLabel = await fetch(`${fake.url}/api/v1/pods?labelSelector=${sel('app=fd00::1')}`, { headers: auth });
    expect(badLabel.status).toBe(400);
    const unauthorized = await fetch(`${fake.url}/api/v1/pods`, { headers: { Authorization: 'Bearer nope' } });
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toMatchObject({ kind: 'Status', code: 401, reason: 'Unauthorized' });
  });

  /** Opens an exec WebSocket and collects its frames by channel until the server closes it. */
  const exec = (query: string, protocols: string[], headers: Record<string, string> = auth) =>
    new Promise<{ status?: number; protocol?: string; frames: Array<[number, string]> }>((resolve) => {
      const ws = new WebSocket(`${fake.url.replace('http', 'ws')}/api/v1/namespaces/ns/pods/a/exec?${query}`, protocols, { headers });
      const frames: Array<[number, string]> = [];
      ws.on('unexpected-response', (_req, res) => {
        resolve({ status: res.statusCode, frames });
        ws.terminate();
      });
      ws.on('error', () => undefined);
      ws.on('message', (data: Buffer) => frames.push([data[0]!, data.subarray(1).toString('utf8')]));
      ws.on('close', () => resolve({ protocol: ws.protocol, frames }));
    });

  it('runs an exec argv for real and frames its output and status by channel', async () => {
    const query = 'stdout=true&stderr=true&command=bash&command=-c&command=' + sel('echo o; echo e >&2; exit 3');
    const result = await exec(query, ['v4.channel.k8s.io']);
    expect(result.protocol).toBe('v4.channel.k8s.io');
    expect(result.frames.filter(([c]) => c === 1).map(([, t]) => t).join('')).toBe('o\n');
    expect(result.frames.filter(([c]) => c === 2).map(([, t]) => t).join('')).toBe('e\n');
    const status = result.frames.find(([c]) => c === 3);
    expect(JSON.parse(status![1])).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  it('refuses an exec without a token, a known subprotocol, a command or a stream', async () => {
    const ok = 'stdout=true&command=true';
    await expect(exec(ok, ['v4.channel.k8s.io'], {})).resolves.toMatchObject({ status: 401 });
    await expect(exec(ok, ['base64.channel.k8s.io'])).resolves.toMatchObject({ status: 400 });
    await expect(exec('stdout=true', ['v4.channel.k8s.io'])).resolves.toMatchObject({ status: 400 });
    await expect(exec('command=true', ['v4.channel.k8s.io'])).resolves.toMatchObject({ status: 400 });
    await expect(exec(`${ok}&container=nope`, ['v4.channel.k8s.io'])).resolves.toMatchObject({ status: 400 });
  });
});
