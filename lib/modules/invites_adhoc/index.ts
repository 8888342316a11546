/**
 * @module invites_adhoc
 * Invitations created from a client (Prosody's mod_invites_adhoc): two single-stage ad-hoc
 * commands (XEP-0050) on the server's JID, listed in disco#items of the commands node:
 * `urn:xmpp:invite#invite` (an account invitation: allow_user_invites) and
 * `urn:xmpp:invite#create` (a contact invitation, XEP-0379: allow_contact_invites; it may also
 * create an account when allow_user_invites). The result form carries the xmpp: URI, the
 * landing page (invites_page) and the expiry, as Prosody's does.
 */
import { defineModule, errorReply, option, xml, NS_DISCO_ITEMS, type Element, type Session, type StanzaEvent } from '../../core/api.js';
import type { Invite } from '../../core/invites-api.js';

const NS_COMMANDS = 'http://jabber.org/protocol/commands';
const NS_DATA = 'jabber:x:data';
const NODE_ACCOUNT = 'urn:xmpp:invite#invite';
const NODE_CONTACT = 'urn:xmpp:invite#create';

let sessionIds = 0;

export default defineModule({
  name: 'invites_adhoc',
  depends: ['invites'],
  description: 'Ad-hoc commands (XEP-0050) with which users create account and contact invitations.',
  options: {
    allow_user_invites: option.boolean({
      default: false,
      doc: 'Let users create invitations that create an account here (the account command, and ibr=y on contact invitations). Prosody\'s default: off.',
    }),
    allow_contact_invites: option.boolean({
      default: true,
      doc: 'Let users create contact invitations (XEP-0379) for people who already have an account somewhere.',
    }),
  },
  load(module) {
    const { host } = module;
    const { allow_user_invites: allowUser, allow_contact_invites: allowContact } = module.options;
    const commands = [
      ...(allowUser ? [{ node: NODE_ACCOUNT, name: 'Invite new user' }] : []),
      ...(allowContact ? [{ node: NODE_CONTACT, name: 'Create new contact invite' }] : []),
    ];
    if (commands.length > 0) module.provides('feature', NS_COMMANDS);

    const local = (origin: Session | undefined): string | undefined =>
      origin?.host === host && origin.username !== undefined ? origin.username : undefined;

    // XEP-0050 §2.2: the commands a user may run, in disco#items of the commands node
    module.hook(`iq-get/host/${NS_DISCO_ITEMS}:query`, ({ origin, stanza }: StanzaEvent) => {
      if (stanza.getChild('query', NS_DISCO_ITEMS)?.attrs.node !== NS_COMMANDS) return undefined;
      const listed = local(origin) === undefined ? [] : commands;
      origin?.send(xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: host },
        xml('query', { xmlns: NS_DISCO_ITEMS, node: NS_COMMANDS }, ...listed.map((c) => xml('item', { jid: host, node: c.node, name: c.name })))));
      return true;
    }, 1);

    const resultForm = (invite: Invite): Element => {
      const landing = module.service('invites')?.landingPage(invite);
      const field = (v: string, label: string, value: string) => xml('field', { var: v, label, type: 'text-single' }, xml('value', {}, value));
      return xml('x', { xmlns: NS_DATA, type: 'result' },
        xml('title', {}, 'Your invite has been created'),
        field('uri', 'Invite URI', invite.uri),
        ...(landing !== undefined ? [field('landing-url', 'Invite landing page', landing)] : []),
        field('expire', 'Valid until', new Date(invite.expires).toISOString()));
    };

    // XEP-0050 §3.1: execute a single-stage command; the result is 'completed' at once
    module.hook(`iq-set/host/${NS_COMMANDS}:command`, ({ origin, stanza }: StanzaEvent) => {
      const command = stanza.getChild('command', NS_COMMANDS)!;
      const node = command.attrs.node as string | undefined;
      if (!origin || !commands.some((c) => c.node === node)) return undefined;
      const fail = (type: 'auth' | 'cancel' | 'modify' | 'wait', condition: string, text: string): true => {
        origin.send(errorReply(stanza, type, condition, text));
        return true;
      };
      const user = local(origin);
      if (user === undefined) return fail('auth', 'forbidden', 'Only users of this server may create invitations');
      const action = command.attrs.action as string | undefined;
      if (action === 'cancel') {
        origin.send(xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: host },
          xml('command', { xmlns: NS_COMMANDS, node, sessionid: command.attrs.sessionid, status: 'canceled' })));
        return true;
      }
      if (action !== undefined && action !== 'execute' && action !== 'complete') return fail('modify', 'bad-request', 'Unknown action');
      const invites = module.service('invites');
      if (!invites) return fail('cancel', 'service-unavailable', 'Invitations are not available');
      if (invites.maxPerUser > 0 && invites.outstanding(user) >= invites.maxPerUser) {
        return fail('wait', 'resource-constraint', `You have ${invites.maxPerUser} unused invitations already (max_invites_per_user)`);
      }
      const invite = node === NODE_ACCOUNT
        ? invites.createAccount({ inviter: user })
        : invites.createContact(user, { allowRegistration: allowUser });
      origin.send(xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: host },
        xml('command', { xmlns: NS_COMMANDS, node, sessionid: `invite-${++sessionIds}`, status: 'completed' }, resultForm(invite))));
      return true;
    });
  },
});

