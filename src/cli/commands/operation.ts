import type { Command } from 'commander';
import { requireId } from '../args';
import { about, type CommandKit } from '../command-kit';

/** An operation as Brickyard's /operations/pending routes present it. */
interface OperationInfo {
  id: string;
  kind: string;
  state: string;
  phase: string;
  target: string | null;
  error: string | null;
  cleanup_pending: boolean;
  attempts: number;
  owner: string | null;
  lease_expires_at: string | null;
  created_at: string;
  finished_at: string | null;
}

export function operationText(o: OperationInfo): string {
  const lines = [
    `Operation Id: ${o.id}`,
    `Kind: ${o.kind}`,
    `State: ${o.state}${o.cleanup_pending ? ' (undo still to do; retried automatically)' : ''}`,
    `Phase: ${o.phase}`,
    `Target: ${o.target ?? '(none)'}`,
    `Created: ${o.created_at}`,
    `Finished: ${o.finished_at ?? '(not yet)'}`,
  ];
  if (o.error) lines.push(`Error: ${o.error}`);
  if (o.owner) lines.push(`Owner: ${o.owner} (lease until ${o.lease_expires_at ?? '?'})`);
  if (o.attempts > 0) lines.push(`Taken over: ${o.attempts} time${o.attempts === 1 ? '' : 's'}`);
  return lines.join('\n');
}

function operationLine(o: OperationInfo): string {
  return `Id:${o.id} Kind:${o.kind.padEnd(14)} State:${o.state.padEnd(9)} Phase:${o.phase.padEnd(9)} Target:${o.target ?? '-'}`;
}

/** Brickyard's operations (not in heketi-cli): what a create or delete the CLI lost sight of became. */
export function registerOperation(program: Command, kit: CommandKit): void {
  const operation = program.command('operation').description('look up operations (Brickyard servers)');

  kit.act(
    kit.sub(operation, 'info [operation_id]', 'show one operation, running or finished: state, phase, error'),
    async (ctx, _opts, [raw]) => {
      const id = requireId('Operation', raw);
      const info = (await about('Operation', id, ctx.client().operationInfo(id))) as OperationInfo;
      ctx.show(info, operationText);
    },
  );

  kit.act(
    kit.sub(operation, 'list', 'list unfinished operations: running, waiting, or with an undo still to do'),
    async (ctx) => {
      const { pendingoperations } = (await ctx.client().operationsPending()) as { pendingoperations: OperationInfo[] };
      if (ctx.json) return ctx.printJson({ operations: pendingoperations });
      ctx.print(pendingoperations.length === 0 ? 'No unfinished operations' : pendingoperations.map(operationLine).join('\n'));
    },
  );
}
