import { readFileSync } from 'node:fs';
import { HeketiClient } from '../client/heketi-client';
import type { ClientTls } from '../client/http-exchange';
import { parseServerUrl } from '../client/server-url';
import { CliError } from './errors';

/**
 * Connection settings as heketi-cli takes them: flags first, then HEKETI_CLI_SERVER / _USER / _KEY; for https://
 * servers a CA file (--tls-cert, HEKETI_CLI_TLS_CERT) or no verification (--insecure-tls, HEKETI_CLI_INSECURE_TLS).
 */
export interface ConnectionFlags {
  server?: string;
  user?: string;
  secret?: string;
  tlsCert?: string;
  insecureTls?: boolean;
}

export interface Connection {
  server: string;
  user: string;
  key: string;
  tls?: ClientTls;
}

function envTrue(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes)$/i.test(value);
}

function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CliError(`Cannot read the TLS certificate file ${file}: ${e.code ?? e.message}`);
  }
}

export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv): Connection {
  const server = flags.server || env.HEKETI_CLI_SERVER || '';
  if (!server) throw new CliError('Server must be provided: use -s/--server or set HEKETI_CLI_SERVER');
  const caFile = flags.tlsCert || env.HEKETI_CLI_TLS_CERT || '';
  const insecure = flags.insecureTls === true || envTrue(env.HEKETI_CLI_INSECURE_TLS);
  return {
    server: normalizeServer(server),
    user: flags.user || env.HEKETI_CLI_USER || '',
    key: flags.secret || env.HEKETI_CLI_KEY || '',
    tls: caFile || insecure ? { ca: caFile ? readCa(caFile) : undefined, insecure } : undefined,
  };
}

/** Accepts `host:port` as well as a URL; only http and https make sense. */
export function normalizeServer(raw: string): string {
  const parsed = parseServerUrl(raw);
  if ('problem' in parsed) throw new CliError(`Server "${raw}" ${parsed.problem}`);
  return parsed.url;
}

/** Poll the queue quickly at first (most operations finish within a second), then every 400 ms. */
export function clientFor(connection: Connection): HeketiClient {
  return new HeketiClient(connection.server, {
    user: connection.user,
    key: connection.key,
    firstPollMs: 25,
    pollIntervalMs: 400,
    tls: connection.tls,
  });
}
