import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { OperationObserver, OperationSubject } from '../app/observer';

/** The fields of a log line about an operation (undefined ones are left out of the JSON). */
function fields(s: OperationSubject): Record<string, unknown> {
  return { op: s.id, kind: s.kind, volumeId: s.volumeId, volumeName: s.volumeName, initiator: s.initiator };
}

/**
 * Logs each operation's start, end and recovery at info (warn when it failed) and counts them:
 * brickyard_operations_total{kind,outcome}, brickyard_operation_duration_seconds{kind,outcome},
 * brickyard_operation_recoveries_total{kind,action,completed}.
 */
export function createOperationObserver(log: Logger, registry: Registry): OperationObserver {
  const total = new Counter({
    name: 'brickyard_operations_total',
    help: 'Operations this process finished, by kind and outcome',
    labelNames: ['kind', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'brickyard_operation_duration_seconds',
    help: 'Time from the start of an operation on the storage nodes to its end (rollback included)',
    labelNames: ['kind', 'outcome'],
    buckets: [0.05, 0.25, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600],
    registers: [registry],
  });
  const recoveries = new Counter({
    name: 'brickyard_operation_recoveries_total',
    help: 'Operations taken over after a crash or a failed undo, by what was done and whether it completed',
    labelNames: ['kind', 'action', 'completed'],
    registers: [registry],
  });

  return {
    started(e) {
      log.info(fields(e), 'operation started');
    },
    finished(e) {
      total.inc({ kind: e.kind, outcome: e.outcome });
      duration.observe({ kind: e.kind, outcome: e.outcome }, e.ms / 1000);
      const line = { ...fields(e), outcome: e.outcome, ms: e.ms, error: e.error };
      if (e.outcome === 'succeeded') log.info(line, 'operation succeeded');
      else log.warn(line, 'operation failed');
    },
    recovered(e) {
      const completed = e.error === undefined;
      recoveries.inc({ kind: e.kind, action: e.action, completed: String(completed) });
      const line = { ...fields(e), action: e.action, ms: e.ms, error: e.error };
      if (completed) log.warn(line, `operation recovered: ${e.action}`);
      else log.error(line, `operation recovery incomplete (${e.action}); will retry`);
    },
  };
}
