/**
 * @module vcard_legacy/bridge
 * The vcard-temp view of an account's PEP profile (XEP-0398): a vCard built from the vCard4
 * node and the avatar nodes, and a vCard stored as those nodes. Every write goes through the
 * `pep` service, so subscribers are notified as for a client's own publish.
 */
import type { Element } from '../../core/api.js';
import type { NodeConfigFields, PepService, PubsubFailure } from '../../core/pubsub-api.js';
import {
  avatarFromPhoto, dataPayload, disabledMetadata, infoOf, metadataPayload, photoOf, NS_AVATAR_DATA, NS_AVATAR_METADATA,
} from './avatar.js';
import { vcard4ToVcardTemp, vcardTempToVcard4 } from './vcard-convert.js';

/** XEP-0292 §3: the vCard4 node. */
export const NODE_VCARD4 = 'urn:xmpp:vcard4';

/**
 * XEP-0398 §3: the account's vCard for vcard-temp: the vCard4 properties and the current
 * avatar as PHOTO (BINVAL from the data node, or EXTVAL from the metadata's url), from the
 * nodes `requester` may read by their access models (nothing for an unknown requester).
 */
export async function readVcard(pep: PepService, user: string, requester: string | undefined): Promise<Element> {
  const visible = async (node: string): Promise<boolean> => requester !== undefined && pep.mayRead(user, node, requester);
  const [vcard4] = (await visible(NODE_VCARD4)) ? (await pep.items(user, NODE_VCARD4, { max: 1 })) ?? [] : [];
  const vcard = vcard4ToVcardTemp(vcard4?.payload?.name === 'vcard' ? vcard4.payload : undefined);
  if (!(await visible(NS_AVATAR_METADATA))) return vcard;
  const [meta] = (await pep.items(user, NS_AVATAR_METADATA, { max: 1 })) ?? [];
  const info = infoOf(meta?.payload);
  if (!info) return vcard;
  const id = info.attrs.id as string | undefined;
  const [data] = id !== undefined && (await visible(NS_AVATAR_DATA)) ? (await pep.items(user, NS_AVATAR_DATA, { ids: [id] })) ?? [] : [];
  const photo = photoOf(info, data?.payload?.getText());
  if (photo) vcard.append(photo);
  return vcard;
}

/** What storing a vCard did: the avatar hash now advertised ('' for none), or the failure. */
export type WriteResult = { readonly ok: true; readonly photo: string } | PubsubFailure;

const badRequest = (text: string): PubsubFailure => ({ ok: false, type: 'modify', condition: 'bad-request', text });

/**
 * XEP-0398 §4: store a vcard-temp vCard as PEP: the avatar (data, then metadata, XEP-0084
 * §4.3), or metadata without info when the vCard has no photo, then the vCard4 item. Nodes
 * this creates get `defaults` (an existing node keeps its configuration).
 */
export async function writeVcard(pep: PepService, user: string, vcard: Element, actor: string | undefined, defaults: NodeConfigFields): Promise<WriteResult> {
  let avatar;
  for (const photo of vcard.getChildren('PHOTO')) {
    avatar = avatarFromPhoto(photo);
    if (avatar === 'bad-request') return badRequest('PHOTO/BINVAL is not base64');
    if (avatar) break; // XEP-0153: one avatar; the first PHOTO with an image
  }
  const publish = async (node: string, id: string | undefined, payload: Element) => {
    const options = (await pep.nodeConfig(user, node)) === undefined ? defaults : undefined;
    return pep.publish(user, node, { ...(id !== undefined ? { id } : {}), payload }, { ...(options ? { options } : {}), ...(actor ? { actor } : {}) });
  };
  const [current] = (await pep.items(user, NS_AVATAR_METADATA, { max: 1 })) ?? [];
  const currentId = infoOf(current?.payload)?.attrs.id as string | undefined;
  if (avatar && avatar.id !== currentId) {
    const data = await publish(NS_AVATAR_DATA, avatar.id, dataPayload(avatar));
    if (!data.ok) return data;
    const meta = await publish(NS_AVATAR_METADATA, avatar.id, metadataPayload(avatar));
    if (!meta.ok) return meta;
  } else if (!avatar && current !== undefined && currentId !== undefined) {
    // XEP-0084 §4.5: no photo any more: metadata without info disables the avatar
    const meta = await publish(NS_AVATAR_METADATA, undefined, disabledMetadata());
    if (!meta.ok) return meta;
  }
  // Older images are of no use once the metadata no longer points at them
  for (const old of (await pep.items(user, NS_AVATAR_DATA)) ?? []) {
    if (old.id !== avatar?.id) await pep.retract(user, NS_AVATAR_DATA, old.id);
  }
  const profile = await publish(NODE_VCARD4, 'current', vcardTempToVcard4(vcard));
  if (!profile.ok) return profile;
  return { ok: true, photo: avatar?.id ?? '' };
}

/** Whether the account already has a PEP profile or avatar (a migration must not overwrite it). */
export async function hasPepProfile(pep: PepService, user: string): Promise<boolean> {
  for (const node of [NODE_VCARD4, NS_AVATAR_METADATA, NS_AVATAR_DATA]) {
    if (((await pep.items(user, node, { max: 1 })) ?? []).length > 0) return true;
  }
  return false;
}

/** The avatar hash the account advertises: its id, '' when disabled or gone, undefined when unknown. */
export async function currentPhoto(pep: PepService, user: string): Promise<string | undefined> {
  const items = await pep.items(user, NS_AVATAR_METADATA, { max: 1 });
  if (items === undefined) return undefined;
  const info = infoOf(items[0]?.payload);
  return (info?.attrs.id as string | undefined) ?? '';
}
