import { validationError } from '../../domain/errors';
import { ID_PATTERN } from '../../domain/ids';
import { devicePathProblem, glusterOptionProblem, hostnameProblem, volumeNameProblem } from '../../domain/names';
import type { BrickAddress } from '../types';

/**
 * Guards for everything that reaches a storage node's command line from outside. Builders call these
 * before building: a value that is not acceptable throws a validation error instead of becoming a
 * command, even though every word is shell-quoted as well.
 */
function check(field: string, problem: string | null): void {
  if (problem !== null) throw validationError(field, problem);
}

export function checkDevicePath(path: string): string {
  check('device path', devicePathProblem(path));
  return path;
}

export function checkId(field: string, id: string): string {
  check(field, ID_PATTERN.test(id) ? null : 'must be 32 lowercase hex characters');
  return id;
}

export function checkHostname(host: string): string {
  check('hostname', hostnameProblem(host));
  return host;
}

export function checkVolumeName(name: string): string {
  check('volume name', volumeNameProblem(name));
  return name;
}

/** Absolute, plain path components only: what gluster brick directories and mount points look like. */
const BRICK_DIR = /^(\/[A-Za-z0-9_.-]+)+$/;

export function checkBrickDir(path: string): string {
  const problem =
    path.length > 4096
      ? 'must be at most 4096 characters'
      : !BRICK_DIR.test(path)
        ? 'must be an absolute path of letters, digits and _.-'
        : path.split('/').some((part) => part === '.' || part === '..')
          ? 'must not contain . or .. components'
          : null;
  check('brick path', problem);
  return path;
}

/** `host:/path` as gluster names a brick. */
export function brickAddress(brick: BrickAddress): string {
  return `${checkHostname(brick.host)}:${checkBrickDir(brick.path)}`;
}

export function checkGlusterOption(key: string, value: string): void {
  check('gluster volume option', /\s/.test(key) ? `option key "${key}" must not contain spaces` : glusterOptionProblem(`${key} ${value}`));
}

export function checkGid(gid: number): number {
  check('gid', Number.isSafeInteger(gid) && gid >= 0 && gid <= 4294967294 ? null : 'must be an integer from 0 to 4294967294');
  return gid;
}

export function checkKib(field: string, kib: number): number {
  check(field, Number.isSafeInteger(kib) && kib > 0 ? null : 'must be a positive whole number of KiB');
  return kib;
}
