import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The compiled CLI, run as operators run it: a separate node process. */
export const CLI_ENTRY = resolve(__dirname, '../../dist/src/cli/main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Fails early and clearly when the build is missing or older than the CLI sources. */
export function assertCliBuilt(): void {
  if (!existsSync(CLI_ENTRY)) throw new Error(`${CLI_ENTRY} is missing: run \`npm run build\` before these tests`);
  const sources = Math.max(newestSource(resolve(__dirname, '../../src/cli')), newestSource(resolve(__dirname, '../../src/client')));
  if (statSync(CLI_ENTRY).mtimeMs < sources - 1000) {
    throw new Error(`${CLI_ENTRY} is older than src/cli or src/client: run \`npm run build\` before these tests`);
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment without anything of the test runner's that would change the CLI (HEKETI_CLI_*, NODE_OPTIONS). */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('HEKETI_CLI_') && k !== 'NODE_OPTIONS') env[k] = v;
  }
  return { ...env, ...extra };
}

/** Runs `command args...` and collects its output; never rejects on a non-zero exit. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 600_000): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return run(process.execPath, [CLI_ENTRY, ...args], cleanEnv(env));
}
