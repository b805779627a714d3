import type { Command } from 'commander';
import { readNamedFile } from '../args';
import type { CommandKit } from '../command-kit';
import type { CliContext } from '../context';
import { CliError } from '../errors';
import { plural } from '../format/units';
import { topologyTree } from '../format/topology-tree';
import { ProgressBar } from '../progress';
import { fetchTopology } from '../topology/fetch';
import { parseTopologyText, TopologyFileError, type TopologyFile } from '../topology/file';
import { executePlan, type LoadReport, type Outcome } from '../topology/load';
import { actions, planTopologyLoad, type Plan, type PlanEntry } from '../topology/plan';

async function readTopologyFile(path: string): Promise<TopologyFile> {
  const text = await readNamedFile(path);
  try {
    return parseTopologyText(text);
  } catch (err) {
    if (err instanceof TopologyFileError) throw new CliError(`${path}: ${err.message}`);
    throw err;
  }
}

/** One line per plan entry, indented cluster > node > device. */
function describe(entry: PlanEntry, outcome: Outcome | undefined): string {
  const result = (what: string): string => {
    if (!outcome) return what;
    switch (outcome.status) {
      case 'created':
        return outcome.id ? `${what}: ${outcome.id}` : `${what}: OK`;
      case 'skipped':
        return what;
      case 'failed':
        return `${what}: FAILED: ${outcome.error}`;
      case 'not-attempted':
        return `${what}: not attempted, ${outcome.reason}`;
    }
  };
  switch (entry.kind) {
    case 'create-cluster':
      return result(`Creating cluster for ${entry.where} (file: ${entry.file}, block: ${entry.block})`);
    case 'add-node':
      return result(`  Adding node ${entry.node.manage[0]} (zone ${entry.node.zone}, storage ${entry.node.storage.join(',')})`);
    case 'skip-node':
      return `  Found node ${entry.node.manage[0]} in cluster ${entry.existing.cluster}: ${entry.existing.id}, skipped`;
    case 'add-device':
      return result(`    Adding device ${entry.device.name}`);
    case 'skip-device':
      return `    Found device ${entry.device.name}: ${entry.existingId}, skipped`;
  }
}

function summary(report: LoadReport): string {
  const added = report.added;
  const skipped = report.skipped;
  const parts = [
    `Added ${plural(added.clusters.length, 'cluster')}, ${plural(added.nodes.length, 'node')} and ${plural(added.devices.length, 'device')}`,
    `skipped ${plural(skipped.nodes.length, 'node')} and ${plural(skipped.devices.length, 'device')} already there`,
  ];
  if (report.failed.length > 0) parts.push(`${report.failed.length} failed`);
  return `${parts.join('; ')}.`;
}

function planSummary(plan: Plan): string {
  const count = (kind: PlanEntry['kind']) => plan.entries.filter((e) => e.kind === kind).length;
  return (
    `Would add ${plural(count('create-cluster'), 'cluster')}, ${plural(count('add-node'), 'node')} and ` +
    `${plural(count('add-device'), 'device')}; ${plural(count('skip-node'), 'node')} and ${plural(count('skip-device'), 'device')} already there.`
  );
}

async function load(ctx: CliContext, path: string, dryRun: boolean): Promise<void> {
  const file = await readTopologyFile(path);
  const client = ctx.client();
  const current = await fetchTopology(client);
  let plan: Plan;
  try {
    plan = planTopologyLoad(file, current);
  } catch (err) {
    if (err instanceof TopologyFileError) throw new CliError(`${path}: ${err.message}`);
    throw err;
  }

  if (dryRun) {
    if (ctx.json) return ctx.printJson({ plan: plan.entries.map((e) => ({ action: e.kind, line: describe(e, undefined).trim() })), notes: plan.notes });
    ctx.print([...plan.entries.map((e) => describe(e, undefined)), ...plan.notes.map((n) => `Note: ${n}`), planSummary(plan)].join('\n'));
    return;
  }

  const changes = actions(plan).length;
  const bar = !ctx.json && ctx.isTerminal && changes > 0 ? new ProgressBar(ctx.io.stdout, changes) : undefined;
  const report = await executePlan(client, plan, {
    starting(entry, done) {
      bar?.update(done, describe(entry, undefined).trim());
    },
    entry(entry, outcome, done) {
      const line = describe(entry, outcome);
      if (bar) bar.log(line, { done, label: '' });
      else if (!ctx.json) ctx.print(line);
    },
  });
  bar?.finish();

  if (ctx.json) ctx.printJson(report);
  else {
    for (const id of report.removed_empty_clusters) ctx.print(`Deleted cluster ${id} again: none of its nodes could be added`);
    for (const note of report.notes) ctx.print(`Note: ${note}`);
    ctx.print(summary(report));
  }
  if (report.failed.length > 0) {
    throw new CliError(
      `${plural(report.failed.length, 'change')} failed (first: ${report.failed[0]!.where}: ${report.failed[0]!.error}); ` +
        'fix the cause and run the load again: it adds only what is missing',
    );
  }
}

export function registerTopology(program: Command, kit: CommandKit): void {
  const topology = program.command('topology').description('load and show the whole topology');

  kit.act(
    kit
      .sub(topology, 'load [file]', 'add the clusters, nodes and devices of a heketi-cli topology file that are missing', {
        jsonOutput: false,
      })
      .option('-j, --json <file>', 'topology file (heketi-cli format)')
      .option('--dry-run', 'show what would be added, change nothing')
      .addHelpText(
        'after',
        '\nNodes are matched by their first manage hostname and devices by name: loading the same file twice adds\n' +
          'nothing the second time. The whole file is checked before anything is changed.\n' +
          'For JSON output put --json before the subcommand: brickyard --json topology load --json=topology.json\n\n' +
          'Example:\n  $ brickyard topology load --json=topology.json',
      ),
    async (ctx, opts, [positional]) => {
      const path = opts.json ?? positional;
      if (!path) throw new CliError('Missing configuration file: use --json=<file>');
      await load(ctx, path, opts.dryRun === true);
    },
  );

  kit.act(kit.sub(topology, 'info', 'show clusters, zones, nodes and devices with their usage'), async (ctx) => {
    const topo = await fetchTopology(ctx.client());
    ctx.show(topo, topologyTree);
  });
}
