/**
 * Tests for lib/modules/http/proxies.ts: trusted_proxies entries (IP, CIDR, v4, v6), address
 * normalisation, RFC 7239 parsing, and a table of client IP / `secure` derivations.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TrustedProxies, clientInfo, parseForwarded, type ForwardedMode } from '../../../lib/modules/http/proxies.js';
import { normalizeIp, parseAddressRange as parseProxyEntry } from '../../../lib/core/ip.js';

describe('parseProxyEntry', () => {
  it('accepts IPs and CIDRs of both families and rejects the rest', () => {
    assert.deepEqual(parseProxyEntry('127.0.0.1'), { address: '127.0.0.1', prefix: 32, family: 4 });
    assert.deepEqual(parseProxyEntry('10.0.0.0/8'), { address: '10.0.0.0', prefix: 8, family: 4 });
    assert.deepEqual(parseProxyEntry('::1'), { address: '::1', prefix: 128, family: 6 });
    assert.deepEqual(parseProxyEntry('FD00::/8'), { address: 'fd00::', prefix: 8, family: 6 });
    for (const bad of ['', 'localhost', '10.0.0.0/33', '::/129', '10.0.0.0/8/1', '1.2.3.4/', '1.2.3.4/x', '300.1.1.1']) {
      assert.equal(parseProxyEntry(bad), undefined, bad);
    }
  });
});

describe('normalizeIp', () => {
  it('strips ports, brackets, zones and the IPv4-mapped prefix', () => {
    assert.equal(normalizeIp('192.0.2.1:8080'), '192.0.2.1');
    assert.equal(normalizeIp('[2001:DB8::1]:4711'), '2001:db8::1');
    assert.equal(normalizeIp('"[2001:db8::1]"'), '2001:db8::1');
    assert.equal(normalizeIp('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(normalizeIp('fe80::1%eth0'), 'fe80::1');
    assert.equal(normalizeIp('unknown'), undefined);
    assert.equal(normalizeIp('_hidden'), undefined);
  });
});

describe('TrustedProxies', () => {
  it('matches exact addresses and CIDR ranges, v4 and v6, mapped or not', () => {
    const t = new TrustedProxies(['127.0.0.1', '10.0.0.0/8', 'fd00::/8', '::1']);
    assert.ok(t.has('127.0.0.1'));
    assert.ok(t.has('::ffff:127.0.0.1'));
    assert.ok(t.has('10.200.3.4'));
    assert.ok(t.has('fd12:3456::1'));
    assert.ok(t.has('::1'));
    assert.ok(!t.has('127.0.0.2'));
    assert.ok(!t.has('11.0.0.1'));
    assert.ok(!t.has('fe80::1'));
    assert.ok(!t.has('not an ip'));
  });

  it('refuses an entry that is neither an IP nor a CIDR', () => {
    assert.throws(() => new TrustedProxies(['proxy.example']), /not an IP address or CIDR: "proxy.example"/);
  });
});

describe('parseForwarded (RFC 7239 §4)', () => {
  it('parses elements, pairs, quoted values and escapes', () => {
    assert.deepEqual(parseForwarded('for=192.0.2.43;proto=https, for="[2001:db8:cafe::17]:4711";by=203.0.113.60'), [
      { for: '192.0.2.43', proto: 'https' },
      { for: '[2001:db8:cafe::17]:4711', by: '203.0.113.60' },
    ]);
    assert.deepEqual(parseForwarded('For="a\\"b";Proto=HTTP'), [{ for: 'a"b', proto: 'HTTP' }]);
    assert.deepEqual(parseForwarded(undefined), []);
    assert.deepEqual(parseForwarded(' , ;;'), []);
  });
});

interface Row {
  readonly name: string;
  readonly peer: string;
  readonly encrypted?: boolean;
  readonly headers?: Record<string, string | string[]>;
  readonly mode?: ForwardedMode;
  readonly ip: string;
  readonly secure: boolean;
}

describe('clientInfo', () => {
  const trusted = new TrustedProxies(['127.0.0.1', '::1', '10.0.0.0/8', 'fd00::/8']);
  const rows: Row[] = [
    { name: 'direct peer, no headers', peer: '192.0.2.9', ip: '192.0.2.9', secure: false },
    { name: 'direct TLS peer', peer: '192.0.2.9', encrypted: true, ip: '192.0.2.9', secure: true },
    { name: 'untrusted peer: its forwarding headers are ignored', peer: '192.0.2.9', headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https' }, ip: '192.0.2.9', secure: false },
    { name: 'untrusted peer: Forwarded ignored too', peer: '192.0.2.9', mode: 'forwarded', headers: { forwarded: 'for=6.6.6.6;proto=https' }, ip: '192.0.2.9', secure: false },
    { name: 'trusted proxy, one hop', peer: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.5', 'x-forwarded-proto': 'https' }, ip: '203.0.113.5', secure: true },
    { name: 'trusted proxy says http', peer: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.5', 'x-forwarded-proto': 'http' }, ip: '203.0.113.5', secure: false },
    { name: 'trusted proxy, no proto: plain', peer: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.5' }, ip: '203.0.113.5', secure: false },
    { name: 'trusted proxy, proto only', peer: '::1', headers: { 'x-forwarded-proto': 'HTTPS' }, ip: '::1', secure: true },
    { name: 'IPv4-mapped trusted peer', peer: '::ffff:127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.5' }, ip: '203.0.113.5', secure: false },
    { name: 'spoofed left entry: right-most untrusted wins', peer: '127.0.0.1', headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.5' }, ip: '203.0.113.5', secure: false },
    { name: 'chain of trusted proxies (CIDR)', peer: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.5, 10.1.2.3, 10.9.9.9' }, ip: '203.0.113.5', secure: false },
    { name: 'repeated X-Forwarded-For headers', peer: '127.0.0.1', headers: { 'x-forwarded-for': ['6.6.6.6', '203.0.113.5, 10.1.2.3'] }, ip: '203.0.113.5', secure: false },
    { name: 'everything trusted: left-most', peer: '127.0.0.1', headers: { 'x-forwarded-for': '10.0.0.7, 10.0.0.8' }, ip: '10.0.0.7', secure: false },
    { name: 'IPv6 client and IPv6 CIDR proxy', peer: '::1', headers: { 'x-forwarded-for': '2001:db8::42, fd00::1' }, ip: '2001:db8::42', secure: false },
    { name: 'entries with ports', peer: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.5:5555, [fd00::1]:80' }, ip: '203.0.113.5', secure: false },
    { name: 'garbage entry: the proxy that reported it', peer: '127.0.0.1', headers: { 'x-forwarded-for': 'not-an-ip, 10.0.0.2' }, ip: '10.0.0.2', secure: false },
    { name: 'aligned proto list', peer: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.5, 10.0.0.2', 'x-forwarded-proto': 'https, http' }, ip: '203.0.113.5', secure: true },
    { name: 'single proto from the nearest proxy', peer: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.5, 10.0.0.2', 'x-forwarded-proto': 'https' }, ip: '203.0.113.5', secure: true },
    { name: 'TLS to us but the proxy says its client used http', peer: '127.0.0.1', encrypted: true, headers: { 'x-forwarded-for': '203.0.113.5', 'x-forwarded-proto': 'http' }, ip: '203.0.113.5', secure: false },
    { name: 'x-forwarded mode ignores Forwarded', peer: '127.0.0.1', headers: { forwarded: 'for=203.0.113.5;proto=https' }, ip: '127.0.0.1', secure: false },
    { name: 'Forwarded, one hop', mode: 'forwarded', peer: '127.0.0.1', headers: { forwarded: 'for=203.0.113.5;proto=https' }, ip: '203.0.113.5', secure: true },
    { name: 'Forwarded, IPv6 with port, chain', mode: 'forwarded', peer: '::1', headers: { forwarded: 'for="[2001:db8::42]:4711";proto=https, for=10.0.0.2;proto=http' }, ip: '2001:db8::42', secure: true },
    { name: 'Forwarded, spoofed left element', mode: 'forwarded', peer: '127.0.0.1', headers: { forwarded: 'for=6.6.6.6;proto=https, for=203.0.113.5;proto=http' }, ip: '203.0.113.5', secure: false },
    { name: 'Forwarded, unknown client', mode: 'forwarded', peer: '127.0.0.1', headers: { forwarded: 'for=unknown;proto=https' }, ip: '127.0.0.1', secure: true },
    { name: 'forwarded mode ignores X-Forwarded-For', mode: 'forwarded', peer: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.5' }, ip: '127.0.0.1', secure: false },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const got = clientInfo({ peer: row.peer, encrypted: row.encrypted ?? false, headers: row.headers ?? {} }, trusted, row.mode);
      assert.deepEqual(got, { ip: row.ip, secure: row.secure });
    });
  }

  it('trusts nothing with an empty list', () => {
    const none = new TrustedProxies([]);
    assert.deepEqual(clientInfo({ peer: '127.0.0.1', encrypted: false, headers: { 'x-forwarded-for': '203.0.113.5', 'x-forwarded-proto': 'https' } }, none), { ip: '127.0.0.1', secure: false });
  });
});
