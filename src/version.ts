import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Brickyard's version from its package.json, found upward from this file (src/ when run by jest, dist/src/
 * when built), for the server and the CLI alike.
 */
export function packageVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'brickyard') return pkg.version ?? 'unknown';
    }
  }
  return 'unknown';
}
