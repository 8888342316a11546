/**
 * @module bookmarks
 * Bookmarks in PEP (XEP-0402) with the XEP-0411 compatibility both ways, as Prosody's
 * mod_bookmarks: XEP-0048 bookmarks in private storage (jabber:iq:private `storage:bookmarks`)
 * and in the legacy PEP node `storage:bookmarks` are read from and written to the
 * `urn:xmpp:bookmarks:1` node; what a legacy client stored before is moved there at its
 * owner's next resource binding.
 */
import {
  answerIq, defineModule, elementFromJson, errorReply, iqResult, option, xml,
  type Element, type JsonElement, type Session, type StanzaEvent,
} from '../../core/api.js';
import { pubsubError } from '../../core/pubsub-api.js';
import { NS_BOOKMARKS, NS_LEGACY } from './convert.js';
import { legacyStorage, storeLegacy } from './sync.js';

const NS_PRIVATE = 'jabber:iq:private';
const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
/** Where the private module keeps XEP-0048 bookmarks (Prosody's "name:namespace" key). */
const PRIVATE_KEY = `storage:${NS_LEGACY}`;
/** The legacy PEP node's configuration as XEP-0048 §3.3 (XEP-0223) asks clients to publish it. */
const LEGACY_NODE_CONFIG = {
  'pubsub#persist_items': 'true',
  'pubsub#access_model': 'whitelist',
};

export default defineModule({
  name: 'bookmarks',
  depends: ['pep'],
  description: 'Bookmarks in PEP (XEP-0402) with XEP-0048 private storage and legacy PEP compatibility (XEP-0411).',
  options: {
    upgrade_legacy_bookmarks: option.boolean({
      default: true,
      doc: 'Move XEP-0048 bookmarks kept in private storage into PEP (XEP-0402) when their owner next binds a resource (Prosody\'s option).',
    }),
  },
  load(module) {
    const privateStore = module.openMap<JsonElement>('private');
    // XEP-0402 §2: the account says its bookmarks are converted both ways
    module.provides('account-feature', `${NS_BOOKMARKS}#compat`);
    module.provides('account-feature', `${NS_BOOKMARKS}#compat-pep`);
    module.provides('account-feature', 'urn:xmpp:bookmarks-conversion:0'); // XEP-0411 before 1.0
    // Private storage of bookmarks works even without the private module (Prosody does the same)
    module.provides('feature', NS_PRIVATE);
    const pep = () => module.requireService('pep');

    const answer = (origin: Session | undefined, stanza: Element, work: () => Promise<Element>): true => answerIq(module, origin, stanza, work);
    /** Whenever XEP-0402 changes, legacy PEP clients (+notify) learn the whole list (XEP-0411 §3). */
    const mirror = async (user: string): Promise<void> => {
      const storage = await legacyStorage(pep(), user);
      const done = await pep().publish(user, NS_LEGACY, { id: 'current', payload: storage }, { options: LEGACY_NODE_CONFIG });
      if (!done.ok) module.log.debug({ user, condition: done.condition }, 'legacy PEP bookmarks not mirrored');
    };
    const write = async (origin: Session, stanza: Element, storage: Element, reply: Element): Promise<Element> => {
      const stored = await storeLegacy(pep(), origin.username!, storage, true, origin.fullJid, (msg) => module.log.warn({ user: origin.username }, msg));
      return stored.ok ? reply : pubsubError(stanza, stored);
    };

    // XEP-0411 §3 / XEP-0049: private storage of storage:bookmarks is the XEP-0402 node; other fragments go on to `private`
    const bookmarksQuery = (stanza: Element): Element | 'mixed' | undefined => {
      const children = stanza.getChild('query', NS_PRIVATE)?.getChildElements() ?? [];
      const storage = children.find((c) => c.name === 'storage' && c.getNS() === NS_LEGACY);
      if (!storage) return undefined;
      return children.length === 1 ? storage : 'mixed';
    };
    module.hook(`iq-get/self/${NS_PRIVATE}:query`, ({ origin, stanza }: StanzaEvent) => {
      const user = origin?.username;
      const storage = bookmarksQuery(stanza);
      if (!user || storage === undefined) return undefined;
      return answer(origin, stanza, async () => {
        if (storage === 'mixed') return errorReply(stanza, 'modify', 'not-acceptable', 'Ask for bookmarks alone');
        return iqResult(stanza, xml('query', { xmlns: NS_PRIVATE }, await legacyStorage(pep(), user)));
      });
    }, 1);
    module.hook(`iq-set/self/${NS_PRIVATE}:query`, ({ origin, stanza }: StanzaEvent) => {
      const storage = bookmarksQuery(stanza);
      if (!origin?.username || storage === undefined) return undefined;
      return answer(origin, stanza, async () => {
        if (storage === 'mixed') return errorReply(stanza, 'modify', 'not-acceptable', 'Store bookmarks alone');
        return write(origin, stanza, storage, iqResult(stanza));
      });
    }, 1);

    // XEP-0411 §4 / XEP-0048 §3.3 (XEP-0223): the legacy PEP node is a view of the XEP-0402 one
    const legacyPubsub = (stanza: Element, verb: 'items' | 'publish'): Element | undefined => {
      const pubsub = stanza.getChild('pubsub', NS_PUBSUB);
      const el = pubsub?.getChild(verb);
      return el?.attrs.node === NS_LEGACY ? el : undefined;
    };
    module.hook(`iq-get/self/${NS_PUBSUB}:pubsub`, ({ origin, stanza }: StanzaEvent) => {
      const user = origin?.username;
      if (!user || !legacyPubsub(stanza, 'items')) return undefined;
      return answer(origin, stanza, async () => iqResult(stanza, xml('pubsub', { xmlns: NS_PUBSUB },
        xml('items', { node: NS_LEGACY }, xml('item', { id: 'current' }, await legacyStorage(pep(), user))))));
    }, 1);
    module.hook(`iq-set/self/${NS_PUBSUB}:pubsub`, ({ origin, stanza }: StanzaEvent) => {
      const publish = legacyPubsub(stanza, 'publish');
      if (!origin?.username || !publish) return undefined;
      const storage = publish.getChild('item')?.getChild('storage', NS_LEGACY);
      return answer(origin, stanza, async () => {
        if (!storage) return errorReply(stanza, 'modify', 'bad-request', 'The item must hold the bookmarks storage');
        // XEP-0060 §7.1.2: the item id is 'current' whatever was asked (XEP-0048 §3.3); publish-options are ignored
        return write(origin, stanza, storage, iqResult(stanza, xml('pubsub', { xmlns: NS_PUBSUB },
          xml('publish', { node: NS_LEGACY }, xml('item', { id: 'current' })))));
      });
    }, 1);

    module.hook('pep-published', ({ user, node }) => {
      if (node === NS_BOOKMARKS) mirror(user).catch((err: unknown) => module.log.warn({ err, user }, 'legacy PEP bookmarks not mirrored'));
    });
    module.hook('pep-retracted', ({ user, node }) => {
      if (node === NS_BOOKMARKS) mirror(user).catch((err: unknown) => module.log.warn({ err, user }, 'legacy PEP bookmarks not mirrored'));
    });

    // Prosody's upgrade_legacy_bookmarks: XEP-0048 bookmarks left in private storage move into XEP-0402
    // (and, as Prosody, those of the legacy PEP node when there is no XEP-0402 node yet)
    const migrate = async (user: string, actor: string | undefined): Promise<void> => {
      const stored = privateStore.get(user, PRIVATE_KEY);
      if (stored) {
        const done = await storeLegacy(pep(), user, elementFromJson(stored), false, actor);
        if (!done.ok) throw new Error(done.condition);
        privateStore.set(user, PRIVATE_KEY, undefined);
        module.log.info({ user }, 'moved XEP-0048 bookmarks from private storage to PEP');
      }
      if ((await pep().nodeConfig(user, NS_BOOKMARKS)) !== undefined) return;
      const [legacy] = (await pep().items(user, NS_LEGACY, { max: 1 })) ?? [];
      const storage = legacy?.payload?.name === 'storage' ? legacy.payload : undefined;
      if (storage && storage.getChildren('conference').length > 0) {
        const done = await storeLegacy(pep(), user, storage, false, actor);
        if (!done.ok) throw new Error(done.condition);
        module.log.info({ user }, 'moved XEP-0048 bookmarks from the legacy PEP node to XEP-0402');
      }
    };
    module.hook('resource-bind', ({ session }: { session: Session }) => {
      const user = session.username;
      if (!user || !module.options.upgrade_legacy_bookmarks) return;
      migrate(user, session.fullJid).catch((err: unknown) => module.log.warn({ err, user }, 'moving XEP-0048 bookmarks to PEP failed'));
    });
  },
});
