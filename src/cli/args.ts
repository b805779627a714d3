import { readFile } from 'node:fs/promises';
import { ID_PATTERN } from '../domain/ids';
import { MAX_TAGS, tagProblem } from '../domain/names';
import { CliError } from './errors';

/** Parsers for flag values; each names the flag in its message so the operator knows what to fix. */

export function wholeNumber(flag: string, raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^-?\d+$/.test(raw.trim())) throw new CliError(`${flag} must be a whole number, not "${raw}"`);
  const n = Number(raw.trim());
  if (n < min) throw new CliError(`${flag} must be at least ${min}`);
  if (n > max) throw new CliError(`${flag} must be at most ${max}`);
  return n;
}

export function decimal(flag: string, raw: string, min: number, max: number): number {
  const n = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(n)) throw new CliError(`${flag} must be a number, not "${raw}"`);
  if (n < min || n > max) throw new CliError(`${flag} must be between ${min} and ${max}`);
  return n;
}

export function boolean(flag: string, raw: string | boolean | undefined, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  if (raw === true || raw === 'true' || raw === '1' || raw === 'yes') return true;
  if (raw === false || raw === 'false' || raw === '0' || raw === 'no') return false;
  throw new CliError(`${flag} must be true or false, not "${raw}"`);
}

/** heketi-cli splits lists on commas and keeps empty items out. */
export function commaList(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function oneOf<T extends string>(flag: string, raw: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new CliError(`${flag} must be one of ${allowed.join(', ')}, not "${raw}"`);
}

/** An id given on the command line: present (else heketi-cli's "<Kind> id missing") and 32 hex digits. */
export function requireId(kind: string, raw: string | undefined): string {
  if (raw === undefined || raw === '') throw new CliError(`${kind} id missing`);
  const id = raw.toLowerCase();
  if (!ID_PATTERN.test(id)) throw new CliError(`${kind} id "${raw}" is not valid: ids are 32 hexadecimal characters`);
  return id;
}

/** `key:value,key2:value2` as heketi-cli's --tags. */
export function tags(flag: string, raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of commaList(raw)) {
    const colon = item.indexOf(':');
    if (colon <= 0) throw new CliError(`${flag}: "${item}" must be key:value`);
    const key = item.slice(0, colon);
    const value = item.slice(colon + 1);
    const problem = tagProblem(key, value);
    if (problem) throw new CliError(`${flag}: ${problem}`);
    out[key] = value;
  }
  if (Object.keys(out).length > MAX_TAGS) throw new CliError(`${flag}: at most ${MAX_TAGS} tags`);
  return out;
}

/** The text of a file a flag names; one that cannot be read is an operator's error (its errno), not a crash. */
export async function readNamedFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`${path}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
