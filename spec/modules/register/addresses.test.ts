/**
 * Tests for lib/modules/register/addresses.ts: which entries are addresses or CIDR ranges,
 * the option spec built on that, and matching IPv4, IPv6 and IPv4-mapped IPv6 addresses.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { INVALID } from '../../../lib/core/options.js';
import { AddressList, addressListOption, isAddressOrRange } from '../../../lib/modules/register/addresses.js';
import { normalizeIp as canonicalIp } from '../../../lib/core/ip.js';

describe('register address lists', () => {
  it('accepts addresses and CIDR ranges, nothing else', () => {
    for (const ok of ['127.0.0.1', '::1', '10.0.0.0/8', '0.0.0.0/0', '2001:db8::/32', '::/128', '::ffff:192.0.2.1']) assert.ok(isAddressOrRange(ok), ok);
    for (const bad of ['', 'localhost', '10.0.0.0/33', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/8/8', '::1/129', '1.2.3.4 ', 42, null]) {
      assert.equal(isAddressOrRange(bad), false, JSON.stringify(bad));
    }
  });

  it('addressListOption parses arrays of them and refuses the rest', () => {
    const spec = addressListOption({ default: Object.freeze(['127.0.0.1']), doc: 'test list' });
    assert.deepEqual(spec.default, ['127.0.0.1']);
    assert.deepEqual(spec.parse(['192.0.2.0/24', '::1']), ['192.0.2.0/24', '::1']);
    assert.deepEqual(spec.parse([]), []);
    assert.equal(spec.parse('127.0.0.1'), INVALID);
    assert.equal(spec.parse(['example.org']), INVALID);
    assert.match(spec.describe, /CIDR/);
  });

  it('matches single addresses and ranges, IPv4-mapped IPv6 as IPv4', () => {
    const list = new AddressList(['127.0.0.1', '192.0.2.0/24', '2001:db8::/32']);
    assert.equal(list.has('127.0.0.1'), true);
    assert.equal(list.has('::ffff:127.0.0.1'), true);
    assert.equal(list.has('127.0.0.2'), false);
    assert.equal(list.has('192.0.2.200'), true);
    assert.equal(list.has('192.0.3.1'), false);
    assert.equal(list.has('2001:DB8:1::5'), true);
    assert.equal(list.has('2001:db9::5'), false);
    assert.equal(list.has('not an ip'), false);
    assert.equal(new AddressList([]).has('127.0.0.1'), false);
    assert.throws(() => new AddressList(['nope']), /not an IP address/);
  });

  it('normalizeIp strips the IPv4-mapped prefix', () => {
    assert.equal(canonicalIp('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(canonicalIp('::FFFF:192.0.2.1'), '192.0.2.1');
    assert.equal(canonicalIp('2001:DB8::1'), '2001:db8::1');
  });
});
