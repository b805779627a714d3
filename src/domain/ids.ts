import { randomBytes } from 'node:crypto';

/** Heketi ids: 32 lowercase hex characters. */
export const ID_PATTERN = /^[0-9a-f]{32}$/;

export function newId(): string {
  return randomBytes(16).toString('hex');
}

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}
