import { Option, type Command } from 'commander';
import { DEFAULT_CONFIG_FILE, DEFAULT_LOG_DIR, DEFAULT_SOCKET, DEFAULT_STATE_DIR, resolvePluginConfig } from '../../docker-plugin/config';
import { PluginError } from '../../docker-plugin/errors';
import { OPTION_NAMES } from '../../docker-plugin/options';
import { startDockerPlugin } from '../../docker-plugin/run';
import type { CommandKit } from '../command-kit';
import { CliError } from '../errors';

/** `brickyard docker-plugin`: the Docker volume plugin; runs until SIGTERM or SIGINT. */
export function registerDockerPlugin(program: Command, kit: CommandKit): void {
  const cmd = program
    .command('docker-plugin')
    .description('Run the Docker volume plugin: `docker volume create -d brickyard -o size=10 NAME` makes a Brickyard volume, containers mount it with the GlusterFS client')
    .addOption(new Option('--config <file>', `JSON config file (env BRICKYARD_DOCKER_CONFIG; default ${DEFAULT_CONFIG_FILE} when it exists)`))
    .addOption(new Option('--socket <path>', `unix socket Docker finds the plugin on (env BRICKYARD_DOCKER_SOCKET; default ${DEFAULT_SOCKET})`))
    .addOption(new Option('--state-dir <dir>', `mounts and mount reference counts (env BRICKYARD_DOCKER_STATE_DIR; default ${DEFAULT_STATE_DIR})`))
    .addOption(new Option('--log-dir <dir>', `GlusterFS client logs, one per volume (default ${DEFAULT_LOG_DIR})`))
    .addOption(new Option('--keep-on-remove', '`docker volume rm` forgets the volume on this host but keeps the Brickyard volume and its data'))
    .addOption(new Option('--default <key=value...>', `default volume option (${OPTION_NAMES.join(', ')}); repeatable`))
    .addHelpText(
      'after',
      `
Connection: -s/--server, --user, --secret, or HEKETI_CLI_SERVER / HEKETI_CLI_USER / HEKETI_CLI_KEY, or the config file.
Volume options (docker volume create -d brickyard -o key=value): ${OPTION_NAMES.join(', ')}.`,
    );
  cmd.action(async (opts: Record<string, unknown>) => {
    let config;
    try {
      config = resolvePluginConfig(
        {
          config: opts.config as string | undefined,
          server: opts.server as string | undefined,
          user: opts.user as string | undefined,
          secret: opts.secret as string | undefined,
          socket: opts.socket as string | undefined,
          stateDir: opts.stateDir as string | undefined,
          logDir: opts.logDir as string | undefined,
          keepOnRemove: opts.keepOnRemove === true ? true : undefined,
          default: opts.default as string[] | undefined,
        },
        kit.io.env,
      );
    } catch (err) {
      if (err instanceof PluginError) throw new CliError(err.message);
      throw err;
    }
    const plugin = await startDockerPlugin(config).catch((err: unknown) => {
      throw new CliError(`docker plugin did not start: ${(err as Error).message}`);
    });
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        void plugin.close().then(resolve);
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
  });
}
