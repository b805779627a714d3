import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { CommandOutcomeUnknownError, KubernetesTransport } from '../../src/executors/kubernetes/kube-transport';
import { ExecutorError } from '../../src/executors/types';
import { FakeKubeApiServer } from '../support/fake-kube-apiserver';
import { NAMESPACE, rejectionOf, Scratch, TOKEN, transportFor } from './kube-test-helpers';

/**
 * The transport end to end over real HTTPS and WebSocket connections to the fake API server (a stand-in: no
 * Kubernetes API server can run here), which runs each exec'd argv for real on this machine.
 */
describe('KubernetesTransport', () => {
  let fake: FakeKubeApiServer;
  let scratch: Scratch;
  let transport: KubernetesTransport;
  const run = { timeoutMs: 10_000, idempotent: true };
  const once = { timeoutMs: 10_000, idempotent: false };

  beforeAll(async () => {
    fake = await FakeKubeApiServer.start({ token: TOKEN });
    scratch = new Scratch();
  });
  afterAll(async () => {
    await fake.stop();
    scratch.cleanup();
  });
  beforeEach(() => {
    fake.token = TOKEN;
    fake.forbidExec = false;
    fake.clearDisruptions();
    fake.execs.length = 0;
    fake.pods = [
      { name: 'gluster-a', namespace: NAMESPACE, labels: { 'glusterfs-node': 'node-a' } },
      { name: 'glusterfs-ds-b', namespace: NAMESPACE, labels: { glusterfs: 'pod' }, nodeName: 'node-b' },
    ];
    transport = transportFor(fake, scratch);
  });
  afterEach(() => transport.close());

  const appendedLines = (pod: string, file: string) =>
    readFileSync(join(fake.podDir(pod), file), 'utf8').split('\n').filter((l) => l !== '');

  it('runs the command in the pod of the host and brings back stdout, stderr and the exit code', async () => {
    await expect(transport.run('node-a', 'echo "out $HOSTNAME"; echo err >&2', run)).resolves.toEqual({
      stdout: 'out gluster-a\n',
      stderr: 'err\n',
      exitCode: 0,
    });
    // The daemonset pod of node-b, found through its node.
    await expect(transport.run('node-b', 'echo $HOSTNAME', run)).resolves.toMatchObject({ stdout: 'glusterfs-ds-b\n' });
  });

  it('sends the command line as one argument of timeout <N>s bash -c', async () => {
    await transport.run('node-a', 'true', { timeoutMs: 2500, idempotent: true });
    expect(fake.execs).toEqual([
      {
        namespace: NAMESPACE,
        pod: 'gluster-a',
        container: 'glusterfs',
        command: ['timeout', '3s', 'bash', '-c', 'true'],
        protocol: 'v5.channel.k8s.io',
      },
    ]);
  });

  it('returns a non-zero exit code as a result, with what the command said', async () => {
    await expect(transport.run('node-a', 'echo partial; echo "no such volume" >&2; exit 2', once)).resolves.toEqual({
      stdout: 'partial\n',
      stderr: 'no such volume\n',
      exitCode: 2,
    });
  });

  it('delivers quotes, spaces, $(...), backticks and newlines exactly as the command line says', async () => {
    // The command line is already shell-escaped by the command builders; bash -c must see it unchanged.
    const args = ['two  spaces', `it's`, '"double"', '$(echo injected)', '`echo injected`', 'a;b&&c|d', 'line1\nline2', 'ünï'];
    const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const result = await transport.run('node-a', `printf '[%s]\\n' ${quoted}`, run);
    expect(result.stdout).toBe(args.map((a) => `[${a}]\n`).join(''));
    expect(fake.execs[0]!.command[4]).toBe(`printf '[%s]\\n' ${quoted}`);
  });

  it('brings back large output whole', async () => {
    const result = await transport.run('node-a', "head -c 3000000 /dev/zero | tr '\\0' x; echo; seq 1 20000 >&2", run);
    expect(result.stdout).toHaveLength(3_000_001);
    expect(result.stderr.split('\n')).toHaveLength(20_001);
  });

  it('stops a command that runs past its timeout and says so', async () => {
    const started = Date.now();
    const err = await rejectionOf(transport.run('node-a', 'sleep 20', { timeoutMs: 1000, idempotent: true }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err).toBeInstanceOf(ExecutorError);
    expect(err.message).toBe('command timed out after 1s in pod gluster-a: sleep 20');
    expect((err as ExecutorError).transient).toBe(true);
    expect(fake.execs).toHaveLength(1);
  });

  it('gives up on an exec that never answers, without repeating it', async () => {
    const impatient = transportFor(fake, scratch, {}, { deadlineGraceMs: 300 });
    fake.disruptNextExecs(2, 'stall');
    const err = await rejectionOf(impatient.run('node-a', 'true', { timeoutMs: 1000, idempotent: true }));
    expect(err).toBeInstanceOf(ExecutorError);
    expect(err.message).toBe(`exec in pod ${NAMESPACE}/gluster-a: no exit status within 1300 ms; the command may still be running`);
    const unsafe = await rejectionOf(impatient.run('node-a', 'true', { timeoutMs: 1000, idempotent: false }));
    expect(unsafe).toBeInstanceOf(CommandOutcomeUnknownError);
    expect(fake.execs).toHaveLength(2);
  });

  describe('when the connection drops before the exit status', () => {
    it('runs an idempotent command again', async () => {
      fake.disruptNextExecs(1, 'drop-after-exit');
      await expect(transport.run('node-a', 'echo ran >> runs.log; echo done', run)).resolves.toEqual({
        stdout: 'done\n',
        stderr: '',
        exitCode: 0,
      });
      // It really ran twice: exactly why only idempotent commands may be repeated.
      expect(appendedLines('gluster-a', 'runs.log')).toEqual(['ran', 'ran']);
      expect(fake.execs).toHaveLength(2);
    });

    it('runs an idempotent command again after a drop in the middle of its output', async () => {
      fake.disruptNextExecs(1, 'drop-after-output');
      await expect(transport.run('node-a', 'echo first; sleep 0.2; echo second', run)).resolves.toMatchObject({
        stdout: 'first\nsecond\n',
      });
      expect(fake.execs).toHaveLength(2);
    });

    it('does not repeat a non-idempotent command and says it may or may not have run', async () => {
      fake.disruptNextExecs(1, 'drop-after-exit');
      const err = await rejectionOf(transport.run('node-a', 'echo ran >> create.log', once));
      expect(err).toBeInstanceOf(CommandOutcomeUnknownError);
      expect(err.message).toMatch(
        new RegExp(
          `^exec in pod ${NAMESPACE}/gluster-a: connection closed before the command reported its exit status \\(.*\\); ` +
            'the command may or may not have run and is not safe to repeat: echo ran >> create.log$',
        ),
      );
      expect((err as ExecutorError).transient).toBe(false);
      expect(appendedLines('gluster-a', 'create.log')).toEqual(['ran']);
      expect(fake.execs).toHaveLength(1);
    });

    it('cannot tell a drop before the command ran from one after, so treats both alike', async () => {
      fake.disruptNextExecs(1, 'drop-before-run');
      await expect(transport.run('node-a', 'true', once)).rejects.toBeInstanceOf(CommandOutcomeUnknownError);
      expect(fake.execs).toHaveLength(1);
    });

    it('stops retrying after the configured number of tries', async () => {
      fake.disruptNextExecs(3, 'drop-after-exit');
      const err = await rejectionOf(transport.run('node-a', 'true', run));
      expect(err).toBeInstanceOf(ExecutorError);
      expect(err).not.toBeInstanceOf(CommandOutcomeUnknownError);
      expect(err.message).toMatch(/connection closed before the command reported its exit status .* \(after 3 tries\)$/);
      expect((err as ExecutorError).transient).toBe(true);
      expect(fake.execs).toHaveLength(3);
    });
  });

  it('looks the pod up again when it was replaced, and runs even a non-idempotent command there', async () => {
    await transport.run('node-a', 'true', run);
    fake.pods[0] = { name: 'gluster-a-2', namespace: NAMESPACE, labels: { 'glusterfs-node': 'node-a' } };
    // The exec to the cached, now deleted pod is refused with 404 before anything runs: safe to try again.
    await expect(transport.run('node-a', 'echo $HOSTNAME', once)).resolves.toMatchObject({ stdout: 'gluster-a-2\n' });
    expect(fake.execs.map((e) => e.pod)).toEqual(['gluster-a', 'gluster-a-2']);
  });

  it('tries again, even a non-idempotent command, when the API server refused the exec for want of the kubelet', async () => {
    fake.disruptNextExecs(2, 'refuse-503');
    await expect(transport.run('node-a', 'echo ran >> once.log', once)).resolves.toMatchObject({ exitCode: 0 });
    expect(appendedLines('gluster-a', 'once.log')).toEqual(['ran']);

    fake.disruptNextExecs(3, 'refuse-503');
    const err = await rejectionOf(transport.run('node-a', 'true', once));
    expect(err).not.toBeInstanceOf(CommandOutcomeUnknownError);
    expect(err.message).toBe(
      `exec in pod ${NAMESPACE}/gluster-a: the Kubernetes API at ${fake.url} answered 503: ` +
        'error dialing backend: dial tcp 127.0.0.1:10250: connect: connection refused (after 3 tries)',
    );
    expect((err as ExecutorError).transient).toBe(true);
  });

  it('reports a missing pods/exec permission with the API server\'s words, once', async () => {
    fake.forbidExec = true;
    const err = await rejectionOf(transport.run('node-a', 'true', run));
    expect(err.message).toBe(
      `exec in pod ${NAMESPACE}/gluster-a: not allowed by the Kubernetes API at ${fake.url} (403 Forbidden): ` +
        `pods "gluster-a" is forbidden: User "system:serviceaccount:${NAMESPACE}:brickyard" cannot create resource ` +
        `"pods/exec" in API group "" in the namespace "${NAMESPACE}"`,
    );
    expect((err as ExecutorError).transient).toBe(false);
  });

  it('reports a revoked token on exec as a credentials problem and runs nothing', async () => {
    await transport.run('node-a', 'true', run); // the pod is now cached; the next call goes straight to exec
    fake.token = 'rotated-token';
    const err = await rejectionOf(transport.run('node-a', 'touch should-not-exist', once));
    expect(err).toBeInstanceOf(ExecutorError);
    expect(err).not.toBeInstanceOf(CommandOutcomeUnknownError);
    expect(err.message).toBe(
      `exec in pod ${NAMESPACE}/gluster-a: the Kubernetes API at ${fake.url} rejected the credentials (401 Unauthorized): Unauthorized`,
    );
    expect((err as ExecutorError).transient).toBe(false);
    expect(fake.execs).toHaveLength(1);
  });

  it('tries a pod lookup again when the API server did not answer, since nothing ran yet', async () => {
    const patient = transportFor(fake, scratch, {}, { podFinder: { requestTimeoutMs: 200 } });
    fake.stallNextLists(1);
    await expect(patient.run('node-a', 'echo $HOSTNAME', once)).resolves.toMatchObject({ stdout: 'gluster-a\n' });
    expect(fake.execs).toHaveLength(1);
  });

  it('passes pod lookup errors through with the host', async () => {
    const err = await rejectionOf(transport.run('node-z', 'true', run));
    expect(err).toBeInstanceOf(ExecutorError);
    expect((err as ExecutorError).host).toBe('node-z');
    expect(err.message).toMatch(/^no gluster pod for host node-z/);
  });

  it('runs commands on several hosts at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => transport.run(i % 2 ? 'node-a' : 'node-b', `sleep 0.2; echo ${i}`, run)),
    );
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 8 }, (_, i) => `${i}\n`));
  });

  it('refuses to run after close', async () => {
    await transport.close();
    await expect(transport.run('node-a', 'true', run)).rejects.toThrow('kubernetes transport is closed');
  });
});

describe('KubernetesTransport against an API server that speaks only v4.channel.k8s.io over plain HTTP', () => {
  let fake: FakeKubeApiServer;
  let scratch: Scratch;

  beforeAll(async () => {
    fake = await FakeKubeApiServer.start({ tls: false, token: TOKEN, protocols: ['v4.channel.k8s.io'] });
    fake.pods = [{ name: 'gluster-a', namespace: NAMESPACE, labels: { 'glusterfs-node': 'node-a' } }];
    scratch = new Scratch();
  });
  afterAll(async () => {
    await fake.stop();
    scratch.cleanup();
  });

  it('runs commands over v4', async () => {
    const transport = transportFor(fake, scratch, { insecure: true });
    await expect(transport.run('node-a', 'echo v4; exit 7', { timeoutMs: 5000, idempotent: true })).resolves.toEqual({
      stdout: 'v4\n',
      stderr: '',
      exitCode: 7,
    });
    expect(fake.execs[0]!.protocol).toBe('v4.channel.k8s.io');
  });
});
