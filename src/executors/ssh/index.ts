import { readFileSync } from 'node:fs';

import type { Logger } from 'pino';
import type { SshExecConfig } from '../../config/schema';
import { CommandExecutor, type CommandExecutorOptions } from '../command-executor';
import { LoggingTransport } from '../logging-transport';
import type { StorageExecutor } from '../types';
import { KnownHostsPolicy, PinnedHostKeys, type HostKeyPolicy } from './host-keys';
import { SshTransport } from './ssh-transport';

export { CommandMayHaveRunError, SshTransport, type SshTransportOptions } from './ssh-transport';
export { KnownHostsPolicy, PinnedHostKeys, type HostKeyPolicy } from './host-keys';
export { fingerprint } from './known-hosts';

/** Host keys checked against `known_hosts` when configured, else pinned on first use (in `pinned_host_keys` or in memory). */
export function hostKeyPolicy(config: Pick<SshExecConfig, 'known_hosts' | 'pinned_host_keys'>): HostKeyPolicy {
  return config.known_hosts !== '' ? new KnownHostsPolicy(config.known_hosts) : new PinnedHostKeys(config.pinned_host_keys);
}

export function createSshTransport(config: SshExecConfig): SshTransport {
  if (config.keyfile === '') throw new Error('sshexec.keyfile must name the private key used to log in to storage nodes');
  let privateKey: Buffer;
  try {
    privateKey = readFileSync(config.keyfile);
  } catch (err) {
    throw new Error(`sshexec.keyfile ${config.keyfile} cannot be read: ${(err as Error).message}`);
  }
  return new SshTransport({
    user: config.user,
    privateKey,
    port: config.port,
    sudo: config.sudo,
    hostKeys: hostKeyPolicy(config),
    maxChannels: config.max_channels,
    connectTimeoutMs: config.connect_timeout * 1000,
  });
}

/** The ssh executor: Brickyard's command sequences over pooled ssh connections to the nodes' manage hostnames. */
export function createSshExecutor(
  config: SshExecConfig,
  options: Pick<CommandExecutorOptions, 'warn'> & { log?: Logger } = {},
): StorageExecutor & { close(): Promise<void> } {
  const { log, ...rest } = options;
  const transport = createSshTransport(config);
  return new CommandExecutor(log ? new LoggingTransport(transport, log) : transport, config, { ...rest, kind: 'ssh' });
}
