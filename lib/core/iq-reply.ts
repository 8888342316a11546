/**
 * @module iq-reply
 * Answering iq requests (RFC 6120 §8.2.3): the result stanza, sending a reply back where the
 * request came from, and answering from asynchronous work without ever leaving a request
 * unanswered or crashing on a thrown error.
 */
import type { Logger } from './log.js';
import { errorReply } from './router.js';
import type { Session } from './session-view.js';
import { xml, type Element } from './xml.js';

/** An iq result for `request`: same id, `to`/`from` swapped, with an optional payload (RFC 6120 §8.2.3). */
export function iqResult(request: Element, payload?: Element): Element {
  return xml('iq', { type: 'result', id: request.attrs.id, to: request.attrs.from, from: request.attrs.to }, payload);
}

/** What replying needs: routing, for requests that did not come from a local session. */
export interface ReplyRoute {
  route(stanza: Element, origin?: Session): void;
}

/** Send `reply` to where its request came from: the local session that sent it, else routed. */
export function replyTo(server: ReplyRoute, origin: Session | undefined, reply: Element): void {
  if (origin !== undefined) origin.send(reply);
  else server.route(reply);
}

/**
 * Answer `request` with what `work` resolves to (a result or an error reply). A rejection is
 * logged and answered with `internal-server-error` (RFC 6120 §8.3.3.6): a request is always
 * answered, and a failing handler never crashes the server. Returns true (the event is handled).
 * @example module.hook('iq-get/self/urn:example:q', ({ origin, stanza }) =>
 *   answerIq(module, origin, stanza, async () => iqResult(stanza, await lookUp())));
 */
export function answerIq(module: { readonly server: ReplyRoute; readonly log: Logger }, origin: Session | undefined, request: Element,
  work: () => Promise<Element>): true {
  work().then((reply) => { replyTo(module.server, origin, reply); }, (err: unknown) => {
    module.log.error({ err, id: request.attrs.id }, 'iq request failed');
    replyTo(module.server, origin, errorReply(request, 'wait', 'internal-server-error'));
  });
  return true;
}
