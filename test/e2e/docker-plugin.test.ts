import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { HeketiClient, type Json } from '../../src/client/heketi-client';
import { sshExecSchema } from '../../src/config/schema';
import { CommandExecutor } from '../../src/executors/command-executor';
import { createSshTransport } from '../../src/executors/ssh';
import { GLUSTER_FUSE_TYPE, readMountTable } from '../../src/mount/mount-table';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/server';
import { pluginCall } from '../docker-plugin/plugin-client';
import { importTestImage, startDockerd, TEST_IMAGE, type Dockerd } from './support/dockerd';
import { LAB_RUN, LAB_SSH_KEY, REPO_ROOT, mustOnNode, onNode, readLab, runLocal, sleep, waitUntil, type Run } from './support/lab';
import { assertLabBlank, leaveLabBlank, teardownThroughApi } from './support/blank-lab';
import { glusterVolume, glusterVolumeNames, nodeState } from './support/node-state';
import { Timings } from './support/timings';

/**
 * The Docker volume plugin on real storage nodes with a real Docker engine: a Brickyard server (PostgreSQL,
 * ssh executor) on the uml lab, `brickyard docker-plugin` as its own process on Docker's plugin socket, and
 * Debian's dockerd on a socket and data root of its own. Everything is driven with the docker command as a
 * user types it; effects are checked on the nodes (bricks, LVs, gluster volumes) and in this host's mount
 * table. The tests run in order and build on each other. A transcript of the docker commands and the timings
 * are written to E2E_OUT (docker-transcript.txt, docker-timings.txt).
 */
const lab = readLab();
const E2E_OUT = process.env.E2E_OUT ?? `${LAB_RUN}/e2e`;
mkdirSync(E2E_OUT, { recursive: true });
const TRANSCRIPT = join(E2E_OUT, 'docker-transcript.txt');
const PLUGIN_SOCKET = '/run/docker/plugins/brickyard.sock';
const workDir = mkdtempSync(join(tmpdir(), 'brickyard-docker-e2e-'));
const stateDir = join(workDir, 'plugin-state');
const mountRoot = join(stateDir, 'mounts');
const timings = new Timings();

const sshConfig = sshExecSchema.parse({ keyfile: LAB_SSH_KEY, user: 'root', connect_timeout: 10 });
const executor = new CommandExecutor(createSshTransport(sshConfig), sshConfig, { kind: 'ssh', warn: () => undefined });

let server: TestServer;
let c: HeketiClient;
let dockerd: Dockerd;
let plugin: ChildProcess | undefined;
let pluginLog = '';

writeFileSync(TRANSCRIPT, '');
function note(text: string): void {
  appendFileSync(TRANSCRIPT, text);
}

/** Runs the docker command as a user would, noting it, its output and its time in the transcript. */
async function docker(args: string[], timeLabel?: string): Promise<Run> {
  const started = process.hrtime.bigint();
  const run = () => dockerd.docker(args);
  const r = timeLabel ? await timings.time(timeLabel, run) : await run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  note(`$ docker ${args.map((a) => (/[\s'"><]/.test(a) ? `'${a}'` : a)).join(' ')}\n${r.stdout}${r.stderr}${r.code !== 0 ? `(exit status ${r.code})\n` : ''}# ${seconds.toFixed(1)} s\n\n`);
  return r;
}

async function mustDocker(args: string[], timeLabel?: string): Promise<string> {
  const r = await docker(args, timeLabel);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim()}\nplugin log:\n${pluginLog.slice(-4000)}`);
  return r.stdout;
}

async function startPlugin(): Promise<void> {
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'dist/src/cli/main.js'), 'docker-plugin', '--server', server.url, '--user', 'admin', '--secret', ADMIN_KEY, '--state-dir', stateDir, '--log-dir', join(workDir, 'client-logs'), '--socket', PLUGIN_SOCKET],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (pluginLog += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (pluginLog += s));
  plugin = child;
  await waitUntil('the plugin to answer on its socket', 60_000, async () => {
    if (child.exitCode !== null) throw new Error(`plugin exited (${child.exitCode}): ${pluginLog}`);
    const r = await pluginCall(PLUGIN_SOCKET, 'Plugin.Activate', {});
    return r.json.Implements ? true : undefined;
  }, 250);
}

async function stopPlugin(): Promise<void> {
  const child = plugin;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(30_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  plugin = undefined;
}

/** This host's GlusterFS FUSE mounts made by the plugin. */
async function pluginMounts(): Promise<Array<{ mountPoint: string; source: string }>> {
  return (await readMountTable()).filter((e) => e.fsType === GLUSTER_FUSE_TYPE && e.mountPoint.startsWith(`${mountRoot}/`));
}

async function volumeNamed(name: string): Promise<Json | undefined> {
  for (const id of (await c.volumeList()).volumes as string[]) {
    const info = await c.volumeInfo(id);
    if (info.name === name) return info;
  }
  return undefined;
}



beforeAll(async () => {
  for (const n of lab.nodes) {
    const r = await onNode(n.ip, 'systemctl is-active glusterd', 20_000);
    if (r.code !== 0) throw new Error(`${n.name} (${n.ip}) does not answer over ssh or glusterd is not running: ${r.stdout}${r.stderr}`);
  }
  await assertLabBlank(lab.nodes);
  server = await startTestServer({ db: 'postgres', executor, glusterfs: { executor: 'ssh', sshexec: { keyfile: LAB_SSH_KEY, user: 'root' }, zone_checking: 'strict' } });
  c = new HeketiClient(server.url, { user: 'admin', key: ADMIN_KEY, pollIntervalMs: 400, timeoutMs: 120_000 });
  await timings.time('topology (API: 3 nodes in 3 zones, 3 devices)', async () => {
    const cluster = await c.clusterCreate();
    for (const [i, n] of lab.nodes.entries()) {
      const node = await c.nodeAdd({ zone: i + 1, cluster: cluster.id, hostnames: { manage: [n.ip], storage: [n.ip] } });
      await c.deviceAdd({ node: node!.id, name: n.disk });
    }
  });
  dockerd = await timings.time('dockerd start (vfs, own socket and data root)', () => startDockerd(join(workDir, 'docker')));
  await timings.time('test image (docker import of busybox-static)', () => importTestImage(dockerd, workDir));
  await timings.time('plugin start', startPlugin);
  note(`# Brickyard docker volume plugin on the storage lab (${lab.nodes.map((n) => n.ip).join(', ')}); dockerd ${dockerd.host}\n\n`);
});

afterAll(async () => {
  if (dockerd) {
    await dockerd.docker(['rm', '-f', 'by-a', 'by-b']).catch(() => undefined);
    await dockerd.docker(['volume', 'rm', 'shared']).catch(() => undefined);
  }
  await stopPlugin();
  for (const m of await pluginMounts()) await runLocal('umount', ['-l', m.mountPoint]);
  if (dockerd) await dockerd.stop();
  if (server) {
    try {
      await teardownThroughApi(c);
    } catch (err) {
      process.stderr.write(`docker e2e teardown: ${(err as Error).message}\n`);
    }
    await server.close();
  }
  await leaveLabBlank(lab.nodes, 'docker e2e');
  writeFileSync(join(E2E_OUT, 'docker-plugin.log'), pluginLog);
  rmSync(workDir, { recursive: true, force: true });
  timings.write(join(E2E_OUT, 'docker-timings.txt'));
  process.stdout.write(`\ndocker plugin e2e timings:\n${timings.lines().join('\n')}\ntranscript: ${TRANSCRIPT}\n`);
});

const ZONE_OF: Record<string, number> = {};

test('docker volume create -d brickyard makes a replica-3 volume with three bricks in three zones', async () => {
  for (const [i, n] of lab.nodes.entries()) ZONE_OF[n.ip] = i + 1;
  await mustDocker(['volume', 'create', '-d', 'brickyard', '-o', 'size=2', '-o', 'replica=3', 'shared'], 'docker volume create (size=2, replica 3)');
  const info = (await volumeNamed('shared'))!;
  expect(info).toMatchObject({ size: 2, durability: { type: 'replicate', replicate: { replica: 3 } } });
  expect(info.bricks).toHaveLength(3);
  const nodes = await Promise.all((info.bricks as Json[]).map(async (b) => (await c.nodeInfo(b.node)).hostnames.manage[0] as string));
  expect(new Set(nodes.map((ip) => ZONE_OF[ip])).size).toBe(3);
  const gv = await glusterVolume(lab.nodes[0]!.ip, 'shared');
  expect(gv).toMatchObject({ status: 'Started', layout: '1 x 3 = 3' });
});

test('a container writes a file that is then on all three bricks; the mount goes with the container', async () => {
  const first = await docker(['run', '--rm', '--network', 'none', '-v', 'shared:/data', TEST_IMAGE, 'sh', '-c', 'echo x > /data/f'], 'first docker run with the volume (FUSE mount + container)');
  expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
  const info = (await volumeNamed('shared'))!;
  for (const b of info.bricks as Json[]) {
    const ip = (await c.nodeInfo(b.node)).hostnames.manage[0] as string;
    expect(await mustOnNode(ip, `cat ${b.path}/f`)).toBe('x\n');
  }
  // the last (only) container is gone: so is the mount
  expect(await pluginMounts()).toEqual([]);
  await mustDocker(['run', '--rm', '--network', 'none', '-v', 'shared:/data', TEST_IMAGE, 'true'], 'second docker run (mount again)');
});

test('a second container reads it', async () => {
  expect(await mustDocker(['run', '--rm', '--network', 'none', '-v', 'shared:/data', TEST_IMAGE, 'cat', '/data/f'])).toBe('x\n');
});

test('two containers at once share one FUSE mount, and a plugin restart while they run leaves them working', async () => {
  await mustDocker(['run', '-d', '--name', 'by-a', '--network', 'none', '-v', 'shared:/data', TEST_IMAGE, 'sleep', '3600']);
  await mustDocker(['run', '-d', '--name', 'by-b', '--network', 'none', '-v', 'shared:/data', TEST_IMAGE, 'sleep', '3600']);
  const mounts = await pluginMounts();
  expect(mounts).toHaveLength(1);
  expect(mounts[0]!.mountPoint).toBe(join(mountRoot, 'shared'));
  await mustDocker(['exec', 'by-a', 'sh', '-c', 'echo from-a > /data/g']);
  expect(await mustDocker(['exec', 'by-b', 'cat', '/data/g'])).toBe('from-a\n');

  await timings.time('plugin restart (stop + start)', async () => {
    await stopPlugin();
    note('# the plugin is stopped and started again while by-a and by-b run\n\n');
    await startPlugin();
  });
  expect(await pluginMounts()).toHaveLength(1);
  await mustDocker(['exec', 'by-a', 'sh', '-c', 'echo after-restart > /data/h']);
  expect(await mustDocker(['exec', 'by-b', 'cat', '/data/h'])).toBe('after-restart\n');
  const inspect = JSON.parse(await mustDocker(['volume', 'inspect', 'shared']))[0];
  expect(inspect.Status).toMatchObject({ mountedHere: true, containersHere: 2 });

  // the counts survived: stopping one keeps the mount, stopping the other removes it
  await mustDocker(['rm', '-f', 'by-a']);
  expect(await pluginMounts()).toHaveLength(1);
  expect(await mustDocker(['exec', 'by-b', 'cat', '/data/f'])).toBe('x\n');
  await mustDocker(['rm', '-f', 'by-b']);
  expect(await pluginMounts()).toEqual([]);
});

test('docker volume ls and inspect show the volume', async () => {
  const ls = await mustDocker(['volume', 'ls']);
  expect(ls).toMatch(/^brickyard\s+shared$/m);
  const inspect = JSON.parse(await mustDocker(['volume', 'inspect', 'shared']))[0];
  const info = (await volumeNamed('shared'))!;
  expect(inspect).toMatchObject({
    Driver: 'brickyard',
    Name: 'shared',
    Scope: 'global',
    Status: { brickyardId: info.id, size: '2 GiB', durability: 'replicate 3', bricks: 3, mountedHere: false, containersHere: 0 },
  });
  expect(String(inspect.Status.volfileServers).split(',').sort()).toEqual(lab.nodes.map((n) => n.ip).sort());
});

test('docker volume rm removes the Brickyard volume and leaves no mount, LV or Gluster volume', async () => {
  const info = (await volumeNamed('shared'))!;
  await mustDocker(['volume', 'rm', 'shared'], 'docker volume rm');
  expect(await mustDocker(['volume', 'ls', '-q'])).not.toMatch(/^shared$/m);
  // dockerd gives Remove one minute; a delete that takes longer on the nodes is finished by Brickyard
  await timings.time('docker volume rm answered until Brickyard has deleted the volume', () =>
    waitUntil('Brickyard to finish deleting the volume', 600_000, async () => ((await volumeNamed('shared')) === undefined ? true : undefined), 2000),
  );
  expect(await pluginMounts()).toEqual([]);
  for (const n of lab.nodes) {
    const state = await nodeState(n.ip);
    expect(state.lvs.filter((lv) => (info.bricks as Json[]).some((b) => lv.lv.endsWith(b.id)))).toEqual([]);
    expect(state.mounts).toEqual([]);
    expect(await glusterVolumeNames(n.ip)).toEqual([]);
  }
  expect(await mustDocker(['volume', 'ls', '-q'])).not.toMatch(/^shared$/m);
});

test('a create that cannot fit prints Brickyard\'s "No space" explanation at the Docker prompt', async () => {
  const r = await docker(['volume', 'create', '-d', 'brickyard', '-o', 'size=500', 'too-big'], 'docker volume create that does not fit');
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/^Error response from daemon: create too-big: .*No space: cluster [0-9a-f]{32} has no room for 500 GiB as replica 3/m);
  expect(await volumeNamed('too-big')).toBeUndefined();
  const bad = await docker(['volume', 'create', '-d', 'brickyard', '-o', 'size=2', '-o', 'replica=three', 'bad-option']);
  expect(bad.stderr.trim()).toBe('Error response from daemon: create bad-option: option replica must be a whole number, not "three"');
});
