import { join } from 'node:path';

import { kubeExecSchema } from '../../src/config/schema';
import * as gluster from '../../src/executors/commands/gluster';
import { createKubernetesExecutor } from '../../src/executors/kubernetes';
import { ExecutorError } from '../../src/executors/types';
import { FakeKubeApiServer } from '../support/fake-kube-apiserver';
import { NAMESPACE, rejectionOf, Scratch, settingsFor, TOKEN } from './kube-test-helpers';

/**
 * createKubernetesExecutor wires the command executor to the Kubernetes transport. Checked through the fake API
 * server (a stand-in: no Kubernetes API server can run here) with a pod whose PATH has no gluster CLI, so the
 * outcome is the same on every machine: bash's own "command not found", carried back as the step's error.
 */
describe('createKubernetesExecutor', () => {
  let fake: FakeKubeApiServer;
  let scratch: Scratch;

  beforeAll(async () => {
    fake = await FakeKubeApiServer.start({ token: TOKEN });
    fake.pods = [{ name: 'gluster-a', namespace: NAMESPACE, labels: { 'glusterfs-node': 'node-a' }, env: { PATH: '/usr/bin:/bin' } }];
    scratch = new Scratch();
  });
  afterAll(async () => {
    await fake.stop();
    scratch.cleanup();
  });
  beforeEach(() => {
    fake.execs.length = 0;
  });

  const noServiceAccount = () => ({ serviceAccountDir: join(scratch.dir, 'none'), env: {} });

  it('runs the executor\'s command lines in the gluster pod of the host', async () => {
    const settings = settingsFor(fake, scratch, { gluster_cli_timeout: 42 });
    const executor = createKubernetesExecutor(settings, noServiceAccount());
    expect(executor.kind).toBe('kubernetes');

    const err = await rejectionOf(executor.glusterdCheck('node-a'));
    expect(err).toBeInstanceOf(ExecutorError);
    expect((err as ExecutorError).step).toBe('glusterd check');
    expect(err.message).toMatch(/gluster: command not found/);
    expect(fake.execs).toHaveLength(1);
    expect(fake.execs[0]).toMatchObject({ pod: 'gluster-a', container: 'glusterfs' });
    const [timeout, limit, bash, dashC, line] = fake.execs[0]!.command;
    expect([timeout, bash, dashC, line]).toEqual(['timeout', 'bash', '-c', gluster.glusterdCheck(settings)]);
    // The gluster CLI's own --timeout plus the executor's margin, in whole seconds.
    expect(limit).toMatch(/^\d+s$/);
    expect(parseInt(limit!, 10)).toBeGreaterThan(42);
    await executor.close();
  });

  it('refuses a bad hostname before anything reaches the API server', async () => {
    const executor = createKubernetesExecutor(settingsFor(fake, scratch), noServiceAccount());
    await expect(executor.glusterdCheck('node-a; reboot')).rejects.toThrow(/hostname/);
    expect(fake.execs).toHaveLength(0);
    await executor.close();
  });

  it('fails at once without credentials', () => {
    expect(() => createKubernetesExecutor(kubeExecSchema.parse({}), noServiceAccount())).toThrow(/^no Kubernetes credentials/);
  });
});
