/**
 * @module log
 * Structured logging through pino. Child loggers carry { host, module } and { session };
 * credentials are redacted by path so a careless field never reaches the log.
 */
import { pino } from 'pino';
import type { Logger as PinoLogger, LevelWithSilent } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = LevelWithSilent;

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Field names that may hold a secret: always replaced by "[redacted]". */
const REDACT = ['password', '*.password', 'payload', '*.payload', 'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization'];

export interface LoggerOptions {
  level?: LogLevel;
  /** A writable destination (defaults to stderr); tests pass a stream to capture lines. */
  destination?: NodeJS.WritableStream;
}

/** The server's root logger: one JSON line per entry on stderr. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? pino.destination({ fd: 2, sync: true });
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    destination as pino.DestinationStream,
  );
}
