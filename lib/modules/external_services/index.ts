/**
 * @module external_services
 * External Service Discovery (XEP-0215): STUN/TURN and other services from the
 * `external_services` option (and `external_service` items other modules provide), with
 * short-lived TURN REST credentials computed from `external_service_secret`. Answers
 * urn:xmpp:extdisco:2 and the older :1 on the host's JID, to the host's users or those
 * listed in `external_service_access`.
 */
import {
  defineModule, errorReply, option, parseJid, ServerError, xml,
  type Element, type Session, type StanzaErrorType, type StanzaEvent,
} from '../../core/api.js';
import { credentialAlgorithm, ENTRY_DESCRIPTION, parseEntries, serviceAttrs, type ExternalServiceEntry, type ServiceAttrs, type ServiceDefaults } from './services.js';

export type { ExternalServiceEntry } from './services.js';

declare module '../../core/api.js' {
  interface Items {
    /** A service listed by external_services (XEP-0215), provided by another module (a TURN server module, say). */
    external_service: ExternalServiceEntry;
  }
}

const NAMESPACES = ['urn:xmpp:extdisco:2', 'urn:xmpp:extdisco:1'] as const;

export default defineModule({
  name: 'external_services',
  description: 'Lists STUN/TURN and other external services, with TURN REST credentials (XEP-0215).',
  options: {
    external_services: option.custom<readonly ExternalServiceEntry[]>({
      default: [], describe: ENTRY_DESCRIPTION, parse: parseEntries,
      doc: 'The services to list (XEP-0215), e.g. [{ "type": "turn", "transport": "udp", "host": "turn.example.org", "port": 3478, "secret": true }]. "secret": true computes TURN REST credentials with external_service_secret.',
    }),
    external_service_host: option.string<string | undefined>({ default: undefined, doc: 'Default "host" of a service entry (unset: the VirtualHost\'s name).' }),
    external_service_port: option.integer({ default: 0, min: 0, max: 65535, doc: 'Default "port" of a service entry (0: none).' }),
    external_service_secret: option.string<string | undefined>({
      default: undefined,
      doc: 'Shared secret for TURN REST credentials (coturn\'s static-auth-secret), used by entries with "secret": true.',
    }),
    external_service_ttl: option.integer({ default: 86400, min: 1, doc: 'Seconds computed TURN credentials stay valid (an entry\'s "ttl" overrides it).' }),
    external_service_access: option.array(option.string({ default: '' }), {
      default: [],
      doc: 'JIDs and domains allowed to discover services and credentials; empty: every user signed in to this host.',
    }),
  },
  load(module) {
    const o = module.options;
    const defaults: ServiceDefaults = {
      host: o.external_service_host ?? module.host,
      port: o.external_service_port === 0 ? undefined : o.external_service_port,
      secret: o.external_service_secret,
      ttl: o.external_service_ttl,
    };
    for (const entry of o.external_services) {
      if (entry.secret === true && defaults.secret === undefined) {
        throw new ServerError('XS_ERR_OPTION_INVALID', {
          option: 'external_service_secret', module: module.name, host: module.host,
          expected: `a string (an entry of external_services of type "${entry.type}" has "secret": true)`, got: 'nothing',
        });
      }
      if (entry.secret !== undefined && credentialAlgorithm(entry) !== 'turn') {
        module.log.warn({ type: entry.type }, 'external_services: an entry has a secret but its algorithm is not "turn"; no credentials are computed for it');
      }
    }
    if (o.external_services.length === 0) module.log.debug('external_services: no services configured');
    const access = new Set(o.external_service_access);

    const fail = (origin: Session | undefined, stanza: Element, type: StanzaErrorType, condition: string, text?: string): true => {
      const el = errorReply(stanza, type, condition, text);
      if (origin) origin.send(el);
      else module.server.route(el);
      return true;
    };
    /** Who may ask: the host's signed-in users when no access list is set, else those listed (by JID or domain). */
    const allowed = (origin: Session | undefined, stanza: Element): boolean => {
      const from = parseJid(stanza.attrs.from as string | undefined);
      if (!from) return false;
      if (access.size === 0) return origin?.authenticated === true && from.domain === module.host;
      return access.has(from.bare) || access.has(from.domain);
    };
    const current = (): ServiceAttrs[] => {
      const now = Math.floor(Date.now() / 1000);
      return [...o.external_services, ...module.items('external_service').map((r) => r.item)].map((e) => serviceAttrs(e, defaults, now));
    };
    const reply = (origin: Session | undefined, stanza: Element, payload: Element): true => {
      const el = xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to }, payload);
      if (origin) origin.send(el);
      else module.server.route(el);
      return true;
    };

    for (const ns of NAMESPACES) {
      module.provides('feature', ns);
      // XEP-0215 §3.1: all services, or those of the requested type
      module.hook(`iq-get/host/${ns}:services`, ({ origin, stanza }: StanzaEvent) => {
        if (!allowed(origin, stanza)) return fail(origin, stanza, 'auth', 'forbidden');
        const type = stanza.getChild('services', ns)?.attrs.type as string | undefined;
        const services = current().filter((s) => type === undefined || s.type === type);
        return reply(origin, stanza, xml('services', { xmlns: ns, type }, ...services.map((s) => xml('service', s))));
      });
      // XEP-0215 §3.3: credentials for restricted services, by type and host (and port)
      module.hook(`iq-get/host/${ns}:credentials`, ({ origin, stanza }: StanzaEvent) => {
        if (!allowed(origin, stanza)) return fail(origin, stanza, 'auth', 'forbidden');
        const requested = stanza.getChild('credentials', ns)?.getChildren('service') ?? [];
        if (requested.length === 0 || requested.some((r) => !r.attrs.type || !r.attrs.host)) {
          return fail(origin, stanza, 'modify', 'bad-request', 'Name each service by its type and host');
        }
        const restricted = current().filter((s) => s.restricted === '1');
        const found = restricted.filter((s) => requested.some((r) =>
          r.attrs.type === s.type && r.attrs.host === s.host && (r.attrs.port === undefined || r.attrs.port === s.port)));
        if (found.length === 0) return fail(origin, stanza, 'cancel', 'item-not-found', 'No such service with credentials');
        return reply(origin, stanza, xml('credentials', { xmlns: ns }, ...found.map((s) => xml('service', s))));
      });
    }
  },
});
