/**
 * @module tombstones
 * Tombstones for deleted accounts (Prosody's mod_tombstones): a deleted account's name cannot
 * be registered again until `user_tombstone_expiry` passes (forever by default: remote
 * services may still hold the old JID in rosters, rooms and groups), and contacts that still
 * send it presence learn that it is gone.
 */
import { defineModule, errorReply, parseJid, xml, type StanzaEvent } from '../../core/api.js';
import { Graveyard, TOMBSTONE_EXPIRY_OPTION, TOMBSTONE_STORE } from './graveyard.js';

export default defineModule({
  name: 'tombstones',
  description: "Keeps a deleted account's name from being registered again, and tells its contacts it is gone.",
  options: {
    user_tombstone_expiry: TOMBSTONE_EXPIRY_OPTION,
  },
  load(module) {
    const { host, server } = module;
    const graveyard = new Graveyard(module.openMap<number>(TOMBSTONE_STORE), module.options.user_tombstone_expiry);

    // Every deletion path fires user-deleted (in-band unregistration, the command line, admin tools).
    module.hook('user-deleted', ({ username }) => {
      graveyard.bury(username);
      module.log.info({ user: username }, 'tombstone left for a deleted account');
    });

    // Registration of a buried name is refused (XEP-0077 §3.1: not-acceptable, as Prosody answers)
    module.hook('user-registering', (event) => {
      if (graveyard.tombstone(event.username) === undefined) return undefined;
      event.allowed = false;
      event.error = { type: 'modify', condition: 'not-acceptable', text: 'This username belonged to a deleted account and cannot be registered again' };
      return true;
    }, 10);

    /** The tombstoned local part a stanza is addressed to (only while no account has that name). */
    const buried = (to: string | undefined): string | undefined => {
      const user = parseJid(to)?.local;
      if (!user || server.accounts.exists(host, user) || graveyard.tombstone(user) === undefined) return undefined;
      return user;
    };

    // Presence to the deleted account: a probe gets an error <gone/> and 'unsubscribed' (the
    // contact's subscription to it ends); available/unavailable presence gets <gone/> and
    // 'unsubscribe' (its subscription to the contact ends). RFC 6120 §8.3.3.5 gone, type cancel.
    module.hook('presence/bare', ({ stanza }: StanzaEvent) => {
      const type = stanza.attrs.type as string | undefined;
      const probe = type === 'probe';
      if (!probe && type !== undefined && type !== 'unavailable') return undefined;
      const to = stanza.attrs.to as string | undefined;
      const from = stanza.attrs.from as string | undefined;
      if (!from || !buried(to)) return undefined;
      const bare = parseJid(to)!.bare;
      server.route(errorReply(stanza, 'cancel', 'gone', 'User deleted'));
      server.route(xml('presence', { type: probe ? 'unsubscribed' : 'unsubscribe', from: bare, to: parseJid(from)?.bare ?? from }));
      return true;
    }, 1);
  },
});
