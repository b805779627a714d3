import { Command, Option } from 'commander';
import { HeketiError } from '../client/heketi-client';
import { contextFor, type CliContext, type CliIo } from './context';
import { CliError } from './errors';

/**
 * heketi-cli's persistent flags, accepted on every command so that they may come before or after the
 * subcommand. On subcommands they are hidden from help; the top-level help lists them once.
 */
export function addConnectionOptions(cmd: Command, options: { jsonOutput: boolean; hidden: boolean }): Command {
  const add = (o: Option) => cmd.addOption(options.hidden ? o.hideHelp() : o);
  add(new Option('-s, --server <url>', 'Heketi or Brickyard server URL (env HEKETI_CLI_SERVER)'));
  add(new Option('--user <name>', 'user: admin or user (env HEKETI_CLI_USER)'));
  add(new Option('--secret <key>', 'secret key of the user (env HEKETI_CLI_KEY)'));
  add(new Option('--tls-cert <file>', 'https: trust the CA certificate(s) in this PEM file (env HEKETI_CLI_TLS_CERT)'));
  add(new Option('--insecure-tls', 'https: do not verify the server certificate (env HEKETI_CLI_INSECURE_TLS=true)'));
  if (options.jsonOutput) add(new Option('--json', 'print the response as JSON'));
  return cmd;
}

export type Handler = (ctx: CliContext, opts: Record<string, any>, args: Array<string | undefined>) => Promise<void>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface CommandKit {
  io: CliIo;
  /** A subcommand of `parent` that takes the connection options (and --json unless told otherwise). */
  sub(parent: Command, nameAndArgs: string, description: string, options?: { jsonOutput?: boolean }): Command;
  /** Sets the action: builds the context from the command line and runs the handler. */
  act(cmd: Command, handler: Handler): Command;
}

export function commandKit(io: CliIo): CommandKit {
  return {
    io,
    sub(parent, nameAndArgs, description, options = {}) {
      const cmd = parent.command(nameAndArgs).description(description);
      return addConnectionOptions(cmd, { jsonOutput: options.jsonOutput ?? true, hidden: true });
    },
    act(cmd, handler) {
      return cmd.action(async (...params: unknown[]) => {
        const command = params[params.length - 1] as Command;
        const args = params.slice(0, command.registeredArguments.length) as Array<string | undefined>;
        await handler(contextFor(command, io), command.opts(), args);
      });
    },
  };
}

/** Turns the server's 404 for an id into a message that names what was not found. */
export async function about<T>(kind: string, id: string, request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (err) {
    if (err instanceof HeketiError && err.status === 404) throw new CliError(`${kind} ${id} not found`);
    throw err;
  }
}
