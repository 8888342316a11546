/**
 * @module log-format
 * The human-readable form of a log line, for a console that is a terminal:
 *
 *   2025-01-31T12:00:00.000Z INFO  authentication failed session=4f2a ip=203.0.113.7 host=example.org ...
 *
 * Time (ISO 8601, UTC), level, message, then every other field as key=value in the order the
 * JSON line has them (values with spaces, quotes or '=' are JSON-quoted; objects are JSON).
 * An error's stack follows on its own lines.
 */
const LABELS: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** Format one pino JSON line (without its newline) as text, with a trailing newline. */
export function formatText(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${line}\n`;
  }
  const { level, time, msg, pid: _pid, err, ...fields } = entry;
  const when = typeof time === 'number' ? new Date(time).toISOString() : String(time ?? '');
  const label = (LABELS[level as number] ?? String(level)).padEnd(5);
  let out = `${when} ${label} ${typeof msg === 'string' ? msg : ''}`;
  for (const [k, v] of Object.entries(fields)) out += ` ${k}=${value(v)}`;
  if (err && typeof err === 'object') {
    const e = err as { message?: unknown; stack?: unknown };
    out += typeof e.stack === 'string' ? `\n  ${e.stack.replace(/\n/g, '\n  ')}` : ` err=${value(e.message ?? err)}`;
  }
  return `${out}\n`;
}
