/**
 * @module pubsub/protocol-owner
 * Owner use cases (XEP-0060 §8, `http://jabber.org/protocol/pubsub#owner`): configure, default
 * configuration, delete, purge, and the management of subscriptions and affiliations.
 */
import { xml, type Element } from '../xml.js';
import { parseForm } from '../data-forms.js';
import { failure } from './access.js';
import { configForm, formFields, NS_NODE_CONFIG } from './config.js';
import { AFFILIATIONS, type Affiliation, type SubscriptionState } from './storage.js';
import { NS_PUBSUB_OWNER, reply, result, unsupported, type PubsubRequest } from './protocol.js';

const owner = (...children: Element[]): Element => xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, ...children);
const nodeRequired = failure('modify', 'bad-request', 'nodeid-required');

export function ownerGet(req: PubsubRequest, pubsub: Element): Element {
  const action = pubsub.getChildElements()[0];
  const node = action?.attrs.node as string | undefined;
  const { service, actor } = req;
  switch (action?.name) {
    case 'default': // §8.3: the default configuration
      return result(req.stanza, owner(xml('default', {}, configForm(service.limits.defaults))));
    case 'configure': { // §8.2.1
      if (node === undefined) return reply(req, nodeRequired);
      const refused = service.ownerCheck(actor, node);
      if (refused) return reply(req, refused);
      return result(req.stanza, owner(xml('configure', { node }, configForm(service.node(node)!.config))));
    }
    case 'subscriptions': { // §8.8.1
      if (node === undefined) return reply(req, nodeRequired);
      const refused = service.ownerCheck(actor, node);
      if (refused) return reply(req, refused);
      const subs = Object.entries(service.node(node)!.subscriptions);
      return result(req.stanza, owner(xml('subscriptions', { node },
        ...subs.map(([jid, s]) => xml('subscription', { jid, subscription: s.state, subid: s.subid })))));
    }
    case 'affiliations': { // §8.9.1
      if (node === undefined) return reply(req, nodeRequired);
      const refused = service.ownerCheck(actor, node);
      if (refused) return reply(req, refused);
      const affs = Object.entries(service.node(node)!.affiliations);
      return result(req.stanza, owner(xml('affiliations', { node },
        ...affs.map(([jid, affiliation]) => xml('affiliation', { jid, affiliation })))));
    }
    default: return reply(req, failure('cancel', 'feature-not-implemented'));
  }
}

export function ownerSet(req: PubsubRequest, pubsub: Element): Element {
  const action = pubsub.getChildElements()[0];
  const node = action?.attrs.node as string | undefined;
  const { service, actor } = req;
  if (!action || !['configure', 'delete', 'purge', 'subscriptions', 'affiliations'].includes(action.name)) {
    return reply(req, failure('cancel', 'feature-not-implemented'));
  }
  if (node === undefined) return reply(req, nodeRequired);
  switch (action.name) {
    case 'configure': { // §8.2.4 (a cancel form changes nothing, §8.2.6)
      const fields = formFields(parseForm(action.getChild('x', 'jabber:x:data')), NS_NODE_CONFIG);
      if (typeof fields === 'string') return reply(req, failure('modify', 'bad-request', undefined, fields));
      if (fields.size === 0) {
        const refused = service.ownerCheck(actor, node);
        return reply(req, refused ?? { ok: true, value: true });
      }
      return reply(req, service.configure(actor, node, fields));
    }
    case 'delete': return reply(req, service.delete(actor, node)); // §8.4
    case 'purge': { // §8.5 (a node that keeps no items cannot be purged, §8.5.3.3)
      const record = service.node(node);
      if (record && !record.config.persist_items && service.ownerCheck(actor, node) === undefined) {
        return reply(req, unsupported('persistent-items'));
      }
      return reply(req, service.purge(actor, node));
    }
    case 'subscriptions': { // §8.8.2
      const changes: [string, SubscriptionState | 'none'][] = [];
      for (const s of action.getChildren('subscription')) {
        const jid = s.attrs.jid as string | undefined;
        const state = s.attrs.subscription as string | undefined;
        if (!jid || !state || !['none', 'pending', 'subscribed', 'unconfigured'].includes(state)) return reply(req, failure('modify', 'bad-request'));
        changes.push([jid, state as SubscriptionState | 'none']);
      }
      return reply(req, service.setSubscriptions(actor, node, changes));
    }
    default: { // §8.9.2: affiliations
      const changes: [string, Affiliation][] = [];
      for (const a of action.getChildren('affiliation')) {
        const jid = a.attrs.jid as string | undefined;
        const aff = a.attrs.affiliation as Affiliation | undefined;
        if (!jid || jid.includes('/') || !aff || !AFFILIATIONS.includes(aff)) return reply(req, failure('modify', 'bad-request'));
        changes.push([jid, aff]);
      }
      return reply(req, service.setAffiliations(actor, node, changes));
    }
  }
}
