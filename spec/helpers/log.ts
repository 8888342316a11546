/**
 * Test helper: a real pino logger whose JSON lines are captured in memory, so tests can
 * assert what was logged (and what never is, such as passwords).
 */
import { Writable } from 'node:stream';
import { createLogger, type Logger, type LogLevel } from '../../lib/core/log.js';

export interface CapturedLog {
  readonly logger: Logger;
  readonly lines: Record<string, unknown>[];
  readonly text: () => string;
}

export function captureLog(level: LogLevel = 'debug'): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: createLogger({ level, destination }), lines, text: () => raw.join('\n') };
}
