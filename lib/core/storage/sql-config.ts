/**
 * @module storage/sql-config
 * The `sql` option, as Prosody reads it for `storage = "sql"` (mod_storage_sql): an object
 * `{ driver = "PostgreSQL", host, port, database, username, password }` or
 * `{ driver = "SQLite3", database = "prosody.sqlite" }` (a file under data_path), or here also a
 * connection string `postgres://user:password@host:port/database` (DATABASE_URL style).
 * A wrong field is refused at start naming `sql.<field>`; a password never appears in a message.
 * Reference: https://prosody.im/doc/modules/mod_storage_sql
 */
import { ServerError, describeValue } from '../errors.js';
import { option, type OptionSpec } from '../options.js';

/** Where PostgreSQL is, as `pg` takes it. */
export interface PostgresConnection {
  readonly host?: string;
  readonly port?: number;
  readonly database?: string;
  readonly user?: string;
  readonly password?: string;
  /** A `postgres://` URL (host, port, database, user and password in one). */
  readonly connectionString?: string;
}

/** The parsed `sql` option. */
export type SqlConfig =
  | { readonly driver: 'PostgreSQL'; readonly connection: PostgresConnection }
  | { readonly driver: 'SQLite3'; readonly database: string };

/** Prosody's default when `storage` is "sql" and `sql` is unset. */
export const DEFAULT_SQL: SqlConfig = Object.freeze({ driver: 'SQLite3', database: 'prosody.sqlite' });

const FIELDS = ['driver', 'host', 'port', 'database', 'username', 'password'];

function invalid(field: string, expected: string, got: string): ServerError<'XS_ERR_OPTION_INVALID'> {
  return new ServerError('XS_ERR_OPTION_INVALID', { option: field, module: 'core', host: '*', expected, got });
}

/** A connection string without its password (for messages and logs). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

/** Where a connection points, for messages: `host:port/database` (never the password). */
export function describeConnection(c: PostgresConnection): string {
  if (c.connectionString !== undefined) {
    try {
      const u = new URL(c.connectionString);
      return `${u.hostname || 'localhost'}:${u.port || 5432}${u.pathname || '/'}`;
    } catch {
      return redactUrl(c.connectionString);
    }
  }
  return `${c.host ?? 'localhost'}:${c.port ?? 5432}/${c.database ?? ''}`;
}

function parseUrl(raw: string): SqlConfig {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // not echoed: a malformed connection string may still hold a password
    throw invalid('sql', 'a connection string "postgres://user:password@host:port/database" or an object with "driver"', 'a string that is not a URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw invalid('sql', 'a connection string starting with "postgres://" or "postgresql://"', describeValue(`${url.protocol}//...`));
  }
  if (url.pathname.length <= 1) throw invalid('sql', 'a connection string that names the database ("postgres://host:5432/xmpp")', describeValue(redactUrl(raw)));
  return { driver: 'PostgreSQL', connection: { connectionString: raw } };
}

function text(o: Record<string, unknown>, field: string, required: boolean, secret = false): string | undefined {
  const v = o[field];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v === '') {
    throw invalid(`sql.${field}`, 'a non-empty string', secret && v !== undefined ? '(hidden)' : describeValue(v));
  }
  return v;
}

function parseObject(o: Record<string, unknown>): SqlConfig {
  const unknown = Object.keys(o).filter((k) => !FIELDS.includes(k));
  if (unknown.length > 0) throw invalid(`sql.${unknown[0]!}`, `absent (the fields are ${FIELDS.join(', ')})`, 'a value');
  const driver = o.driver;
  if (driver === 'SQLite3') return { driver, database: text(o, 'database', true)! };
  if (driver !== 'PostgreSQL') {
    throw invalid('sql.driver', '"PostgreSQL" or "SQLite3" (MySQL is not supported)', describeValue(driver));
  }
  const port = o.port;
  if (port !== undefined && !(typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535)) {
    throw invalid('sql.port', 'an integer from 1 to 65535', describeValue(port));
  }
  const connection: PostgresConnection = {
    host: text(o, 'host', false) ?? 'localhost',
    port: port ?? 5432,
    database: text(o, 'database', true),
    user: text(o, 'username', false),
    password: text(o, 'password', false, true),
  };
  return { driver, connection };
}

/**
 * Parse the `sql` option.
 * @throws XS_ERR_OPTION_INVALID naming `sql` or `sql.<field>` and what it expects.
 */
export function parseSqlOption(raw: unknown): SqlConfig {
  if (typeof raw === 'string') return parseUrl(raw);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid('sql', 'a connection string "postgres://user:password@host:port/database" or an object with "driver"', describeValue(raw));
  }
  return Object.freeze(parseObject(raw as Record<string, unknown>));
}

/** The core's `sql` option (its parse throws the precise error itself). */
export const SQL_OPTION: OptionSpec<SqlConfig> = option.custom<SqlConfig>({
  default: DEFAULT_SQL,
  scope: 'global',
  describe: 'a connection string "postgres://user:password@host:port/database" or { "driver": "PostgreSQL", "host", "port", "database", "username", "password" } or { "driver": "SQLite3", "database": "file.sqlite" }',
  doc: 'Where `storage: "sql"` keeps its data, as in Prosody: PostgreSQL (an object or a connection string) or an SQLite3 file under data_path. See "Storage".',
  parse: parseSqlOption,
});
