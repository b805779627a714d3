import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Config } from './config/schema';

/** A start-up problem with the TLS settings, told in one line. */
export class TlsConfigError extends Error {
  override name = 'TlsConfigError';
}

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

function readSetting(config: Config, key: 'cert_file' | 'key_file'): Buffer {
  const file = config[key];
  if (!file) throw new TlsConfigError(`enable_tls is true but ${key} is not set`);
  try {
    return readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new TlsConfigError(`cannot read ${key} ${file}: ${e.code ?? e.message}`);
  }
}

/**
 * `enable_tls`, `cert_file`, `key_file` as Heketi reads them: undefined when TLS is off; otherwise both files,
 * read and checked to form a usable pair now, so that a bad setting stops the start instead of the first client.
 */
export function loadTlsFiles(config: Config): TlsFiles | undefined {
  if (!config.enable_tls) return undefined;
  const files = { cert: readSetting(config, 'cert_file'), key: readSetting(config, 'key_file') };
  try {
    createSecureContext(files);
  } catch (err) {
    throw new TlsConfigError(
      `cert_file ${config.cert_file} and key_file ${config.key_file} are not a usable PEM certificate and key: ${(err as Error).message}`,
    );
  }
  return files;
}
