/**
 * @module log
 * Structured logging through pino. Child loggers carry { host, module } and { session };
 * credentials are redacted by path so a careless field never reaches the log.
 *
 * Lines go to sinks (the `log` option, lib/core/log-sinks.ts): the console (stderr), stdout,
 * stderr or files. Files are written through a buffered asynchronous stream (no blocking
 * write per line) and reopened by reopenLogFiles() (SIGUSR1 in `xmpp-server start`, for
 * logrotate). JSON lines everywhere, except a console that is a terminal: text (log-format.ts).
 */
import { pino } from 'pino';
import type { Logger as PinoLogger, LevelWithSilent } from 'pino';
import { formatText } from './log-format.js';
import { accepts, lowestLevel, type LogSinkSpec } from './log-sinks.js';

export type Logger = PinoLogger;
export type LogLevel = LevelWithSilent;

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Field names that may hold a secret: always replaced by "[redacted]". */
const REDACT = ['password', '*.password', 'payload', '*.payload', 'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization'];

const LEVEL_NUMBERS: Readonly<Record<LogLevel, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

export interface LoggerOptions {
  /** log_level: the level of sinks that name none (default 'info'). */
  level?: LogLevel;
  /** A writable destination for JSON lines (tests pass a stream to capture lines); sinks are ignored. */
  destination?: NodeJS.WritableStream;
  /** The `log` option, file names resolved (default: the console at `level`). */
  sinks?: readonly LogSinkSpec[];
  /** Whether the console is a terminal (default: the stream's isTTY); tests inject it. */
  tty?: boolean;
  /** The console stream (default process.stderr); tests inject one. */
  console?: NodeJS.WritableStream & { isTTY?: boolean };
}

interface Output {
  readonly levels: LogSinkSpec['levels'];
  write(line: string): void;
  reopen?(): void;
  flush?(): void;
}

/** What reopenLogFiles / flushLogs act on, per root logger. */
const outputsOf = new WeakMap<object, readonly Output[]>();

/** A pino destination that hands each line to the sinks whose levels take it. */
class SinkRouter {
  lastLevel = 0;
  constructor(readonly outputs: readonly Output[], readonly fallback: number) {
    // pino sets lastLevel before each write to a stream that asks for it.
    (this as unknown as Record<symbol, boolean>)[Symbol.for('pino.metadata')] = true;
  }
  write(line: string): void {
    for (const out of this.outputs) if (accepts(out.levels, this.fallback, this.lastLevel)) out.write(line);
  }
}

function openOutput(sink: LogSinkSpec, options: LoggerOptions): Output {
  if (sink.to === 'file') {
    const stream = pino.destination({ dest: sink.filename!, sync: false, append: true, mkdir: false, minLength: 4096 });
    const text = sink.format === 'text';
    stream.on('error', (err: Error) => { process.stderr.write(`log file ${sink.filename}: ${err.message}\n`); });
    // Until the new file is open, the old descriptor is still set: a flush would write there.
    let reopening = false;
    stream.on('ready', () => { reopening = false; });
    return {
      levels: sink.levels,
      write: (line) => stream.write(text ? formatText(line.trimEnd()) : line),
      reopen: () => { reopening = true; stream.reopen(); },
      flush: () => { if (!reopening) stream.flushSync(); },
    };
  }
  const stream: NodeJS.WritableStream & { isTTY?: boolean } = sink.to === 'stdout' ? process.stdout
    : sink.to === 'console' && options.console ? options.console : process.stderr;
  const fd = sink.to === 'stdout' ? 1 : 2;
  const tty = sink.to === 'console' ? options.tty ?? stream.isTTY === true : false;
  const text = sink.format ? sink.format === 'text' : tty;
  // The process's own stdout/stderr: synchronous writes (lines are not lost on a crash).
  const direct = stream === process.stdout || stream === process.stderr ? pino.destination({ fd, sync: true }) : stream;
  return { levels: sink.levels, write: (line) => { direct.write(text ? formatText(line.trimEnd()) : line); } };
}

/** The server's root logger: JSON lines on stderr by default, or the configured sinks. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const base = { level: options.level ?? 'info', base: { pid: process.pid }, redact: { paths: REDACT, censor: '[redacted]' } };
  if (options.destination) return pino(base, options.destination as pino.DestinationStream);
  const fallback = LEVEL_NUMBERS[options.level ?? 'info'];
  const outputs = (options.sinks ?? [{ to: 'console' }]).map((sink) => openOutput(sink, options));
  const lowest = lowestLevel(options.sinks ?? [{ to: 'console' }], fallback);
  const level = (Object.entries(LEVEL_NUMBERS).find(([, n]) => n === lowest)?.[0] ?? 'silent') as LogLevel;
  const logger = pino({ ...base, level }, new SinkRouter(outputs, fallback) as unknown as pino.DestinationStream);
  outputsOf.set(logger, outputs);
  return logger;
}

/** Reopen every log file of a root logger (after logrotate moved them). */
export function reopenLogFiles(logger: Logger): void {
  for (const out of outputsOf.get(logger) ?? []) out.reopen?.();
}

/** Write out what the log files buffer (before exit). */
export function flushLogs(logger: Logger): void {
  for (const out of outputsOf.get(logger) ?? []) {
    try {
      out.flush?.();
    } catch {
      // nothing buffered, or the file is gone: nothing to do
    }
  }
}
