import { describeDurability, setWidth, type Durability } from '../durability';
import { formatKib } from '../units';
import { strictZoneCap } from './rules';

function zonesPhrase(zones: number[]): string {
  return zones.length === 1 ? `zone ${zones[0]} has` : `zones ${zones.join(', ')} have`;
}

/**
 * What really stops a set under the strict zone rule, said first and in numbers: how many nodes (per zone)
 * have room for a brick, then what the durability needs, e.g. "only 2 nodes per zone have room for a 1.3 GiB
 * brick; disperse 8+4 needs 12 nodes with at most 4 per zone (6 usable here)".
 */
export function zoneShortfallText(durability: Durability, zones: number[], nodesWithRoom: number[], brickKib: number): string {
  const cap = strictZoneCap(durability);
  const width = setWidth(durability);
  const brick = `room for a ${formatKib(brickKib)} brick`;
  const withRoom = zones.filter((_, zi) => (nodesWithRoom[zi] ?? 0) > 0);
  const desc = describeDurability(durability);
  if (cap === 1) {
    return `only ${zonesPhrase(withRoom)} ${brick}; ${desc} needs ${width} nodes in ${width} different zones`;
  }
  const counts = withRoom.map((z) => nodesWithRoom[zones.indexOf(z)] ?? 0);
  const usable = nodesWithRoom.reduce((sum, n) => sum + Math.min(cap, n), 0);
  let what: string;
  if (withRoom.length === zones.length && counts.every((n) => n === counts[0]) && counts[0]! < cap) {
    what = `only ${counts[0]} node${counts[0] === 1 ? ' per zone has' : 's per zone have'} ${brick}`;
  } else if (counts.every((n) => n >= cap)) {
    what = `only ${zonesPhrase(withRoom)} ${brick}`;
  } else {
    what = `nodes with ${brick} per zone: ${zones.map((z, zi) => `zone ${z}: ${nodesWithRoom[zi] ?? 0}`).join(', ')}`;
  }
  return `${what}; ${desc} needs ${width} nodes with at most ${cap} per zone (${usable} usable here)`;
}
