/**
 * @module iq
 * What the router leaves to a module for iq stanzas (Prosody's mod_iq): responses addressed to
 * the server or an account fire `iq-result/<kind>/<id>` and `iq-error/<kind>/<id>` (so a module
 * can wait for the answer to an iq it sent), and malformed requests get bad-request.
 */
import { defineModule, errorReply, type Element, type StanzaEvent } from '../../core/api.js';

/** Element children of a stanza. */
function elementCount(stanza: Element): number {
  let n = 0;
  for (const c of stanza.children) if (typeof c !== 'string') n++;
  return n;
}

export default defineModule({
  name: 'iq',
  description: 'Per-id events for iq responses and bad-request for malformed iq requests (RFC 6120 §8.2.3).',
  load(module) {
    for (const kind of ['host', 'bare', 'self'] as const) {
      module.hook(`iq/${kind}`, (event: StanzaEvent) => {
        const { origin, stanza } = event;
        const type = stanza.attrs.type as string | undefined;
        if (type === 'result' || type === 'error') {
          // Responses: whoever sent the request may hook its id; otherwise they are dropped.
          const id = stanza.attrs.id as string | undefined;
          if (id !== undefined) module.fire(`iq-${type}/${kind}/${id}`, event);
          return true;
        }
        if (type === 'get' || type === 'set') {
          // RFC 6120 §8.2.3: a request has exactly one payload element
          if (elementCount(stanza) !== 1) {
            const reply = errorReply(stanza, 'modify', 'bad-request', 'An iq request carries exactly one payload element (RFC 6120 §8.2.3)');
            if (origin) origin.send(reply);
            else module.server.route(reply);
            return true;
          }
          return undefined; // unhandled: the router answers service-unavailable (RFC 6120 §8.4)
        }
        // RFC 6120 §8.2.3: 'type' is required and one of get, set, result, error
        const reply = errorReply(stanza, 'modify', 'bad-request', 'Invalid iq type');
        if (stanza.attrs.from) {
          if (origin) origin.send(reply);
          else module.server.route(reply);
        }
        return true;
      }, -1);
    }
  },
});
