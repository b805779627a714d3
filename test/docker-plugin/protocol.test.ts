import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { DriverLog } from '../../src/docker-plugin/driver';
import { resolvePluginConfig, type PluginConfig } from '../../src/docker-plugin/config';
import { startDockerPlugin, type RunningPlugin } from '../../src/docker-plugin/run';
import { readMountTable } from '../../src/mount/mount-table';
import { SystemMounter, type Mounter } from '../../src/mount/mounter';
import { ADMIN_KEY, buildTopology, startTestServer, type TestServer } from '../support/server';
import { BindMounterDouble } from './bind-mounter';
import { pluginCall } from './plugin-client';

/**
 * The plugin over a real unix socket, as dockerd calls it, against a real Brickyard server (PGlite, JWT, mock
 * storage executor). Mounts are real kernel mounts; only the GlusterFS client is stood in for by bind mounts
 * (BindMounterDouble), except where the real client is meant to fail.
 */
let server: TestServer;
let dir: string;
let plugins: RunningPlugin[] = [];
const quiet: DriverLog = { info: () => undefined, warn: () => undefined };

beforeAll(async () => {
  server = await startTestServer();
  await buildTopology(server.admin, { nodes: 3, zones: 3, devicesPerNode: 1 });
}, 180_000);
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'by-docker-plugin-'));
});
afterEach(async () => {
  if (!dir) return;
  for (const p of plugins) await p.close();
  plugins = [];
  const mounter = new SystemMounter();
  for (const e of (await readMountTable()).reverse()) if (e.mountPoint.startsWith(`${dir}/`)) await mounter.unmount(e.mountPoint);
  await rm(dir, { recursive: true, force: true });
});

function configFor(overrides: Partial<PluginConfig> = {}): PluginConfig {
  const flags = { server: server.url, user: 'admin', secret: ADMIN_KEY, socket: join(dir, 'plugins', 'brickyard.sock'), stateDir: join(dir, 'state'), logDir: join(dir, 'logs') };
  return { ...resolvePluginConfig(flags, {}, () => undefined), ...overrides };
}

async function start(
  overrides: Partial<PluginConfig> = {},
  mounter?: Mounter,
  extra: { log?: DriverLog; removeBudgetMs?: number } = {},
): Promise<{ plugin: RunningPlugin; call: (m: string, b?: unknown) => Promise<any>; mounter: Mounter }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const m = mounter ?? new BindMounterDouble(join(dir, 'gluster-volumes'));
  const plugin = await startDockerPlugin(configFor(overrides), { log: extra.log ?? quiet, mounter: m, removeBudgetMs: extra.removeBudgetMs });
  plugins.push(plugin);
  return { plugin, mounter: m, call: async (method, body) => (await pluginCall(plugin.socket, method, body)).json };
}

async function brickyardVolume(name: string) {
  for (const id of (await server.admin.volumeList()).volumes as string[]) {
    const info = await server.admin.volumeInfo(id);
    if (info.name === name) return info;
  }
  return undefined;
}

/** A port nothing listens on: one the kernel just handed out and was closed again. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A log that keeps its lines ("warn: " before warnings), and a wait for one of them. */
function recordingLog(): { log: DriverLog; lines: string[]; line: (text: string) => Promise<void> } {
  const lines: string[] = [];
  const log: DriverLog = { info: (m) => void lines.push(m), warn: (m) => void lines.push(`warn: ${m}`) };
  const line = async (text: string) => {
    for (const end = Date.now() + 120_000; !lines.includes(text); ) {
      if (Date.now() > end) throw new Error(`no log line "${text}" in 120 s; lines: ${lines.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { log, lines, line };
}

async function volumeCount(): Promise<number> {
  return ((await server.admin.volumeList()).volumes as string[]).length;
}

describe('handshake', () => {
  it('activates as a VolumeDriver and has global scope', async () => {
    const { plugin } = await start();
    const activate = await pluginCall(plugin.socket, 'Plugin.Activate');
    expect(activate).toEqual({ status: 200, contentType: 'application/vnd.docker.plugins.v1+json', json: { Implements: ['VolumeDriver'] } });
    expect((await pluginCall(plugin.socket, 'VolumeDriver.Capabilities', {})).json).toEqual({ Capabilities: { Scope: 'global' } });
  });

  it('answers what is not the protocol with an Err', async () => {
    const { plugin } = await start();
    expect(await pluginCall(plugin.socket, 'VolumeDriver.Create', undefined, 'GET')).toMatchObject({ status: 405, json: { Err: expect.stringContaining('use POST') } });
    expect(await pluginCall(plugin.socket, 'VolumeDriver.Frobnicate', {})).toMatchObject({ status: 404, json: { Err: expect.stringContaining('not a method') } });
    expect((await pluginCall(plugin.socket, 'VolumeDriver.Create', '{not json')).json).toEqual({ Err: 'request body is not JSON' });
    expect((await pluginCall(plugin.socket, 'VolumeDriver.Create', '[1]')).json).toEqual({ Err: 'request body must be a JSON object' });
  });
});

describe('VolumeDriver.Create', () => {
  it('makes the Brickyard volume with the options given, once however often it is asked', async () => {
    const { call } = await start();
    const before = await volumeCount();
    const req = { Name: 'shared', Opts: { size: '2', durability: 'replicate', replica: '3' } };
    expect(await call('VolumeDriver.Create', req)).toEqual({ Err: '' });
    // a second host asking for the same name and options: the same volume
    const second = await start({ socket: join(dir, 'plugins', 'second.sock'), stateDir: join(dir, 'state2') });
    expect(await second.call('VolumeDriver.Create', req)).toEqual({ Err: '' });
    expect(await volumeCount()).toBe(before + 1);
    const info = await brickyardVolume('shared');
    expect(info).toMatchObject({ size: 2, durability: { type: 'replicate', replicate: { replica: 3 } } });
    expect(info!.bricks).toHaveLength(3);
  });

  it('refuses the same name with other options, naming the volume it clashes with', async () => {
    const { call } = await start();
    expect(await call('VolumeDriver.Create', { Name: 'clash', Opts: { size: '1' } })).toEqual({ Err: '' });
    const r = await call('VolumeDriver.Create', { Name: 'clash', Opts: { size: '3' } });
    expect(r.Err).toMatch(/^cannot create volume clash: Volume name clash is already in use by volume [0-9a-f]{32}$/);
    expect((await brickyardVolume('clash'))!.size).toBe(1);
  });

  it('uses the config\'s defaults for what the command leaves out', async () => {
    const { call } = await start({ defaults: { size: '1', durability: 'none', 'snapshot-factor': '1.5' } });
    expect(await call('VolumeDriver.Create', { Name: 'defaulted', Opts: {} })).toEqual({ Err: '' });
    expect(await brickyardVolume('defaulted')).toMatchObject({ size: 1, durability: { type: 'none' }, snapshot: { enable: true, factor: 1.5 } });
    expect(await call('VolumeDriver.Create', { Name: 'defaulted-2', Opts: { durability: 'replicate', replica: '2', gid: '2000' } })).toEqual({ Err: '' });
    expect(await brickyardVolume('defaulted-2')).toMatchObject({ size: 1, durability: { type: 'replicate', replicate: { replica: 2 } }, gid: 2000 });
  });

  it.each([
    [{ size: '2', sise: '3' }, 'unknown option "sise"; the brickyard driver takes size, durability, replica, data, redundancy, gid, clusters, volumeoptions, snapshot-factor'],
    [{ size: 'ten' }, 'option size must be a whole number, not "ten"'],
    [{ size: '0' }, 'option size must be between 1 and 1048576, not 0'],
    [{}, 'option size is required (GiB), e.g. -o size=10'],
    [{ size: '1', durability: 'mirror' }, 'option durability must be one of none, replicate, disperse, not "mirror"'],
    [{ size: '1', replica: '5' }, 'option replica must be between 1 and 3, not 5'],
    [{ size: '1', durability: 'none', replica: '2' }, 'option replica needs durability=replicate (this volume is none)'],
    [{ size: '1', data: '4' }, 'options data and redundancy need durability=disperse (this volume is replicate)'],
    [{ size: '1', gid: '-1' }, 'option gid must be a whole number, not "-1"'],
    [{ size: '1', clusters: 'abc' }, 'option clusters: "abc" is not a cluster id (32 hex characters)'],
    [{ size: '1', volumeoptions: 'performance.x' }, 'option volumeoptions: option "performance.x" needs a value (write "key value" pairs separated by commas)'],
    [{ size: '1', volumeoptions: 'a -oexec' }, 'option volumeoptions: option "a" value must not start with - (write "key value" pairs separated by commas)'],
    [{ size: '1', 'snapshot-factor': '200' }, 'option snapshot-factor must be a number from 1 to 100, not "200"'],
  ])('refuses options %j with a clear Err and creates nothing', async (opts, message) => {
    const { call } = await start();
    const before = await volumeCount();
    expect(await call('VolumeDriver.Create', { Name: 'badopts', Opts: opts })).toEqual({ Err: message });
    expect(await volumeCount()).toBe(before);
  });

  it('refuses a Docker name Brickyard cannot take', async () => {
    const { call } = await start();
    expect((await call('VolumeDriver.Create', { Name: 'my.data', Opts: { size: '1' } })).Err).toBe(
      'volume name "my.data" cannot be used with Brickyard: it must start with a letter or digit and contain only letters, digits, _ and -',
    );
    expect((await call('VolumeDriver.Create', { Opts: { size: '1' } })).Err).toBe('the volume needs a name');
  });

  it('passes on Brickyard\'s "No space" explanation', async () => {
    const { call } = await start();
    const before = await volumeCount();
    const r = await call('VolumeDriver.Create', { Name: 'huge', Opts: { size: '100000' } });
    // Brickyard's explanation, whole: which cluster, why, and per zone what was passed over
    expect(r.Err).toMatch(/^cannot create volume huge: (Failed to allocate new volume: )?No space: cluster [0-9a-f]{32} cannot hold 100000 GiB .*zone 1: /);
    expect(await volumeCount()).toBe(before);
  });
});

describe('Mount, Unmount, Path, Get, List, Remove', () => {
  it('mounts once for many containers and unmounts after the last', async () => {
    const { call, mounter } = await start();
    await call('VolumeDriver.Create', { Name: 'web', Opts: { size: '1' } });
    const mountpoint = join(dir, 'state', 'mounts', 'web');
    expect(await call('VolumeDriver.Path', { Name: 'web' })).toEqual({ Mountpoint: '', Err: '' });
    expect(await call('VolumeDriver.Mount', { Name: 'web', ID: 'a'.repeat(64) })).toEqual({ Mountpoint: mountpoint, Err: '' });
    expect(await call('VolumeDriver.Mount', { Name: 'web', ID: 'b'.repeat(64) })).toEqual({ Mountpoint: mountpoint, Err: '' });
    const double = mounter as BindMounterDouble;
    expect(double.glusterMounts).toHaveLength(1);
    const info = await brickyardVolume('web');
    const hosts = info!.mount.glusterfs.hosts as string[];
    expect(double.glusterMounts[0]).toEqual({ servers: [hosts[0], ...hosts.slice(1)], volume: 'web', target: mountpoint, logFile: join(dir, 'logs', 'web.log') });
    expect((await readMountTable()).filter((e) => e.mountPoint === mountpoint)).toHaveLength(1);
    expect(await call('VolumeDriver.Path', { Name: 'web' })).toEqual({ Mountpoint: mountpoint, Err: '' });

    const get = await call('VolumeDriver.Get', { Name: 'web' });
    expect(get).toEqual({
      Err: '',
      Volume: {
        Name: 'web',
        Mountpoint: mountpoint,
        Status: {
          brickyardId: info!.id,
          brickyardServer: server.url,
          cluster: info!.cluster,
          size: '1 GiB',
          durability: 'replicate 3',
          bricks: 3,
          volfileServers: hosts.join(','),
          mountedHere: true,
          containersHere: 2,
        },
      },
    });
    const list = await call('VolumeDriver.List', {});
    expect(list.Err).toBe('');
    expect(list.Volumes).toContainEqual({ Name: 'web', Mountpoint: mountpoint });
    expect(list.Volumes.length).toBe(await volumeCount());

    // Remove refuses while a container here still uses it, and changes nothing
    expect((await call('VolumeDriver.Remove', { Name: 'web' })).Err).toBe(
      'volume web is still mounted on this host for 2 container(s); stop them (docker ps --filter volume=web) and remove it again',
    );
    expect(await brickyardVolume('web')).toBeDefined();

    expect(await call('VolumeDriver.Unmount', { Name: 'web', ID: 'a'.repeat(64) })).toEqual({ Err: '' });
    expect(await mounter.isMounted(mountpoint)).toBe(true);
    expect(await call('VolumeDriver.Unmount', { Name: 'web', ID: 'b'.repeat(64) })).toEqual({ Err: '' });
    expect(await mounter.isMounted(mountpoint)).toBe(false);
    expect(await call('VolumeDriver.Path', { Name: 'web' })).toEqual({ Mountpoint: '', Err: '' });
    expect(JSON.parse(await readFile(join(dir, 'state', 'mounts.json'), 'utf8'))).toEqual({ version: 1, volumes: {} });

    expect(await call('VolumeDriver.Remove', { Name: 'web' })).toEqual({ Err: '' });
    expect(await brickyardVolume('web')).toBeUndefined();
    // removing again: already gone is what was asked for
    expect(await call('VolumeDriver.Remove', { Name: 'web' })).toEqual({ Err: '' });
  });

  it('keeps counting across a plugin restart: no unmount under a running container, no leaked mount', async () => {
    const first = await start();
    await first.call('VolumeDriver.Create', { Name: 'durable', Opts: { size: '1' } });
    const mountpoint = (await first.call('VolumeDriver.Mount', { Name: 'durable', ID: 'c1' })).Mountpoint as string;
    await first.call('VolumeDriver.Mount', { Name: 'durable', ID: 'c2' });
    await first.plugin.close();
    plugins = plugins.filter((p) => p !== first.plugin);
    expect(await first.mounter.isMounted(mountpoint)).toBe(true);

    const second = await start();
    expect((await second.call('VolumeDriver.Get', { Name: 'durable' })).Volume.Status).toMatchObject({ mountedHere: true, containersHere: 2 });
    await second.call('VolumeDriver.Unmount', { Name: 'durable', ID: 'c1' });
    expect(await second.mounter.isMounted(mountpoint)).toBe(true);
    await second.call('VolumeDriver.Unmount', { Name: 'durable', ID: 'c2' });
    expect(await second.mounter.isMounted(mountpoint)).toBe(false);
    expect((second.mounter as BindMounterDouble).glusterMounts).toHaveLength(0);
  });

  it('drops the holders of a mount that disappeared while it was down (a reboot)', async () => {
    const first = await start();
    await first.call('VolumeDriver.Create', { Name: 'rebooted', Opts: { size: '1' } });
    const mountpoint = (await first.call('VolumeDriver.Mount', { Name: 'rebooted', ID: 'c1' })).Mountpoint as string;
    await first.plugin.close();
    plugins = plugins.filter((p) => p !== first.plugin);
    await first.mounter.unmount(mountpoint);
    const second = await start();
    expect((await second.call('VolumeDriver.Get', { Name: 'rebooted' })).Volume).toMatchObject({ Mountpoint: '', Status: { containersHere: 0 } });
    expect(await second.call('VolumeDriver.Mount', { Name: 'rebooted', ID: 'c9' })).toEqual({ Mountpoint: mountpoint, Err: '' });
    expect((await second.call('VolumeDriver.Get', { Name: 'rebooted' })).Volume.Status.containersHere).toBe(1);
  });

  it('says which volume does not exist', async () => {
    const { call } = await start();
    expect(await call('VolumeDriver.Get', { Name: 'nothere' })).toEqual({ Err: 'there is no Brickyard volume named nothere' });
    expect(await call('VolumeDriver.Mount', { Name: 'nothere', ID: 'c1' })).toEqual({
      Err: 'there is no Brickyard volume named nothere (docker volume create -d brickyard -o size=N nothere makes one)',
    });
    expect(await call('VolumeDriver.Mount', { Name: 'nothere' })).toEqual({ Err: 'the request needs the mount ID Docker gives each container mount' });
    expect(await call('VolumeDriver.Unmount', { Name: 'nothere', ID: 'c1' })).toEqual({ Err: '' });
  });

  // dockerd fails `docker volume rm` after one minute; a delete on a busy cluster can take longer than that.
  it('answers Remove within its budget while a slow delete goes on on Brickyard, and offers the name to no one meanwhile', async () => {
    const { log, lines, line } = recordingLog();
    const { call } = await start({}, undefined, { log, removeBudgetMs: 200 });
    await call('VolumeDriver.Create', { Name: 'slow-rm', Opts: { size: '1' } });
    server.mock.latencyMs = 1000; // every node call of the delete takes a second
    try {
      expect(await call('VolumeDriver.Remove', { Name: 'slow-rm' })).toEqual({ Err: '' });
      expect(lines).toContain('volume delete still running on Brickyard; Docker answered before its deadline');
      expect(lines).not.toContain('volume deleted');
      expect(await brickyardVolume('slow-rm')).toBeDefined();
      expect(await call('VolumeDriver.Get', { Name: 'slow-rm' })).toEqual({ Err: 'there is no Brickyard volume named slow-rm' });
      expect(((await call('VolumeDriver.List', {})).Volumes as Array<{ Name: string }>).map((v) => v.Name)).not.toContain('slow-rm');
      expect((await call('VolumeDriver.Mount', { Name: 'slow-rm', ID: 'c1' })).Err).toMatch(/^there is no Brickyard volume named slow-rm/);
      await line('volume deleted');
      expect(await brickyardVolume('slow-rm')).toBeUndefined();
    } finally {
      server.mock.latencyMs = 0;
    }
  });

  it('offers the volume again when a delete that outlived Remove\'s budget fails on Brickyard', async () => {
    const { log, lines, line } = recordingLog();
    const { call } = await start({}, undefined, { log, removeBudgetMs: 200 });
    await call('VolumeDriver.Create', { Name: 'late-fail', Opts: { size: '1' } });
    server.mock.latencyMs = 1000;
    server.mock.failAt('volumeDestroy', { times: 10, message: 'volume stop: peer node2 is down' });
    try {
      expect(await call('VolumeDriver.Remove', { Name: 'late-fail' })).toEqual({ Err: '' });
      expect(await call('VolumeDriver.Get', { Name: 'late-fail' })).toEqual({ Err: 'there is no Brickyard volume named late-fail' });
      await line('warn: volume delete failed on Brickyard; the volume is offered to Docker again');
      expect(lines).not.toContain('volume deleted');
      expect((await call('VolumeDriver.Get', { Name: 'late-fail' })).Volume).toMatchObject({ Name: 'late-fail', Status: { size: '1 GiB' } });
      expect(((await call('VolumeDriver.List', {})).Volumes as Array<{ Name: string }>).map((v) => v.Name)).toContain('late-fail');
    } finally {
      server.mock.latencyMs = 0;
      server.mock.clearFaults();
    }
    // and a Remove once the cluster is well again deletes it
    expect(await call('VolumeDriver.Remove', { Name: 'late-fail' })).toEqual({ Err: '' });
    expect(await brickyardVolume('late-fail')).toBeUndefined();
  });

  it('keeps the Brickyard volume on remove when configured to', async () => {
    const { call } = await start({ keepOnRemove: true });
    await call('VolumeDriver.Create', { Name: 'kept', Opts: { size: '1' } });
    expect(await call('VolumeDriver.Remove', { Name: 'kept' })).toEqual({ Err: '' });
    expect(await brickyardVolume('kept')).toBeDefined();
  });

  it('reports a failed GlusterFS mount with the client\'s reason and leaves nothing mounted', async () => {
    // a cluster whose storage addresses are loopback addresses where no glusterd listens
    const cluster = await server.admin.clusterCreate();
    for (let i = 1; i <= 3; i += 1) {
      const node = await server.admin.nodeAdd({ zone: i, cluster: cluster.id as string, hostnames: { manage: [`loop${i}.example.com`], storage: [`127.0.0.${i + 10}`] } });
      await server.admin.deviceAdd({ node: node!.id as string, name: '/dev/sdb' });
    }
    const { call, mounter } = await start({}, new SystemMounter({ logDir: join(dir, 'logs') }));
    expect(await call('VolumeDriver.Create', { Name: 'unreachable', Opts: { size: '1', clusters: cluster.id } })).toEqual({ Err: '' });
    const r = await call('VolumeDriver.Mount', { Name: 'unreachable', ID: 'c1' });
    expect(r.Err).toMatch(/^mounting volume unreachable failed: /);
    expect(r.Err).toMatch(/Mount failed|Exhausted all volfile servers|remote-host: 127\.0\.0\.1[123]/);
    expect(await mounter.isMounted(join(dir, 'state', 'mounts', 'unreachable'))).toBe(false);
    expect((await call('VolumeDriver.Get', { Name: 'unreachable' })).Volume.Status.containersHere).toBe(0);
  });
});

describe('Brickyard down or refusing', () => {
  it('says Brickyard is unreachable, and still mounts what is already mounted here', async () => {
    const up = await start();
    await up.call('VolumeDriver.Create', { Name: 'offline', Opts: { size: '1' } });
    const mountpoint = (await up.call('VolumeDriver.Mount', { Name: 'offline', ID: 'c1' })).Mountpoint;
    await up.plugin.close();
    plugins = [];
    const closed = await closedPort();
    const down = await start({ server: `http://127.0.0.1:${closed}` });
    const r = await down.call('VolumeDriver.Create', { Name: 'other', Opts: { size: '1' } });
    expect(r.Err).toBe(`Brickyard is unreachable at http://127.0.0.1:${closed} (ECONNREFUSED): cannot create volume other; check that the server runs and the plugin's server setting`);
    expect((await down.call('VolumeDriver.List', {})).Err).toMatch(new RegExp(`^Brickyard is unreachable at http://127\\.0\\.0\\.1:${closed} \\(ECONNREFUSED\\): cannot list volumes`));
    expect((await down.call('VolumeDriver.Get', { Name: 'offline' })).Err).toMatch(/^Brickyard is unreachable/);
    // a second container on this host still gets the volume mounted here
    expect(await down.call('VolumeDriver.Mount', { Name: 'offline', ID: 'c2' })).toEqual({ Mountpoint: mountpoint, Err: '' });
    expect(await down.call('VolumeDriver.Path', { Name: 'offline' })).toEqual({ Mountpoint: mountpoint, Err: '' });
  });

  it('says the credentials are refused', async () => {
    const { call } = await start({ key: 'wrong' });
    const r = await call('VolumeDriver.Create', { Name: 'creds', Opts: { size: '1' } });
    expect(r.Err).toMatch(new RegExp(`^Brickyard at ${server.url.replace(/\./g, '\\.')} refused the plugin's credentials \\(.+\\): check user and key in the plugin's config$`));
  });
});
