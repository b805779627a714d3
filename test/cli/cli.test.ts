import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ADMIN_KEY, startTestServer, USER_KEY, type TestServer } from '../support/server';
import { assertCliBuilt, CLI_ENTRY, cleanEnv, run, runCli, type CliResult } from './run-cli';

/**
 * The `brickyard` CLI as operators use it: a child process talking HTTP to a real server (PGlite in memory,
 * mock executor, JWT auth on). Every command's happy path and its error paths; the server's state is read
 * back through the API to see that the CLI did what it printed.
 */
const SAMPLE = resolve(__dirname, '../../topology-sample.json');
const ID = /[0-9a-f]{32}/;
const NOWHERE = '0123456789abcdef0123456789abcdef';

// Each test runs dozens of CLI processes: on a loaded two-core machine that takes minutes, not seconds.
jest.setTimeout(900_000);

let server: TestServer;
let dir: string;
let env: Record<string, string>;

const brickyard = (...args: string[]) => runCli(args, env);
const json = <T = any>(r: CliResult): T => JSON.parse(r.stdout) as T; // eslint-disable-line @typescript-eslint/no-explicit-any

function ok(r: CliResult): CliResult {
  if (r.code !== 0) throw new Error(`expected success, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  expect(r.stderr).toBe('');
  return r;
}

function failed(r: CliResult, message: string | RegExp): void {
  expect(r.code).toBe(255);
  expect(r.stdout).toBe('');
  if (typeof message === 'string') expect(r.stderr).toBe(`Error: ${message}\n`);
  else expect(r.stderr).toMatch(message);
}

/** Checks error paths that change nothing, a few processes at a time (they are independent). */
async function allFail(cases: Array<[string[], string | RegExp]>): Promise<void> {
  const results: CliResult[] = [];
  for (let i = 0; i < cases.length; i += 4) {
    results.push(...(await Promise.all(cases.slice(i, i + 4).map(([args]) => brickyard(...args)))));
  }
  cases.forEach(([args, message], i) => {
    try {
      failed(results[i]!, message);
    } catch (err) {
      throw new Error(`brickyard ${args.join(' ')}: ${(err as Error).message}`);
    }
  });
}

function writeJson(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}

async function counts() {
  const topo = { nodes: 0, devices: 0 };
  const { clusters } = await server.admin.clusterList();
  for (const c of clusters as string[]) {
    const info = await server.admin.clusterInfo(c);
    for (const n of info.nodes as string[]) {
      topo.nodes += 1;
      topo.devices += ((await server.admin.nodeInfo(n)).devices as unknown[]).length;
    }
  }
  return { clusters: (clusters as string[]).length, ...topo };
}

/** The sample topology, loaded unless an earlier test already did (tests must not need each other's leftovers). */
async function ensureSample(): Promise<void> {
  if ((await counts()).devices === 0) ok(await brickyard('topology', 'load', `--json=${SAMPLE}`));
}

/** A port nothing listens on: bound by the kernel, then closed. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  assertCliBuilt();
  server = await startTestServer({ db: 'pglite', auth: true });
  dir = mkdtempSync(join(tmpdir(), 'brickyard-cli-'));
  env = { HEKETI_CLI_SERVER: server.url, HEKETI_CLI_USER: 'admin', HEKETI_CLI_KEY: ADMIN_KEY };
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('help names every command group and the exit status', async () => {
  const r = ok(await brickyard('--help'));
  for (const group of ['topology', 'cluster', 'node', 'device', 'volume', 'db']) expect(r.stdout).toContain(`  ${group} `);
  expect(r.stdout).toContain('255 on any error');
  expect(ok(await brickyard('volume', 'create', '--help')).stdout).toContain('--gluster-volume-options');
  expect(ok(await brickyard('--version')).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
});

test('topology load adds the sample; loading it again adds nothing', async () => {
  const first = ok(await brickyard('topology', 'load', `--json=${SAMPLE}`));
  expect(first.stdout).toMatch(/^Creating cluster for clusters\[0\] \(file: true, block: true\): [0-9a-f]{32}\n/);
  expect(first.stdout).toMatch(/^ {2}Adding node node1\.example\.com \(zone 1, storage 10\.0\.0\.1\): [0-9a-f]{32}$/m);
  expect(first.stdout.match(/^ {4}Adding device \/dev\/sd[bcd]: OK$/gm)).toHaveLength(15);
  expect(first.stdout).toContain('Added 1 cluster, 6 nodes and 15 devices; skipped 0 nodes and 0 devices already there.\n');
  expect(first.stdout).not.toContain('\x1b['); // no progress bar when stdout is not a terminal
  expect(await counts()).toEqual({ clusters: 1, nodes: 6, devices: 15 });

  // tags in the file reach the server
  const topo = json(ok(await brickyard('--json', 'topology', 'info')));
  const node5 = topo.clusters[0].nodes.find((n: any) => n.hostnames.manage[0] === 'node5.example.com'); // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(node5.tags).toEqual({ rack: 'r3' });

  const again = ok(await brickyard('topology', 'load', '--json', SAMPLE));
  expect(again.stdout).not.toContain('Adding');
  expect(again.stdout.match(/^ {2}Found node node\d\.example\.com in cluster [0-9a-f]{32}: [0-9a-f]{32}, skipped$/gm)).toHaveLength(6);
  expect(again.stdout.match(/^ {4}Found device \/dev\/sd[bcd]: [0-9a-f]{32}, skipped$/gm)).toHaveLength(15);
  expect(again.stdout).toContain('Added 0 clusters, 0 nodes and 0 devices; skipped 6 nodes and 15 devices already there.\n');
  expect(await counts()).toEqual({ clusters: 1, nodes: 6, devices: 15 });

  // the file may also be given as an argument, and the report as JSON
  const report = json(ok(await brickyard('--json', 'topology', 'load', SAMPLE)));
  expect(report.added).toEqual({ clusters: [], nodes: [], devices: [] });
  expect(report.skipped.nodes).toHaveLength(6);
  expect(report.skipped.devices).toHaveLength(15);
  expect(report.failed).toEqual([]);
});

test('topology info: a tree by zone with a usage bar per device; --json as heketi-cli', async () => {
  const r = ok(await brickyard('topology', 'info'));
  const lines = r.stdout.split('\n');
  expect(lines[0]).toMatch(/^Cluster [0-9a-f]{32} \(file, block\)$/);
  expect(lines[1]).toContain('6 nodes, 15 devices, 0 volumes');
  const zones = lines.filter((l) => /^ {2}Zone \d+$/.test(l));
  expect(zones).toEqual(['  Zone 1', '  Zone 2', '  Zone 3']);
  // node1 and node2 are in zone 1, before Zone 2 starts
  const zone2 = lines.indexOf('  Zone 2');
  expect(lines.findIndex((l) => l.startsWith('    node2.example.com (storage 10.0.0.2)  online'))).toBeLessThan(zone2);
  const devices = lines.filter((l) => l.startsWith('      /dev/'));
  expect(devices).toHaveLength(15);
  // an empty 500 GiB device: nothing used of 497.5 GiB, shown as 498 (the 2.5 GiB held back for LVM's
  // pool metadata spare is left out of the total)
  for (const d of devices) expect(d).toMatch(/^ {6}\/dev\/sd[bcd] +online +\[\.{20}\] +0 GiB \/ 498 GiB +0% +0 bricks +[0-9a-f]{32}$/);

  const topo = json(ok(await brickyard('topology', 'info', '--json')));
  expect(Object.keys(topo)).toEqual(['clusters']);
  const [cluster] = topo.clusters;
  expect(cluster).toEqual(expect.objectContaining({ id: expect.stringMatching(ID), file: true, block: true, volumes: [] }));
  expect(cluster.nodes).toHaveLength(6);
  expect(cluster.nodes[0]).toEqual(
    expect.objectContaining({ id: expect.stringMatching(ID), zone: expect.any(Number), state: 'online', hostnames: expect.any(Object) }),
  );
  expect(cluster.nodes.flatMap((n: { devices: unknown[] }) => n.devices)).toHaveLength(15);
});

test('topology load adds only what is missing, and refuses a bad file before changing anything', async () => {
  const before = await counts();
  const good = {
    clusters: [
      {
        nodes: [
          { node: { hostnames: { manage: ['node1.example.com'], storage: ['10.0.0.1'] }, zone: 1 }, devices: ['/dev/sdb', '/dev/sde'] },
          { node: { hostnames: { manage: ['node7.example.com'], storage: ['10.0.0.7'] }, zone: 1 }, devices: [{ name: '/dev/sdb' }] },
        ],
      },
    ],
  };
  const bad = structuredClone(good) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  bad.clusters[0].nodes.push({ node: { hostnames: { manage: ['node8.example.com'], storage: ['10.0.0.8'] }, zone: 2 }, devices: ['/dev/sdb', '/dev/sd b'] });
  const badPath = writeJson('bad.json', bad);
  failed(
    await brickyard('topology', 'load', `--json=${badPath}`),
    `${badPath}: clusters[0].nodes[2].devices[1]: "/dev/sd b" must be an absolute /dev/ path of letters, digits and /_.:-`,
  );
  expect(await counts()).toEqual(before);

  const zoneless = writeJson('zoneless.json', { clusters: [{ nodes: [{ node: { hostnames: { manage: ['x.example.com'], storage: ['10.0.0.9'] } }, devices: [] }] }] });
  failed(await brickyard('topology', 'load', `--json=${zoneless}`), `${zoneless}: clusters[0].nodes[0].node.zone: must be a whole number of at least 1 (got "nothing")`);

  const taken = writeJson('taken.json', { clusters: [{ nodes: [{ node: { hostnames: { manage: ['node9.example.com'], storage: ['10.0.0.3'] }, zone: 1 }, devices: [] }] }] });
  failed(await brickyard('topology', 'load', `--json=${taken}`), new RegExp(`^Error: ${taken}: clusters\\[0\\]\\.nodes\\[0\\]\\.node\\.hostnames\\.storage\\[0\\]: "10\\.0\\.0\\.3" is already used by node [0-9a-f]{32} \\(node3\\.example\\.com\\)\\n$`));

  const notJson = join(dir, 'not.json');
  writeFileSync(notJson, '{"clusters": [');
  failed(await brickyard('topology', 'load', `--json=${notJson}`), new RegExp(`^Error: ${notJson}: not valid JSON: `));
  failed(await brickyard('topology', 'load', `--json=${join(dir, 'missing.json')}`), `${join(dir, 'missing.json')}: cannot read the file (ENOENT)`);
  failed(await brickyard('topology', 'load'), 'Missing configuration file: use --json=<file>');
  failed(await brickyard('db', 'import', `--heketi=${join(dir, 'missing.json')}`), `${join(dir, 'missing.json')}: cannot read the file (ENOENT)`);
  expect(await counts()).toEqual(before);

  const goodPath = writeJson('good.json', good);
  const dry = ok(await brickyard('topology', 'load', `--json=${goodPath}`, '--dry-run'));
  expect(dry.stdout).toContain('Would add 0 clusters, 1 node and 2 devices; 1 node and 1 device already there.');
  expect(await counts()).toEqual(before);

  const r = ok(await brickyard('topology', 'load', `--json=${goodPath}`));
  expect(r.stdout).toMatch(/^ {2}Found node node1\.example\.com in cluster [0-9a-f]{32}: [0-9a-f]{32}, skipped$/m);
  expect(r.stdout).toMatch(/^ {4}Found device \/dev\/sdb: [0-9a-f]{32}, skipped$/m);
  expect(r.stdout).toMatch(/^ {4}Adding device \/dev\/sde: OK$/m);
  expect(r.stdout).toMatch(/^ {2}Adding node node7\.example\.com \(zone 1, storage 10\.0\.0\.7\): [0-9a-f]{32}$/m);
  expect(r.stdout).not.toContain('Creating cluster');
  expect(r.stdout).toContain('Added 0 clusters, 1 node and 2 devices; skipped 1 node and 1 device already there.');
  expect(await counts()).toEqual({ clusters: 1, nodes: before.nodes + 1, devices: before.devices + 2 });

  // leave the sample topology as it was for the tests below
  const node7 = json(ok(await brickyard('--json', 'topology', 'info'))).clusters[0].nodes.find(
    (n: { hostnames: { manage: string[] } }) => n.hostnames.manage[0] === 'node7.example.com',
  );
  const node1 = json(ok(await brickyard('--json', 'topology', 'info'))).clusters[0].nodes.find(
    (n: { hostnames: { manage: string[] } }) => n.hostnames.manage[0] === 'node1.example.com',
  );
  const sde = node1.devices.find((d: { name: string }) => d.name === '/dev/sde');
  for (const device of [sde.id, node7.devices[0].id]) {
    await server.admin.deviceState(device, 'failed');
    await server.admin.deviceDelete(device);
  }
  await server.admin.nodeDelete(node7.id);
  expect(await counts()).toEqual(before);
});

test('topology load draws a progress bar when stdout is a terminal', async () => {
  const file = writeJson('tty.json', {
    clusters: [
      {
        nodes: [1, 2, 3].map((i) => ({
          node: { hostnames: { manage: [`tty${i}.example.com`], storage: [`10.8.0.${i}`] }, zone: i },
          devices: ['/dev/sdb', '/dev/sdc'],
        })),
      },
    ],
  });
  // `script` (util-linux) gives the CLI a pseudo-terminal for stdout.
  const command = `${process.execPath} ${CLI_ENTRY} topology load --json=${file}`;
  const r = await run('script', ['-qec', command, '/dev/null'], cleanEnv(env));
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/\r\x1b\[2K\[#{2}\.{22}\] {2}1\/10 {2}Adding node tty1\.example\.com/);
  expect(r.stdout).toMatch(/\r\x1b\[2K\[#{24}\] 10\/10/);
  expect(r.stdout).toMatch(/\r\x1b\[2KAdded 1 cluster/); // the bar is cleared before the summary
  expect(r.stdout).toContain('Added 1 cluster, 3 nodes and 6 devices');
  const created = /Creating cluster for clusters\[0\] \(file: true, block: true\): ([0-9a-f]{32})/.exec(r.stdout)![1]!;

  // remove it again (through the API: the commands are tested elsewhere)
  const info = await server.admin.clusterInfo(created);
  for (const nodeId of info.nodes as string[]) {
    for (const d of (await server.admin.nodeInfo(nodeId)).devices as Array<{ id: string }>) {
      await server.admin.deviceState(d.id, 'failed');
      await server.admin.deviceDelete(d.id);
    }
    await server.admin.nodeDelete(nodeId);
  }
  expect(ok(await brickyard('cluster', 'delete', created)).stdout).toBe(`Cluster ${created} deleted\n`);
});

test('volume create, list, info, expand and delete with heketi-cli flags', async () => {
  const created = ok(await brickyard('volume', 'create', '--size=10', '--durability=replicate', '--replica=3'));
  const id = /^Volume Id: ([0-9a-f]{32})$/m.exec(created.stdout)![1]!;
  const v = await server.admin.volumeInfo(id);
  const [first, ...rest] = v.mount.glusterfs.hosts as string[];
  expect(created.stdout).toBe(
    [
      `Name: vol_${id}`,
      'Size: 10',
      `Volume Id: ${id}`,
      `Cluster Id: ${v.cluster}`,
      `Mount: ${first}:vol_${id}`,
      `Mount Options: backup-volfile-servers=${rest.join(':')}`, // as mount -t glusterfs -o takes it
      'Block: false',
      'Free Size: 0',
      'Reserved Size: 0',
      'Block Hosting Restriction: (none)',
      'Block Volumes: []',
      'Durability Type: replicate',
      'Distributed+Replica: 3',
      'Distribute Count: 1',
      'Replica Count: 3',
      'Bricks: 3',
      ...(v.bricks as Array<{ id: string; node: string; device: string; path: string }>).map(
        (b) => `  Id:${b.id}  Size (GiB):10  Node:${b.node}  Device:${b.device}  Path:${b.path}`,
      ),
      '',
    ].join('\n'),
  );
  expect(ok(await brickyard('volume', 'info', id)).stdout).toBe(created.stdout);

  // every create flag, given as --flag value
  const [cluster] = (await server.admin.clusterList()).clusters as string[];
  const named = json(
    ok(
      await brickyard(
        'volume', 'create', '--size', '4', '--name', 'ec_one', '--durability', 'disperse', '--disperse-data', '4',
        '--redundancy', '2', '--gid', '2001', '--snapshot-factor', '1.5', '--clusters', cluster!,
        '--gluster-volume-options', 'performance.rda-cache-limit 10MB,performance.nl-cache-positive-entry no', '--json',
      ),
    ),
  );
  const stored = await server.admin.volumeInfo(named.id);
  expect(stored).toEqual(
    expect.objectContaining({
      name: 'ec_one',
      size: 4,
      gid: 2001,
      cluster,
      durability: expect.objectContaining({ type: 'disperse', disperse: { data: 4, redundancy: 2 } }),
      snapshot: { enable: true, factor: 1.5 },
      glustervolumeoptions: ['performance.rda-cache-limit 10MB', 'performance.nl-cache-positive-entry no'],
    }),
  );
  expect(stored.bricks).toHaveLength(6);
  const ecText = ok(await brickyard('volume', 'info', named.id)).stdout;
  expect(ecText).toContain('Durability Type: disperse\nDisperse Data: 4\nDisperse Redundancy: 2\nSnapshot Factor: 1.50\n');

  const list = ok(await brickyard('volume', 'list')).stdout.trim().split('\n').sort();
  expect(list).toEqual(
    [`Id:${id.padEnd(35)} Cluster:${cluster!.padEnd(35)} Name:vol_${id}`, `Id:${named.id.padEnd(35)} Cluster:${cluster!.padEnd(35)} Name:ec_one`].sort(),
  );
  expect(json(ok(await brickyard('volume', 'list', '--json'))).volumes.sort()).toEqual([id, named.id].sort());

  const expanded = ok(await brickyard('volume', 'expand', `--volume=${id}`, '--expand-size=5'));
  expect(expanded.stdout).toContain('Size: 15\n');
  expect(expanded.stdout).toContain('Distribute Count: 2\n');
  expect((await server.admin.volumeInfo(id)).size).toBe(15);

  expect(ok(await brickyard('volume', 'delete', id)).stdout).toBe(`Volume ${id} deleted\n`);
  expect(ok(await brickyard('volume', 'delete', named.id)).stdout).toBe(`Volume ${named.id} deleted\n`);
  expect((await server.admin.volumeList()).volumes).toEqual([]);
  failed(await brickyard('volume', 'info', id), `Volume ${id} not found`);

  // error paths
  await allFail([
    [['volume', 'create'], 'Missing volume size'],
    [['volume', 'create', '--size=ten'], '--size must be a whole number, not "ten"'],
    [['volume', 'create', '--size=0'], '--size must be at least 1'],
    [['volume', 'create', '--size=1', '--durability=mirror'], '--durability must be one of none, replicate, disperse, not "mirror"'],
    [['volume', 'create', '--size=1', '--replica=7'], 'Invalid replica value 7: replica must be 1, 2 or 3'],
    [['volume', 'create', '--size=1', '--replica=4'], 'Invalid replica value 4: replica must be 1, 2 or 3'],
    [['volume', 'create', '--size=1', '--snapshot-factor=200'], '--snapshot-factor must be between 1 and 100'],
    [['volume', 'create', '--size=1', '--clusters=abc'], 'Cluster id "abc" is not valid: ids are 32 hexadecimal characters'],
    [['volume', 'create', '--size=1', `--clusters=${NOWHERE}`], `Cluster id ${NOWHERE} not found`],
    [['volume', 'create', '--size=100000'], /^Error: Failed to allocate new volume: No space/],
    [['volume', 'create', '--sise=1'], "unknown option '--sise=1'\n(Did you mean --size?)"],
    [['volume', 'expand', `--volume=${NOWHERE}`, '--expand-size=1'], `Volume ${NOWHERE} not found`],
    [['volume', 'expand', `--volume=${NOWHERE}`], 'Missing volume amount to expand'],
    [['volume', 'expand', '--expand-size=1'], 'Missing volume id'],
    [['volume', 'delete', NOWHERE], `Volume ${NOWHERE} not found`],
    [['volume', 'info'], 'Volume id missing'],
  ]);
  expect((await server.admin.volumeList()).volumes).toEqual([]);
});

test('cluster create, list, info and delete', async () => {
  const created = ok(await brickyard('cluster', 'create', '--block=false'));
  const id = /^Cluster id: ([0-9a-f]{32})\n$/.exec(created.stdout)![1]!;
  expect(await server.admin.clusterInfo(id)).toEqual(expect.objectContaining({ file: true, block: false, nodes: [] }));
  expect(ok(await brickyard('cluster', 'list')).stdout).toContain(`Id:${id} [file]\n`);
  expect(json(ok(await brickyard('cluster', 'list', '--json'))).clusters).toContain(id);
  expect(ok(await brickyard('cluster', 'info', id)).stdout).toBe(`Cluster id: ${id}\nNodes:\nVolumes:\nBlock: false\nFile: true\n`);
  expect(json(ok(await brickyard('cluster', 'info', id, '--json')))).toEqual(expect.objectContaining({ id, block: false }));
  expect(ok(await brickyard('cluster', 'delete', id)).stdout).toBe(`Cluster ${id} deleted\n`);
  await allFail([
    [['cluster', 'info', id], `Cluster ${id} not found`],
    [['cluster', 'delete', NOWHERE], `Cluster ${NOWHERE} not found`],
    [['cluster', 'create', '--file=maybe'], '--file must be true or false, not "maybe"'],
    [['cluster', 'info'], 'Cluster id missing'],
  ]);
  const [sample] = (await server.admin.clusterList()).clusters as string[];
  failed(await brickyard('cluster', 'delete', sample!), `Unable to delete cluster [${sample}] because it contains volumes and/or nodes`);
});

test('node and device commands: add, info, list, disable, enable, remove (bricks move), delete', async () => {
  await ensureSample();
  const [sample] = (await server.admin.clusterList()).clusters as string[];
  const added = ok(
    await brickyard('node', 'add', '--zone=1', `--cluster=${sample}`, '--management-host-name=node7.example.com', '--storage-host-name=10.0.0.7'),
  );
  const nodeId = /^Id: ([0-9a-f]{32})$/m.exec(added.stdout)![1]!;
  expect(added.stdout).toBe(
    `Node information:\nId: ${nodeId}\nState: online\nCluster Id: ${sample}\nZone: 1\nManagement Hostname node7.example.com\nStorage Hostname 10.0.0.7\n`,
  );
  expect(ok(await brickyard('node', 'list')).stdout).toContain(`Id:${nodeId}\tCluster:${sample}\n`);
  expect(ok(await brickyard('device', 'add', '--name=/dev/sdb', `--node=${nodeId}`)).stdout).toBe('Device added successfully\n');
  ok(await brickyard('device', 'add', '--name', '/dev/sdc', '--node', nodeId, '--tags', 'disktype:ssd'));
  const nodeText = ok(await brickyard('node', 'info', nodeId)).stdout;
  expect(nodeText).toMatch(
    new RegExp(`^Node Id: ${nodeId}\nState: online\nCluster Id: ${sample}\nZone: 1\nManagement Hostname: node7.example.com\nStorage Hostname: 10.0.0.7\nDevices:\n`),
  );
  expect(nodeText).toMatch(/^Id:[0-9a-f]{32} {3}Name:\/dev\/sdb {12}State:online {4}Size \(GiB\):497 {5}Used \(GiB\):0 {7}Free \(GiB\):497 {5}Bricks:0$/m);
  const node = await server.admin.nodeInfo(nodeId);
  const [sdb, sdc] = node.devices as Array<{ id: string; name: string }>;
  expect(sdc!.name).toBe('/dev/sdc');
  expect((await server.admin.deviceInfo(sdc!.id)).tags).toEqual({ disktype: 'ssd' });

  const deviceText = ok(await brickyard('device', 'info', sdb!.id)).stdout;
  expect(deviceText).toMatch(new RegExp(`^Device Id: ${sdb!.id}\nState: online\nSize \\(GiB\\): 497\nUsed \\(GiB\\): 0\nFree \\(GiB\\): 497\nCreate Path: /dev/sdb\n`));
  expect(ok(await brickyard('device', 'disable', sdb!.id)).stdout).toBe(`Device ${sdb!.id} is now offline\n`);
  expect((await server.admin.deviceInfo(sdb!.id)).state).toBe('offline');
  expect(ok(await brickyard('device', 'enable', sdb!.id)).stdout).toBe(`Device ${sdb!.id} is now online\n`);
  expect((await server.admin.deviceInfo(sdb!.id)).state).toBe('online');
  expect(ok(await brickyard('device', 'resync', sdb!.id)).stdout).toBe(`Device ${sdb!.id} updated\n`);
  expect(ok(await brickyard('node', 'disable', nodeId)).stdout).toBe(`Node ${nodeId} is now offline\n`);
  expect((await server.admin.nodeInfo(nodeId)).state).toBe('offline');
  expect(ok(await brickyard('node', 'enable', nodeId)).stdout).toBe(`Node ${nodeId} is now online\n`);

  // a volume with a brick on the node: removing the node moves the brick elsewhere
  const pinned = await server.admin.volumeCreate({ size: 2, durability: { type: 'replicate', replicate: { replica: 3 } } });
  const onNode = (pinned.bricks as Array<{ node: string }>).find((b) => b.node !== nodeId)!.node;
  // remove a sample node that holds a brick, with its devices
  expect(ok(await brickyard('node', 'remove', onNode)).stdout).toBe(`Node ${onNode} Removed\n`);
  const after = await server.admin.volumeInfo(pinned.id);
  expect(after.bricks).toHaveLength(3);
  expect((after.bricks as Array<{ node: string }>).some((b) => b.node === onNode)).toBe(false);
  const removed = await server.admin.nodeInfo(onNode);
  expect(removed.state).toBe('failed');
  for (const d of removed.devices as Array<{ state: string; bricks: unknown[] }>) {
    expect(d.state).toBe('failed');
    expect(d.bricks).toEqual([]);
  }
  failed(await brickyard('node', 'delete', onNode), `Unable to delete node [${onNode}] because it contains devices`);
  for (const d of removed.devices as Array<{ id: string }>) expect(ok(await brickyard('device', 'delete', d.id)).stdout).toBe(`Device ${d.id} deleted\n`);
  expect(ok(await brickyard('node', 'delete', onNode)).stdout).toBe(`Node ${onNode} deleted\n`);
  failed(await brickyard('node', 'info', onNode), `Node ${onNode} not found`);

  // device remove on a device with bricks moves them too
  const holder = ((await server.admin.volumeInfo(pinned.id)).bricks as Array<{ device: string; node: string }>).find((b) => b.node !== nodeId)!;
  expect(ok(await brickyard('device', 'remove', holder.device)).stdout).toBe(`Device ${holder.device} is now removed\n`);
  expect((await server.admin.deviceInfo(holder.device)).bricks).toEqual([]);
  expect((await server.admin.volumeInfo(pinned.id)).bricks).toHaveLength(3);
  ok(await brickyard('device', 'delete', holder.device));
  await server.admin.volumeDelete(pinned.id);

  // error paths
  await allFail([
    [['device', 'delete', sdb!.id], `device: ${sdb!.id} is not in failed state`],
    [['node', 'add', `--cluster=${sample}`], 'Missing zone'],
    [['node', 'add', '--zone=0', `--cluster=${sample}`], '--zone must be at least 1'],
    [['node', 'add', '--zone=1', '--management-host-name=a.example.com', '--storage-host-name=10.0.0.99'], 'Missing cluster id'],
    [
      ['node', 'add', '--zone=1', `--cluster=${sample}`, '--management-host-name=node7.example.com', '--storage-host-name=10.0.0.99'],
      `Hostname node7.example.com already used by node with id ${nodeId}`,
    ],
    [['device', 'add', '--name=/dev/sdd'], 'Missing node id'],
    [['device', 'add', `--node=${nodeId}`], 'Missing device name'],
    [['device', 'add', '--name=/dev/sdd', `--node=${NOWHERE}`], /^Error: .*not found\n$/],
    [['device', 'add', '--name=/dev/../sda', `--node=${nodeId}`], /^Error: validation failed: name: must not contain \. or \.\. components/],
    ...['info', 'enable', 'disable', 'remove', 'resync', 'delete'].map((cmd): [string[], string] => [['device', cmd, NOWHERE], `Device ${NOWHERE} not found`]),
    ...['info', 'enable', 'disable', 'remove', 'delete'].map((cmd): [string[], string] => [['node', cmd, NOWHERE], `Node ${NOWHERE} not found`]),
    [['node', 'info'], 'Node id missing'],
    [['device', 'info', 'not-an-id'], 'Device id "not-an-id" is not valid: ids are 32 hexadecimal characters'],
  ]);

  // clean up node7
  for (const d of [sdb!, sdc!]) {
    ok(await brickyard('device', 'remove', d.id));
    ok(await brickyard('device', 'delete', d.id));
  }
  ok(await brickyard('node', 'delete', nodeId));
});

test('db dump and db check', async () => {
  // what this test needs, whatever earlier tests left or did not leave
  await ensureSample();
  const topo = await counts();
  const volumes = ((await server.admin.volumeList()).volumes as string[]).length;
  const dump = json(ok(await brickyard('db', 'dump')));
  expect(Object.keys(dump.nodeentries)).toHaveLength(topo.nodes);
  const check = ok(await brickyard('db', 'check'));
  expect(check.stdout).toMatch(
    new RegExp(
      `^Database is consistent \\(clusters: ${topo.clusters}, nodes: ${topo.nodes}, devices: ${topo.devices}, volumes: ${volumes}, bricks: \\d+, operations in flight: 0\\)\n$`,
    ),
  );
  expect(json(ok(await brickyard('db', 'check', '--json')))).toEqual(expect.objectContaining({ ok: true, problems: [] }));

  // a device whose free + used no longer add up to its total: reported, and the exit status says so
  const knex = server.container.database.knex;
  const device = (await knex('devices').first('id', 'free_kib')) as { id: string; free_kib: number };
  await knex('devices').where({ id: device.id }).update({ free_kib: Number(device.free_kib) - 1 });
  try {
    const bad = await brickyard('db', 'check');
    expect(bad.code).toBe(255);
    expect(bad.stdout).toContain(`  device ${device.id}: free `);
    expect(bad.stderr).toBe('Error: database check found 1 problem\n');
  } finally {
    await knex('devices').where({ id: device.id }).update({ free_kib: device.free_kib });
  }
  ok(await brickyard('db', 'check'));
});

test('connection: flags or environment, before or after the command; server down, bad secret, wrong user', async () => {
  const noEnv = (args: string[], extra: Record<string, string> = {}) => runCli(args, extra);
  // flags instead of the environment, on either side of the subcommand
  ok(await noEnv(['-s', server.url, '--user', 'admin', '--secret', ADMIN_KEY, 'cluster', 'list']));
  ok(await noEnv(['cluster', 'list', `--server=${server.url}`, '--user=admin', `--secret=${ADMIN_KEY}`]));
  ok(await noEnv(['cluster', 'list', '--server', server.url.replace('http://', ''), '--user', 'admin', '--secret', ADMIN_KEY]));

  failed(await noEnv(['cluster', 'list']), 'Server must be provided: use -s/--server or set HEKETI_CLI_SERVER');
  failed(await noEnv(['cluster', 'list', '-s', 'ftp://example.com']), 'Server "ftp://example.com" must be an http:// or https:// URL');
  const port = await closedPort();
  failed(await noEnv(['cluster', 'list', '-s', `http://127.0.0.1:${port}`]), `Unable to reach server http://127.0.0.1:${port}: ECONNREFUSED`);
  failed(
    await noEnv(['cluster', 'list', '-s', server.url, '--user', 'admin', '--secret', 'wrong']),
    /^Error: Invalid JWT token: .*\(client and server secrets may not match\) \(check --user and --secret, or HEKETI_CLI_USER and HEKETI_CLI_KEY\)\n$/,
  );
  failed(
    await noEnv(['cluster', 'list', '-s', server.url, '--user', 'admin']),
    'Invalid JWT token: no key given: the client signed the token with an empty key (give the admin key) (use --secret or set HEKETI_CLI_KEY)',
  );
  failed(
    await noEnv(['cluster', 'list', '-s', server.url]),
    'Required authorization token not found (check --user and --secret, or HEKETI_CLI_USER and HEKETI_CLI_KEY)',
  );
  failed(
    await noEnv(['cluster', 'list'], { HEKETI_CLI_SERVER: server.url, HEKETI_CLI_USER: 'user', HEKETI_CLI_KEY: USER_KEY }),
    /^Error: Administrator access required/,
  );
  // the user key may list volumes
  ok(await noEnv(['volume', 'list'], { HEKETI_CLI_SERVER: server.url, HEKETI_CLI_USER: 'user', HEKETI_CLI_KEY: USER_KEY }));

  // usage errors
  failed(await brickyard('volume', 'grow'), /^Error: unknown command 'grow'/);
  failed(await brickyard('volumes', 'list'), /^Error: unknown command 'volumes'\n\(Did you mean volume\?\)\n$/);
  failed(await brickyard('cluster', 'info', NOWHERE, 'extra'), /^Error: too many arguments/);
  const bare = await brickyard();
  expect(bare.code).toBe(255);
  expect(bare.stderr).toContain('Usage: brickyard');
});
