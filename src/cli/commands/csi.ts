import { Option, type Command } from 'commander';
import type { CommandKit } from '../command-kit';
import { normalizeServer } from '../connection';
import { CliError } from '../errors';

/**
 * `brickyard csi --mode=controller|node --endpoint=unix:///csi/csi.sock`: the Kubernetes CSI driver, a
 * gRPC server that runs until SIGTERM. Loaded on use, so the other commands never load gRPC.
 */
export function registerCsi(program: Command, kit: CommandKit, version: string): void {
  const cmd = program
    .command('csi')
    .description('run the CSI driver (Kubernetes 1.26+): the controller (talks to Brickyard) or the node service (mounts)')
    .addOption(new Option('--mode <mode>', 'controller or node').choices(['controller', 'node']).makeOptionMandatory())
    .option('--endpoint <url>', 'the gRPC socket (env CSI_ENDPOINT)', kit.io.env.CSI_ENDPOINT ?? 'unix:///csi/csi.sock')
    .option('--node-id <name>', 'node mode: this node\'s id, the Kubernetes node name (env NODE_ID)')
    .option('--driver-name <name>', 'the CSI driver name', 'brickyard.gluster.io')
    .option('--log-dir <dir>', 'node mode: GlusterFS client logs, one per volume', '/var/log/glusterfs/brickyard-csi')
    .addHelpText(
      'after',
      '\nController connection: --server / --user / --secret, or BRICKYARD_URL, BRICKYARD_USER, BRICKYARD_KEY\n' +
        '(HEKETI_CLI_SERVER / _USER / _KEY are read too), e.g. from a Kubernetes Secret.',
    );
  cmd.action(async (opts: Record<string, string | undefined>) => {
    const env = kit.io.env;
    const mode = opts.mode as 'controller' | 'node';
    const raw = opts.server || env.BRICKYARD_URL || env.HEKETI_CLI_SERVER;
    if (mode === 'controller' && !raw) throw new CliError('the controller needs Brickyard\'s URL: --server or BRICKYARD_URL');
    const { runCsi } = await import('../../csi/main');
    const mounter = mode === 'node' ? (await import('../../csi/system-mounter')).systemMounter : undefined;
    await runCsi({
      mode,
      endpoint: opts.endpoint!,
      driverName: opts.driverName,
      version,
      server: raw ? normalizeServer(raw) : undefined,
      user: opts.user || env.BRICKYARD_USER || env.HEKETI_CLI_USER || '',
      key: opts.secret || env.BRICKYARD_KEY || env.HEKETI_CLI_KEY || '',
      nodeId: opts.nodeId || env.NODE_ID,
      logDir: opts.logDir,
      mounter,
    });
  });
}
