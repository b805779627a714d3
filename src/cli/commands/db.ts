import type { Command } from 'commander';
import { describeImport, type ImportReportView } from '../format/heketi-import';
import { readNamedFile } from '../args';
import type { CommandKit } from '../command-kit';
import { CliError } from '../errors';
import { plural } from '../format/units';

interface CheckReport {
  ok: boolean;
  counts: Record<string, number>;
  problems: string[];
}

function isBrickyardReport(v: Record<string, unknown>): v is Record<string, unknown> & CheckReport {
  return typeof v.ok === 'boolean' && Array.isArray(v.problems);
}

export function registerDb(program: Command, kit: CommandKit): void {
  const db = program.command('db').description('inspect the server database');

  kit.act(
    kit
      .sub(db, 'dump', "print every record as JSON, in Heketi's dump format")
      .option('--native', "Brickyard's own records and field names instead of Heketi's"),
    async (ctx, opts) => {
      const dump = await ctx.client().dbDump(opts.native ? 'brickyard' : 'heketi');
      ctx.print(ctx.json ? JSON.stringify(dump) : JSON.stringify(dump, null, 2));
    },
  );

  kit.act(
    kit
      .sub(db, 'import', 'import a Heketi database (heketi db export, or a Heketi db dump)')
      .option('--heketi <file>', 'the Heketi export file')
      .option('--merge', 'import into a database that already has records (refused on any id, name or hostname clash)')
      .option('--verify', "first check every brick on its node (LV, thin pool, mount, fstab line); any difference refuses")
      .addHelpText(
        'after',
        '\nThe whole file is checked before anything is written, and written in one transaction. Ids and the names\n' +
          'on the nodes (vg_<device>, tp_<brick>, brick_<brick>, brick paths) stay as Heketi made them.\n' +
          'Running the same file again changes nothing.\n\nExample:\n  $ brickyard db import --heketi heketi-export.json --verify',
      ),
    async (ctx, opts) => {
      const path = opts.heketi as string | undefined;
      if (!path) throw new CliError('Missing the export file: use --heketi=<file>');
      const text = await readNamedFile(path);
      const report = (await ctx.client().dbImport(text, { merge: opts.merge === true, verify: opts.verify === true })) as ImportReportView;
      ctx.show(report, describeImport);
    },
  );

  kit.act(kit.sub(db, 'check', 'cross-check the records; exits 255 when problems are found'), async (ctx) => {
    const report = await ctx.client().dbCheck();
    if (!isBrickyardReport(report)) {
      // A Heketi server answers with its own report shape: show it as it is.
      ctx.print(JSON.stringify(report, null, ctx.json ? undefined : 2));
      return;
    }
    if (ctx.json) ctx.printJson(report);
    else {
      const counts = Object.entries(report.counts).map(([k, n]) => `${k.replace(/_/g, ' ')}: ${n}`).join(', ');
      ctx.print(report.ok ? `Database is consistent (${counts})` : `Database check (${counts}):\n${report.problems.map((p) => `  ${p}`).join('\n')}`);
    }
    if (!report.ok) throw new CliError(`database check found ${plural(report.problems.length, 'problem')}`);
  });
}
