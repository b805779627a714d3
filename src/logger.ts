import pino, { type DestinationStream, type Logger } from 'pino';
import { currentLogContext } from './log-context';

const LEVELS: Record<string, pino.LevelWithSilent> = {
  none: 'silent',
  critical: 'fatal',
  error: 'error',
  warning: 'warn',
  info: 'info',
  debug: 'debug',
};

/**
 * Structured JSON logs (stderr unless told); Heketi's level names map onto pino's. Every line carries the
 * request id (`req`) and operation id (`op`) of the work it was written for.
 */
export function createLogger(level: string, destination: DestinationStream = pino.destination(2)): Logger {
  return pino(
    { level: LEVELS[level] ?? 'info', base: { service: 'brickyard' }, mixin: () => ({ ...currentLogContext() }) },
    destination,
  );
}
