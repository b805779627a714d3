import type { BrickAddress } from '../types';
import { childElement, childElements, childText, parseXml, type XmlElement } from './xml';

/** Parsers of gluster CLI output, `--xml` and plain. Pure; unrecognised shapes throw. */

export interface CliStatus {
  opRet: number;
  opErrno: number;
  opErrstr: string;
}

function cliOutput(output: string): { root: XmlElement; status: CliStatus } {
  const root = parseXml(output.trim());
  if (root.name !== 'cliOutput') throw new Error(`gluster --xml: expected <cliOutput>, got <${root.name}>`);
  const opRet = Number(childText(root, 'opRet') ?? NaN);
  if (!Number.isInteger(opRet)) throw new Error('gluster --xml: no <opRet>');
  return {
    root,
    status: { opRet, opErrno: Number(childText(root, 'opErrno') ?? 0), opErrstr: childText(root, 'opErrstr') ?? '' },
  };
}

/** "host:/path" -> {host, path}; the path starts at the first ":/" (an IPv6 host has no "/"). */
export function splitBrickAddress(address: string): BrickAddress {
  const at = address.indexOf(':/');
  if (at <= 0) throw new Error(`not a brick address: ${JSON.stringify(address)}`);
  return { host: address.slice(0, at), path: address.slice(at + 1) };
}

export interface VolumeBrick extends BrickAddress {
  hostUuid: string;
  isArbiter: boolean;
}

export interface VolumeDetails {
  name: string;
  id: string;
  /** Created, Started, Stopped. */
  status: string;
  /** Distribute, Replicate, Distributed-Replicate, Disperse, ... */
  type: string;
  brickCount: number;
  distCount: number;
  replicaCount: number;
  arbiterCount: number;
  disperseCount: number;
  redundancyCount: number;
  bricks: VolumeBrick[];
  options: Record<string, string>;
}

const count = (volume: XmlElement, name: string): number => Number(childText(volume, name) ?? 0);

/** `gluster volume info [<name>] --xml`. A missing volume gives opRet -1 and no volumes (exit code 0). */
export function parseVolumeInfoXml(output: string): CliStatus & { volumes: VolumeDetails[] } {
  const { root, status } = cliOutput(output);
  const list = childElement(childElement(root, 'volInfo') ?? root, 'volumes');
  const volumes = (list ? childElements(list, 'volume') : []).map((volume) => {
    const bricks = childElements(childElement(volume, 'bricks') ?? volume, 'brick').map((brick) => ({
      ...splitBrickAddress(childText(brick, 'name') ?? brick.text.trim()),
      hostUuid: childText(brick, 'hostUuid') ?? brick.attributes['uuid'] ?? '',
      isArbiter: childText(brick, 'isArbiter') === '1',
    }));
    const options = Object.fromEntries(
      childElements(childElement(volume, 'options') ?? volume, 'option').map((o) => [childText(o, 'name') ?? '', childText(o, 'value') ?? '']),
    );
    return {
      name: childText(volume, 'name') ?? '',
      id: childText(volume, 'id') ?? '',
      status: childText(volume, 'statusStr') ?? '',
      type: childText(volume, 'typeStr') ?? '',
      brickCount: count(volume, 'brickCount'),
      distCount: count(volume, 'distCount'),
      replicaCount: count(volume, 'replicaCount'),
      arbiterCount: count(volume, 'arbiterCount'),
      disperseCount: count(volume, 'disperseCount'),
      redundancyCount: count(volume, 'redundancyCount'),
      bricks,
      options,
    };
  });
  return { ...status, volumes };
}

export interface BrickHealth {
  /** "host:/path" as gluster prints it. */
  address: string;
  /** "Connected", or why not ("Transport endpoint is not connected"). */
  status: string;
  /** Entries waiting for heal; null when the brick could not be asked. */
  entries: number | null;
}

function entryCount(text: string | undefined): number | null {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : null;
}

/** `gluster volume heal <v> info --xml`. */
export function parseHealInfoXml(output: string): CliStatus & { bricks: BrickHealth[] } {
  const { root, status } = cliOutput(output);
  const list = childElement(childElement(root, 'healInfo') ?? root, 'bricks');
  const bricks = (list ? childElements(list, 'brick') : []).map((brick) => ({
    address: childText(brick, 'name') ?? '',
    status: childText(brick, 'status') ?? '',
    entries: entryCount(childText(brick, 'numberOfEntries')),
  }));
  return { ...status, bricks };
}

/** Plain `gluster volume heal <v> info`: "Brick <addr>", entry lines, "Status: ...", "Number of entries: N|-". */
export function parseHealInfoText(output: string): BrickHealth[] {
  const bricks: BrickHealth[] = [];
  let current: BrickHealth | undefined;
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('Brick ')) {
      current = { address: line.slice('Brick '.length).trim(), status: '', entries: null };
      bricks.push(current);
    } else if (current && line.startsWith('Status:')) {
      current.status = line.slice('Status:'.length).trim();
    } else if (current && line.startsWith('Number of entries:')) {
      current.entries = entryCount(line.slice('Number of entries:'.length).trim());
    }
  }
  return bricks;
}

export interface Peer {
  uuid: string;
  hostname: string;
  /** "Peer in Cluster", "Accepted peer request", ...; empty for the local node in pool list. */
  state: string;
  connected: boolean;
}

/** Plain `gluster peer status`: the other members only. */
export function parsePeerStatusText(output: string): Peer[] {
  const peers: Peer[] = [];
  let current: Peer | undefined;
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('Hostname:')) {
      current = { uuid: '', hostname: line.slice('Hostname:'.length).trim(), state: '', connected: false };
      peers.push(current);
    } else if (current && line.startsWith('Uuid:')) {
      current.uuid = line.slice('Uuid:'.length).trim();
    } else if (current && line.startsWith('State:')) {
      const state = /^State:\s*(.*?)\s*\((Connected|Disconnected)\)\s*$/.exec(line);
      current.state = state ? state[1]! : line.slice('State:'.length).trim();
      current.connected = state?.[2] === 'Connected';
    }
  }
  return peers;
}

/** Plain `gluster pool list`: every member, the local one as "localhost". */
export function parsePoolListText(output: string): Peer[] {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  const header = lines.shift() ?? '';
  if (!/^UUID\s+Hostname\s+State/.test(header.trim())) throw new Error(`pool list: unexpected header ${JSON.stringify(header)}`);
  return lines.map((line) => {
    const [uuid = '', hostname = '', state = ''] = line.trim().split(/\s+/);
    return { uuid, hostname, state: '', connected: state === 'Connected' };
  });
}

/** `gluster peer status --xml` / `pool list --xml`. */
export function parsePeerStatusXml(output: string): CliStatus & { peers: Peer[] } {
  const { root, status } = cliOutput(output);
  const list = childElement(root, 'peerStatus');
  const peers = (list ? childElements(list, 'peer') : []).map((peer) => ({
    uuid: childText(peer, 'uuid') ?? '',
    hostname: childText(peer, 'hostname') ?? '',
    state: childText(peer, 'stateStr') ?? '',
    connected: childText(peer, 'connected') === '1',
  }));
  return { ...status, peers };
}
