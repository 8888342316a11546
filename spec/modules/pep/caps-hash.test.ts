/**
 * Tests for lib/modules/pep/caps-hash (XEP-0115 §5): the verification string and ver of the
 * §5.2 simple example and the §5.3 complex one (with an extended form), and the §5.4 refusals.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseElement as parseOrUndefined } from '../../../lib/core/xml-frame.js';
import type { Element } from '../../../lib/core/xml.js';

const parseElement = (s: string): Element => parseOrUndefined(s)!;
import { capsVer, cryptoHash, verificationString } from '../../../lib/modules/pep/caps-hash.js';

const simple = `<query xmlns="http://jabber.org/protocol/disco#info">
<identity category="client" type="pc" name="Exodus 0.9.1"/>
<feature var="http://jabber.org/protocol/caps"/><feature var="http://jabber.org/protocol/disco#info"/>
<feature var="http://jabber.org/protocol/disco#items"/><feature var="http://jabber.org/protocol/muc"/></query>`;

const complex = `<query xmlns="http://jabber.org/protocol/disco#info">
<identity xml:lang="en" category="client" name="Psi 0.11" type="pc"/>
<identity xml:lang="el" category="client" name="Ψ 0.11" type="pc"/>
<feature var="http://jabber.org/protocol/caps"/><feature var="http://jabber.org/protocol/disco#info"/>
<feature var="http://jabber.org/protocol/disco#items"/><feature var="http://jabber.org/protocol/muc"/>
<x xmlns="jabber:x:data" type="result">
<field var="FORM_TYPE" type="hidden"><value>urn:xmpp:dataforms:softwareinfo</value></field>
<field var="ip_version"><value>ipv4</value><value>ipv6</value></field>
<field var="os"><value>Mac</value></field><field var="os_version"><value>10.5.1</value></field>
<field var="software"><value>Psi</value></field><field var="software_version"><value>0.11</value></field>
</x></query>`;

describe('caps ver (XEP-0115 §5)', () => {
  it('computes the §5.2 simple example', () => {
    const q = parseElement(simple);
    assert.equal(verificationString(q), 'client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<');
    assert.equal(capsVer(q, 'sha-1'), 'QgayPKawpkPSDYmwT/WM94uAlu0=');
  });

  it('computes the §5.3 complex example (identities by lang, an extended form)', () => {
    assert.equal(capsVer(parseElement(complex), 'sha-1'), 'q07IKJEyjvHSyhy//CH0CxmKi8w=');
  });

  it('refuses duplicate features or identities, and unknown hashes (§5.4)', () => {
    const dup = simple.replace('<feature var="http://jabber.org/protocol/muc"/>', '<feature var="http://jabber.org/protocol/muc"/><feature var="http://jabber.org/protocol/muc"/>');
    assert.equal(capsVer(parseElement(dup), 'sha-1'), undefined);
    assert.equal(capsVer(parseElement(simple), 'no-such-hash'), undefined);
    assert.equal(cryptoHash('SHA-256'), 'sha256');
    assert.notEqual(capsVer(parseElement(simple), 'sha-256'), capsVer(parseElement(simple), 'sha-1'));
  });
});
