import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTopologyFile, parseTopologyText, TopologyFileError } from '../../src/cli/topology/file';
import { actions, planTopologyLoad } from '../../src/cli/topology/plan';
import type { NodeInfo, TopologyInfo } from '../../src/cli/wire';

const node = (manage: string, storage: string, zone: number, devices: unknown[]) => ({
  node: { hostnames: { manage: [manage], storage: [storage] }, zone },
  devices,
});

function problem(raw: unknown): string {
  try {
    parseTopologyFile(raw);
  } catch (err) {
    if (err instanceof TopologyFileError) return err.message;
    throw err;
  }
  throw new Error('expected the file to be rejected');
}

describe('topology file', () => {
  test('the sample loads: devices as objects and as plain strings', () => {
    const file = parseTopologyText(readFileSync(join(__dirname, '../../topology-sample.json'), 'utf8'));
    expect(file.clusters).toHaveLength(1);
    const nodes = file.clusters[0]!.nodes;
    expect(nodes).toHaveLength(6);
    expect(new Set(nodes.map((n) => n.zone))).toEqual(new Set([1, 2, 3]));
    expect(nodes.every((n) => n.devices.length >= 2 && n.devices.length <= 3)).toBe(true);
    expect(nodes[0]!.devices.map((d) => d.name)).toEqual(['/dev/sdb', '/dev/sdc', '/dev/sdd']);
    expect(nodes[2]!.devices[1]!.tags).toEqual({ disktype: 'ssd' });
    expect(nodes[4]!.tags).toEqual({ rack: 'r3' });
    expect(file.clusters[0]!.file).toBe(true);
    expect(file.clusters[0]!.block).toBe(true);
  });

  test.each([
    [{}, 'clusters: must be a list'],
    [{ clusters: [{}] }, 'clusters[0].nodes: must be a list'],
    [{ clusters: [{ nodes: [{}] }] }, 'clusters[0].nodes[0].node: is missing'],
    [{ clusters: [{ nodes: [{ node: { zone: 1 } }] }] }, 'clusters[0].nodes[0].node.hostnames: is missing'],
    [
      { clusters: [{ nodes: [node('a.example.com', '10.0.0.1', 0, [])] }] },
      'clusters[0].nodes[0].node.zone: must be a whole number of at least 1 (got "0")',
    ],
    [
      { clusters: [{ nodes: [node('-oProxyCommand=x', '10.0.0.1', 1, [])] }] },
      'clusters[0].nodes[0].node.hostnames.manage[0]: "-oProxyCommand=x" must be a DNS name or an IP address',
    ],
    [
      { clusters: [{ nodes: [node('a.example.com', '10.0.0.1', 1, ['/dev/sdb', '/dev/../sda'])] }] },
      'clusters[0].nodes[0].devices[1]: "/dev/../sda" must not contain . or .. components',
    ],
    [
      { clusters: [{ nodes: [node('a.example.com', '10.0.0.1', 1, [{ name: 'sdb' }])] }] },
      'clusters[0].nodes[0].devices[0]: "sdb" must be an absolute /dev/ path of letters, digits and /_.:-',
    ],
    [
      { clusters: [{ nodes: [node('a.example.com', '10.0.0.1', 1, ['/dev/sdb', { name: '/dev/sdb' }])] }] },
      'clusters[0].nodes[0].devices[1]: "/dev/sdb" is listed twice on this node (also at clusters[0].nodes[0].devices[0])',
    ],
    [
      { clusters: [{ nodes: [node('a.example.com', '10.0.0.1', 1, [{ name: '/dev/sdb', destroydata: 'yes' }])] }] },
      'clusters[0].nodes[0].devices[0].destroydata: must be true or false',
    ],
    [
      { clusters: [{ nodes: [node('a.example.com', '10.0.0.1', 1, []), node('b.example.com', '10.0.0.1', 2, [])] }] },
      'clusters[0].nodes[1].node.hostnames.storage[0]: "10.0.0.1" is already used at clusters[0].nodes[0].node.hostnames.storage[0]',
    ],
    [{ clusters: [{ file: 'yes', nodes: [] }] }, 'clusters[0].file: must be true or false'],
  ])('rejects %j', (raw, message) => {
    expect(problem(raw)).toBe(message);
  });

  test('a JSON syntax error is reported as such', () => {
    expect(() => parseTopologyText('{"clusters": [')).toThrow(/^not valid JSON: /);
  });
});

function existingNode(id: string, cluster: string, manage: string, storage: string, devices: string[]): NodeInfo {
  return {
    id,
    cluster,
    zone: 1,
    state: 'online',
    hostnames: { manage: [manage], storage: [storage] },
    devices: devices.map((name, i) => ({
      id: `${id.slice(0, 30)}d${i}`,
      name,
      state: 'online',
      storage: { total: 1, free: 1, used: 0 },
      bricks: [],
    })),
  };
}

describe('topology load plan', () => {
  const file = parseTopologyFile({
    clusters: [
      {
        nodes: [
          node('a.example.com', '10.0.0.1', 1, ['/dev/sdb', '/dev/sdc']),
          node('b.example.com', '10.0.0.2', 2, ['/dev/sdb']),
        ],
      },
    ],
  });

  test('on an empty server: one cluster, every node and device', () => {
    const plan = planTopologyLoad(file, { clusters: [] });
    expect(plan.entries.map((e) => e.kind)).toEqual([
      'create-cluster',
      'add-node',
      'add-device',
      'add-device',
      'add-node',
      'add-device',
    ]);
    expect(actions(plan)).toHaveLength(6);
  });

  test('adds only what is missing, into the cluster of the nodes already there', () => {
    const cluster = 'c'.repeat(32);
    const current: TopologyInfo = {
      clusters: [
        { id: cluster, file: true, block: true, volumes: [], nodes: [existingNode('a'.repeat(32), cluster, 'a.example.com', '10.0.0.1', ['/dev/sdb'])] },
      ],
    };
    const plan = planTopologyLoad(file, current);
    expect(plan.entries.map((e) => e.kind)).toEqual(['skip-node', 'skip-device', 'add-device', 'add-node', 'add-device']);
    const addNode = plan.entries.find((e) => e.kind === 'add-node');
    expect(addNode && addNode.kind === 'add-node' && addNode.target).toEqual({ id: cluster });
    const addDevice = plan.entries[2]!;
    expect(addDevice.kind === 'add-device' && addDevice.existingNodeId).toBe('a'.repeat(32));
  });

  test('a new node whose storage hostname another node has is refused before anything changes', () => {
    const cluster = 'c'.repeat(32);
    const current: TopologyInfo = {
      clusters: [
        { id: cluster, file: true, block: true, volumes: [], nodes: [existingNode('e'.repeat(32), cluster, 'other.example.com', '10.0.0.2', [])] },
      ],
    };
    expect(() => planTopologyLoad(file, current)).toThrow(
      `clusters[0].nodes[1].node.hostnames.storage[0]: "10.0.0.2" is already used by node ${'e'.repeat(32)} (other.example.com)`,
    );
  });

  test('notes a matched node whose zone differs from the file', () => {
    const cluster = 'c'.repeat(32);
    const a = existingNode('a'.repeat(32), cluster, 'a.example.com', '10.0.0.1', ['/dev/sdb', '/dev/sdc']);
    a.zone = 3;
    const plan = planTopologyLoad(file, { clusters: [{ id: cluster, file: true, block: true, volumes: [], nodes: [a] }] });
    const skip = plan.entries[0]!;
    expect(skip.kind === 'skip-node' && skip.notes).toEqual(['zone is 3 on the server, 1 in the file']);
  });
});
