import { Command, CommanderError } from 'commander';
import { HeketiError } from '../client/heketi-client';
import { packageVersion } from '../version';
import { addConnectionOptions, commandKit } from './command-kit';
import { registerCluster } from './commands/cluster';
import { registerCsi } from './commands/csi';
import { registerDb } from './commands/db';
import { registerDevice } from './commands/device';
import { registerDockerPlugin } from './commands/docker-plugin';
import { registerNode } from './commands/node';
import { registerOperation } from './commands/operation';
import { registerTopology } from './commands/topology';
import { registerVolume } from './commands/volume';
import type { CliIo } from './context';
import { CliError, ERROR_EXIT_CODE } from './errors';

const FOOTER = `
Connection (as heketi-cli): -s/--server or HEKETI_CLI_SERVER, --user or HEKETI_CLI_USER,
--secret or HEKETI_CLI_KEY; they may be given before or after the command.
Exit status: 0 on success, 255 on any error (as heketi-cli); errors are printed as "Error: <message>".

Example:
  $ export HEKETI_CLI_SERVER=http://localhost:8080 HEKETI_CLI_USER=admin HEKETI_CLI_KEY=secret
  $ brickyard topology load --json=topology.json
  $ brickyard volume create --size=10 --durability=replicate --replica=3`;

export function buildProgram(io: CliIo): Command {
  const program = new Command('brickyard');
  program
    .description('Command line for Brickyard and Heketi servers: topology, clusters, nodes, devices and volumes')
    .version(packageVersion(), '-v, --version', 'print the version')
    .enablePositionalOptions()
    .exitOverride()
    .showSuggestionAfterError()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Commander says "error: ..."; heketi-cli (and this CLI elsewhere) says "Error: ...".
      outputError: (s, write) => write(s.replace(/^error: /, 'Error: ')),
    })
    .addHelpText('after', FOOTER);
  addConnectionOptions(program, { jsonOutput: true, hidden: false });

  const kit = commandKit(io);
  registerTopology(program, kit);
  registerCluster(program, kit);
  registerNode(program, kit);
  registerDevice(program, kit);
  registerVolume(program, kit);
  registerDb(program, kit);
  registerOperation(program, kit);
  registerDockerPlugin(program, kit);
  registerCsi(program, kit, packageVersion());
  for (const group of program.commands) {
    addConnectionOptions(group, { jsonOutput: true, hidden: true });
    group.addHelpText('after', '\nExit status: 0 on success, 255 on any error.');
  }
  return program;
}

function errorMessage(err: unknown): string {
  if (err instanceof HeketiError && err.status === 401) {
    if (err.message.includes('no key given')) return `${err.message} (use --secret or set HEKETI_CLI_KEY)`;
    return `${err.message} (check --user and --secret, or HEKETI_CLI_USER and HEKETI_CLI_KEY)`;
  }
  if (err instanceof HeketiError && err.status === 0 && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(err.message)) {
    return `${err.message} (trust the server's CA with --tls-cert FILE or HEKETI_CLI_TLS_CERT, or skip the check with --insecure-tls)`;
  }
  if (err instanceof HeketiError || err instanceof CliError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/** Runs one command line; resolves to the exit status (0, or 255 after printing `Error: ...`). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    // Commander has already printed its own message (help, version or a usage error).
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : ERROR_EXIT_CODE;
    io.stderr.write(`Error: ${errorMessage(err)}\n`);
    return ERROR_EXIT_CODE;
  }
}
