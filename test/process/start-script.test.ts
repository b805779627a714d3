import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

/** `npm start` builds first (prestart); with the build current that must cost a freshness check, not a rebuild. */
const ROOT = resolve(__dirname, '../..');
const MAIN = resolve(ROOT, 'dist/src/main.js');
const run = promisify(execFile);

test('the build step run by npm start leaves a current build untouched', async () => {
  const build = () => run('npm', ['run', '--silent', 'build'], { cwd: ROOT, timeout: 900_000 });
  await build(); // current now, whatever state the tree was in
  const before = statSync(MAIN).mtimeMs;
  const started = Date.now();
  await build();
  expect(statSync(MAIN).mtimeMs).toBe(before);
  // prestart is that same build step
  const pkg = (await import(resolve(ROOT, 'package.json'))) as { scripts: Record<string, string> };
  expect(pkg.scripts.prestart).toBe('npm run build');
  expect(pkg.scripts.build).toMatch(/^tsc -b /);
  process.stdout.write(`second build: ${Date.now() - started} ms\n`);
}, 1_800_000);
