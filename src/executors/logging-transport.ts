import type { Logger } from 'pino';
import type { CommandResult, RunOptions, Transport } from './transport';

/**
 * The same transport, with every command line logged at debug level when it ends: host, command, exit code and
 * ms (stderr too when it failed), so that an operator can see where a stuck or crashed operation was. The
 * operation and request ids come from the log context. A command that never came back is logged with its error.
 */
export class LoggingTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly log: Logger,
  ) {}

  async run(host: string, command: string, options: RunOptions): Promise<CommandResult> {
    if (!this.log.isLevelEnabled('debug')) return this.inner.run(host, command, options);
    const started = process.hrtime.bigint();
    const ms = () => Math.round(Number(process.hrtime.bigint() - started) / 1e6);
    this.log.debug({ host, command }, 'command started');
    try {
      const result = await this.inner.run(host, command, options);
      const line: Record<string, unknown> = { host, command, exit: result.exitCode, ms: ms() };
      if (result.exitCode !== 0) line.stderr = result.stderr.trim().slice(0, 2000);
      this.log.debug(line, 'command');
      return result;
    } catch (err) {
      this.log.debug({ host, command, ms: ms(), error: err instanceof Error ? err.message : String(err) }, 'command lost');
      throw err;
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
