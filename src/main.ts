import { ConfigError, loadConfig } from './config/load';
import { createContainer } from './container';
import { DatabaseUnreachableError } from './db/connect';
import { DataDirLockedError } from './db/data-dir-lock';
import { TlsConfigError } from './tls-files';
import { DomainError } from './domain/errors';
import { OfflineUsageError, offlineConfigPath, runOfflineImport } from './offline-import';
import { packageVersion } from './version';

const USAGE = `Usage: brickyard-server [--config FILE]
       brickyard-server db import --heketi FILE [--merge] [--verify] [--json] [--config FILE]

Runs the Brickyard server: Heketi's REST API over GlusterFS storage nodes.

Options:
  -c, --config FILE  heketi.json-style configuration (default: BRICKYARD_CONFIG, else built-in defaults:
                     port 8080, embedded database in ./data/brickyard, mock executor, auth off)
  -h, --help         print this help and exit
  -v, --version      print the version and exit

Environment variables override the file (HEKETI_* and BRICKYARD_*; see README.md).
`;

/** Start-up failures that are the operator's to fix: one line, no stack. */
const ONE_LINE_ERRORS = [ConfigError, DatabaseUnreachableError, DataDirLockedError, TlsConfigError, DomainError, OfflineUsageError];

interface Args {
  config?: string;
  help: boolean;
  version: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { help: false, version: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') args.help = true;
    else if (arg === '--version' || arg === '-v') args.version = true;
    else if (arg === '--config' || arg === '-c') {
      const value = argv[(i += 1)];
      if (!value) throw new ConfigError(`${arg} needs a file name`);
      args.config = value;
    } else if (arg.startsWith('--config=')) args.config = arg.slice('--config='.length);
    else throw new ConfigError(`unknown argument ${JSON.stringify(arg)} (see --help)`);
  }
  args.config ??= process.env.BRICKYARD_CONFIG || undefined;
  return args;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  // Offline form: `db import --heketi <file>` into a database no server is using, then exit (offline-import.ts).
  if (argv[0] === 'db' && argv[1] === 'import') {
    await runOfflineImport(loadConfig(offlineConfigPath(argv)), argv, process.stdout);
    process.exit(0);
  }
  const args = parseArgs(argv);
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (args.version) {
    process.stdout.write(`brickyard ${packageVersion()}\n`);
    return;
  }
  const config = loadConfig(args.config);
  const container = await createContainer(config);
  const port = await container.listen();
  container.log.info(
    {
      port,
      tls: config.enable_tls,
      db: container.database.description,
      executor: config.glusterfs.executor,
      auth: config.use_auth,
    },
    'brickyard listening',
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    container.log.info({ signal }, 'shutting down');
    container
      .close()
      .then(() => process.exit(0))
      .catch((err) => {
        container.log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  const oneLine = ONE_LINE_ERRORS.some((kind) => err instanceof kind);
  process.stderr.write(`brickyard: ${oneLine ? (err as Error).message : (err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
