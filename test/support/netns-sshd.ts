import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Real sshd test hosts on this machine: network namespaces on a private bridge (10.214.0.0/24), each
 * with its own sshd, users root and byuser (passwordless sudo), a private /etc, /run and
 * /var/lib/heketi, and optionally glusterd and loop-device disks. See netns-sshd.sh (needs root).
 */
const SCRIPT = join(__dirname, 'netns-sshd.sh');
const run = promisify(execFile);

export interface TestHost {
  index: number;
  ip: string;
  namespace: string;
  /** Loop devices given to this host (visible to every host: /dev is shared). */
  disks: string[];
}

export interface NetnsHostsOptions {
  count: number;
  glusterd?: boolean;
  /** Loop-device disks per host (640 MiB sparse files). */
  disks?: number;
}

export class NetnsHosts {
  private constructor(
    readonly dir: string,
    readonly hosts: TestHost[],
  ) {}

  static async start(options: NetnsHostsOptions): Promise<NetnsHosts> {
    const dir = mkdtempSync('/tmp/brickyard-netns-');
    const args = ['up', dir, String(options.count)];
    if (options.glusterd) args.push('--glusterd');
    if (options.disks) args.push('--disks', String(options.disks));
    try {
      const { stdout } = await run(SCRIPT, args, { env: { ...process.env, NETNS_OWNER_PID: String(process.pid) } });
      const hosts = stdout
        .trim()
        .split('\n')
        .map((line) => {
          const [index = '', ip = '', namespace = '', ...disks] = line.trim().split(/\s+/);
          return { index: Number(index), ip, namespace, disks };
        });
      return new NetnsHosts(dir, hosts);
    } catch (err) {
      await run(SCRIPT, ['down', dir]).catch(() => undefined);
      throw err;
    }
  }

  host(index: number): TestHost {
    const host = this.hosts.find((h) => h.index === index);
    if (!host) throw new Error(`no test host ${index}`);
    return host;
  }

  /** The private key every host accepts for root and byuser. */
  get clientKeyPath(): string {
    return join(this.dir, 'client_key');
  }

  get clientKey(): Buffer {
    return readFileSync(this.clientKeyPath);
  }

  /** A key no host accepts. */
  get otherKey(): Buffer {
    return readFileSync(join(this.dir, 'other_key'));
  }

  /** "ssh-ed25519 AAAA..." of a host's current host key. */
  hostPublicKey(index: number): string {
    const [type, key] = readFileSync(join(this.dir, `host${index}`, 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/);
    return `${type} ${key}`;
  }

  /** Runs a command as root inside a host (not over ssh): for setting up and inspecting. */
  async enter(index: number, command: string): Promise<{ stdout: string; stderr: string }> {
    return run(SCRIPT, ['enter', this.dir, String(index), '/bin/bash', '-c', command]);
  }

  /** A new host key for a host; its sshd restarts (existing connections stay up). */
  async replaceHostKey(index: number): Promise<void> {
    const key = join(this.dir, `host${index}`, 'ssh_host_ed25519_key');
    await run('/bin/bash', ['-c', `rm -f "$0" "$0.pub" && ssh-keygen -q -t ed25519 -N '' -C replaced -f "$0"`, key]);
    await run(SCRIPT, ['restart-sshd', this.dir, String(index)]);
  }

  /** Kills the sshd processes serving the host's current connections, as a crash or a network cut would. */
  async dropConnections(index: number): Promise<void> {
    await run(SCRIPT, ['drop-connections', this.dir, String(index)]);
  }

  async stop(): Promise<void> {
    await run(SCRIPT, ['down', this.dir]);
  }
}
