import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { kubeExecSchema } from '../../src/config/schema';
import { loadKubeCredentials } from '../../src/executors/kubernetes/credentials';
import { KubernetesTransport } from '../../src/executors/kubernetes/kube-transport';
import { ExecutorError } from '../../src/executors/types';
import { FakeKubeApiServer } from '../support/fake-kube-apiserver';
import { NAMESPACE, rejectionOf, Scratch, settingsFor, TOKEN } from './kube-test-helpers';

/**
 * Each way of getting credentials, proven by running a command through the fake API server (a stand-in: no
 * Kubernetes API server can run here), which checks the bearer token or basic auth and serves self-signed HTTPS.
 */
describe('Kubernetes credentials', () => {
  let fake: FakeKubeApiServer;
  let scratch: Scratch;
  const noServiceAccount = () => ({ serviceAccountDir: join(scratch.dir, 'none'), env: {} });
  const options = { timeoutMs: 5000, idempotent: true };

  beforeAll(async () => {
    fake = await FakeKubeApiServer.start({ token: TOKEN, basicAuth: { user: 'admin', password: 'p:ss w0rd' } });
    fake.pods = [
      { name: 'gluster-a', namespace: NAMESPACE, labels: { 'glusterfs-node': 'node-a' } },
      { name: 'gluster-s', namespace: 'storage', labels: { 'glusterfs-node': 'node-a' } },
    ];
    scratch = new Scratch();
  });
  afterAll(async () => {
    await fake.stop();
    scratch.cleanup();
  });

  /** Runs `echo $HOSTNAME` on node-a with these credentials: which pod answered shows the namespace used. */
  const podAnswering = async (credentials: ReturnType<typeof loadKubeCredentials>) => {
    const transport = new KubernetesTransport(credentials, { retryDelayMs: 10 });
    const result = await transport.run('node-a', 'echo $HOSTNAME', options);
    return result.stdout.trim();
  };

  /** A service account directory as Kubernetes mounts it into a pod. */
  const serviceAccount = (name: string, files: { token?: string; namespace?: string; ca?: string }) => {
    const dir = join(scratch.dir, name);
    mkdirSync(dir, { recursive: true });
    if (files.token !== undefined) writeFileSync(join(dir, 'token'), files.token);
    if (files.namespace !== undefined) writeFileSync(join(dir, 'namespace'), files.namespace);
    if (files.ca !== undefined) writeFileSync(join(dir, 'ca.crt'), files.ca);
    return dir;
  };

  const kubeconfig = (name: string, ca: string, user: string, namespace?: string) =>
    scratch.file(
      name,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: lab',
        '  cluster:',
        `    server: ${fake.url}`,
        `    ${ca}`,
        'users:',
        '- name: brickyard',
        '  user:',
        `    ${user}`,
        'contexts:',
        '- name: lab',
        '  context:',
        '    cluster: lab',
        '    user: brickyard',
        ...(namespace ? [`    namespace: ${namespace}`] : []),
        'current-context: lab',
        '',
      ].join('\n'),
    );

  describe('from kubeexec settings', () => {
    it('uses host, cert and token', async () => {
      const credentials = loadKubeCredentials(settingsFor(fake, scratch), noServiceAccount());
      expect(credentials.source).toBe('settings');
      expect(credentials.namespace).toBe(NAMESPACE);
      await expect(podAnswering(credentials)).resolves.toBe('gluster-a');
    });

    it('uses user and password as basic auth', async () => {
      const settings = settingsFor(fake, scratch, { token: '', user: 'admin', password: 'p:ss w0rd' });
      await expect(podAnswering(loadKubeCredentials(settings, noServiceAccount()))).resolves.toBe('gluster-a');

      const wrong = settingsFor(fake, scratch, { token: '', user: 'admin', password: 'guess' });
      const err = await rejectionOf(podAnswering(loadKubeCredentials(wrong, noServiceAccount())));
      expect(err.message).toContain('rejected the credentials (401 Unauthorized)');
    });

    it('skips certificate checks only when insecure is set', async () => {
      const unverified = settingsFor(fake, scratch, { cert: '', insecure: true });
      await expect(podAnswering(loadKubeCredentials(unverified, noServiceAccount()))).resolves.toBe('gluster-a');

      const verified = settingsFor(fake, scratch, { cert: '' });
      const err = await rejectionOf(podAnswering(loadKubeCredentials(verified, noServiceAccount())));
      expect(err).toBeInstanceOf(ExecutorError);
      expect(err.message).toMatch(/^listing pods in namespace glusterfs: cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:\d+: .*self-signed certificate/);
      // A certificate that is not trusted stays untrusted: not worth retrying.
      expect((err as ExecutorError).transient).toBe(false);
    });

    it('falls back to the service account token and namespace when those settings are empty', async () => {
      const dir = serviceAccount('sa-for-settings', { token: TOKEN, namespace: 'storage\n' });
      const credentials = loadKubeCredentials(settingsFor(fake, scratch, { token: '', namespace: '' }), {
        serviceAccountDir: dir,
        env: {},
      });
      expect(credentials.namespace).toBe('storage');
      await expect(podAnswering(credentials)).resolves.toBe('gluster-s');
    });

    it('refuses a host that is not an http(s) URL, plain http without insecure, and a missing cert file', () => {
      const load = (overrides: Record<string, unknown>) => () =>
        loadKubeCredentials(kubeExecSchema.parse({ token: TOKEN, namespace: NAMESPACE, ...overrides }), noServiceAccount());
      expect(load({ host: 'ftp://10.0.0.1:6443' })).toThrow('kubeexec.host: "ftp://10.0.0.1:6443" must be an http:// or https:// URL');
      expect(load({ host: '10.0.0.1:6443' })).toThrow('kubeexec.host: "10.0.0.1:6443" is not a URL (expected e.g. https://10.0.0.1:6443)');
      expect(load({ host: 'http://127.0.0.1:8080' })).toThrow('is plain http; set kubeexec.insecure to allow it');
      expect(load({ host: 'https://127.0.0.1:6443', cert: '/nonexistent/ca.crt' })).toThrow(
        'kubeexec.cert: file /nonexistent/ca.crt does not exist',
      );
    });

    it('needs a namespace from somewhere', () => {
      expect(() => loadKubeCredentials(settingsFor(fake, scratch, { namespace: '' }), noServiceAccount())).toThrow(
        `kubeexec.namespace is not set and there is no service account namespace file ${join(scratch.dir, 'none', 'namespace')}`,
      );
    });
  });

  describe('from a kubeconfig file', () => {
    it('uses its cluster, CA data, token and context namespace', async () => {
      const caData = Buffer.from(fake.caCert!).toString('base64');
      const file = kubeconfig('kubeconfig', `certificate-authority-data: ${caData}`, `token: ${TOKEN}`, 'storage');
      const credentials = loadKubeCredentials(kubeExecSchema.parse({ kubeconfig: file }), noServiceAccount());
      expect(credentials.source).toBe('kubeconfig');
      expect(credentials.namespace).toBe('storage');
      await expect(podAnswering(credentials)).resolves.toBe('gluster-s');
    });

    it('resolves a relative CA path against the file, and lets kubeexec.namespace win', async () => {
      scratch.file('lab-ca.crt', fake.caCert!);
      const file = kubeconfig('kubeconfig-rel', 'certificate-authority: lab-ca.crt', `token: ${TOKEN}`, 'storage');
      const credentials = loadKubeCredentials(kubeExecSchema.parse({ kubeconfig: file, namespace: NAMESPACE }), noServiceAccount());
      await expect(podAnswering(credentials)).resolves.toBe('gluster-a');
    });

    it('is preferred over host settings', async () => {
      const caData = Buffer.from(fake.caCert!).toString('base64');
      const file = kubeconfig('kubeconfig-pref', `certificate-authority-data: ${caData}`, `token: ${TOKEN}`, NAMESPACE);
      const settings = kubeExecSchema.parse({ kubeconfig: file, host: 'https://127.0.0.1:1', token: 'other' });
      await expect(podAnswering(loadKubeCredentials(settings, noServiceAccount()))).resolves.toBe('gluster-a');
    });

    it('says which file is missing or unreadable', () => {
      expect(() => loadKubeCredentials(kubeExecSchema.parse({ kubeconfig: '/nonexistent/kubeconfig' }), noServiceAccount())).toThrow(
        'kubeexec.kubeconfig: file /nonexistent/kubeconfig does not exist',
      );
      const broken = scratch.file('broken-kubeconfig', 'clusters: [unclosed');
      expect(() => loadKubeCredentials(kubeExecSchema.parse({ kubeconfig: broken }), noServiceAccount())).toThrow(
        `kubeexec.kubeconfig: cannot read ${broken}`,
      );
    });
  });

  describe('in-cluster', () => {
    it('uses the service account token, CA and namespace and KUBERNETES_SERVICE_HOST/PORT', async () => {
      const dir = serviceAccount('sa-in-cluster', { token: TOKEN, namespace: 'storage', ca: fake.caCert! });
      const credentials = loadKubeCredentials(kubeExecSchema.parse({}), {
        serviceAccountDir: dir,
        env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(fake.portNumber) },
      });
      expect(credentials.source).toBe('in-cluster');
      expect(credentials.server).toBe(fake.url);
      expect(credentials.namespace).toBe('storage');
      await expect(podAnswering(credentials)).resolves.toBe('gluster-s');
    });

    it('reports a service account token the server does not accept', async () => {
      const dir = serviceAccount('sa-bad-token', { token: 'expired', namespace: NAMESPACE, ca: fake.caCert! });
      const credentials = loadKubeCredentials(kubeExecSchema.parse({}), {
        serviceAccountDir: dir,
        env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(fake.portNumber) },
      });
      const err = await rejectionOf(podAnswering(credentials));
      expect(err.message).toBe(
        `listing pods in namespace ${NAMESPACE}: the Kubernetes API at ${fake.url} rejected the credentials (401 Unauthorized)`,
      );
    });

    it('says what is missing outside a cluster', () => {
      expect(() => loadKubeCredentials(kubeExecSchema.parse({}), noServiceAccount())).toThrow(
        'no Kubernetes credentials: set kubeexec.kubeconfig or kubeexec.host, or run inside a pod ' +
          '(KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)',
      );
      expect(() =>
        loadKubeCredentials(kubeExecSchema.parse({}), {
          serviceAccountDir: join(scratch.dir, 'none'),
          env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '443' },
        }),
      ).toThrow(`no Kubernetes credentials: service account token ${join(scratch.dir, 'none', 'token')} does not exist`);
    });
  });
});
