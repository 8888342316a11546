/**
 * @module smacks
 * Stream management (XEP-0198, `urn:xmpp:sm:3` and `:2`), Prosody's mod_smacks: acks both
 * ways, resumption of a session whose connection was cut (on TCP or WebSocket, from either
 * to either), hibernation with a bounded queue, and beyond Prosody, resumption across a
 * graceful restart. The protocol is in manager.ts, the restart in restart.ts.
 */
import { defineModule, xml, type Element, type NonzaEvent, type StreamFeaturesEvent } from '../../core/api.js';
import { StreamManager, type SmacksEvent } from './manager.js';
import { SMACKS_OPTIONS } from './options.js';
import { claimStored, persistOne, persistSessions, restoreSessions, sweepStored } from './restart.js';
import { SM_NAMESPACES } from './state.js';

declare module '../../core/api.js' {
  interface Events {
    /** A session's connection was cut and it hibernates, resumable. */
    'smacks-hibernation-start': SmacksEvent;
    /** A hibernating (or still connected) session was resumed on a new connection. */
    'smacks-hibernation-end': SmacksEvent;
    /** A hibernating session was not resumed in time; it ends and its queue is re-routed. */
    'smacks-hibernation-timeout': SmacksEvent;
    /** An ack request stayed unanswered for smacks_max_ack_delay (push notifications act on it). */
    'smacks-ack-delayed': SmacksEvent;
    /** An unacknowledged stanza of an ending session is re-routed (return nothing; observe only). */
    'smacks-stanza-rerouted': SmacksEvent & { readonly stanza: Element };
    /**
     * A `<resume/>` names an id this instance does not hold. A cluster returns a promise that
     * resolves once the node holding it has stored it (smacks-release there), or nobody has;
     * stream management then takes it from storage.
     */
    'smacks-resume-elsewhere': SmacksEvent & { readonly token: string };
    /**
     * Store the session holding this resumption id of this account and close it as resumable,
     * for a `<resume/>` on another node; returns true when this instance held it.
     */
    'smacks-release': { readonly username: string; readonly token: string };
    /**
     * End stored sessions whose time ran out while no instance held them (their contacts get
     * unavailable presence, their queues are re-routed); a cluster fires it on one node at a
     * time. Returns how many ended.
     */
    'smacks-sweep': Record<string, never>;
    /**
     * Take over every session stored in storage (a cluster node that stopped cleanly stored
     * them), as hibernating sessions; those whose time ran out end at once. A cluster fires
     * it on one surviving node. Returns how many were taken over.
     */
    'smacks-adopt': Record<string, never>;
  }
}

export default defineModule({
  name: 'smacks',
  description: 'Stream management and resumption (XEP-0198), also across a graceful restart.',
  events: ['smacks-*'],
  options: SMACKS_OPTIONS,
  load(module) {
    const manager = new StreamManager(module);
    module.setInterval(250, () => manager.clock());

    // XEP-0198 §2: advertised once authenticated (resumption comes before binding).
    module.hook('stream-features', ({ session, features }: StreamFeaturesEvent) => {
      if (!session.authenticated) return;
      for (const xmlns of SM_NAMESPACES) features.append(xml('sm', { xmlns }));
    });

    for (const xmlns of SM_NAMESPACES) {
      module.hook(`stanza/${xmlns}:enable`, ({ session, stanza }: NonzaEvent) => { manager.enable(session, stanza, xmlns); return true; });
      module.hook(`stanza/${xmlns}:resume`, ({ session, stanza }: NonzaEvent) => { manager.resume(session, stanza, xmlns); return true; });
      module.hook(`stanza/${xmlns}:r`, ({ session }: NonzaEvent) => { manager.request(session, xmlns); return true; });
      module.hook(`stanza/${xmlns}:a`, ({ session, stanza }: NonzaEvent) => { manager.acknowledged(session, stanza); return true; });
    }

    // Before presence says goodbye (priority): what the client never acknowledged is re-routed
    // once the resource is gone, so it cannot come back to this session.
    module.hook('resource-unbind', ({ session }) => { manager.ended(session); });

    // For admin tools (the admin shell's `c2s show`): whether this session has stream management.
    module.hook('session-info', ({ session, info }) => {
      const state = manager.state(session);
      if (state !== undefined) info.sm = state.token !== undefined ? 'resumable' : 'enabled';
    });

    module.hook('csi-client-inactive', ({ session }) => { manager.setInactive(session, true); });
    module.hook('csi-client-active', ({ session }) => { manager.setInactive(session, false); });

    // A resumption id held by another instance sharing the storage (a cluster's node, or one
    // stored by a restart or drain): asked for (smacks-resume-elsewhere), then taken from storage.
    manager.fetchElsewhere = async (session, token) => {
      const asked = module.fire('smacks-resume-elsewhere', { session, token });
      if (asked instanceof Promise) await asked;
      if (manager.holder(token) !== undefined || session.username === undefined) return;
      claimStored(module, manager, session.username, token);
    };
    module.hook('smacks-release', ({ username, token }) => {
      const holder = manager.holder(token);
      if (holder === undefined || holder.username !== username || holder.closed) return undefined;
      return persistOne(module, manager, holder, 'This session is resumed elsewhere (XEP-0198)', 'conflict') || undefined;
    });

    module.hook('smacks-sweep', () => sweepStored(module, manager));
    module.hook('smacks-adopt', () => restoreSessions(module, manager));

    // Beyond Prosody: a graceful restart keeps every resumable session (before c2s and
    // websocket close the rest), and the next start brings them back.
    module.hookGlobal('server-stopping', () => { persistSessions(module, manager); }, 100);
    module.hookGlobal('server-started', () => { restoreSessions(module, manager); });
  },
});
