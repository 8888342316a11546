/**
 * @module pubsub/protocol
 * The XEP-0060 wire protocol of a service: an iq in the `pubsub` namespace (§6, §7: entity
 * use cases) or `pubsub#owner` (§8: owner use cases) in, the result or the error out. Owner
 * operations live in protocol-owner.ts.
 */
import { iqResult } from '../iq-reply.js';
import { errorReply } from '../router.js';
import { xml, type Element } from '../xml.js';
import { buildForm, parseBoolean, parseForm, fieldValue } from '../data-forms.js';
import type { PubsubFailure, PubsubResult } from '../pubsub-api.js';
import { failure } from './access.js';
import { configForm, formFields, NS_NODE_CONFIG, NS_PUBLISH_OPTIONS } from './config.js';
import { itemElement } from './notify.js';
import type { PubsubService } from './service.js';
import { ownerGet, ownerSet } from './protocol-owner.js';

export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NS_PUBSUB_OWNER = 'http://jabber.org/protocol/pubsub#owner';
export const NS_PUBSUB_ERRORS = 'http://jabber.org/protocol/pubsub#errors';
export const NS_SUBSCRIBE_OPTIONS = 'http://jabber.org/protocol/pubsub#subscribe_options';

/** One request to a service. */
export interface PubsubRequest {
  readonly service: PubsubService;
  readonly stanza: Element;
  /** The requester's bare JID (whose affiliation counts). */
  readonly actor: string;
  /** The requester's full JID (the publisher, the subscription's default JID). */
  readonly from: string;
  readonly autocreateOnPublish: boolean;
  readonly autocreateOnSubscribe: boolean;
  /** Whether `<create/>` without a node makes an instant node (XEP-0060 §8.1.2); PEP: no. */
  readonly instantNodes: boolean;
  /** After a successful subscription (send the last item, say). */
  readonly subscribed?: (node: string, jid: string) => void;
  /** Before a publish: refuse it (a limit of the service's owner). */
  readonly beforeCreate?: () => PubsubFailure | undefined;
}

/** An error reply with a `pubsub#errors` condition (XEP-0060 §7-8). */
export function pubsubError(stanza: Element, f: PubsubFailure): Element {
  const reply = errorReply(stanza, f.type, f.condition, f.text);
  if (f.pubsubCondition) reply.getChild('error')!.append(xml(f.pubsubCondition, { xmlns: NS_PUBSUB_ERRORS }));
  return reply;
}

/** `feature-not-implemented` + `<unsupported feature/>` (XEP-0060 §7.1.3.x, §8.x). */
export function unsupported(feature: string): PubsubFailure {
  return { ...failure('cancel', 'feature-not-implemented', 'unsupported'), feature } as PubsubFailure;
}

export { iqResult as result } from '../iq-reply.js';

/** The reply to a failure or a success. */
export function reply<T>(req: PubsubRequest, r: PubsubResult<T>, payload?: (value: T) => Element | undefined): Element {
  if (!r.ok) {
    const el = pubsubError(req.stanza, r);
    const feature = (r as { feature?: string }).feature;
    if (feature) el.getChild('error')!.getChild('unsupported', NS_PUBSUB_ERRORS)!.attrs.feature = feature;
    return el;
  }
  return iqResult(req.stanza, payload?.(r.value));
}

const nodeRequired = (): PubsubFailure => failure('modify', 'bad-request', 'nodeid-required');

/** Handle an iq whose child is `<pubsub xmlns='http://jabber.org/protocol/pubsub'/>` or `#owner`. */
export function handlePubsubIq(req: PubsubRequest): Element {
  const { stanza } = req;
  const type = stanza.attrs.type as string;
  const owner = stanza.getChild('pubsub', NS_PUBSUB_OWNER);
  if (owner) return type === 'get' ? ownerGet(req, owner) : ownerSet(req, owner);
  const pubsub = stanza.getChild('pubsub', NS_PUBSUB);
  const action = pubsub?.getChildElements()[0];
  if (!pubsub || !action) return pubsubError(stanza, failure('modify', 'bad-request'));
  const node = action.attrs.node as string | undefined;
  if (type === 'get') {
    switch (action.name) {
      case 'items': return node === undefined ? reply(req, nodeRequired()) : items(req, node, action);
      case 'subscriptions': return userSubscriptions(req, node);
      case 'affiliations': return userAffiliations(req, node);
      case 'options': return node === undefined ? reply(req, nodeRequired()) : getOptions(req, node, action);
      default: return reply(req, failure('cancel', 'feature-not-implemented'));
    }
  }
  switch (action.name) {
    case 'create': return create(req, node, pubsub.getChild('configure'));
    case 'publish': return node === undefined ? reply(req, nodeRequired()) : publish(req, node, action, pubsub.getChild('publish-options'));
    case 'retract': return node === undefined ? reply(req, nodeRequired()) : retract(req, node, action);
    case 'subscribe': return node === undefined ? reply(req, nodeRequired()) : subscribe(req, node, action, pubsub.getChild('options'));
    case 'unsubscribe': return node === undefined ? reply(req, nodeRequired()) : unsubscribe(req, node, action);
    case 'options': return node === undefined ? reply(req, nodeRequired()) : setOptions(req, node, action);
    default: return reply(req, failure('cancel', 'feature-not-implemented'));
  }
}

/** A `<configure/>` or `<publish-options/>` form's fields, or the failure it earns. */
function submitted(el: Element | undefined, formType: string): ReadonlyMap<string, readonly string[]> | PubsubFailure | undefined {
  const x = el?.getChild('x', 'jabber:x:data');
  if (!x) return undefined;
  const fields = formFields(parseForm(x), formType);
  return typeof fields === 'string' ? failure('modify', 'bad-request', undefined, fields) : fields;
}
const isFailure = (v: unknown): v is PubsubFailure => typeof v === 'object' && v !== null && (v as { ok?: unknown }).ok === false;

// XEP-0060 §8.1: create a node (named or instant), with a configuration (§8.1.3)
function create(req: PubsubRequest, node: string | undefined, configure: Element | undefined): Element {
  if (node === undefined && !req.instantNodes) return reply(req, failure('modify', 'not-acceptable', 'nodeid-required'));
  const fields = submitted(configure, NS_NODE_CONFIG);
  if (isFailure(fields)) return reply(req, fields);
  const limit = req.beforeCreate?.();
  if (limit) return reply(req, limit);
  const r = req.service.create(req.actor, node, fields);
  // §8.1.2: an instant node's name comes back
  return reply(req, r, (name) => node === undefined ? xml('pubsub', { xmlns: NS_PUBSUB }, xml('create', { node: name })) : undefined);
}

// XEP-0060 §7.1: publish one item
function publish(req: PubsubRequest, node: string, action: Element, options: Element | undefined): Element {
  const items = action.getChildren('item');
  if (items.length > 1) return reply(req, failure('modify', 'bad-request', 'invalid-payload')); // §7.1.3.4 (one item per publish)
  const item = items[0];
  const payloads = item?.getChildElements() ?? [];
  if (payloads.length > 1) return reply(req, failure('modify', 'bad-request', 'invalid-payload')); // §7.1.3.4
  const payload = payloads[0];
  if (!item) return reply(req, failure('modify', 'bad-request', 'item-required')); // §7.1.3.5
  const size = payload ? Buffer.byteLength(payload.toString()) : 0;
  if (size > req.service.limits.maxPayloadBytes) return reply(req, failure('modify', 'not-acceptable', 'payload-too-big')); // §7.1.3.3
  const preconditions = submitted(options, NS_PUBLISH_OPTIONS);
  if (isFailure(preconditions)) return reply(req, preconditions);
  const id = item.attrs.id as string | undefined;
  if (id !== undefined && (id === '' || id.length > 1024)) return reply(req, failure('modify', 'bad-request', undefined, 'Invalid item id'));
  if (!req.service.node(node) && req.autocreateOnPublish) {
    const limit = req.beforeCreate?.();
    if (limit) return reply(req, limit);
  }
  const r = req.service.publish(req.actor, req.from, node, id, payload, preconditions, req.autocreateOnPublish);
  // §7.1.2: the item id comes back
  return reply(req, r, (itemId) => xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node }, xml('item', { id: itemId }))));
}

// XEP-0060 §7.2: retract an item
function retract(req: PubsubRequest, node: string, action: Element): Element {
  const ids = action.getChildren('item').map((i) => i.attrs.id as string | undefined);
  if (ids.length === 0 || ids.some((i) => !i)) return reply(req, failure('modify', 'bad-request', 'item-required')); // §7.2.3.3
  if (ids.length > 1) return reply(req, failure('modify', 'bad-request', undefined, 'One item at a time'));
  const notify = parseBoolean(action.attrs.notify as string | undefined) ?? false;
  return reply(req, req.service.retract(req.actor, node, ids[0]!, notify));
}

// XEP-0060 §6.5: retrieve items (all, at most max_items, or by id)
function items(req: PubsubRequest, node: string, action: Element): Element {
  const ids = action.getChildren('item').map((i) => i.attrs.id as string).filter(Boolean);
  const rawMax = action.attrs.max_items as string | undefined;
  const max = rawMax === undefined ? undefined : /^\d{1,9}$/.test(rawMax) ? Number(rawMax) : NaN;
  if (Number.isNaN(max)) return reply(req, failure('modify', 'bad-request', undefined, 'max_items is a number'));
  const r = req.service.items(req.actor, node, ids, max);
  const expose = req.service.limits.exposePublisher || req.service.node(node)?.config.itemreply === 'publisher';
  return reply(req, r, (list) => xml('pubsub', { xmlns: NS_PUBSUB },
    xml('items', { node }, ...list.map((i) => itemElement(i, true, expose)))));
}

/** The subscription's JID must be the requester's (XEP-0060 §6.1.3.1, §6.2.3.3). */
function subscriptionJid(req: PubsubRequest, action: Element): string | PubsubFailure {
  const jid = action.attrs.jid as string | undefined;
  if (!jid) return failure('modify', 'bad-request', 'jid-required');
  if (jid.split('/')[0] !== req.actor) return failure('modify', 'bad-request', 'invalid-jid');
  return jid;
}

function subscriptionElement(node: string, jid: string, state: string, subid?: string): Element {
  return xml('subscription', { node, jid, subscription: state, subid });
}

// XEP-0060 §6.1: subscribe (with options, §6.3.7)
function subscribe(req: PubsubRequest, node: string, action: Element, options: Element | undefined): Element {
  const jid = subscriptionJid(req, action);
  if (typeof jid !== 'string') return reply(req, jid);
  const fields = submitted(options, NS_SUBSCRIBE_OPTIONS);
  if (isFailure(fields)) return reply(req, fields);
  const deliver = fields ? parseBoolean(fields.get('pubsub#deliver')?.[0]) ?? true : true;
  if (!req.service.node(node) && req.autocreateOnSubscribe) {
    const created = req.service.create(req.actor, node);
    if (!created.ok) return reply(req, created);
  }
  const r = req.service.subscribe(req.actor, node, jid, deliver);
  const out = reply(req, r, (sub) => xml('pubsub', { xmlns: NS_PUBSUB }, subscriptionElement(node, sub.jid, sub.state, sub.subid)));
  if (r.ok && r.value.state === 'subscribed') queueMicrotask(() => req.subscribed?.(node, jid)); // after the result
  return out;
}

// XEP-0060 §6.2: unsubscribe
function unsubscribe(req: PubsubRequest, node: string, action: Element): Element {
  const jid = action.attrs.jid as string | undefined;
  if (!jid) return reply(req, failure('modify', 'bad-request', 'jid-required'));
  return reply(req, req.service.unsubscribe(req.actor, node, jid));
}

function optionsForm(deliver: boolean): Element {
  return buildForm('form', NS_SUBSCRIBE_OPTIONS, [{ var: 'pubsub#deliver', type: 'boolean', label: 'Enable delivery?', value: deliver ? '1' : '0' }]);
}

// XEP-0060 §6.3: subscription options
function getOptions(req: PubsubRequest, node: string, action: Element): Element {
  const jid = subscriptionJid(req, action);
  if (typeof jid !== 'string') return reply(req, jid);
  const record = req.service.node(node);
  if (!record) return reply(req, failure('cancel', 'item-not-found'));
  const sub = record.subscriptions[jid];
  if (!sub) return reply(req, failure('cancel', 'unexpected-request', 'not-subscribed')); // §6.3.4.2
  return iqResult(req.stanza, xml('pubsub', { xmlns: NS_PUBSUB }, xml('options', { node, jid }, optionsForm(sub.deliver))));
}

function setOptions(req: PubsubRequest, node: string, action: Element): Element {
  const jid = subscriptionJid(req, action);
  if (typeof jid !== 'string') return reply(req, jid);
  const form = parseForm(action.getChild('x', 'jabber:x:data'));
  const fields = formFields(form, NS_SUBSCRIBE_OPTIONS);
  if (typeof fields === 'string') return reply(req, failure('modify', 'bad-request', 'invalid-options', fields)); // §6.3.6.2
  const deliver = parseBoolean(form ? fieldValue(form, 'pubsub#deliver') : undefined);
  if (deliver === undefined) return reply(req, failure('modify', 'bad-request', 'invalid-options'));
  return reply(req, req.service.setDeliver(node, jid, deliver));
}

// XEP-0060 §5.6: the requester's subscriptions (at one node or all)
function userSubscriptions(req: PubsubRequest, only: string | undefined): Element {
  const out = xml('subscriptions', { node: only });
  for (const name of only !== undefined ? [only] : req.service.nodeNames()) {
    const record = req.service.node(name);
    if (!record) continue;
    for (const [jid, sub] of Object.entries(record.subscriptions)) {
      if (jid.split('/')[0] === req.actor) out.append(subscriptionElement(name, jid, sub.state, sub.subid));
    }
  }
  return iqResult(req.stanza, xml('pubsub', { xmlns: NS_PUBSUB }, out));
}

// XEP-0060 §5.7: the requester's affiliations
function userAffiliations(req: PubsubRequest, only: string | undefined): Element {
  const out = xml('affiliations', { node: only });
  for (const name of only !== undefined ? [only] : req.service.nodeNames()) {
    if (!req.service.node(name)) continue;
    const aff = req.service.affiliation(name, req.actor);
    if (aff !== 'none') out.append(xml('affiliation', { node: name, affiliation: aff }));
  }
  return iqResult(req.stanza, xml('pubsub', { xmlns: NS_PUBSUB }, out));
}

export { configForm };
