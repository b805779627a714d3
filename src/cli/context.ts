import type { Command } from 'commander';
import type { HeketiClient } from '../client/heketi-client';
import { clientFor, resolveConnection, type ConnectionFlags } from './connection';

/** Where the CLI writes; process.stdout/stderr in production, buffers in tests. */
export interface Stream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: Stream;
  stderr: Stream;
  env: NodeJS.ProcessEnv;
}

/** What every command action gets: the chosen output mode, the connection and the streams. */
export class CliContext {
  private cached: HeketiClient | undefined;

  constructor(
    readonly io: CliIo,
    readonly json: boolean,
    private readonly flags: ConnectionFlags,
  ) {}

  /** The client is made on first use, so that flag errors are reported before a missing server is. */
  client(): HeketiClient {
    this.cached ??= clientFor(resolveConnection(this.flags, this.io.env));
    return this.cached;
  }

  get isTerminal(): boolean {
    return this.io.stdout.isTTY === true;
  }

  print(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  printJson(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** Prints JSON in --json mode, else the text the formatter makes. */
  show<T>(value: T, asText: (value: T) => string): void {
    if (this.json) this.printJson(value);
    else this.print(asText(value));
  }
}

/**
 * Connection flags and --json may be given before or after the subcommand, as with heketi-cli's persistent
 * flags: the value nearest the leaf command wins. A `--json <file>` (topology load) is not the output flag.
 */
export function contextFor(command: Command, io: CliIo): CliContext {
  const flags: ConnectionFlags = {};
  let json = false;
  for (let c: Command | null = command; c; c = c.parent) {
    const opts = c.opts<{ server?: string; user?: string; secret?: string; json?: unknown; tlsCert?: string; insecureTls?: boolean }>();
    flags.server ??= opts.server;
    flags.user ??= opts.user;
    flags.secret ??= opts.secret;
    flags.tlsCert ??= opts.tlsCert;
    if (opts.insecureTls === true) flags.insecureTls = true;
    const jsonOption = c.options.find((o) => o.long === '--json');
    if (jsonOption?.isBoolean() && opts.json === true) json = true;
  }
  return new CliContext(io, json, flags);
}
