import { execFile } from 'node:child_process';
import { LoggingTransport } from '../../src/executors/logging-transport';
import type { CommandResult, Transport } from '../../src/executors/transport';
import { withLogContext } from '../../src/log-context';
import { capturedLogger } from '../support/log-capture';

/** A transport that really runs the command line under bash on this machine ("host" is only a label). */
class LocalBashTransport implements Transport {
  run(_host: string, command: string): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      execFile('bash', ['-c', command], (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ stdout, stderr, exitCode: err ? (err.code as number) : 0 });
      });
    });
  }
  async close(): Promise<void> {}
}

const options = { timeoutMs: 10_000, idempotent: true };

test('every command is logged at debug with host, command, exit code, ms and the operation id', async () => {
  const capture = capturedLogger('debug');
  const transport = new LoggingTransport(new LocalBashTransport(), capture.log);
  await withLogContext({ op: 'op-1', req: 'req-1' }, async () => {
    expect((await transport.run('node1', 'echo hello', options)).stdout).toBe('hello\n');
    expect((await transport.run('node2', "echo 'no such VG' >&2; exit 5", options)).exitCode).toBe(5);
  });
  const done = capture.find({ msg: 'command' });
  expect(done).toHaveLength(2);
  expect(done[0]).toMatchObject({ level: 20, op: 'op-1', req: 'req-1', host: 'node1', command: 'echo hello', exit: 0 });
  expect(done[0]!.stderr).toBeUndefined();
  expect(done[1]).toMatchObject({ op: 'op-1', host: 'node2', exit: 5, stderr: 'no such VG' });
  expect(done.every((l) => typeof l.ms === 'number')).toBe(true);
  // a command that hangs is visible from its start line
  expect(capture.find({ msg: 'command started', host: 'node1' })).toHaveLength(1);
});

test('a command whose answer never came is logged with the error, and the error still reaches the caller', async () => {
  const capture = capturedLogger('debug');
  const lost: Transport = { run: () => Promise.reject(new Error('connection reset')), close: async () => {} };
  await expect(new LoggingTransport(lost, capture.log).run('node3', 'lvs', options)).rejects.toThrow('connection reset');
  expect(capture.find({ msg: 'command lost' })[0]).toMatchObject({ host: 'node3', command: 'lvs', error: 'connection reset' });
});

test('at info level nothing is logged per command', async () => {
  const capture = capturedLogger('info');
  await new LoggingTransport(new LocalBashTransport(), capture.log).run('node1', 'true', options);
  expect(capture.lines).toEqual([]);
});
