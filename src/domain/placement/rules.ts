import { describeDurability, setWidth, type Durability } from '../durability';
import type { ZoneChecking } from './types';

/**
 * Failure-domain rules. A replica set may lose all bricks but one, yet we still keep its bricks in distinct
 * zones so a zone loss never takes more than one copy; a disperse D+R set survives R lost bricks, so a zone may
 * hold up to R of them (which is what makes 4+2 placeable on three zones).
 */
export function strictZoneCap(durability: Durability): number {
  return durability.type === 'disperse' ? durability.redundancy : 1;
}

/** How many zones with room a set needs under strict checking. */
export function zonesNeeded(durability: Durability): number {
  return Math.ceil(setWidth(durability) / strictZoneCap(durability));
}

/** The per-zone bound a mode enforces for one set (none and best-effort only spread, they never refuse). */
export function zoneCapFor(durability: Durability, mode: ZoneChecking): number {
  return mode === 'strict' ? strictZoneCap(durability) : Number.POSITIVE_INFINITY;
}

/**
 * Whether one set of `width` bricks can satisfy the strict rule, given per zone how many distinct nodes have a
 * device with room: each zone contributes at most min(cap, nodes with room).
 */
export function strictRuleSatisfiable(durability: Durability, nodesWithRoomPerZone: number[]): boolean {
  const cap = strictZoneCap(durability);
  const total = nodesWithRoomPerZone.reduce((sum, n) => sum + Math.min(cap, n), 0);
  return total >= setWidth(durability);
}

export function describeZoneRule(durability: Durability): string {
  const needed = zonesNeeded(durability);
  if (durability.type === 'disperse') {
    return `${describeDurability(durability)} needs ${needed} zones with room (at most ${strictZoneCap(durability)} bricks of a set per zone, each on its own node)`;
  }
  return `${describeDurability(durability)} needs ${needed} zone${needed === 1 ? '' : 's'} with room`;
}
