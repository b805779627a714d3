import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

import { KubeConfig } from '@kubernetes/client-node';

import { execInPod, execUrl, exitCodeFromStatus, PodExecError } from '../../src/executors/kubernetes/pod-exec';
import { FakeKubeApiServer } from '../support/fake-kube-apiserver';
import { NAMESPACE, rejectionOf, TOKEN } from './kube-test-helpers';

describe('exitCodeFromStatus', () => {
  it('reads Success as 0 and a NonZeroExitCode failure as its exit code', () => {
    expect(exitCodeFromStatus('{"metadata":{},"status":"Success"}')).toEqual({ exitCode: 0 });
    expect(
      exitCodeFromStatus(
        JSON.stringify({
          status: 'Failure',
          reason: 'NonZeroExitCode',
          message: 'command terminated with non-zero exit code: exit status 2',
          details: { causes: [{ reason: 'ExitCode', message: '2' }] },
        }),
      ),
    ).toEqual({ exitCode: 2 });
  });

  it('explains a failure that carries no exit code', () => {
    expect(exitCodeFromStatus(JSON.stringify({ status: 'Failure', reason: 'InternalError', message: 'container not found' }))).toEqual({
      failure: 'container not found',
    });
    expect(exitCodeFromStatus(JSON.stringify({ status: 'Failure', details: { causes: [{ reason: 'ExitCode', message: 'x' }] } }))).toEqual({
      failure: expect.stringContaining('exec status'),
    });
    expect(exitCodeFromStatus('not json')).toEqual({ failure: 'unreadable exec status: not json' });
  });
});

describe('execUrl', () => {
  it('keeps a path prefix of the server and repeats command once per argument', () => {
    const url = execUrl('https://proxy.example:8443/k8s/clusters/c-1/', {
      namespace: 'ns',
      pod: 'p',
      container: 'glusterfs',
      command: ['bash', '-c', "echo 'a b' && x=$(id)"],
    });
    expect(url.protocol).toBe('wss:');
    expect(url.pathname).toBe('/k8s/clusters/c-1/api/v1/namespaces/ns/pods/p/exec');
    expect(url.searchParams.getAll('command')).toEqual(['bash', '-c', "echo 'a b' && x=$(id)"]);
    expect(url.searchParams.get('container')).toBe('glusterfs');
  });
});

/** execInPod against the fake API server (a stand-in: no Kubernetes API server can run here). */
describe('execInPod', () => {
  let fake: FakeKubeApiServer;
  let kubeConfig: KubeConfig;
  const request = { namespace: NAMESPACE, pod: 'gluster-a', container: 'glusterfs', deadlineMs: 5000 };

  beforeAll(async () => {
    fake = await FakeKubeApiServer.start({ token: TOKEN });
    fake.pods = [{ name: 'gluster-a', namespace: NAMESPACE, labels: {} }];
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromClusterAndUser(
      { name: 'fake', server: fake.url, skipTLSVerify: false, caData: Buffer.from(fake.caCert!).toString('base64') },
      { name: 'u', token: TOKEN },
    );
  });
  afterAll(() => fake.stop());

  it('reports a command that could not start as a failure with the server\'s words', async () => {
    const err = await rejectionOf(execInPod(kubeConfig, { ...request, command: ['/nonexistent/gluster'] }));
    expect(err).toBeInstanceOf(PodExecError);
    expect((err as PodExecError).kind).toBe('failed');
    expect((err as PodExecError).mayHaveRun).toBe(false);
    expect(err.message).toMatch(/^exec in pod glusterfs\/gluster-a: failed to exec in container: exec: "\/nonexistent\/gluster": .*ENOENT/);
  });

  it('refuses output beyond the cap', async () => {
    const err = await rejectionOf(
      execInPod(kubeConfig, { ...request, command: ['head', '-c', '100000', '/dev/zero'], maxOutputBytes: 1000 }),
    );
    expect((err as PodExecError).kind).toBe('failed');
    expect(err.message).toBe('exec in pod glusterfs/gluster-a: output exceeds 1000 bytes');
  });

  it('says a pod that does not exist is not found, as a refusal before anything ran', async () => {
    const err = await rejectionOf(execInPod(kubeConfig, { ...request, pod: 'gone', command: ['true'] }));
    expect(err).toMatchObject({ kind: 'refused', httpStatus: 404, transient: true, mayHaveRun: false });
    expect(err.message).toBe(`exec in pod glusterfs/gone: the Kubernetes API at ${fake.url} answered 404: pods "gone" not found`);
  });

  it('reports a server that is not listening as unreachable and worth another try', async () => {
    // A port that was just free: nothing listens on it any more.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const closed = new KubeConfig();
    closed.loadFromClusterAndUser({ name: 'c', server: `https://127.0.0.1:${port}`, skipTLSVerify: true }, { name: 'u', token: TOKEN });
    const err = await rejectionOf(execInPod(closed, { ...request, command: ['true'] }));
    expect(err).toMatchObject({ kind: 'unreachable', transient: true, mayHaveRun: false });
    expect(err.message).toMatch(new RegExp(`^exec in pod glusterfs/gluster-a: cannot connect to https://127.0.0.1:${port}: .*ECONNREFUSED`));
  });
});
