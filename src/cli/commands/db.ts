import type { Command } from 'commander';
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

  kit.act(kit.sub(db, 'dump', 'print every record as JSON'), async (ctx) => {
    const dump = await ctx.client().dbDump();
    ctx.print(ctx.json ? JSON.stringify(dump) : JSON.stringify(dump, null, 2));
  });

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
