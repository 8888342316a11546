/**
 * @module errors
 * The XS_ERR_* registry: configuration and programming errors, thrown as ServerError.
 * Errors a peer causes are never thrown; they are rows of stream-errors.ts.
 */

type Params = Record<string, string | number>;

const templates = {
  XS_ERR_CONFIG_INVALID: (p: { path: string; expected: string; got: string }) =>
    `Config '${p.path}' must be ${p.expected}, got ${p.got}`,
  XS_ERR_CONFIG_LOAD: (p: { file: string; reason: string }) =>
    `Cannot load config file '${p.file}': ${p.reason}`,
  XS_ERR_OPTION_INVALID: (p: { option: string; module: string; host: string; expected: string; got: string }) =>
    `Option '${p.option}' (module '${p.module}', host '${p.host}') must be ${p.expected}, got ${p.got}`,
  XS_ERR_MODULE_NOT_FOUND: (p: { module: string; host: string; searched: string }) =>
    `modules_enabled for '${p.host}' lists unknown module '${p.module}' (searched: ${p.searched})`,
  XS_ERR_MODULE_DEPENDENCY: (p: { module: string; host: string; reason: string }) =>
    `Module '${p.module}' on host '${p.host}' cannot load: ${p.reason}`,
  XS_ERR_MODULE_LOAD: (p: { module: string; host: string; reason: string }) =>
    `Module '${p.module}' failed to load on host '${p.host}': ${p.reason}`,
  XS_ERR_MODULE_DEFINITION: (p: { module: string; reason: string }) =>
    `Module definition '${p.module}' is invalid: ${p.reason}`,
  XS_ERR_HOST_UNKNOWN: (p: { host: string }) =>
    `Host '${p.host}' is not a VirtualHost of this server`,
  XS_ERR_ALREADY_STARTED: (p: { action: string }) =>
    `Cannot ${p.action} after the server has started`,
  XS_ERR_STORAGE: (p: { driver: string; reason: string }) =>
    `Storage '${p.driver}' failed: ${p.reason}`,
  XS_ERR_ACCOUNT_EXISTS: (p: { user: string; host: string }) =>
    `Account '${p.user}@${p.host}' already exists`,
  XS_ERR_ACCOUNT_NOT_FOUND: (p: { user: string; host: string }) =>
    `Account '${p.user}@${p.host}' does not exist`,
  XS_ERR_USERNAME_INVALID: (p: { user: string; reason: string }) =>
    `Username '${p.user}' is invalid: ${p.reason}`,
  XS_ERR_LISTEN: (p: { service: string; address: string; port: number; reason: string }) =>
    `Cannot listen for '${p.service}' on ${p.address} port ${p.port}: ${p.reason}`,
  XS_ERR_CERTIFICATE: (p: { host: string; file: string; reason: string }) =>
    `Certificate for host '${p.host}' ('${p.file}') cannot be used: ${p.reason}`,
  XS_ERR_ITEM_INVALID: (p: { kind: string; module: string; reason: string }) =>
    `Item of kind '${p.kind}' provided by module '${p.module}' is invalid: ${p.reason}`,
} satisfies Record<`XS_ERR_${string}`, (p: never) => string>;

export type ErrorCode = keyof typeof templates;
export type ErrorParams<C extends ErrorCode> = Parameters<(typeof templates)[C]>[0];

/** Every XS_ERR_* code, for documentation and the registry test. */
export const ERROR_CODES = Object.freeze(Object.keys(templates) as ErrorCode[]);

/**
 * A configuration or programming error with a stable code.
 * @example throw new ServerError('XS_ERR_HOST_UNKNOWN', { host: 'example.org' });
 */
export class ServerError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly params: ErrorParams<C>;
  constructor(code: C, params: ErrorParams<C>, options?: { cause?: unknown }) {
    const render = templates[code] as (p: ErrorParams<C>) => string;
    super(`${code}: ${render(params)}`, options);
    this.name = 'ServerError';
    this.code = code;
    this.params = params;
  }
}

/** True when `err` is a ServerError, optionally with the given code. */
export function isServerError<C extends ErrorCode>(err: unknown, code?: C): err is ServerError<C> {
  return err instanceof ServerError && (code === undefined || err.code === code);
}

/** A short printable rendering of any value, for "got ..." in messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

export type { Params };
