/**
 * @module blocklist
 * Blocking Command (XEP-0191), Prosody's mod_blocklist: users block and unblock JIDs; stanzas
 * between them and blocked entities stop at the server (policy.ts). Global, so that presence
 * the server sends on a user's behalf can be checked against the sender's list on whichever
 * local host it arrives.
 */
import { defineModule, type Session, type StanzaEvent } from '../../core/api.js';
import { editList, getList, NS_BLOCKING, type CommandContext } from './commands.js';
import { BlockLists } from './lists.js';
import { BLOCKLIST_OPTIONS } from './options.js';
import { installPolicy } from './policy.js';

export default defineModule({
  name: 'blocklist',
  global: true,
  depends: ['presence'],
  description: 'Blocking Command (XEP-0191): block lists with pushes; blocked entities neither reach the user nor are reached.',
  options: BLOCKLIST_OPTIONS,
  load(): Map<string, BlockLists> {
    return new Map();
  },
  addHost(module, registry) {
    const { host } = module;
    const lists = new BlockLists(module, module.options.blocklist_cache_size);
    registry.set(host, lists);
    module.onUnload(() => { if (registry.get(host) === lists) registry.delete(host); });

    // XEP-0191 §3.1: discovered on the server (as Prosody does) and on accounts
    module.provides('feature', NS_BLOCKING);
    module.provides('account-feature', NS_BLOCKING);

    const ctx: CommandContext = { module, lists, maxItems: module.options.max_blocklist_items };
    module.hook(`iq-get/self/${NS_BLOCKING}:blocklist`, (e: StanzaEvent) => getList(ctx, e), -1);
    module.hook(`iq-set/self/${NS_BLOCKING}:block`, (e: StanzaEvent) => editList(ctx, e, true), -1);
    module.hook(`iq-set/self/${NS_BLOCKING}:unblock`, (e: StanzaEvent) => editList(ctx, e, false), -1);

    installPolicy(module, lists, registry, module.options.bounce_blocked_messages);

    // Lists of connected users stay in memory; others go to the bounded cache.
    module.hook('resource-bind', ({ session }: { session: Session }) => {
      const user = session.username;
      if (user !== undefined && module.server.sessions.ofUser(host, user).length === 1) lists.refresh(user);
    });
    module.hook('resource-unbind', ({ session }: { session: Session }) => {
      const user = session.username;
      if (user !== undefined && module.server.sessions.ofUser(host, user).length === 0) lists.release(user);
    });
    // A cluster's other node changed this list in the shared storage: read it again.
    module.hook('stored-data-changed', ({ store, user, remote }) => {
      if (remote && store === 'blocklist') lists.reload(user);
    });
    // The account's store is purged with it: forget what is in memory.
    module.hook('user-deleted', ({ username }) => { lists.forget(username); });
  },
});
