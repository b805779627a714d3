import { ExecutorError } from '../../src/executors/types';
import { FakeKubeApiServer } from '../support/fake-kube-apiserver';
import { NAMESPACE, rejectionOf, Scratch, TOKEN, transportFor } from './kube-test-helpers';

/**
 * Pod lookup through the real client library against the fake API server (a stand-in: no Kubernetes API server can
 * run here), which filters pods by the label and field selectors the transport sends.
 */
describe('finding the gluster pod of a host', () => {
  let fake: FakeKubeApiServer;
  let scratch: Scratch;

  beforeAll(async () => {
    fake = await FakeKubeApiServer.start({ token: TOKEN });
    scratch = new Scratch();
  });
  afterAll(async () => {
    await fake.stop();
    scratch.cleanup();
  });
  beforeEach(() => {
    fake.clearDisruptions();
    fake.pods = [];
    fake.lists.length = 0;
    fake.token = TOKEN;
  });

  const finder = () => transportFor(fake, scratch).pods;

  it('finds the pod labelled glusterfs-node=<host> and uses its first container', async () => {
    fake.pods = [
      { name: 'gluster-a', namespace: NAMESPACE, labels: { 'glusterfs-node': 'node-a' }, containers: ['glusterfs', 'sidecar'] },
      { name: 'gluster-b', namespace: NAMESPACE, labels: { 'glusterfs-node': 'node-b' } },
      // Same label in another namespace: not ours.
      { name: 'gluster-a-other', namespace: 'elsewhere', labels: { 'glusterfs-node': 'node-a' } },
    ];
    await expect(finder().find('node-a')).resolves.toEqual({ pod: 'gluster-a', container: 'glusterfs' });
    expect(fake.lists).toEqual([{ namespace: NAMESPACE, labelSelector: 'glusterfs-node=node-a', fieldSelector: '' }]);
  });

  it('falls back to the daemonset pod scheduled on node <host>', async () => {
    fake.pods = [
      { name: 'glusterfs-x1', namespace: NAMESPACE, labels: { glusterfs: 'pod' }, nodeName: 'node-a' },
      { name: 'glusterfs-x2', namespace: NAMESPACE, labels: { glusterfs: 'pod' }, nodeName: 'node-b' },
      // On the right node but not a gluster pod.
      { name: 'fluentd-1', namespace: NAMESPACE, labels: { app: 'fluentd' }, nodeName: 'node-a' },
    ];
    await expect(finder().find('node-a')).resolves.toEqual({ pod: 'glusterfs-x1', container: 'glusterfs' });
    expect(fake.lists.map((l) => [l.labelSelector, l.fieldSelector])).toEqual([
      ['glusterfs-node=node-a', ''],
      ['', 'spec.nodeName=node-a'],
    ]);
  });

  it('accepts the gluster-kubernetes label glusterfs-node=pod on a daemonset pod too', async () => {
    fake.pods = [{ name: 'glusterfs-y', namespace: NAMESPACE, labels: { 'glusterfs-node': 'pod' }, nodeName: 'node-c.example.com' }];
    await expect(finder().find('node-c.example.com')).resolves.toEqual({ pod: 'glusterfs-y', container: 'glusterfs' });
  });

  it('looks an IPv6 host up by node only, since it cannot be a label value', async () => {
    fake.pods = [{ name: 'glusterfs-v6', namespace: NAMESPACE, labels: { glusterfs: 'pod' }, nodeName: 'fd00::12' }];
    await expect(finder().find('fd00::12')).resolves.toEqual({ pod: 'glusterfs-v6', container: 'glusterfs' });
    expect(fake.lists.map((l) => l.fieldSelector)).toEqual(['spec.nodeName=fd00::12']);
  });

  it('says clearly when there is no pod for the host', async () => {
    fake.pods = [{ name: 'glusterfs-x2', namespace: NAMESPACE, labels: { glusterfs: 'pod' }, nodeName: 'node-b' }];
    const err = await rejectionOf(finder().find('node-a'));
    expect(err).toBeInstanceOf(ExecutorError);
    expect(err.message).toBe(
      `no gluster pod for host node-a in namespace ${NAMESPACE}; looked for pods labelled glusterfs-node=node-a, ` +
        'then pods labelled glusterfs=pod or glusterfs-node=pod on node node-a',
    );
    expect((err as ExecutorError).transient).toBe(false);
  });

  it('refuses to choose between several running pods', async () => {
    fake.pods = [
      { name: 'gluster-a1', namespace: NAMESPACE, labels: { 'glusterfs-node': 'node-a' } },
      { name: 'gluster-a2', namespace: NAMESPACE, labels: { 'glusterfs-node': 'node-a' } },
    ];
    const err = await rejectionOf(finder().find('node-a'));
    expect(err.message).toBe(
      `several running gluster pods for host node-a in namespace ${NAMESPACE} (gluster-a1, gluster-a2); expected exactly one`,
    );
  });

  it('skips pods that are not running and says so when none is', async () => {
    fake.pods = [
      { name: 'gluster-old', namespace: NAMESPACE, labels: { 'glusterfs-node': 'node-a' }, terminating: true },
      { name: 'gluster-new', namespace: NAMESPACE, labels: { 'glusterfs-node': 'node-a' }, phase: 'Pending' },
    ];
    const err = await rejectionOf(finder().find('node-a'));
    expect(err.message).toBe(
      `gluster pod for host node-a in namespace ${NAMESPACE} is not running: gluster-old (Terminating), gluster-new (Pending)`,
    );
    expect((err as ExecutorError).transient).toBe(true);

    fake.pods[1]!.phase = 'Running';
    await expect(finder().find('node-a')).resolves.toEqual({ pod: 'gluster-new', container: 'glusterfs' });
  });

  it('remembers a pod until told to forget it', async () => {
    fake.pods = [{ name: 'gluster-a', namespace: NAMESPACE, labels: { 'glusterfs-node': 'node-a' } }];
    const pods = finder();
    await pods.find('node-a');
    fake.pods = [{ name: 'gluster-a-replaced', namespace: NAMESPACE, labels: { 'glusterfs-node': 'node-a' } }];
    await expect(pods.find('node-a')).resolves.toMatchObject({ pod: 'gluster-a' });
    expect(fake.lists).toHaveLength(1);
    pods.forget('node-a');
    await expect(pods.find('node-a')).resolves.toMatchObject({ pod: 'gluster-a-replaced' });
  });

  it('lists pods once for many commands to one host starting together, and again once the cache expires', async () => {
    fake.pods = [{ name: 'gluster-a', namespace: NAMESPACE, labels: { 'glusterfs-node': 'node-a' } }];
    const pods = finder();
    const found = await Promise.all(Array.from({ length: 5 }, () => pods.find('node-a')));
    expect(found.map((t) => t.pod)).toEqual(Array(5).fill('gluster-a'));
    expect(fake.lists).toHaveLength(1);

    const forgetful = transportFor(fake, scratch, {}, { podFinder: { cacheMs: 0 } }).pods;
    await forgetful.find('node-a');
    await forgetful.find('node-a');
    expect(fake.lists).toHaveLength(3);
  });

  it('gives up on a pod list that never answers, as worth another try', async () => {
    fake.pods = [{ name: 'gluster-a', namespace: NAMESPACE, labels: { 'glusterfs-node': 'node-a' } }];
    fake.stallNextLists(1);
    const pods = transportFor(fake, scratch, {}, { podFinder: { requestTimeoutMs: 300 } }).pods;
    const err = await rejectionOf(pods.find('node-a'));
    expect(err.message).toBe(`listing pods in namespace ${NAMESPACE}: no answer from ${fake.url} within 300 ms`);
    expect((err as ExecutorError).transient).toBe(true);
    await expect(pods.find('node-a')).resolves.toMatchObject({ pod: 'gluster-a' });
  });

  it('reports a rejected token as a credentials problem, not a missing pod', async () => {
    fake.pods = [{ name: 'gluster-a', namespace: NAMESPACE, labels: { 'glusterfs-node': 'node-a' } }];
    const err = await rejectionOf(transportFor(fake, scratch, { token: 'wrong-token' }).pods.find('node-a'));
    expect(err).toBeInstanceOf(ExecutorError);
    expect(err.message).toBe(
      `listing pods in namespace ${NAMESPACE}: the Kubernetes API at ${fake.url} rejected the credentials (401 Unauthorized)`,
    );
    expect((err as ExecutorError).transient).toBe(false);
  });
});
