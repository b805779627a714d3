import { HeketiError, type OperationWatch } from '../client/heketi-client';
import type { CliContext } from './context';
import { CliError } from './errors';
import { Spinner } from './spinner';

/** Words for the phases the server reports while an operation runs. */
const PHASES: Record<string, string> = {
  build: 'recording',
  exec: 'working on the storage nodes',
  finalize: 'recording the result',
  rollback: 'undoing after a failure',
};

/**
 * Runs an asynchronous request: on a terminal (and not --json) a spinner shows the operation's phase while the
 * CLI waits; if the connection drops after the server accepted it, the error names the operation so that the
 * operator can look it up instead of guessing whether it happened.
 */
export async function followOperation<T>(ctx: CliContext, label: string, run: (watch: OperationWatch) => Promise<T>): Promise<T> {
  let operationId: string | undefined;
  const spinner = ctx.isTerminal && !ctx.json ? new Spinner(ctx.io.stdout, label) : undefined;
  spinner?.start();
  const watch: OperationWatch = {
    accepted(id) {
      operationId = id;
      spinner?.update({ operationId: id });
    },
    pending(phase) {
      spinner?.update({ phase: phase === undefined ? undefined : (PHASES[phase] ?? phase) });
    },
  };
  try {
    return await run(watch);
  } catch (err) {
    if (operationId !== undefined && err instanceof HeketiError && err.status === 0) {
      throw new CliError(
        `${err.message}; operation ${operationId} was accepted and may still be running: ` +
          `see \`brickyard operation info ${operationId}\``,
      );
    }
    throw err;
  } finally {
    spinner?.stop();
  }
}
