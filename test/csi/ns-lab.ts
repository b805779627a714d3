import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { runLocal, type Run } from '../e2e/support/lab';

/**
 * The storage lab's namespace tier (lab/up.sh ns: three nodes with sshd, glusterd, XFS on loop devices) for the
 * CSI node tests, on settings of its own so that it never meets the end-to-end suite's uml lab. A lab already
 * up on these settings is used as it is and left up; one brought up here is brought down again.
 */
const REPO = resolve(__dirname, '../..');
export const NS_LAB_ENV = {
  LAB_RUN: process.env.CSI_LAB_RUN ?? '/tmp/brickyard-lab-csi',
  LAB_BRIDGE: process.env.CSI_LAB_BRIDGE ?? 'bylabc',
  LAB_NET: process.env.CSI_LAB_NET ?? '10.221.0',
  LAB_IFPREFIX: process.env.CSI_LAB_IFPREFIX ?? 'bc',
};
const KEY = `${process.env.LAB_ANCHOR ?? '/var/tmp/storage-lab'}/id_ed25519`;

export interface NsNode {
  name: string;
  ip: string;
  disk: string;
}

export async function ssh(ip: string, command: string, timeoutMs = 120_000): Promise<Run> {
  return runLocal(
    'ssh',
    ['-i', KEY, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=10', `root@${ip}`, command],
    { timeoutMs },
  );
}

/** Runs a command on a node and returns its stdout; throws with its stderr when it fails. */
export async function onNode(ip: string, command: string): Promise<string> {
  const r = await ssh(ip, command);
  if (r.code !== 0) throw new Error(`${ip}: ${command}: exit ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

function readNodes(): NsNode[] {
  const file = `${NS_LAB_ENV.LAB_RUN}/nodes`;
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [name, ip, disk] = l.trim().split(/\s+/);
      return { name: name!, ip: ip!, disk: disk! };
    });
}

async function healthy(): Promise<boolean> {
  const run = NS_LAB_ENV.LAB_RUN;
  if (!existsSync(`${run}/nodes`) || !existsSync(`${run}/tier`) || readFileSync(`${run}/tier`, 'utf8').trim() !== 'ns') return false;
  for (const node of readNodes()) if ((await ssh(node.ip, 'true', 20_000)).code !== 0) return false;
  return true;
}

function lab(script: 'up.sh' | 'down.sh'): Promise<Run> {
  return runLocal('env', [...Object.entries(NS_LAB_ENV).map(([k, v]) => `${k}=${v}`), 'bash', `${REPO}/lab/${script}`, 'ns'], { timeoutMs: 300_000 });
}

export interface NsLab {
  nodes: NsNode[];
  close(): Promise<void>;
}

/**
 * One test run at a time on this lab: another `npm test` beside this one would otherwise bring the same
 * namespaces up (and down) under it. flock(1) holds the lock for as long as its stdin stays open, so the lock
 * goes with this process however it ends.
 */
function exclusiveLabLock(boundS = 1500): Promise<ChildProcess> {
  return new Promise((res, rej) => {
    const holder = spawn('flock', ['-x', '-w', String(boundS), `${NS_LAB_ENV.LAB_RUN}.lock`, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let said = '';
    holder.stdout!.setEncoding('utf8').on('data', (c: string) => {
      said += c;
      if (said.includes('locked')) res(holder);
    });
    holder.stderr!.setEncoding('utf8').on('data', (c: string) => (said += c));
    holder.on('error', rej);
    holder.on('exit', (code) => rej(new Error(`no lock on the ns lab within ${boundS} s (flock exit ${code}): ${said.trim()}`)));
  });
}

export async function nsLab(): Promise<NsLab> {
  const lock = await exclusiveLabLock();
  const unlock = () => lock.stdin!.end();
  let broughtUp = false;
  try {
    if (!(await healthy())) {
      const up = await lab('up.sh');
      if (up.code !== 0) throw new Error(`lab/up.sh ns failed (${up.code}): ${up.stderr.slice(-2000)}`);
      broughtUp = true;
    }
  } catch (err) {
    unlock();
    throw err;
  }
  return {
    nodes: readNodes(),
    async close() {
      try {
        if (broughtUp) await lab('down.sh');
      } finally {
        unlock();
      }
    },
  };
}
