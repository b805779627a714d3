import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { algorithmsForKeyType, fingerprint, keyTypeOf, knownHostsName, parseKnownHosts, patternsMatch, type KnownHostEntry } from './known-hosts';

/** Decides whether a server's host key is the right one. */
export interface HostKeyPolicy {
  /** Host key algorithms to offer for this host, so the server shows the key type we know; undefined: ssh2's own list. */
  algorithmsFor(host: string, port: number): string[] | undefined;
  /** null when the key is accepted, otherwise why it is refused. */
  check(host: string, port: number, key: Buffer): string | null;
}

function offeredAlgorithms(entries: KnownHostEntry[]): string[] | undefined {
  const algorithms = [...new Set(entries.flatMap((e) => algorithmsForKeyType(e.keyType)))];
  return algorithms.length > 0 ? algorithms : undefined;
}

/** Verifies against an OpenSSH known_hosts file, read again on every connection so edits take effect. */
export class KnownHostsPolicy implements HostKeyPolicy {
  constructor(private readonly path: string) {}

  private entriesFor(host: string, port: number): { keys: KnownHostEntry[]; revoked: KnownHostEntry[] } {
    const all = parseKnownHosts(readFileSync(this.path, 'utf8'));
    return {
      keys: all.filter((e) => e.marker === '' && patternsMatch(e.patterns, host, port)),
      revoked: all.filter((e) => e.marker === '@revoked'),
    };
  }

  algorithmsFor(host: string, port: number): string[] | undefined {
    try {
      return offeredAlgorithms(this.entriesFor(host, port).keys);
    } catch {
      return undefined; // an unreadable file is reported by check()
    }
  }

  check(host: string, port: number, key: Buffer): string | null {
    let found: ReturnType<KnownHostsPolicy['entriesFor']>;
    try {
      found = this.entriesFor(host, port);
    } catch (err) {
      return `cannot read known_hosts ${this.path}: ${(err as Error).message}`;
    }
    const name = knownHostsName(host, port);
    if (found.revoked.some((e) => e.key.equals(key))) return `host key ${fingerprint(key)} of ${name} is marked @revoked in ${this.path}`;
    if (found.keys.some((e) => e.key.equals(key))) return null;
    if (found.keys.length === 0)
      return `host ${name} is not in known_hosts ${this.path} (it presented ${keyTypeOf(key)} key ${fingerprint(key)})`;
    const known = found.keys.map((e) => `${e.keyType} ${fingerprint(e.key)} (line ${e.line})`).join(', ');
    return `HOST KEY MISMATCH for ${name}: it presented ${keyTypeOf(key)} key ${fingerprint(key)}, known_hosts ${this.path} has ${known}`;
  }
}

/**
 * Trust on first use: the first key a host shows is recorded (in `path`, known_hosts format, or in
 * memory when no path is given) and any other key later is refused.
 */
export class PinnedHostKeys implements HostKeyPolicy {
  private pins: KnownHostEntry[] | undefined;

  constructor(private readonly path: string) {}

  private load(): KnownHostEntry[] {
    if (this.pins === undefined) {
      let text = '';
      if (this.path !== '') {
        try {
          text = readFileSync(this.path, 'utf8');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
      this.pins = parseKnownHosts(text);
    }
    return this.pins;
  }

  private pinsFor(host: string, port: number): KnownHostEntry[] {
    return this.load().filter((e) => e.marker === '' && patternsMatch(e.patterns, host, port));
  }

  algorithmsFor(host: string, port: number): string[] | undefined {
    return offeredAlgorithms(this.pinsFor(host, port));
  }

  check(host: string, port: number, key: Buffer): string | null {
    const name = knownHostsName(host, port);
    const pinned = this.pinsFor(host, port);
    if (pinned.some((e) => e.key.equals(key))) return null;
    if (pinned.length > 0) {
      const was = pinned.map((e) => `${e.keyType} ${fingerprint(e.key)}`).join(', ');
      return (
        `HOST KEY CHANGED for ${name}: it presented ${keyTypeOf(key)} key ${fingerprint(key)}, but ${was} was recorded` +
        `${this.path ? ` in ${this.path}` : ''} when first seen; remove that entry if the change is expected`
      );
    }
    const entry: KnownHostEntry = { marker: '', patterns: name, keyType: keyTypeOf(key), key, line: 0 };
    if (this.path !== '') {
      mkdirSync(dirname(this.path), { recursive: true });
      appendFileSync(this.path, `${name} ${entry.keyType} ${key.toString('base64')}\n`, { mode: 0o600 });
    }
    this.load().push(entry);
    return null;
  }
}
