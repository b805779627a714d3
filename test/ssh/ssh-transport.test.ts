import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { shellCommand } from '../../src/executors/commands/shell';
import { hashHostName } from '../../src/executors/ssh/known-hosts';
import { CommandMayHaveRunError, KnownHostsPolicy, PinnedHostKeys, SshTransport, type SshTransportOptions } from '../../src/executors/ssh';
import { ExecutorError } from '../../src/executors/types';
import { NetnsHosts } from '../support/netns-sshd';

/**
 * The ssh transport against real OpenSSH servers: three test hosts in network namespaces on this
 * machine (test/support/netns-sshd.sh), made before and removed after this file.
 */
jest.setTimeout(60_000);

let hosts: NetnsHosts;
let scratch: string;
const open: SshTransport[] = [];
const ip = (i: number): string => hosts.host(i).ip;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'brickyard-ssh-test-'));
  hosts = await NetnsHosts.start({ count: 3 });
});

afterAll(async () => {
  await Promise.all(open.map((t) => t.close()));
  if (hosts) await hosts.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function transport(overrides: Partial<SshTransportOptions> = {}): SshTransport {
  const t = new SshTransport({
    user: 'root',
    privateKey: hosts.clientKey,
    port: 22,
    sudo: false,
    hostKeys: new PinnedHostKeys(''),
    maxChannels: 8,
    connectTimeoutMs: 5000,
    ...overrides,
  });
  open.push(t);
  return t;
}

const quick = { timeoutMs: 10_000, idempotent: true };
const fingerprintByOpenSsh = (publicKey: string): string => {
  const file = join(scratch, `fp-${randomBytes(4).toString('hex')}.pub`);
  writeFileSync(file, `${publicKey}\n`);
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file], { encoding: 'utf8' }).split(' ')[1]!;
};

describe('authentication', () => {
  test('key authentication as root; stdout, stderr and exit code come back', async () => {
    const t = transport();
    const result = await t.run(ip(1), 'id -un; hostname; echo oops >&2; exit 3', quick);
    expect(result).toEqual({ stdout: 'root\nbyhost1\n', stderr: 'oops\n', exitCode: 3 });
  });

  test('a key the host does not accept is refused, not retried, and says so', async () => {
    const t = transport({ privateKey: hosts.otherKey });
    const error = await t.run(ip(1), 'true', quick).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutorError);
    expect(error).toMatchObject({ host: ip(1), step: 'connect', transient: false });
    expect((error as Error).message).toMatch(new RegExp(`ssh authentication as root@${ip(1).replace(/\./g, '\\.')} failed`));
  });

  test('nobody listening: a transient connect error after the retries', async () => {
    const t = transport({ port: 2, retryDelayMs: 10 });
    await expect(t.run(ip(1), 'true', quick)).rejects.toMatchObject({ step: 'connect', transient: true, message: expect.stringMatching(/ECONNREFUSED.*after 3 tries/) });
  });
});

describe('one connection, several channels', () => {
  // Each command prints when it started and ended on the host's clock.
  const timed = (label: string): string => `echo ${label} $(date +%s.%N); sleep 1; echo ${label} $(date +%s.%N)`;
  const times = (stdout: string): [number, number] => {
    const [start, end] = stdout.trim().split('\n').map((l) => Number(l.split(' ')[1]));
    return [start!, end!];
  };

  test('4 commands at once run side by side over a single connection', async () => {
    const t = transport({ maxChannels: 8 });
    const results = await Promise.all([1, 2, 3, 4].map((n) => t.run(ip(2), timed(`c${n}`), quick)));
    const spans = results.map((r) => times(r.stdout));
    const lastStart = Math.max(...spans.map(([s]) => s));
    const firstEnd = Math.min(...spans.map(([, e]) => e));
    expect(lastStart).toBeLessThan(firstEnd); // all four were running at the same moment
    const { stdout } = await hosts.enter(2, "ss -Htn state established '( sport = :22 )' | wc -l");
    expect(stdout.trim()).toBe('1');
  });

  test('beyond max_channels commands wait for a free channel', async () => {
    const t = transport({ maxChannels: 2 });
    const results = await Promise.all([1, 2, 3, 4].map((n) => t.run(ip(2), timed(`q${n}`), quick)));
    const spans = results.map((r) => times(r.stdout)).sort((a, b) => a[0] - b[0]);
    // never more than two at once: the third starts only after one of the first two ended
    expect(spans[2]![0]).toBeGreaterThanOrEqual(Math.min(spans[0]![1], spans[1]![1]));
    expect(spans[1]![0]).toBeLessThan(spans[0]![1]);
  });

  test('large output arrives whole', async () => {
    const result = await transport().run(ip(2), "head -c 5000000 /dev/zero | tr '\\0' x; echo; head -c 300000 /dev/zero | tr '\\0' y >&2", quick);
    expect(result.stdout).toHaveLength(5_000_001);
    expect(result.stdout.startsWith('xxxx')).toBe(true);
    expect(result.stderr).toHaveLength(300_000);
  });
});

describe('timeouts', () => {
  test('a command over its time is stopped on the host and reported as a timeout; the connection stays usable', async () => {
    const t = transport();
    const tag = `${31 + Math.random()}`.slice(0, 8);
    const started = Date.now();
    const error = await t.run(ip(1), `sleep ${tag}; touch /tmp/should-not-exist-${tag}`, { timeoutMs: 1000, idempotent: true }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(error).toMatchObject({ step: 'exec', transient: true, message: expect.stringContaining('timed out after 1 s and was stopped on the node') });
    // nothing of the command is left on the host ([p]: the pattern does not match pgrep's own shell)
    const { stdout: left } = await hosts.enter(1, `pgrep -f 'slee[p] ${tag}' || true; ls /tmp/should-not-exist-${tag} 2>/dev/null || true`);
    expect(left.trim()).toBe('');
    await expect(t.run(ip(1), 'echo still here', quick)).resolves.toMatchObject({ stdout: 'still here\n' });
  });

  test('a command ignoring TERM is killed kill-after seconds later', async () => {
    const t = transport({ killAfterSeconds: 1 });
    const tag = `${41 + Math.random()}`.slice(0, 8);
    const started = Date.now();
    await expect(t.run(ip(1), `trap '' TERM; sleep ${tag}`, { timeoutMs: 500, idempotent: true })).rejects.toThrow(/timed out after 0.5 s/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    const { stdout: left } = await hosts.enter(1, `pgrep -f 'slee[p] ${tag}' || true`);
    expect(left.trim()).toBe('');
  });

  test('a command that exits 124 by itself before its deadline is a normal result', async () => {
    await expect(transport().run(ip(1), 'exit 124', quick)).resolves.toMatchObject({ exitCode: 124 });
  });
});

describe('a dropped connection', () => {
  // Each start leaves a line in a file on the host, so the test can count how often the command began.
  const counted = (file: string): string => `echo started >> ${file}; sleep 1; echo finished`;
  const starts = async (file: string): Promise<number> =>
    Number((await hosts.enter(1, `grep -c started ${file} || true`)).stdout.trim());

  test('an idempotent command is run again over a new connection', async () => {
    const t = transport();
    await t.run(ip(1), 'true', quick); // connection up
    const file = `/tmp/by-retry-${randomBytes(4).toString('hex')}`;
    const running = t.run(ip(1), counted(file), { timeoutMs: 10_000, idempotent: true });
    await new Promise((r) => setTimeout(r, 400));
    await hosts.dropConnections(1);
    await expect(running).resolves.toEqual({ stdout: 'finished\n', stderr: '', exitCode: 0 });
    expect(await starts(file)).toBe(2);
  });

  test('a command that is not idempotent is not sent again: the error says it may or may not have run', async () => {
    const t = transport();
    await t.run(ip(1), 'true', quick);
    const file = `/tmp/by-once-${randomBytes(4).toString('hex')}`;
    const running = t.run(ip(1), counted(file), { timeoutMs: 10_000, idempotent: false });
    await new Promise((r) => setTimeout(r, 400));
    await hosts.dropConnections(1);
    const error = await running.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandMayHaveRunError);
    expect(error).toMatchObject({ host: ip(1), transient: false, message: expect.stringContaining('may or may not have run') });
    expect(await starts(file)).toBe(1);
    // the next command gets a new connection
    await expect(t.run(ip(1), 'echo back', { timeoutMs: 10_000, idempotent: false })).resolves.toMatchObject({ stdout: 'back\n' });
  });

  test('sshd restarted while idle: the next command reconnects by itself', async () => {
    const t = transport();
    await t.run(ip(1), 'true', quick);
    await hosts.dropConnections(1);
    await new Promise((r) => setTimeout(r, 200));
    await expect(t.run(ip(1), 'echo fresh', { timeoutMs: 10_000, idempotent: false })).resolves.toMatchObject({ stdout: 'fresh\n' });
  });
});

describe('host keys', () => {
  const knownHosts = (lines: string[]): string => {
    const file = join(scratch, `known_hosts-${randomBytes(4).toString('hex')}`);
    writeFileSync(file, `# test file\n${lines.join('\n')}\n`);
    return file;
  };

  test('known_hosts: plain, hashed and wildcard entries pass', async () => {
    const plain = knownHosts([`${ip(1)} ${hosts.hostPublicKey(1)}`]);
    await expect(transport({ hostKeys: new KnownHostsPolicy(plain) }).run(ip(1), 'true', quick)).resolves.toMatchObject({ exitCode: 0 });
    const hashed = knownHosts([`${hashHostName(ip(1), randomBytes(20))} ${hosts.hostPublicKey(1)}`]);
    await expect(transport({ hostKeys: new KnownHostsPolicy(hashed) }).run(ip(1), 'true', quick)).resolves.toMatchObject({ exitCode: 0 });
    const wildcard = knownHosts([`10.214.0.*,!10.214.0.1 ${hosts.hostPublicKey(2)}`]);
    await expect(transport({ hostKeys: new KnownHostsPolicy(wildcard) }).run(ip(2), 'true', quick)).resolves.toMatchObject({ exitCode: 0 });
  });

  test('known_hosts generated by ssh-keyscan + ssh-keygen -H is understood', async () => {
    const scanned = execFileSync('ssh-keyscan', ['-t', 'ed25519', ip(2)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const file = knownHosts([scanned.trim()]);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    expect(readFileSync(file, 'utf8')).toMatch(/^\|1\|/m);
    await expect(transport({ hostKeys: new KnownHostsPolicy(file) }).run(ip(2), 'true', quick)).resolves.toMatchObject({ exitCode: 0 });
  });

  test('known_hosts with another key for the host: refused, naming the host and both fingerprints', async () => {
    const wrong = knownHosts([`${ip(1)} ${hosts.hostPublicKey(2)}`]);
    const error = await transport({ hostKeys: new KnownHostsPolicy(wrong) })
      .run(ip(1), 'true', quick)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ host: ip(1), step: 'connect', transient: false });
    const message = (error as Error).message;
    expect(message).toContain(`HOST KEY MISMATCH for ${ip(1)}`);
    expect(message).toContain(fingerprintByOpenSsh(hosts.hostPublicKey(1)));
    expect(message).toContain(fingerprintByOpenSsh(hosts.hostPublicKey(2)));
  });

  test('known_hosts without the host: refused', async () => {
    const other = knownHosts([`${ip(2)} ${hosts.hostPublicKey(2)}`]);
    await expect(transport({ hostKeys: new KnownHostsPolicy(other) }).run(ip(1), 'true', quick)).rejects.toMatchObject({
      transient: false,
      message: expect.stringContaining(`host ${ip(1)} is not in known_hosts`),
    });
  });

  test('first seen keys are pinned to a file; a changed key is refused with both fingerprints', async () => {
    const pins = join(scratch, 'pins', 'pinned_host_keys');
    const first = transport({ hostKeys: new PinnedHostKeys(pins) });
    await first.run(ip(3), 'true', quick);
    expect(readFileSync(pins, 'utf8')).toBe(`${ip(3)} ${hosts.hostPublicKey(3)}\n`);
    const oldKey = hosts.hostPublicKey(3);
    // a later process reading the same file trusts the same key
    await expect(transport({ hostKeys: new PinnedHostKeys(pins) }).run(ip(3), 'true', quick)).resolves.toMatchObject({ exitCode: 0 });

    await hosts.replaceHostKey(3);
    const error = await transport({ hostKeys: new PinnedHostKeys(pins) })
      .run(ip(3), 'true', quick)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ host: ip(3), step: 'connect', transient: false });
    const message = (error as Error).message;
    expect(message).toContain(`HOST KEY CHANGED for ${ip(3)}`);
    expect(message).toContain(fingerprintByOpenSsh(oldKey));
    expect(message).toContain(fingerprintByOpenSsh(hosts.hostPublicKey(3)));
    expect(readFileSync(pins, 'utf8')).toBe(`${ip(3)} ${oldKey}\n`); // the pin is not overwritten

    // the transport that pinned the old key refuses too once it has to reconnect
    await hosts.dropConnections(3);
    await new Promise((r) => setTimeout(r, 200));
    await expect(first.run(ip(3), 'true', quick)).rejects.toThrow(/HOST KEY CHANGED/);
  });

  test('pinning in memory when no file is configured', async () => {
    const policy = new PinnedHostKeys('');
    await transport({ hostKeys: policy }).run(ip(2), 'true', quick);
    expect(policy.check(ip(2), 22, Buffer.from('not the key'))).toMatch(/HOST KEY CHANGED/);
  });
});

describe('sudo and quoting', () => {
  const awkward = ["it's", 'two  spaces', '$(touch /tmp/pwned)', '`id`', '"dq"', 'semi;colon', 'back\\slash', '*', '', 'ünï ✓'];
  const echoWords = shellCommand('printf', '%s\\0', ...awkward);

  test('arguments with quotes, spaces and $(...) arrive literally', async () => {
    const result = await transport().run(ip(2), echoWords, quick);
    expect(result.stdout.split('\0').slice(0, -1)).toEqual(awkward);
    const { stdout } = await hosts.enter(2, 'ls /tmp/pwned 2>/dev/null || echo absent');
    expect(stdout.trim()).toBe('absent');
  });

  test('as a non-root user with sudo: commands run as root, arguments still literal', async () => {
    const t = transport({ user: 'byuser', sudo: true });
    await expect(t.run(ip(2), 'id -u; id -un', quick)).resolves.toMatchObject({ stdout: '0\nroot\n', exitCode: 0 });
    const result = await t.run(ip(2), echoWords, quick);
    expect(result.stdout.split('\0').slice(0, -1)).toEqual(awkward);
  });

  test('the same user without sudo stays itself', async () => {
    await expect(transport({ user: 'byuser' }).run(ip(2), 'id -u', quick)).resolves.toMatchObject({ stdout: '4242\n' });
  });
});

test('a closed transport runs nothing', async () => {
  const t = transport();
  await t.run(ip(1), 'true', quick);
  await t.close();
  await expect(t.run(ip(1), 'true', quick)).rejects.toMatchObject({ message: 'ssh transport is closed', transient: false });
});
