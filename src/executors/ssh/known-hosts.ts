import { createHash, createHmac } from 'node:crypto';

/**
 * OpenSSH known_hosts files: `[@marker] patterns keytype base64-key [comment]`, where patterns are
 * comma-separated host names, `[host]:port` for other ports than 22, `*` / `?` wildcards, `!` negations,
 * or a hashed name `|1|<base64 salt>|<base64 HMAC-SHA1(salt, name)>`.
 */
export interface KnownHostEntry {
  marker: '' | '@revoked' | '@cert-authority';
  patterns: string;
  keyType: string;
  /** The public key blob in SSH wire format (what the server presents). */
  key: Buffer;
  line: number;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    const marker = fields[0] === '@revoked' || fields[0] === '@cert-authority' ? (fields.shift() as KnownHostEntry['marker']) : '';
    const [patterns, keyType, base64] = fields;
    if (!patterns || !keyType || !base64) return; // not a host key line; OpenSSH skips these too
    entries.push({ marker, patterns, keyType, key: Buffer.from(base64, 'base64'), line: index + 1 });
  });
  return entries;
}

/** How known_hosts names a host: the name alone on port 22, `[name]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function wildcardMatch(pattern: string, name: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 'i').test(name);
}

function hashedMatch(pattern: string, name: string): boolean {
  const [, kind, salt, hash] = pattern.split('|');
  if (kind !== '1' || !salt || !hash) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
}

/** Whether an entry's patterns name this host: some pattern matches and no negated pattern does. */
export function patternsMatch(patterns: string, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  let matched = false;
  for (const pattern of patterns.split(',')) {
    if (pattern.startsWith('|')) {
      if (hashedMatch(pattern, name)) matched = true;
      continue;
    }
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    if (wildcardMatch(body, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** `hashed` entry patterns as `ssh-keygen -H` writes them, for tests and for pinning files. */
export function hashHostName(name: string, salt: Buffer): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

/** The key type named inside an SSH public key blob (its first length-prefixed string). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return '';
  const length = key.readUInt32BE(0);
  return key.subarray(4, 4 + length).toString('latin1');
}

/** OpenSSH's fingerprint: SHA256:<unpadded base64 of the blob's SHA-256>. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** Host key algorithms ssh2 can ask for that produce a key of this type. */
export function algorithmsForKeyType(keyType: string): string[] {
  switch (keyType) {
    case 'ssh-rsa':
      return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
    case 'ssh-ed25519':
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521':
    case 'ssh-dss':
      return [keyType];
    default:
      return [];
  }
}
