/**
 * @module log-sinks
 * The `log` option, shaped like Prosody's: where log lines go and which levels each sink gets.
 *
 *   "log": "debug"                                  one console sink at that level
 *   "log": "/var/log/xmpp-server.log"               one file (or "*console", "*stdout", "*stderr") at log_level
 *   "log": { "info": "/var/log/x.log", "error": "*console" }   level (and above) -> sink(s)
 *   "log": [ { "levels": { "min": "info" }, "to": "file", "filename": "/var/log/x.log" },
 *            { "levels": ["error", "fatal"], "to": "console" }, "*console" ]
 *
 * Sinks without levels get `log_level` (and above). `format` ("json" or "text") overrides the
 * default: JSON lines for files and for a console that is not a terminal, text for a terminal.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ServerError, describeValue } from './errors.js';
import { INVALID, option, type OptionSpec } from './options.js';

/** Levels a sink can name (pino's, plus Prosody's "warning" spelling as "warn"). */
export const SINK_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type SinkLevel = (typeof SINK_LEVELS)[number];
/** pino's numbers for the levels. */
export const LEVEL_VALUES: Readonly<Record<SinkLevel, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

export type SinkTarget = 'console' | 'stdout' | 'stderr' | 'file';

/** One parsed sink. `levels` undefined: log_level and above. */
export interface LogSinkSpec {
  readonly to: SinkTarget;
  readonly filename?: string;
  readonly levels?: { readonly min?: SinkLevel; readonly max?: SinkLevel } | ReadonlySet<SinkLevel>;
  readonly format?: 'json' | 'text';
}

function level(raw: unknown): SinkLevel | undefined {
  if (raw === 'warning') return 'warn';
  return typeof raw === 'string' && (SINK_LEVELS as readonly string[]).includes(raw) ? (raw as SinkLevel) : undefined;
}

/** A sink name: "*console", "*stdout", "*stderr", or a file name. */
function named(raw: unknown, levels?: LogSinkSpec['levels']): LogSinkSpec | undefined {
  if (typeof raw !== 'string' || raw === '') return undefined;
  if (raw.startsWith('*')) {
    const to = raw.slice(1);
    return to === 'console' || to === 'stdout' || to === 'stderr' ? { to, levels } : undefined;
  }
  return { to: 'file', filename: raw, levels };
}

function levelsOf(raw: unknown): LogSinkSpec['levels'] | typeof INVALID {
  if (raw === undefined) return undefined;
  if (typeof raw === 'string') return level(raw) ? { min: level(raw) } : INVALID;
  if (Array.isArray(raw)) {
    const out = new Set<SinkLevel>();
    for (const l of raw) {
      const v = level(l);
      if (!v) return INVALID;
      out.add(v);
    }
    return out.size ? out : INVALID;
  }
  if (typeof raw === 'object' && raw !== null) {
    const { min, max, ...rest } = raw as Record<string, unknown>;
    if (Object.keys(rest).length || (min !== undefined && !level(min)) || (max !== undefined && !level(max))) return INVALID;
    return { min: level(min), max: level(max) };
  }
  return INVALID;
}

function entry(raw: unknown): LogSinkSpec | typeof INVALID {
  if (typeof raw === 'string') return named(raw) ?? INVALID;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return INVALID;
  const { to, filename, levels, format, ...rest } = raw as Record<string, unknown>;
  if (Object.keys(rest).length) return INVALID;
  const parsedLevels = levelsOf(levels);
  if (parsedLevels === INVALID) return INVALID;
  if (format !== undefined && format !== 'json' && format !== 'text') return INVALID;
  const f = format as LogSinkSpec['format'];
  if (to === 'file') return typeof filename === 'string' && filename !== '' ? { to, filename, levels: parsedLevels, format: f } : INVALID;
  if ((to === 'console' || to === 'stdout' || to === 'stderr') && filename === undefined) return { to, levels: parsedLevels, format: f };
  return INVALID;
}

/** Parse the raw `log` value; INVALID when it has none of the documented shapes. */
export function parseLogOption(raw: unknown): readonly LogSinkSpec[] | typeof INVALID {
  if (typeof raw === 'string') {
    const l = level(raw);
    if (l) return [{ to: 'console', levels: { min: l } }];
    const sink = named(raw);
    return sink ? [sink] : INVALID;
  }
  if (Array.isArray(raw)) {
    const out: LogSinkSpec[] = [];
    for (const e of raw) {
      const sink = entry(e);
      if (sink === INVALID) return INVALID;
      out.push(sink);
    }
    return out;
  }
  if (typeof raw === 'object' && raw !== null) {
    const out: LogSinkSpec[] = [];
    for (const [l, targets] of Object.entries(raw)) {
      const min = level(l);
      if (!min) return INVALID;
      for (const t of Array.isArray(targets) ? targets : [targets]) {
        const sink = named(t, { min });
        if (!sink) return INVALID;
        out.push(sink);
      }
    }
    return out;
  }
  return INVALID;
}

/** The core's `log` option (see the module comment; README "Logging"). */
export const LOG_OPTION: OptionSpec<readonly LogSinkSpec[] | undefined> = option.custom<readonly LogSinkSpec[] | undefined>({
  default: undefined,
  scope: 'global',
  describe: 'a level, a sink ("*console", "*stdout", "*stderr" or a file name), an object mapping levels to sinks, or an array of { "to", "filename", "levels", "format" }',
  doc: 'Where log lines go, Prosody\'s shapes: "debug", "/var/log/xmpp-server.log", { "info": "file.log", "error": "*console" } or [ { "levels": { "min": "info" }, "to": "file", "filename": "file.log" } ]. Unset: the console at log_level. See "Logging".',
  parse: (raw) => parseLogOption(raw),
});

/**
 * Resolve file names against `base` and check that each file's folder exists (so a typo is a
 * config error at start, not a log lost later).
 * @throws XS_ERR_OPTION_INVALID naming `log` and the file.
 */
export function resolveSinkFiles(sinks: readonly LogSinkSpec[], base: string): LogSinkSpec[] {
  return sinks.map((sink) => {
    if (sink.to !== 'file') return sink;
    const filename = resolve(base, sink.filename!);
    const folder = dirname(filename);
    if (!existsSync(folder) || !statSync(folder).isDirectory()) {
      throw new ServerError('XS_ERR_OPTION_INVALID', {
        option: 'log', module: 'core', host: '*', expected: 'log files in existing folders', got: `${describeValue(sink.filename)} (folder ${folder} does not exist)`,
      });
    }
    return { ...sink, filename };
  });
}

/** Does a sink with these levels take a line of numeric level `value`, given log_level `fallback`? */
export function accepts(levels: LogSinkSpec['levels'], fallback: number, value: number): boolean {
  if (levels instanceof Set) return [...(levels as ReadonlySet<SinkLevel>)].some((l) => LEVEL_VALUES[l] === value);
  const range = levels as { min?: SinkLevel; max?: SinkLevel } | undefined;
  const min = range?.min ? LEVEL_VALUES[range.min] : fallback;
  const max = range?.max ? LEVEL_VALUES[range.max] : Infinity;
  return value >= min && value <= max;
}

/** The least severe level any sink takes (the root logger's level). */
export function lowestLevel(sinks: readonly LogSinkSpec[], fallback: number): number {
  let lowest = Infinity;
  for (const { levels } of sinks) {
    if (levels instanceof Set) for (const l of levels as ReadonlySet<SinkLevel>) lowest = Math.min(lowest, LEVEL_VALUES[l]);
    else lowest = Math.min(lowest, (levels as { min?: SinkLevel } | undefined)?.min ? LEVEL_VALUES[(levels as { min: SinkLevel }).min] : fallback);
  }
  return lowest;
}
