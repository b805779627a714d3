import { runCli } from '../../src/cli/program';
import type { CliIo } from '../../src/cli/context';
import { ADMIN_KEY, buildTopology, startTestServer, type TestServer } from '../support/server';

/**
 * The CLI while it waits on an operation, run in this process so that its output can be a terminal
 * (isTTY) or not, against real servers over a socket: the spinner with the operation's phase on a terminal
 * only, the operation id after a dropped connection, and the operation commands to look it up.
 */
const CLEAR = '\r\x1b[2K';

interface Run {
  done: Promise<number>;
  stdout: () => string;
  stderr: () => string;
}

function cli(server: TestServer, args: string[], tty: boolean): Run {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: { write: (s: string) => (out += s), isTTY: tty, columns: 200 },
    stderr: { write: (s: string) => (err += s) },
    env: { HEKETI_CLI_SERVER: server.url, HEKETI_CLI_USER: 'admin', HEKETI_CLI_KEY: ADMIN_KEY },
  };
  return { done: runCli(args, io), stdout: () => out, stderr: () => err };
}

async function until(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What is left on screen: the text after the last cleared line. */
const afterSpinner = (s: string) => s.slice(s.lastIndexOf(CLEAR) + CLEAR.length);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ db: 'postgres', auth: true });
  await buildTopology(server.admin, { nodes: 3, zones: 3, devicesPerNode: 1 });
}, 180_000); // generous: the machine is loaded
afterAll(async () => {
  await server?.close();
});

test('on a terminal, create and delete draw a spinner and clear it before the result; not on a pipe or with --json', async () => {
  const created = cli(server, ['volume', 'create', '--size=1', '--name=spin'], true);
  expect(await created.done).toBe(0);
  const out = created.stdout();
  expect(out).toMatch(/^\r\x1b\[2K[|/\\-] creating volume \(/);
  const text = afterSpinner(out);
  expect(text).toMatch(/^Name: spin\nSize: 1\nVolume Id: [0-9a-f]{32}\n/);
  const id = /^Volume Id: ([0-9a-f]{32})$/m.exec(text)![1]!;

  const piped = cli(server, ['volume', 'info', id], false);
  expect(await piped.done).toBe(0);
  expect(text).toBe(piped.stdout()); // the same lines as without a terminal

  const deleted = cli(server, ['volume', 'delete', id], true);
  expect(await deleted.done).toBe(0);
  expect(deleted.stdout()).toContain('deleting volume');
  expect(afterSpinner(deleted.stdout())).toBe(`Volume ${id} deleted\n`);

  for (const [args, tty] of [
    [['volume', 'create', '--size=1', '--name=plain'], false],
    [['volume', 'create', '--size=1', '--name=json', '--json'], true],
  ] as const) {
    const r = cli(server, [...args], tty);
    expect(await r.done).toBe(0);
    expect(r.stdout()).not.toContain('\x1b[');
    expect(r.stdout()).not.toContain('creating volume');
  }
});

test('the spinner shows the phase; a dropped connection names the operation, which the operation commands find', async () => {
  const lost = await startTestServer({ db: 'postgres', auth: true });
  try {
    await buildTopology(lost.admin, { nodes: 3, zones: 3, devicesPerNode: 1 });
    lost.mock.hangAt('brickCreate'); // the operation stays in its exec phase
    const create = cli(lost, ['volume', 'create', '--size=1', '--name=stuck'], true);
    await until('the spinner to show the exec phase', () => create.stdout().includes('creating volume: working on the storage nodes'));
    const opId = /operation ([0-9a-f]{32}),/.exec(create.stdout())![1]!;

    // the operation commands, while it runs
    const list = cli(lost, ['operation', 'list'], false);
    expect(await list.done).toBe(0);
    expect(list.stdout()).toMatch(new RegExp(`^Id:${opId} Kind:volume_create +State:running +Phase:exec +Target:[0-9a-f]{32}\\n$`));
    const info = cli(lost, ['operation', 'info', opId], false);
    expect(await info.done).toBe(0);
    expect(info.stdout()).toContain(`Operation Id: ${opId}\nKind: volume_create\nState: running\nPhase: exec\n`);
    expect(info.stdout()).toContain('Finished: (not yet)\n');

    await lost.container.close(100); // the server goes away while the CLI waits
    expect(await create.done).toBe(255);
    expect(create.stderr()).toMatch(
      new RegExp(
        `^Error: Unable to reach server ${lost.url}: \\S+; operation ${opId} was accepted and may still be running: ` +
          `see \`brickyard operation info ${opId}\`\\n$`,
      ),
    );
    expect(afterSpinner(create.stdout())).toBe(''); // the spinner line was cleared
  } finally {
    lost.mock.clearFaults();
    await lost.close().catch(() => undefined);
  }
}, 180_000);

test('operation info shows a finished operation with its outcome; unknown ids and an empty list say so', async () => {
  const res = await server.admin.raw('POST', '/volumes', { size: 1, name: 'looked_up', durability: { type: 'replicate' } });
  const opId = res.headers.get('Location')!.split('/').pop()!;
  await server.admin.waitFor(`/queue/${opId}`);
  const info = cli(server, ['operation', 'info', opId], false);
  expect(await info.done).toBe(0);
  expect(info.stdout()).toMatch(
    new RegExp(`^Operation Id: ${opId}\\nKind: volume_create\\nState: succeeded\\nPhase: done\\nTarget: [0-9a-f]{32}\\nCreated: \\S+\\nFinished: \\S+\\n$`),
  );
  const json = cli(server, ['operation', 'info', opId, '--json'], false);
  expect(await json.done).toBe(0);
  expect(JSON.parse(json.stdout())).toMatchObject({ id: opId, kind: 'volume_create', state: 'succeeded' });

  const nowhere = '0123456789abcdef0123456789abcdef';
  const missing = cli(server, ['operation', 'info', nowhere], false);
  expect(await missing.done).toBe(255);
  expect(missing.stderr()).toBe(`Error: Operation ${nowhere} not found\n`);
  const bad = cli(server, ['operation', 'info', 'xyz'], false);
  expect(await bad.done).toBe(255);
  expect(bad.stderr()).toBe('Error: Operation id "xyz" is not valid: ids are 32 hexadecimal characters\n');

  await server.container.runner.idle();
  const list = cli(server, ['operation', 'list'], false);
  expect(await list.done).toBe(0);
  expect(list.stdout()).toBe('No unfinished operations\n');
});
