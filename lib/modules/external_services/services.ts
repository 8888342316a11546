/**
 * @module external_services/services
 * The service entries of mod_external_services (Prosody's shape): parsing the
 * `external_services` option, and turning an entry into the attributes of a XEP-0215
 * `<service/>`, with TURN REST credentials (draft-uberti-behave-turn-rest-00 §2.2) when the
 * entry asks for a `secret`.
 */
import { createHmac } from 'node:crypto';
import { INVALID } from '../../core/api.js';

/** One configured service (an entry of `external_services`, or an `external_service` item). */
export interface ExternalServiceEntry {
  /** The service type: 'stun', 'turn', 'turns', ... (required). */
  readonly type: string;
  readonly transport?: string;
  /** Default: external_service_host (the VirtualHost). */
  readonly host?: string;
  /** Default: external_service_port. */
  readonly port?: number;
  readonly name?: string;
  readonly username?: string;
  /** A fixed password (the service is then restricted). */
  readonly password?: string;
  readonly restricted?: boolean;
  /** Unix time (seconds) the credentials expire. */
  readonly expires?: number;
  /** Seconds the credentials stay valid (instead of `expires`). */
  readonly ttl?: number;
  /** Compute credentials with this shared secret, or with external_service_secret when true. */
  readonly secret?: string | true;
  /** The credential algorithm (default: by type; 'turn' is the TURN REST one). */
  readonly algorithm?: string;
}

/** Host-wide defaults (the external_service_* options). */
export interface ServiceDefaults {
  readonly host: string;
  readonly port: number | undefined;
  readonly secret: string | undefined;
  readonly ttl: number;
}

/** The attributes of one `<service/>` (XEP-0215 §3.1). */
export type ServiceAttrs = Record<string, string | undefined>;

const STRING_FIELDS = ['type', 'transport', 'host', 'name', 'username', 'password', 'algorithm'] as const;
const KNOWN = new Set<string>([...STRING_FIELDS, 'port', 'restricted', 'expires', 'ttl', 'secret']);

/** Describes what the `external_services` option takes (for config errors and the README). */
export const ENTRY_DESCRIPTION = 'an array of objects with a string "type" and optional "transport", "host", "port" (1-65535), "name", "username", '
  + '"password", "restricted" (boolean), "expires" (Unix time), "ttl" (seconds), "secret" (true or a string), "algorithm"';

/** Parse one entry, or INVALID. */
export function parseEntry(raw: unknown): ExternalServiceEntry | typeof INVALID {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return INVALID;
  const r = raw as Record<string, unknown>;
  if (Object.keys(r).some((k) => !KNOWN.has(k))) return INVALID;
  if (typeof r.type !== 'string' || r.type === '') return INVALID;
  for (const f of STRING_FIELDS) if (r[f] !== undefined && typeof r[f] !== 'string') return INVALID;
  if (r.port !== undefined && !(Number.isInteger(r.port) && (r.port as number) >= 1 && (r.port as number) <= 65535)) return INVALID;
  if (r.restricted !== undefined && typeof r.restricted !== 'boolean') return INVALID;
  for (const f of ['expires', 'ttl'] as const) if (r[f] !== undefined && !(Number.isInteger(r[f]) && (r[f] as number) > 0)) return INVALID;
  if (r.secret !== undefined && r.secret !== true && (typeof r.secret !== 'string' || r.secret === '')) return INVALID;
  return Object.freeze({ ...r }) as unknown as ExternalServiceEntry;
}

/** Parse the `external_services` option. */
export function parseEntries(raw: unknown): readonly ExternalServiceEntry[] | typeof INVALID {
  if (!Array.isArray(raw)) return INVALID;
  const out: ExternalServiceEntry[] = [];
  for (const entry of raw) {
    const parsed = parseEntry(entry);
    if (parsed === INVALID) return INVALID;
    out.push(parsed);
  }
  return Object.freeze(out);
}

/** XEP-0082 DateTime of a Unix time in seconds, without fractions: 2024-05-01T12:00:00Z. */
function dateTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * draft-uberti-behave-turn-rest-00 §2.2: username "<expiry>[:<name>]", password
 * base64(HMAC-SHA1(secret, username)); what coturn's use-auth-secret checks.
 */
export function turnRestCredentials(secret: string, expires: number, name?: string): { username: string; password: string } {
  const username = name === undefined ? String(expires) : `${expires}:${name}`;
  return { username, password: createHmac('sha1', secret).update(username).digest('base64') };
}

/** The algorithm that computes an entry's credentials from its secret: 'turn' is the only one known. */
export function credentialAlgorithm(entry: ExternalServiceEntry): string {
  return entry.algorithm ?? entry.type;
}

/** The `<service/>` attributes for an entry at `now` (Unix seconds). */
export function serviceAttrs(entry: ExternalServiceEntry, defaults: ServiceDefaults, now: number): ServiceAttrs {
  let expires = entry.expires ?? (entry.ttl !== undefined ? now + entry.ttl : undefined);
  let { username, password } = entry;
  let restricted = entry.restricted === true || entry.password !== undefined;
  const secret = entry.secret === true ? defaults.secret : entry.secret;
  if (secret !== undefined && credentialAlgorithm(entry) === 'turn') {
    expires ??= now + defaults.ttl;
    ({ username, password } = turnRestCredentials(secret, expires, entry.username));
    restricted = true;
  }
  const port = entry.port ?? defaults.port;
  return {
    type: entry.type,
    transport: entry.transport,
    host: entry.host ?? defaults.host,
    port: port === undefined ? undefined : String(port),
    name: entry.name,
    username,
    password,
    expires: expires === undefined ? undefined : dateTime(expires),
    restricted: restricted ? '1' : undefined,
  };
}
