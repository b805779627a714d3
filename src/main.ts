import { ConfigError, loadConfig } from './config/load';
import { createContainer } from './container';

function configPath(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--config' || arg === '-c') return argv[i + 1];
    if (arg.startsWith('--config=')) return arg.slice('--config='.length);
  }
  return process.env.BRICKYARD_CONFIG || undefined;
}

async function main(): Promise<void> {
  const config = loadConfig(configPath(process.argv.slice(2)));
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
  process.stderr.write(`brickyard: ${err instanceof ConfigError ? err.message : (err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
