/**
 * @module csi_simple
 * Client State Indication (XEP-0352) with Prosody's mod_csi_simple semantics: an inactive
 * client's unimportant traffic (presence updates, standalone chat states, headlines, body-less
 * messages) waits, and goes out in order when something important arrives (a message with a
 * body, an encrypted one, anything else addressed to this resource, a subscription request,
 * an iq), when the client sends anything or says `<active/>`, or when csi_queue_size is
 * reached. Presence updates from one full JID coalesce to the latest. What the rules are is in
 * importance.ts; how a session holds and releases, in client-state.ts.
 *
 * Fires `csi-client-inactive` and `csi-client-active` (Prosody's names) so that stream
 * management can ask an inactive client for acks less often, and `csi-flushing` when held
 * stanzas go out while the client stays inactive.
 */
import { defineModule, INVALID, option, xml, type NonzaEvent, type Session, type SessionEvent, type StreamFeaturesEvent } from '../../core/api.js';
import { ClientState, type StateListener } from './client-state.js';
import { parsePayload, type Payload } from './importance.js';

/** XEP-0352 */
export const NS_CSI = 'urn:xmpp:csi:0';

/** Payload of the csi-* events. */
export interface CsiEvent {
  readonly session: Session;
}

declare module '../../core/api.js' {
  interface Events {
    /** The client said `<inactive/>` (XEP-0352 §4.2); its unimportant traffic now waits. */
    'csi-client-inactive': CsiEvent;
    /** The client said `<active/>`, or its stream was resumed (XEP-0352 §5.2); what waited went out. */
    'csi-client-active': CsiEvent;
    /** Held stanzas went out while the client stays inactive (something important arrived). */
    'csi-flushing': CsiEvent;
  }
}

function parsePayloads(raw: unknown): readonly Payload[] | typeof INVALID {
  if (!Array.isArray(raw)) return INVALID;
  const out: Payload[] = [];
  for (const entry of raw) {
    const p = typeof entry === 'string' ? parsePayload(entry) : undefined;
    if (p === undefined) return INVALID;
    out.push(p);
  }
  return Object.freeze(out);
}

export default defineModule({
  name: 'csi_simple',
  description: 'Client State Indication (XEP-0352): holds unimportant traffic for inactive clients.',
  events: ['csi-*'],
  options: {
    csi_queue_size: option.integer({
      default: 256, min: 1,
      doc: 'Most stanzas held for an inactive client (XEP-0352); when one more would be held, everything held is sent at once (Prosody\'s option). Presence updates from one full JID count once: the latest replaces the one held.',
    }),
    csi_queue_max_bytes: option.integer({
      default: 1024 * 1024, min: 16384,
      doc: 'Most bytes of stanzas held for an inactive client; when one more would exceed it, everything held is sent at once.',
    }),
    csi_important_payloads: option.custom<readonly Payload[]>({
      default: Object.freeze([]),
      describe: 'an array of "{namespace}name" or "{namespace}" strings',
      parse: parsePayloads,
      doc: 'Message payloads that make a message important for an inactive client, so that it and everything held go out at once (Prosody\'s option), e.g. ["{urn:example:priority}urgent", "{urn:example:alerts}"].',
    }),
  },

  load(module) {
    const o = module.options;
    const policy = { maxStanzas: o.csi_queue_size, maxBytes: o.csi_queue_max_bytes, payloads: o.csi_important_payloads, host: module.host };
    const listener: StateListener = {
      flushed: (session) => { module.fire('csi-flushing', { session }); },
    };
    /** Sessions that went inactive at least once, until their resource is unbound. */
    const states = new Map<Session, ClientState>();

    // XEP-0352 §4.1: advertised once the client has authenticated (Prosody: the same).
    module.hook('stream-features', ({ session, features }: StreamFeaturesEvent) => {
      if (session.authenticated) features.append(xml('csi', { xmlns: NS_CSI }));
    });

    const indicate = (wanted: 'active' | 'inactive') => ({ session }: NonzaEvent): true | undefined => {
      // Before authentication nothing is handled, so the core closes the stream with
      // unsupported-stanza-type, as Prosody does (mod_csi only handles authenticated sessions).
      if (!session.authenticated) return undefined;
      if (!session.bound) {
        // No reply exists in XEP-0352 §4.2, and nothing but the bind result can reach an
        // unbound session: ignored (as Prosody's mod_csi_battery_saver does).
        session.log.debug({ state: wanted }, 'csi: state indication before resource binding ignored');
        return true;
      }
      let state = states.get(session);
      if (state === undefined) {
        if (wanted === 'active') return true; // XEP-0352 §4.2: a stream begins active
        state = new ClientState(session, policy, listener);
        states.set(session, state);
      }
      const changed = wanted === 'inactive' ? state.setInactive() : state.setActive('client active');
      if (changed) {
        session.log.debug({ state: wanted }, 'csi: client state changed');
        module.fire(wanted === 'inactive' ? 'csi-client-inactive' : 'csi-client-active', { session });
      }
      return true;
    };
    module.hook(`stanza/${NS_CSI}:inactive`, indicate('inactive'));
    module.hook(`stanza/${NS_CSI}:active`, indicate('active'));

    // XEP-0352 §5.2: a resumed stream starts active (stream management re-sent what the client
    // had not acknowledged; what was held here is newer and follows it).
    module.hook('smacks-hibernation-end', ({ session }) => {
      if (states.get(session)?.setActive('stream resumed') === true) module.fire('csi-client-active', { session });
    });

    // After stream management (priority 0) re-routed what the client never acknowledged,
    // which is older than anything held here.
    module.hook('resource-unbind', ({ session }: SessionEvent) => {
      const state = states.get(session);
      if (state === undefined) return;
      states.delete(session);
      const { dropped, rerouted } = state.end();
      if (dropped + rerouted > 0) session.log.debug({ dropped, rerouted }, 'csi: session ended with held stanzas');
    }, -10);

    // Unloading: everything held goes out, and the sessions are plain active streams again.
    module.onUnload(() => {
      for (const [session, state] of states) {
        if (state.setActive('module unloaded')) module.fire('csi-client-active', { session });
      }
      states.clear();
    });
  },
});
