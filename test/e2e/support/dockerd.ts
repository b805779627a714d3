import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { runLocal, sleep, type Run } from './lab';

/**
 * A Docker engine of the suite's own (Debian's docker.io): its own API socket, data root, exec root and pid
 * file under one directory, so it touches no other Docker on the machine. vfs storage, no iptables, no
 * bridge: containers run with --network none. Volume plugins are still found in /run/docker/plugins, which
 * dockerd does not let one move.
 */
export const DOCKER_CLI = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
export const TEST_IMAGE = 'brickyard-e2e-busybox:latest';

export interface Dockerd {
  host: string;
  docker(args: string[], timeoutMs?: number): Promise<Run>;
  stop(): Promise<void>;
}

export async function startDockerd(dir: string): Promise<Dockerd> {
  mkdirSync(dir, { recursive: true });
  const host = `unix://${join(dir, 'docker.sock')}`;
  const child: ChildProcess = spawn(
    'dockerd',
    [
      '--storage-driver=vfs',
      '--iptables=false',
      '--bridge=none',
      '-H',
      host,
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'docker.pid'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (log = (log + c).slice(-20_000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const docker = (args: string[], timeoutMs = 300_000) => runLocal(DOCKER_CLI, ['-H', host, ...args], { timeoutMs });
  for (let i = 0; ; i += 1) {
    if ((await docker(['version', '--format', '{{.Server.Version}}'], 10_000)).code === 0) break;
    if (child.exitCode !== null || i > 120) throw new Error(`dockerd did not start:\n${log}`);
    await sleep(500);
  }
  return {
    host,
    docker,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(30_000)]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  };
}

/** The test image, made here (no registry is reachable): Debian's static busybox and a few applet links. */
export async function importTestImage(d: Dockerd, dir: string): Promise<void> {
  const root = join(dir, 'image-root');
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'data'), { recursive: true });
  const busybox = '/bin/busybox';
  if (!readFileSync(busybox).subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) throw new Error(`${busybox} is not an ELF binary`);
  if (!existsSync(join(root, 'bin/busybox'))) copyFileSync(busybox, join(root, 'bin/busybox'));
  for (const applet of ['sh', 'cat', 'echo', 'ls', 'sleep', 'stat', 'df', 'test', 'true']) {
    if (!existsSync(join(root, 'bin', applet))) symlinkSync('busybox', join(root, 'bin', applet));
  }
  const tar = join(dir, 'image.tar');
  const t = await runLocal('tar', ['-C', root, '-cf', tar, '.']);
  if (t.code !== 0) throw new Error(`tar: ${t.stderr}`);
  const r = await d.docker(['import', '--change', 'CMD ["/bin/sh"]', tar, TEST_IMAGE]);
  if (r.code !== 0) throw new Error(`docker import: ${r.stderr}`);
}
