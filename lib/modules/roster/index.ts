/**
 * @module roster
 * The jabber:iq:roster protocol (RFC 6121 §2): roster get (with versioning, §2.6), set and
 * remove, each answered and pushed to every interested resource. The rosters themselves belong
 * to the presence module (the `rosters` service), which runs the subscription states.
 */
import { defineModule, errorReply, option, parseJid, xml, NS_ROSTER, type Element, type RosterService, type Session, type StanzaErrorType, type StanzaEvent } from '../../core/api.js';

function result(stanza: Element, ...payload: Element[]): Element {
  return xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to }, ...payload);
}

export default defineModule({
  name: 'roster',
  description: 'Roster get/set/remove with pushes and versioning (RFC 6121 §2).',
  depends: ['presence'],
  options: {
    // max_roster_items is the presence module's: it owns rosters and checks the limit on every path
    roster_max_name_length: option.integer({
      default: 1023, min: 1,
      doc: 'Longest roster item name or group name in characters; longer ones are refused with not-acceptable (RFC 6121 §2.3.3).',
    }),
  },
  load(module) {
    const manager = (): RosterService => {
      const m = module.service('rosters');
      if (!m) throw new Error(`presence is not loaded on '${module.host}'`);
      return m;
    };
    const { roster_max_name_length: maxName } = module.options;

    // RFC 6121 §2.6.1: roster versioning is advertised after authentication
    module.hook('stream-features', ({ session, features }: { session: Session; features: Element }) => {
      if (session.authenticated) features.append(xml('ver', { xmlns: 'urn:xmpp:features:rosterver' }));
    });

    // RFC 6121 §2.1.3 / §2.6.3: roster get; the resource becomes "interested" in pushes
    module.hook(`iq-get/self/${NS_ROSTER}:query`, ({ origin, stanza }: StanzaEvent) => {
      if (!origin?.username) return undefined;
      origin.interested = true;
      const roster = manager();
      const query = roster.queryElement(origin.username);
      const ver = stanza.getChild('query', NS_ROSTER)?.attrs.ver as string | undefined;
      // §2.6.3: the client's version is current: an empty result, changes come as pushes
      if (ver !== undefined && ver === query.attrs.ver) origin.send(result(stanza));
      else origin.send(result(stanza, query));
      return true;
    });

    // RFC 6121 §2.3 (set) and §2.5 (remove)
    module.hook(`iq-set/self/${NS_ROSTER}:query`, ({ origin, stanza }: StanzaEvent) => {
      if (!origin?.username || !origin.bareJid) return undefined;
      const user = origin.username;
      const fail = (type: StanzaErrorType, condition: string, text?: string): true => {
        origin.send(errorReply(stanza, type, condition, text));
        return true;
      };
      const items = stanza.getChild('query', NS_ROSTER)?.getChildren('item') ?? [];
      // §2.3.3: exactly one item
      if (items.length !== 1) return fail('modify', 'bad-request', 'A roster set holds exactly one item');
      const el = items[0]!;
      const jid = parseJid(el.attrs.jid as string | undefined);
      if (!jid || jid.resource !== undefined) return fail('modify', 'jid-malformed');
      if (jid.bare === origin.bareJid) return fail('cancel', 'not-allowed', 'The roster cannot hold its owner');
      const roster = manager();
      const contact = jid.bare;

      if (el.attrs.subscription === 'remove') {
        const removed = roster.removeItem(user, contact);
        // §2.5.3: removing an item that is not there
        if (!removed) return fail('cancel', 'item-not-found');
        origin.send(result(stanza));
        roster.push(user, contact);
        // §2.5.2: cancel both directions of the subscription on the contact's side
        if (removed.hadTo) module.server.route(xml('presence', { type: 'unsubscribe', from: origin.bareJid, to: contact }));
        if (removed.hadFrom || removed.wasPending) module.server.route(xml('presence', { type: 'unsubscribed', from: origin.bareJid, to: contact }));
        if (removed.hadFrom) {
          for (const s of module.server.sessions.ofUser(module.host, user)) {
            if (s.presence !== undefined) module.server.route(xml('presence', { type: 'unavailable', from: s.fullJid, to: contact }));
          }
        }
        return true;
      }

      // §2.3.3: groups are unique and non-empty; names have a length limit
      const groups = el.getChildren('group').map((g) => g.getText());
      if (groups.some((g) => g.length === 0)) return fail('modify', 'not-acceptable', 'Empty group name');
      if (new Set(groups).size !== groups.length) return fail('modify', 'bad-request', 'Duplicate group');
      const name = el.attrs.name as string | undefined;
      if ([name ?? '', ...groups].some((s) => s.length > maxName)) return fail('modify', 'not-acceptable', 'Name too long');
      // §2.3.3: over the server's roster size limit: not-allowed
      if (roster.setItem(user, contact, { name, groups }) === 'full') {
        return fail('cancel', 'not-allowed', `The roster is full (max_roster_items = ${roster.maxItems})`);
      }
      origin.send(result(stanza));
      roster.push(user, contact); // §2.3.2: to every interested resource, the requester included
      return true;
    });
  },
});
