import pino, { type Logger } from 'pino';

const LEVELS: Record<string, pino.LevelWithSilent> = {
  none: 'silent',
  critical: 'fatal',
  error: 'error',
  warning: 'warn',
  info: 'info',
  debug: 'debug',
};

/** Structured JSON logs on stderr; Heketi's level names map onto pino's. */
export function createLogger(level: string): Logger {
  return pino({ level: LEVELS[level] ?? 'info', base: { service: 'brickyard' } }, pino.destination(2));
}
