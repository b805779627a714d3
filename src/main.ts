import { ConfigError, loadConfig } from './config/load';
import { createContainer } from './container';
import { OfflineUsageError, runOfflineImport } from './offline-import';
import { DomainError } from './domain/errors';

function configPath(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--config' || arg === '-c') return argv[i + 1];
    if (arg.startsWith('--config=')) return arg.slice('--config='.length);
  }
  return process.env.BRICKYARD_CONFIG || undefined;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const config = loadConfig(configPath(argv));
  // Offline form: `main.js db import --heketi <file>` imports into a database no server is using, then exits.
  if (argv[0] === 'db' && argv[1] === 'import') {
    await runOfflineImport(config, argv, process.stdout);
    process.exit(0);
  }
  const container = await createContainer(config);
  const port = await container.listen();
  container.log.info(
    { port, db: container.database.description, executor: config.glusterfs.executor, auth: config.use_auth },
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
  const known = err instanceof ConfigError || err instanceof DomainError || err instanceof OfflineUsageError;
  process.stderr.write(`brickyard: ${known ? (err as Error).message : (err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
