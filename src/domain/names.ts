/**
 * Strict patterns for everything a client names that may end up on a storage node's command line.
 * Each starts with a letter, digit or '/', never '-', never contains '..', and is bounded in length,
 * so that even before shell escaping nothing can become a command option.
 */
export const DEVICE_PATH = /^\/dev\/[A-Za-z0-9/_.:-]+$/;
export const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
export const VOLUME_NAME_MAX = 255;
export const DEVICE_PATH_MAX = 255;
export const HOSTNAME_MAX = 253;
export const GLUSTER_OPTION_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const GLUSTER_OPTION_KEY_MAX = 128;
export const GLUSTER_OPTION_VALUE_MAX = 1024;
export const TAG_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
export const TAG_KEY_MAX = 64;
export const TAG_VALUE = /^[A-Za-z0-9._/:=@+-]*$/;
export const TAG_VALUE_MAX = 256;
export const MAX_TAGS = 32;

/** Returns the problem with a device path, or null when it is acceptable. */
export function devicePathProblem(path: string): string | null {
  if (path.length > DEVICE_PATH_MAX) return `must be at most ${DEVICE_PATH_MAX} characters`;
  if (!DEVICE_PATH.test(path)) return 'must be an absolute /dev/ path of letters, digits and /_.:-';
  if (path.split('/').some((part) => part === '..' || part === '.')) return 'must not contain . or .. components';
  if (path.includes('//')) return 'must not contain empty path components';
  if (path.endsWith('/')) return 'must not end with /';
  return null;
}

const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isIpv6(value: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(value) || !value.includes(':')) return false;
  const doubleColons = value.split('::').length - 1;
  if (doubleColons > 1) return false;
  const groups = value.split(':').filter((g) => g !== '');
  const last = groups[groups.length - 1] ?? '';
  let count = groups.length;
  if (last.includes('.')) {
    if (!IPV4.test(last)) return false;
    count += 1; // an embedded IPv4 takes two groups
    groups.pop();
  }
  if (!groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return doubleColons === 1 ? count < 8 : count === 8;
}

/** Returns the problem with a hostname (DNS name, IPv4 or IPv6), or null when it is acceptable. */
export function hostnameProblem(host: string): string | null {
  if (host.length === 0) return 'cannot be blank';
  if (host.length > HOSTNAME_MAX) return `must be at most ${HOSTNAME_MAX} characters`;
  if (IPV4.test(host) || isIpv6(host)) return null;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  const labels = name.split('.');
  if (labels.every((l) => DNS_LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1] ?? '')) return null;
  return 'must be a DNS name or an IP address';
}

export function volumeNameProblem(name: string): string | null {
  if (name.length > VOLUME_NAME_MAX) return `must be at most ${VOLUME_NAME_MAX} characters`;
  if (!VOLUME_NAME.test(name)) return 'must start with a letter or digit and contain only letters, digits, _ and -';
  return null;
}

/** A gluster volume option `key value` as sent in glustervolumeoptions. */
export function glusterOptionProblem(option: string): string | null {
  const trimmed = option.trim();
  const space = trimmed.search(/\s/);
  const key = space < 0 ? trimmed : trimmed.slice(0, space);
  const value = space < 0 ? '' : trimmed.slice(space).trim();
  if (key.length === 0) return 'option key cannot be blank';
  if (key.length > GLUSTER_OPTION_KEY_MAX) return `option key must be at most ${GLUSTER_OPTION_KEY_MAX} characters`;
  if (!GLUSTER_OPTION_KEY.test(key)) return `option key "${key}" must start with a letter or digit and contain only letters, digits, . _ -`;
  if (value.length === 0) return `option "${key}" needs a value`;
  if (value.length > GLUSTER_OPTION_VALUE_MAX) return `option "${key}" value is too long`;
  if (value.startsWith('-')) return `option "${key}" value must not start with -`;
  if (/[\x00-\x1f\x7f]/.test(value)) return `option "${key}" value must not contain control characters`;
  return null;
}

export function splitGlusterOption(option: string): [string, string] {
  const trimmed = option.trim();
  const space = trimmed.search(/\s/);
  return [trimmed.slice(0, space), trimmed.slice(space).trim()];
}

export function tagProblem(key: string, value: string): string | null {
  if (key.length === 0 || key.length > TAG_KEY_MAX || !TAG_KEY.test(key))
    return `tag key "${key.slice(0, TAG_KEY_MAX)}" must be 1-${TAG_KEY_MAX} letters, digits or ._/- starting with a letter or digit`;
  if (value.length > TAG_VALUE_MAX || !TAG_VALUE.test(value))
    return `tag "${key}" value must be at most ${TAG_VALUE_MAX} letters, digits or ._/:=@+-`;
  return null;
}
