import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * No Docker engine runs here, so the compose file is validated by Debian's docker-compose and the image's
 * entry point is checked against the start command the tests run.
 */
const root = resolve(__dirname, '../..');

test('docker-compose.yml is valid (docker-compose config -q)', () => {
  expect(() => execFileSync('docker-compose', ['-f', join('docker-compose.yml'), 'config', '-q'], { cwd: root, stdio: 'pipe' })).not.toThrow();
  const config = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: root, encoding: 'utf8' });
  expect(config).toMatch(/image: postgres:15/);
  expect(config).toMatch(/condition: service_healthy/);
  expect(config).toMatch(/pg_isready/);
  expect(config).toMatch(/BRICKYARD_DB_URL: postgres:\/\/brickyard:brickyard@postgres:5432\/brickyard/);
  expect(config).toMatch(/pgdata/);
});

test("the Dockerfile's entry point is the start command of package.json and of the tests", () => {
  const dockerfile = readFileSync(join('Dockerfile'), 'utf8');
  // the last stage is the default target (the server); earlier ones are other images (the CSI driver)
  const entry = [...dockerfile.matchAll(/^ENTRYPOINT (\[.*\])$/gm)].pop()?.[1];
  expect(entry).toBeDefined();
  const argv = JSON.parse(entry!) as string[];
  const pkg = JSON.parse(readFileSync(join('package.json'), 'utf8'));
  expect(pkg.scripts.start).toBe(argv.join(' '));
  expect(argv).toEqual(['node', 'dist/src/main.js']);
});

function join(file: string): string {
  return resolve(root, file);
}
