/**
 * @module http/cors
 * CORS (Fetch standard, "CORS protocol") per app: the policy resolved from the host's
 * access_control_* options, the app's `cors` and `http_cors_override`, and the response
 * headers for simple requests and OPTIONS preflights.
 */
import type { CorsOverride } from '../../core/http-api.js';

/** The host-level CORS options (module.options of the http module on that host). */
export interface CorsOptions {
  readonly access_control_allow_origins: readonly string[] | undefined;
  readonly access_control_allow_methods: ReadonlySet<string>;
  readonly access_control_allow_headers: ReadonlySet<string>;
  readonly access_control_allow_credentials: boolean;
  readonly access_control_max_age: number;
  readonly http_default_cors_enabled: boolean;
  readonly http_cors_override: Readonly<Record<string, CorsOverride>>;
}

/** The effective policy of one app on one host. */
export interface CorsPolicy {
  readonly enabled: boolean;
  /** Lower-cased allowed origins; undefined = any origin. */
  readonly origins: ReadonlySet<string> | undefined;
  readonly credentials: boolean;
  readonly methods: readonly string[];
  readonly headers: readonly string[];
  readonly maxAge: number;
}

/** Normalise an origin for comparison: lower case, no trailing slash. */
export function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

/**
 * Resolve an app's policy: `http_cors_override[name]` wins over the app's own `cors`; an object
 * without `enabled: false` enables CORS; without either, `http_default_cors_enabled` decides.
 * Route methods are always allowed in preflights, plus OPTIONS.
 */
export function resolveCors(name: string, appCors: CorsOverride | undefined, options: CorsOptions, routeMethods: readonly string[]): CorsPolicy {
  const override = Object.hasOwn(options.http_cors_override, name) ? options.http_cors_override[name] : appCors;
  const enabled = override ? override.enabled !== false : options.http_default_cors_enabled;
  const originList = override?.origins ?? options.access_control_allow_origins;
  const origins = originList === undefined || originList === '*' || originList.includes('*')
    ? undefined
    : new Set(originList.map(normalizeOrigin));
  const methods = new Set<string>([...options.access_control_allow_methods, ...(override?.methods ?? []), ...routeMethods, 'OPTIONS']);
  if (methods.has('GET')) methods.add('HEAD');
  const headers = new Set<string>([...options.access_control_allow_headers, ...(override?.headers ?? [])]);
  return Object.freeze({
    enabled,
    origins,
    credentials: override?.credentials ?? options.access_control_allow_credentials,
    methods: [...methods].map((m) => m.toUpperCase()).sort(),
    headers: [...headers].sort(),
    maxAge: override?.max_age ?? options.access_control_max_age,
  });
}

/** Whether a request is a CORS preflight (an OPTIONS request with Access-Control-Request-Method). */
export function isPreflight(method: string, headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
  return method === 'OPTIONS' && typeof headers.origin === 'string' && typeof headers['access-control-request-method'] === 'string';
}

/**
 * The CORS headers for a response. An origin outside the allow-list gets none (the browser then
 * refuses the response; the request is still served). The origin is reflected, with
 * `Vary: Origin`, whenever the answer depends on it (an allow-list or credentials); otherwise
 * the answer is `*` for everyone.
 */
export function corsHeaders(policy: CorsPolicy, origin: string | undefined, preflight: boolean): Record<string, string> {
  if (!policy.enabled) return {};
  const out: Record<string, string> = {};
  const reflect = policy.origins !== undefined || policy.credentials;
  if (reflect) {
    out.vary = 'Origin';
    if (origin === undefined) return out;
    if (policy.origins !== undefined && !policy.origins.has(normalizeOrigin(origin))) return out;
    // An opaque origin ("null": sandboxed frames, file: pages) is never reflected unless listed.
    if (policy.origins === undefined && origin === 'null') return out;
    out['access-control-allow-origin'] = origin;
    if (policy.credentials) out['access-control-allow-credentials'] = 'true';
  } else {
    out['access-control-allow-origin'] = '*';
  }
  if (preflight) {
    out['access-control-allow-methods'] = policy.methods.join(', ');
    if (policy.headers.length > 0) out['access-control-allow-headers'] = policy.headers.join(', ');
    out['access-control-max-age'] = String(policy.maxAge);
  }
  return out;
}
