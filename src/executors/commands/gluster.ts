import type { CommandSettings } from '../../config/schema';
import type { Durability } from '../../domain/durability';
import { setWidth } from '../../domain/durability';
import type { BrickAddress } from '../types';
import { shellCommand } from './shell';
import { brickAddress, checkGlusterOption, checkHostname, checkVolumeName } from './validate';

/**
 * gluster CLI command lines. Always `--mode=script` (no questions asked) and `--timeout`, so that the CLI
 * gives up on a stuck glusterd by itself.
 */
type GlusterSettings = Pick<CommandSettings, 'gluster_cli_timeout'>;

function gluster(s: GlusterSettings, ...words: Array<string | number>): string {
  return shellCommand('gluster', '--mode=script', `--timeout=${s.gluster_cli_timeout}`, ...words);
}

/** Answers only when glusterd runs and accepts CLI requests. */
export function glusterdCheck(s: GlusterSettings): string {
  return gluster(s, 'pool', 'list');
}

export function peerProbe(s: GlusterSettings, storageHost: string): string {
  return gluster(s, 'peer', 'probe', checkHostname(storageHost));
}

export function peerDetach(s: GlusterSettings, storageHost: string): string {
  return gluster(s, 'peer', 'detach', checkHostname(storageHost));
}

export function peerStatus(s: GlusterSettings): string {
  return gluster(s, 'peer', 'status');
}

export function poolList(s: GlusterSettings): string {
  return gluster(s, 'pool', 'list');
}

function layoutWords(durability: Durability, arbiter: boolean): Array<string | number> {
  switch (durability.type) {
    case 'none':
      return [];
    case 'replicate':
      return arbiter ? ['replica', durability.replica, 'arbiter', 1] : ['replica', durability.replica];
    case 'disperse':
      return ['disperse-data', durability.data, 'redundancy', durability.redundancy];
  }
}

/** Creates the volume with its first brick set only; the other sets follow with add-brick (volumeAddBricks). */
export function volumeCreate(
  s: GlusterSettings,
  name: string,
  durability: Durability,
  arbiter: boolean,
  firstSet: BrickAddress[],
): string {
  if (firstSet.length !== setWidth(durability))
    throw new Error(`volume create needs exactly one set of ${setWidth(durability)} bricks, got ${firstSet.length}`);
  if (arbiter && !(durability.type === 'replicate' && durability.replica === 3))
    throw new Error('an arbiter volume must be replica 3');
  return gluster(s, 'volume', 'create', checkVolumeName(name), ...layoutWords(durability, arbiter), ...firstSet.map(brickAddress));
}

/** Whole sets per add-brick call, so that one command line stays short. */
export function setsPerAddBrick(durability: Durability): number {
  switch (durability.type) {
    case 'none':
      return 15;
    case 'replicate':
      return 5;
    case 'disperse':
      return 1;
  }
}

/** add-brick commands for whole sets, a few sets per call (the volume's layout already fixes the set width). */
export function volumeAddBricks(s: GlusterSettings, name: string, durability: Durability, bricks: BrickAddress[]): string[] {
  const width = setWidth(durability);
  if (bricks.length % width !== 0) throw new Error(`add-brick needs whole sets of ${width} bricks, got ${bricks.length}`);
  const perCall = width * setsPerAddBrick(durability);
  const commands: string[] = [];
  for (let i = 0; i < bricks.length; i += perCall) {
    commands.push(gluster(s, 'volume', 'add-brick', checkVolumeName(name), ...bricks.slice(i, i + perCall).map(brickAddress)));
  }
  return commands;
}

export function volumeSet(s: GlusterSettings, name: string, key: string, value: string): string {
  checkGlusterOption(key, value);
  return gluster(s, 'volume', 'set', checkVolumeName(name), key, value);
}

export function volumeStart(s: GlusterSettings, name: string): string {
  return gluster(s, 'volume', 'start', checkVolumeName(name));
}

export function volumeStopForce(s: GlusterSettings, name: string): string {
  return gluster(s, 'volume', 'stop', checkVolumeName(name), 'force');
}

export function volumeDelete(s: GlusterSettings, name: string): string {
  return gluster(s, 'volume', 'delete', checkVolumeName(name));
}

export function volumeInfo(s: GlusterSettings, name: string): string {
  return gluster(s, 'volume', 'info', checkVolumeName(name), '--xml');
}

export function rebalanceStart(s: GlusterSettings, name: string): string {
  return gluster(s, 'volume', 'rebalance', checkVolumeName(name), 'start');
}

export function replaceBrick(s: GlusterSettings, name: string, from: BrickAddress, to: BrickAddress): string {
  return gluster(s, 'volume', 'replace-brick', checkVolumeName(name), brickAddress(from), brickAddress(to), 'commit', 'force');
}

export function healInfo(s: GlusterSettings, name: string): string {
  return gluster(s, 'volume', 'heal', checkVolumeName(name), 'info', '--xml');
}
