/**
 * @module vcard_legacy
 * vcard-temp served from PEP (XEP-0398, Prosody's mod_vcard_legacy): a vcard-temp get is
 * built from the account's vCard4 node (XEP-0292) and avatar nodes (XEP-0084), a vcard-temp
 * set is stored there, so clients of either protocol see the same profile and avatar; the
 * server adds the XEP-0153 photo hash to the account's available presence. It replaces the
 * `vcard` module: with both on a host it logs a warning and leaves vcard-temp to `vcard`.
 */
import {
  answerIq, bareJid, defineModule, elementFromJson, errorReply, iqResult, option, parseJid, replyTo,
  type Element, type JsonElement, type Session, type StanzaEvent,
} from '../../core/api.js';
import type { NodeConfigFields } from '../../core/pubsub-api.js';
import { NS_AVATAR_METADATA } from './avatar.js';
import { currentPhoto, hasPepProfile, readVcard, writeVcard } from './bridge.js';
import { injectPhoto, type PhotoStore } from './presence.js';
import { NS_VCARD_TEMP } from './vcard-convert.js';

/** XEP-0398 §2: the account feature. */
const NS_CONVERSION = 'urn:xmpp:pep-vcard-conversion:0';
/** A vcard-temp profile is public (XEP-0054 §3.2): nodes the bridge creates are open (as Prosody). */
const NODE_DEFAULTS: NodeConfigFields = { 'pubsub#access_model': 'open' };

export default defineModule({
  name: 'vcard_legacy',
  depends: ['pep'],
  description: 'vcard-temp (XEP-0054) served from and stored into PEP profiles and avatars (XEP-0398, XEP-0153).',
  options: {
    upgrade_legacy_vcards: option.boolean({
      default: true,
      doc: 'Move a vCard stored by the `vcard` module into PEP (vCard4 and avatar) when its owner next binds a resource, unless PEP already has a profile (Prosody\'s option).',
    }),
  },
  load(module) {
    const { host, server } = module;
    if (server.moduleEnabled('vcard', host)) {
      module.log.warn({ host }, 'vcard and vcard_legacy are both enabled: vcard_legacy defers to vcard (plain vcard-temp storage, no PEP bridge); disable one of them');
      return;
    }
    const photos: PhotoStore = module.openStore<string>('vcard_legacy_photo');
    const legacy = module.openStore<JsonElement>('vcard');
    module.provides('feature', NS_VCARD_TEMP);
    module.provides('account-feature', NS_VCARD_TEMP);
    module.provides('account-feature', NS_CONVERSION);
    const pep = () => module.requireService('pep');

    const send = (origin: Session | undefined, el: Element): void => { replyTo(server, origin, el); };
    const answer = (origin: Session | undefined, stanza: Element, work: () => Promise<Element>): true => answerIq(module, origin, stanza, work);

    // XEP-0398 §3 / XEP-0054 §3.1-3.2: anyone's vCard, from what they may see of the PEP nodes
    const get = (user: string | undefined, { origin, stanza }: StanzaEvent): true => answer(origin, stanza, async () => {
      if (!user || !server.accounts.exists(host, user)) return errorReply(stanza, 'cancel', 'service-unavailable');
      const from = stanza.attrs.from as string | undefined;
      const requester = from !== undefined ? bareJid(from) : origin?.bareJid;
      return iqResult(stanza, await readVcard(pep(), user, requester));
    });
    module.hook(`iq-get/self/${NS_VCARD_TEMP}:vCard`, (e: StanzaEvent) => get(e.origin?.username, e), 1);
    module.hook(`iq-get/bare/${NS_VCARD_TEMP}:vCard`, (e: StanzaEvent) => get(parseJid(e.stanza.attrs.to as string | undefined)?.local, e), 1);
    module.hook(`iq-get/host/${NS_VCARD_TEMP}:vCard`, ({ origin, stanza }: StanzaEvent) => {
      send(origin, errorReply(stanza, 'cancel', 'item-not-found')); // the server has no vCard
      return true;
    }, 1);

    // XEP-0398 §4: a vcard-temp set is stored as the vCard4 and avatar nodes
    module.hook(`iq-set/self/${NS_VCARD_TEMP}:vCard`, ({ origin, stanza }: StanzaEvent) => {
      const user = origin?.username;
      if (!user) return undefined;
      const vcard = stanza.getChild('vCard', NS_VCARD_TEMP)!;
      return answer(origin, stanza, async () => {
        const stored = await writeVcard(pep(), user, vcard, origin.fullJid, NODE_DEFAULTS);
        if (!stored.ok) return errorReply(stanza, stored.type, stored.condition, stored.text);
        photos.set(user, stored.photo);
        return iqResult(stanza);
      });
    }, 1);
    const forbidden = ({ origin, stanza }: StanzaEvent): true => {
      send(origin, errorReply(stanza, 'auth', 'forbidden'));
      return true;
    };
    module.hook(`iq-set/bare/${NS_VCARD_TEMP}:vCard`, forbidden, 1);
    module.hook(`iq-set/host/${NS_VCARD_TEMP}:vCard`, forbidden, 1);

    // XEP-0153 §4.1 on the account's outgoing available presence, before presence handles it
    const inject = ({ origin, stanza }: StanzaEvent): undefined => {
      if (origin?.username && stanza.name === 'presence') injectPhoto(stanza, photos.get(origin.username));
      return undefined;
    };
    for (const kind of ['self', 'bare', 'full', 'host'] as const) module.hook(`pre-presence/${kind}`, inject, 1);

    // The advertised hash follows the metadata node, whoever publishes (XEP-0084 §4.2)
    module.hook('pep-published', ({ user, node, item }) => {
      if (node !== NS_AVATAR_METADATA) return;
      const info = item.payload?.getChild('info');
      photos.set(user, (info?.attrs.id as string | undefined) ?? '');
    });
    const refresh = (user: string): void => {
      const service = module.service('pep');
      if (!service) return;
      currentPhoto(service, user).then((photo) => {
        if (photo !== undefined || photos.get(user) !== undefined) photos.set(user, photo ?? '');
      }, (err: unknown) => module.log.warn({ err, user }, 'reading the avatar metadata failed'));
    };
    module.hook('pep-retracted', ({ user, node }) => {
      if (node === NS_AVATAR_METADATA) refresh(user);
    });

    // Prosody's upgrade_legacy_vcards: a vCard the `vcard` module stored moves into PEP
    const migrate = async (user: string, actor: string | undefined): Promise<void> => {
      const stored = legacy.get(user);
      if (!stored) return;
      if (!(await hasPepProfile(pep(), user))) {
        const written = await writeVcard(pep(), user, elementFromJson(stored), actor, NODE_DEFAULTS);
        if (!written.ok) {
          module.log.warn({ user, condition: written.condition }, 'moving the vcard-temp vCard to PEP failed');
          return;
        }
        photos.set(user, written.photo);
        module.log.info({ user }, 'moved the vcard-temp vCard to PEP');
      }
      legacy.set(user, undefined);
    };
    module.hook('resource-bind', ({ session }: { session: Session }) => {
      const user = session.username;
      if (!user) return;
      if (module.options.upgrade_legacy_vcards && legacy.get(user) !== undefined) {
        migrate(user, session.fullJid).catch((err: unknown) => module.log.warn({ err, user }, 'moving the vcard-temp vCard to PEP failed'));
      } else if (photos.get(user) === undefined) {
        refresh(user);
      }
    });
  },
});
