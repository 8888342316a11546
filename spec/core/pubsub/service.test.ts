/**
 * Tests for lib/core/pubsub/service (the engine): item limits and replacement, access and
 * publish models, subscriptions and notifications, owner checks and limits, with in-memory
 * storage and a recording policy.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { PubsubService, type PubsubPolicy } from '../../../lib/core/pubsub/service.js';
import { BASE_NODE_CONFIG } from '../../../lib/core/pubsub/config.js';
import { memoryStorage } from '../../../lib/core/pubsub/storage.js';

function make(contacts: string[] = []) {
  const sent: Element[] = [];
  const policy: PubsubPolicy = {
    jid: 'svc', affiliationOf: () => undefined, canCreate: (b) => b !== 'eve@x',
    hasPresenceSubscription: (b) => contacts.includes(b), rosterGroups: (b) => contacts.includes(b) ? ['friends'] : undefined,
    send: (s) => sent.push(s),
  };
  const limits = { defaults: { ...BASE_NODE_CONFIG, max_items: 2 }, maxItems: 5, maxNodes: 2, maxPayloadBytes: 100, maxSubscriptions: 1, exposePublisher: false };
  const s = new PubsubService(policy, limits, memoryStorage());
  return { s, sent };
}
const p = (t: string) => xml('p', { xmlns: 'urn:x' }, t);

describe('pubsub engine', () => {
  it('keeps max_items, newest first, and replaces by id', () => {
    const { s } = make();
    assert.ok(s.create('own@x', 'n').ok);
    for (const id of ['a', 'b', 'c']) assert.ok(s.publish('own@x', 'own@x/r', 'n', id, p(id)).ok);
    assert.ok(s.publish('own@x', 'own@x/r', 'n', 'b', p('b2')).ok);
    const r = s.items('own@x', 'n');
    assert.ok(r.ok);
    assert.deepEqual(r.value.map((i) => i.id), ['b', 'c']);
    assert.equal(r.value[0]!.payload!.getText(), 'b2');
  });

  it('enforces access, publish and owner models, and the limits', () => {
    const { s } = make(['friend@x']);
    assert.equal(s.create('eve@x', 'n').ok, false, 'eve may not create');
    assert.ok(s.create('own@x', 'n', { 'pubsub#access_model': 'presence' }).ok);
    assert.ok(s.create('own@x', 'm').ok);
    const third = s.create('own@x', 'o');
    assert.ok(!third.ok && third.condition === 'resource-constraint');
    const denied = s.items('stranger@x', 'n');
    assert.ok(!denied.ok && denied.pubsubCondition === 'presence-subscription-required');
    assert.ok(s.items('friend@x', 'n').ok);
    const pub = s.publish('friend@x', 'friend@x/r', 'n', 'i', p('x'));
    assert.ok(!pub.ok && pub.condition === 'forbidden');
    const cfg = s.configure('friend@x', 'n', { 'pubsub#access_model': 'open' });
    assert.ok(!cfg.ok && cfg.condition === 'forbidden');
    assert.ok(s.configure('own@x', 'n', { 'pubsub#access_model': 'whitelist' }).ok);
    const closed = s.items('friend@x', 'n');
    assert.ok(!closed.ok && closed.pubsubCondition === 'closed-node');
    assert.ok(s.setAffiliations('own@x', 'n', [['friend@x', 'member']]).ok);
    assert.ok(s.items('friend@x', 'n').ok);
  });

  it('notifies subscribers, honours deliver, and bounds subscriptions', () => {
    const { s, sent } = make();
    assert.ok(s.create('own@x', 'n').ok);
    assert.ok(s.subscribe('a@x', 'n', 'a@x/r').ok);
    const second = s.subscribe('b@x', 'n', 'b@x');
    assert.ok(!second.ok && second.pubsubCondition === 'too-many-subscriptions');
    assert.ok(s.publish('own@x', 'own@x', 'n', '1', p('hi')).ok);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.attrs.to, 'a@x/r');
    assert.equal(sent[0]!.getChild('event')!.getChild('items')!.getChild('item')!.attrs.id, '1');
    assert.ok(s.setDeliver('n', 'a@x/r', false).ok);
    assert.ok(s.publish('own@x', 'own@x', 'n', '2', p('quiet')).ok);
    assert.equal(sent.length, 1, 'deliver off: no notification');
    const un = s.unsubscribe('b@x', 'n', 'a@x/r');
    assert.ok(!un.ok && un.condition === 'forbidden', 'nobody else unsubscribes a');
  });
});
