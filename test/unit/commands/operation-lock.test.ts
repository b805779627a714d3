import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import {
  FENCED_EXIT,
  FENCED_MESSAGE,
  OPERATION_LOCK_DIR,
  operationBarrier,
  underOperationLock,
} from '../../../src/executors/commands/operation-lock';

/** The node-side operation fence: builders checked as strings, then the lines run by a real bash. */
const id = randomBytes(16).toString('hex');
const bash = (line: string) => spawnSync('bash', ['-c', line], { encoding: 'utf8' });

afterAll(() => {
  rmSync(`${OPERATION_LOCK_DIR}/op-${id}.lock`, { force: true });
  rmSync(`${OPERATION_LOCK_DIR}/op-${id}.gen`, { force: true });
});

test('the lines name the operation, its generation and the wait, and refuse bad ids and generations', () => {
  const line = underOperationLock(id, 3, 'true', 30);
  expect(line).toContain(`flock -s -w 30 9`);
  expect(line).toContain(`${OPERATION_LOCK_DIR}/op-${id}.lock`);
  expect(line).toContain(`-gt 3 ]`);
  expect(line.endsWith('; true')).toBe(true);
  expect(operationBarrier(id, 4, 630)).toContain('flock -x -w 630 9');
  expect(() => underOperationLock('x; rm -rf /', 1, 'true', 1)).toThrow(/operation id/);
  expect(() => operationBarrier(id, -1, 1)).toThrow(/generation/);
  expect(() => operationBarrier(id, 1.5, 1)).toThrow(/generation/);
});

test('run by bash: the command keeps its output and exit status; after a newer barrier an older holder is refused', () => {
  const wrapped = bash(underOperationLock(id, 1, 'echo made; (exit 3)', 5));
  expect({ status: wrapped.status, stdout: wrapped.stdout }).toEqual({ status: 3, stdout: 'made\n' });

  expect(bash(operationBarrier(id, 2, 5)).status).toBe(0);
  const stale = bash(underOperationLock(id, 1, 'echo must-not-run', 5));
  expect({ status: stale.status, stdout: stale.stdout, stderr: stale.stderr.trim() }).toEqual({
    status: FENCED_EXIT,
    stdout: '',
    stderr: FENCED_MESSAGE,
  });
  expect(bash(underOperationLock(id, 2, 'echo current', 5)).stdout).toBe('current\n');
  // a barrier never lowers the generation
  expect(bash(operationBarrier(id, 1, 5)).status).toBe(0);
  expect(bash(underOperationLock(id, 1, 'echo still-refused', 5)).status).toBe(FENCED_EXIT);
});

test('a barrier waits for a command of the operation still running on the node', () => {
  const marker = `/tmp/brickyard-lock-test-${id}`;
  const holding = underOperationLock(id, 5, `touch ${marker}; sleep 1; echo holder-done`, 5);
  // the barrier starts only once the holder has the lock, and must print after it
  const script = `(${holding}) & until [ -e ${marker} ]; do sleep 0.05; done; ${operationBarrier(id, 6, 30)}; echo barrier-done; wait`;
  const run = bash(script);
  rmSync(marker, { force: true });
  expect(run.stdout.trim().split('\n')).toEqual(['holder-done', 'barrier-done']);
});
