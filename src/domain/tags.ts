import type { Tags } from './model';
export { MAX_TAGS } from './names';

/** Heketi's tag edits: set replaces all tags, update merges, delete removes the named keys. */
export interface TagChange {
  changeType: 'set' | 'update' | 'delete';
  tags: Tags;
}

export function applyTagChange(current: Tags, change: TagChange): Tags {
  switch (change.changeType) {
    case 'set':
      return { ...change.tags };
    case 'update':
      return { ...current, ...change.tags };
    case 'delete': {
      const next = { ...current };
      for (const key of Object.keys(change.tags)) delete next[key];
      return next;
    }
  }
}
