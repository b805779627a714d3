import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { sshExecSchema } from '../../../src/config/schema';
import { fstabAdd, fstabLine, fstabRemove } from '../../../src/executors/commands/filesystem';

/** The fstab command lines run by real bash, awk and sed against a scratch fstab file. */
const D = '0a1b2c3d4e5f60718293a4b5c6d7e8f1';
const B1 = 'b1000000000000000000000000000001';
const B2 = 'b2000000000000000000000000000002';

let dir: string;
let settings: ReturnType<typeof sshExecSchema.parse>;
const bash = (command: string): void => {
  execFileSync('/bin/bash', ['-c', command]);
};
const lines = (): string[] => readFileSync(settings.fstab, 'utf8').split('\n');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'brickyard-fstab-'));
  settings = sshExecSchema.parse({ fstab: join(dir, 'fs tab') }); // a space in the path on purpose
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('adding twice writes one line; a file without a final newline gets one first', () => {
  writeFileSync(settings.fstab, 'LABEL=root / ext4 defaults 0 1'); // no trailing newline
  bash(fstabAdd(settings, D, B1));
  bash(fstabAdd(settings, D, B1));
  expect(lines()).toEqual(['LABEL=root / ext4 defaults 0 1', fstabLine(settings, D, B1), '']);
});

test('a missing fstab is created; a commented-out line for the brick does not count', () => {
  bash(fstabAdd(settings, D, B1));
  expect(lines()).toEqual([fstabLine(settings, D, B1), '']);
  writeFileSync(settings.fstab, `#${fstabLine(settings, D, B2)}\n`);
  bash(fstabAdd(settings, D, B2));
  expect(lines()).toEqual([`#${fstabLine(settings, D, B2)}`, fstabLine(settings, D, B2), '']);
});

test('a line for the same mount point with other options counts as present', () => {
  const other = `/dev/mapper/vg_${D}-brick_${B1} /var/lib/heketi/mounts/vg_${D}/brick_${B1} xfs defaults 0 0`;
  writeFileSync(settings.fstab, `${other}\n`);
  bash(fstabAdd(settings, D, B1));
  expect(lines()).toEqual([other, '']);
});

test('removal takes only the brick\'s line (tabs or spaces), keeps comments and other bricks, and repeats harmlessly', () => {
  const b1Tabs = fstabLine(settings, D, B1).replace(/ /g, '\t');
  const b1Prefix = `/dev/x /var/lib/heketi/mounts/vg_${D}/brick_${B1}0 xfs defaults 0 0`; // a longer mount point
  writeFileSync(settings.fstab, ['# brick lines', b1Tabs, fstabLine(settings, D, B2), `# ${fstabLine(settings, D, B1)}`, b1Prefix, ''].join('\n'));
  bash(fstabRemove(settings, D, B1));
  bash(fstabRemove(settings, D, B1));
  expect(lines()).toEqual(['# brick lines', fstabLine(settings, D, B2), `# ${fstabLine(settings, D, B1)}`, b1Prefix, '']);
});

test('removal from an fstab that does not exist succeeds and creates nothing', () => {
  bash(fstabRemove(settings, D, B1));
  expect(() => readFileSync(settings.fstab)).toThrow(/ENOENT/);
});

test('edits made at the same moment on one node never lose each other (the lock on fstab\'s directory)', async () => {
  const { exec } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const run = promisify(exec);
  const bricks = Array.from({ length: 24 }, (_, i) => `b${String(i).padStart(31, '0')}`);
  // a long file makes each sed -i take long enough for edits to overlap
  const filler = Array.from({ length: 20000 }, (_, i) => `# filler line ${i} ${'x'.repeat(60)}`).join('\n');
  writeFileSync(settings.fstab, `LABEL=root / ext4 defaults 0 1\n${filler}\n`);
  await Promise.all(bricks.map((b) => run(fstabAdd(settings, D, b), { shell: '/bin/bash' })));
  expect(lines().filter((l) => l.includes('/brick_'))).toHaveLength(24);
  // remove half while adding the other half again: without the lock, sed -i's rename drops concurrent edits
  await Promise.all(
    bricks.map((b, i) => run(i % 2 === 0 ? fstabRemove(settings, D, b) : fstabAdd(settings, D, b), { shell: '/bin/bash' })),
  );
  expect(lines().filter((l) => l.includes('/brick_')).sort()).toEqual(
    bricks.filter((_, i) => i % 2 === 1).map((b) => fstabLine(settings, D, b)).sort(),
  );
  expect(lines()[0]).toBe('LABEL=root / ext4 defaults 0 1');
});
