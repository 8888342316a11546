/**
 * Tests for lib/modules/invites/store.ts: the token lifecycle on a real map store (memory
 * driver): URIs of each kind (XEP-0401 §4, XEP-0379), expiry (invite_expiry), single use,
 * unknown and malformed tokens, the per-inviter count, and the sweep of expired ones.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryDriver } from '../../../lib/core/storage/memory.js';
import type { MapStore } from '../../../lib/core/module-api.js';
import { InviteStore, INVITE_STORE, inviteUri } from '../../../lib/modules/invites/store.js';

const H = 'example.test';

function mapOf(driver: MemoryDriver): MapStore {
  return {
    get: (user, key) => driver.mapGet(H, INVITE_STORE, user, key),
    set: (user, key, value) => driver.mapSet(H, INVITE_STORE, user, key, value),
    all: (user) => driver.mapAll(H, INVITE_STORE, user) as Record<string, unknown>,
    count: (user) => driver.mapCount(H, INVITE_STORE, user),
  };
}

/** A store with a clock the test moves. */
function setup(expiry = 3600) {
  const driver = new MemoryDriver();
  const clock = { now: 1_700_000_000_000 };
  const store = new InviteStore(H, mapOf(driver), expiry, () => clock.now);
  return { driver, clock, store };
}

describe('invites/store', () => {
  it('makes the URIs of XEP-0401 and XEP-0379', () => {
    const { store } = setup();
    const open = store.createAccount();
    assert.match(open.token, /^[A-Za-z0-9_-]{24}$/);
    assert.equal(open.uri, `xmpp:${H}?register;preauth=${open.token}`);
    assert.equal(open.allowRegistration, true);
    const fixed = store.createAccount({ username: 'juliet' });
    assert.equal(fixed.uri, `xmpp:juliet@${H}?register;preauth=${fixed.token}`);
    const contact = store.createContact('romeo');
    assert.equal(contact.uri, `xmpp:romeo@${H}?roster;preauth=${contact.token}`);
    assert.equal(contact.allowRegistration, false);
    const ibr = store.createContact('romeo', { allowRegistration: true });
    assert.equal(ibr.uri, `xmpp:romeo@${H}?roster;preauth=${ibr.token};ibr=y`);
    assert.equal(inviteUri('roster', `a;b?c@${H}`, 'T', false), `xmpp:a%3Bb%3Fc@${H}?roster;preauth=T`, 'RFC 5122: the local part is percent-encoded');
    assert.notEqual(open.token, fixed.token);
  });

  it('finds a token until invite_expiry has passed, then forgets it', () => {
    const { store, clock, driver } = setup(60);
    const invite = store.createAccount();
    assert.equal(invite.expires, clock.now + 60_000);
    clock.now += 59_000;
    assert.equal(store.get(invite.token)?.token, invite.token);
    clock.now += 1_000;
    assert.equal(store.get(invite.token), undefined, 'expired');
    assert.equal(driver.mapGet(H, INVITE_STORE, '', invite.token), undefined, 'and removed from storage');
    assert.equal(store.use(invite.token), false);
  });

  it('is single use', () => {
    const { store } = setup();
    const invite = store.createContact('romeo', { allowRegistration: true });
    assert.equal(store.outstanding('romeo'), 1);
    assert.equal(store.use(invite.token), true);
    assert.equal(store.get(invite.token), undefined);
    assert.equal(store.use(invite.token), false, 'not twice');
    assert.equal(store.outstanding('romeo'), 0);
  });

  it('answers unknown and malformed tokens without a match', () => {
    const { store } = setup();
    store.createAccount();
    for (const token of ['', 'nope', 'x'.repeat(24), '../../etc', 'a b c d e f g h i j k l m', undefined, 42, { token: 'x' }]) {
      assert.equal(store.get(token), undefined, JSON.stringify(token));
    }
  });

  it('counts what an inviter has outstanding and sweeps expired invitations', () => {
    const { store, clock } = setup(100);
    store.createContact('romeo');
    store.createAccount({ inviter: 'romeo', ttl: 10 });
    store.createAccount();
    assert.equal(store.outstanding('romeo'), 2);
    assert.equal(store.outstanding('juliet'), 0);
    clock.now += 10_000;
    assert.equal(store.outstanding('romeo'), 1, 'the short-lived one expired');
    clock.now += 90_000;
    assert.equal(store.sweep(), 3, "all three have expired");
    assert.equal(store.sweep(), 0);
    assert.equal(store.outstanding('romeo'), 0);
  });
});
