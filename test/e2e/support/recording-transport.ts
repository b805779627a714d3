import type { CommandResult, RunOptions, Transport } from '../../../src/executors/transport';

export interface RecordedCommand {
  /** Milliseconds since recording started. */
  atMs: number;
  host: string;
  command: string;
  exitCode: number | null;
  ms: number;
  /** The first line of what the node said on stderr when the command failed. */
  said: string;
}

/**
 * Passes every command to the real transport unchanged and notes what was sent where, how it ended and how
 * long it took: the transcript of an operation as it ran on the nodes.
 */
export class RecordingTransport implements Transport {
  private recording: RecordedCommand[] | null = null;
  private startedAt = 0;

  constructor(private readonly inner: Transport) {}

  start(): void {
    this.recording = [];
    this.startedAt = Date.now();
  }

  stop(): RecordedCommand[] {
    const recorded = this.recording ?? [];
    this.recording = null;
    return recorded;
  }

  async run(host: string, command: string, options: RunOptions): Promise<CommandResult> {
    const started = Date.now();
    const entry: RecordedCommand = { atMs: started - this.startedAt, host, command, exitCode: null, ms: 0, said: '' };
    this.recording?.push(entry);
    try {
      const result = await this.inner.run(host, command, options);
      entry.exitCode = result.exitCode;
      if (result.exitCode !== 0) entry.said = (result.stderr.trim() || result.stdout.trim()).split('\n')[0] ?? '';
      return result;
    } catch (err) {
      entry.said = `transport error: ${(err as Error).message}`;
      throw err;
    } finally {
      entry.ms = Date.now() - started;
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** One line per command: time since start, host, exit code, duration, the command line. */
export function formatTranscript(commands: RecordedCommand[]): string {
  return commands
    .map((c) => {
      const head = `+${(c.atMs / 1000).toFixed(2).padStart(6)}s ${c.host.padEnd(12)} rc=${String(c.exitCode ?? '-').padEnd(3)} ${String(c.ms).padStart(5)}ms`;
      return `${head}  ${c.command}${c.said ? `\n${' '.repeat(head.length)}  -> ${c.said}` : ''}`;
    })
    .join('\n');
}
