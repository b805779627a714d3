/** Moves one shell command line to a host and brings back what it printed. Knows nothing about storage. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunOptions {
  timeoutMs: number;
  /** Safe to run again if the connection dropped before the result came back (reads, tolerant removals). */
  idempotent: boolean;
}

export interface Transport {
  /** `command` is a complete, already escaped shell command line; the transport runs it under bash -c. */
  run(host: string, command: string, options: RunOptions): Promise<CommandResult>;
  close(): Promise<void>;
}
