import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSelfSignedCert } from '../support/self-signed-cert';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/server';
import { assertCliBuilt, runCli, type CliResult } from './run-cli';

/** The CLI against a server with enable_tls: a CA file or the insecure switch, as flags or environment. */
jest.setTimeout(600_000);

let server: TestServer;
let dir: string;
let https: string;
let caFile: string;

beforeAll(async () => {
  assertCliBuilt();
  dir = mkdtempSync(join(tmpdir(), 'brickyard-cli-tls-'));
  const pair = makeSelfSignedCert('brickyard-cli-test');
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, pair.cert);
  writeFileSync(join(dir, 'key.pem'), pair.key);
  server = await startTestServer({
    db: 'pglite',
    auth: true,
    extra: { enable_tls: true, cert_file: caFile, key_file: join(dir, 'key.pem') },
  });
  https = `https://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const auth = { HEKETI_CLI_USER: 'admin', HEKETI_CLI_KEY: ADMIN_KEY };

function ok(r: CliResult): void {
  if (r.code !== 0) throw new Error(`expected success, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  expect(r.stderr).toBe('');
}

test('https:// with the server’s CA, by flag or environment', async () => {
  ok(await runCli(['cluster', 'list', '-s', https, '--tls-cert', caFile], auth));
  ok(await runCli(['cluster', 'create', `--server=${https}`, `--tls-cert=${caFile}`], auth));
  ok(await runCli(['cluster', 'list'], { ...auth, HEKETI_CLI_SERVER: https, HEKETI_CLI_TLS_CERT: caFile }));
});

test('https:// without verification, by flag or environment', async () => {
  ok(await runCli(['cluster', 'list', '-s', https, '--insecure-tls'], auth));
  ok(await runCli(['cluster', 'list'], { ...auth, HEKETI_CLI_SERVER: https, HEKETI_CLI_INSECURE_TLS: 'true' }));
});

test('an untrusted certificate or an unreadable CA file: a message saying what to do', async () => {
  const untrusted = await runCli(['cluster', 'list', '-s', https], auth);
  expect(untrusted.code).toBe(255);
  expect(untrusted.stderr).toMatch(
    new RegExp(`^Error: Unable to reach server ${https.replace(/\./g, '\\.')}: \\S*SELF_SIGNED\\S* \\(trust the server's CA with --tls-cert FILE`),
  );
  const missing = await runCli(['cluster', 'list', '-s', https, '--tls-cert', join(dir, 'nope.pem')], auth);
  expect(missing.code).toBe(255);
  expect(missing.stderr).toBe(`Error: Cannot read the TLS certificate file ${join(dir, 'nope.pem')}: ENOENT\n`);
  // plain http to the TLS port gets no HTTP answer
  const plain = await runCli(['cluster', 'list', '-s', `http://127.0.0.1:${server.port}`], auth);
  expect(plain.code).toBe(255);
});
