import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The running storage lab (lab/up.sh) as the end-to-end tests see it: its nodes, and a way to look at them that
 * does not go through the code under test (the system's OpenSSH client, not Brickyard's ssh2 transport).
 */
export const LAB_RUN = process.env.LAB_RUN ?? '/tmp/brickyard-lab';
export const LAB_NODES_FILE = process.env.LAB_NODES_FILE ?? `${LAB_RUN}/nodes`;
export const LAB_SSH_KEY = process.env.LAB_SSH_KEY ?? `${process.env.LAB_ANCHOR ?? '/var/tmp/storage-lab'}/id_ed25519`;
export const REPO_ROOT = resolve(__dirname, '../../..');

export interface LabNode {
  name: string;
  ip: string;
  /** The raw disk the suite hands to Brickyard. */
  disk: string;
  /** A second raw disk, for device-add tests. */
  spare: string;
}

export interface Lab {
  tier: string;
  nodes: LabNode[];
}

/** Reads the nodes file lab/up.sh wrote; a clear error when the lab is not up or is the wrong tier. */
export function readLab(): Lab {
  if (!existsSync(LAB_NODES_FILE)) {
    throw new Error(
      `${LAB_NODES_FILE} is missing: the storage lab is not up. Run \`npm run lab:up\` (or lab/run-e2e.sh, which brings it up and down).`,
    );
  }
  const tierFile = `${LAB_RUN}/tier`;
  const tier = existsSync(tierFile) ? readFileSync(tierFile, 'utf8').trim() : 'uml';
  if (tier !== 'uml') {
    throw new Error(
      `the lab in ${LAB_RUN} is the '${tier}' tier: the end-to-end suite needs real LVM thin pools, which only the uml tier has ` +
        '(the host kernel has no device-mapper). Run `npm run lab:down && npm run lab:up`.',
    );
  }
  const nodes = readFileSync(LAB_NODES_FILE, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [name, ip, disk, spare] = l.split(/\s+/);
      if (!name || !ip || !disk || !spare) throw new Error(`${LAB_NODES_FILE}: bad line '${l}' (want: nodeN IP RAWDEV SPAREDEV)`);
      return { name, ip, disk, spare };
    });
  if (nodes.length < 3) throw new Error(`${LAB_NODES_FILE} lists ${nodes.length} nodes; the suite needs 3`);
  if (!existsSync(LAB_SSH_KEY)) throw new Error(`${LAB_SSH_KEY} (the lab's ssh key) is missing`);
  return { tier, nodes };
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program and collects its output; never rejects on a non-zero exit. */
export function runLocal(command: string, args: string[], options: { timeoutMs?: number; input?: string } = {}): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    if (options.input !== undefined) {
      // a program that exits without reading its input must not fail the caller with EPIPE
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(options.input);
    }
  });
}

const SSH_OPTIONS = [
  '-i',
  LAB_SSH_KEY,
  '-o',
  'BatchMode=yes',
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'LogLevel=ERROR',
  '-o',
  'ConnectTimeout=15',
];

/**
 * ssh's own failures before the remote shell started (exit 255 with one of these): the script never ran, so
 * trying again is safe. A UML node under load can take longer than a connect timeout to send its banner.
 */
const SSH_NOT_STARTED = /banner exchange|kex_exchange_identification|Connection (timed out|refused|reset|closed)|No route to host/i;

/** Runs a bash script as root on a node (script on stdin, so nothing needs quoting twice). */
export async function onNode(ip: string, script: string, timeoutMs = 120_000): Promise<Run> {
  const args = [...SSH_OPTIONS, `root@${ip}`, 'LVM_SUPPRESS_FD_WARNINGS=1 bash -s'];
  for (let attempt = 1; ; attempt++) {
    const run = await runLocal('ssh', args, { input: script, timeoutMs });
    if (run.code !== 255 || !SSH_NOT_STARTED.test(run.stderr) || attempt >= 5) return run;
    await sleep(2000 * attempt);
  }
}

/** As onNode, but the script has to succeed; returns its stdout. */
export async function mustOnNode(ip: string, script: string, timeoutMs?: number): Promise<string> {
  const r = await onNode(ip, script, timeoutMs);
  if (r.code !== 0) throw new Error(`on ${ip}: exit ${r.code}: ${r.stderr.trim() || r.stdout.trim()}\n--- script:\n${script}`);
  return r.stdout;
}

export async function mustLocal(command: string, args: string[], timeoutMs?: number): Promise<string> {
  const r = await runLocal(command, args, { timeoutMs });
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/**
 * Powers a lab node off (a clean poweroff, the power cut when it hangs) or on again (returns once ssh and
 * glusterd answer), from the host: lab/node.sh. Returns what the script printed ("halted", "cut", "up in N s").
 */
export async function labNodePower(action: 'stop' | 'start', node: LabNode): Promise<string> {
  return (await mustLocal('bash', [resolve(REPO_ROOT, 'lab/node.sh'), action, node.name], 600_000)).trim();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns a value other than undefined; fails with the last state after `timeoutMs`. */
export async function waitUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 1000): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() - start > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    }
    await sleep(everyMs);
  }
}
