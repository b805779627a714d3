import { validationError } from '../errors';
import { TAG_KEY, TAG_KEY_MAX, TAG_VALUE, TAG_VALUE_MAX } from '../names';
import type { TagRule, ZoneChecking } from './types';

export const ZONE_CHECKING_OPTION = 'user.heketi.zone-checking';
export const TAG_MATCH_OPTION = 'user.heketi.device-tag-match';
export const ARBITER_OPTION = 'user.heketi.arbiter';

const FIELD = 'glustervolumeoptions';
const ZONE_CHECKING_VALUES: readonly ZoneChecking[] = ['strict', 'best-effort', 'none'];

export interface PlacementOptions {
  zoneChecking?: ZoneChecking;
  tagRules: TagRule[];
  arbiter: boolean;
}

/** `key=value` or `key!=value`; the key and value follow the tag patterns of names.ts. */
export function parseTagRule(text: string): TagRule {
  const match = /^([^=!]+)(!?=)(.*)$/.exec(text.trim());
  if (!match) throw validationError(FIELD, `${TAG_MATCH_OPTION} "${text}" must be key=value or key!=value`);
  const [, key, operator, value] = match as unknown as [string, string, string, string];
  if (key.length > TAG_KEY_MAX || !TAG_KEY.test(key)) {
    throw validationError(FIELD, `${TAG_MATCH_OPTION} key "${key.slice(0, TAG_KEY_MAX)}" is not a valid tag key`);
  }
  if (value.length === 0) throw validationError(FIELD, `${TAG_MATCH_OPTION} "${text}" needs a value after ${operator}`);
  if (value.length > TAG_VALUE_MAX || !TAG_VALUE.test(value)) {
    throw validationError(FIELD, `${TAG_MATCH_OPTION} value for "${key}" is not a valid tag value`);
  }
  return { key, value, negate: operator === '!=' };
}

/**
 * Reads the placement settings Heketi clients pass among a volume's gluster options. Options that are not
 * placement settings are left alone (the volume layer validates and applies them).
 */
export function placementOptionsFrom(glusterVolumeOptions: string[]): PlacementOptions {
  const result: PlacementOptions = { tagRules: [], arbiter: false };
  for (const option of glusterVolumeOptions) {
    const trimmed = option.trim();
    const space = trimmed.search(/\s/);
    const key = space < 0 ? trimmed : trimmed.slice(0, space);
    const value = space < 0 ? '' : trimmed.slice(space).trim();
    switch (key) {
      case ZONE_CHECKING_OPTION:
        if (!(ZONE_CHECKING_VALUES as readonly string[]).includes(value)) {
          throw validationError(FIELD, `${ZONE_CHECKING_OPTION} must be one of ${ZONE_CHECKING_VALUES.join(', ')}, not "${value}"`);
        }
        result.zoneChecking = value as ZoneChecking;
        break;
      case TAG_MATCH_OPTION:
        result.tagRules.push(parseTagRule(value));
        break;
      case ARBITER_OPTION: {
        const lower = value.toLowerCase();
        if (lower !== 'true' && lower !== 'false') {
          throw validationError(FIELD, `${ARBITER_OPTION} must be true or false, not "${value}"`);
        }
        result.arbiter = lower === 'true';
        break;
      }
      default:
        break;
    }
  }
  return result;
}
