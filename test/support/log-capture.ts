import type { Logger } from 'pino';
import { createLogger } from '../../src/logger';

export type LogLine = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The server's own logger (same format, same context fields), writing into memory for tests to read. */
export function capturedLogger(level = 'debug'): { log: Logger; lines: LogLine[]; find(match: Partial<LogLine>): LogLine[] } {
  const lines: LogLine[] = [];
  const log = createLogger(level, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return {
    log,
    lines,
    find(match) {
      return lines.filter((l) => Object.entries(match).every(([k, v]) => l[k] === v));
    },
  };
}
