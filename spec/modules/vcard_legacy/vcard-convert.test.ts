/**
 * Tests for lib/modules/vcard_legacy/vcard-convert: vcard-temp (XEP-0054) to vCard4
 * (RFC 6351 XML) and back for the properties clients use.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseElement } from '../../../lib/core/xml-frame.js';
import { serialize, type Element } from '../../../lib/core/xml.js';
import { vcard4ToVcardTemp, vcardTempToVcard4, NS_VCARD4 } from '../../../lib/modules/vcard_legacy/vcard-convert.js';

const parse = (s: string): Element => parseElement(s.replace(/>\s+</g, '><'))!;

const LEGACY = parse(`<vCard xmlns='vcard-temp'>
  <FN>Juliet Capulet</FN>
  <N><FAMILY>Capulet</FAMILY><GIVEN>Juliet</GIVEN><MIDDLE>M</MIDDLE></N>
  <NICKNAME>Jules</NICKNAME>
  <BDAY>1996-07-24</BDAY>
  <URL>https://example.org/juliet</URL>
  <TITLE>Heiress</TITLE><ROLE>Daughter</ROLE>
  <ORG><ORGNAME>House Capulet</ORGNAME><ORGUNIT>Verona</ORGUNIT></ORG>
  <EMAIL><HOME/><INTERNET/><PREF/><USERID>juliet@example.org</USERID></EMAIL>
  <TEL><WORK/><VOICE/><NUMBER>+39 045 1234</NUMBER></TEL>
  <ADR><HOME/><STREET>Via Cappello 23</STREET><LOCALITY>Verona</LOCALITY><CTRY>Italy</CTRY></ADR>
  <JABBERID>juliet@example.com</JABBERID>
  <DESC>Balcony enthusiast</DESC>
  <CATEGORIES><KEYWORD>drama</KEYWORD><KEYWORD>poison</KEYWORD></CATEGORIES>
  <PHOTO><TYPE>image/png</TYPE><BINVAL>AAAA</BINVAL></PHOTO>
  <X-UNKNOWN>dropped</X-UNKNOWN>
</vCard>`);

describe('vcard-temp to vCard4 (RFC 6351)', () => {
  const v4 = vcardTempToVcard4(LEGACY);

  it('makes a vcard element in the vCard4 namespace', () => {
    assert.equal(v4.name, 'vcard');
    assert.equal(v4.attrs.xmlns, NS_VCARD4);
  });

  it('maps the simple properties with their value types', () => {
    assert.equal(v4.getChild('fn')!.getChildText('text'), 'Juliet Capulet');
    assert.equal(v4.getChild('nickname')!.getChildText('text'), 'Jules');
    assert.equal(v4.getChild('bday')!.getChildText('date'), '1996-07-24');
    assert.equal(v4.getChild('url')!.getChildText('uri'), 'https://example.org/juliet');
    assert.equal(v4.getChild('title')!.getChildText('text'), 'Heiress');
    assert.equal(v4.getChild('role')!.getChildText('text'), 'Daughter');
    assert.equal(v4.getChild('note')!.getChildText('text'), 'Balcony enthusiast');
  });

  it('maps structured properties: n, org, categories, adr', () => {
    assert.equal(serialize(v4.getChild('n')!), '<n><surname>Capulet</surname><given>Juliet</given><additional>M</additional></n>');
    assert.deepEqual(v4.getChild('org')!.getChildren('text').map((t) => t.getText()), ['House Capulet', 'Verona']);
    assert.deepEqual(v4.getChild('categories')!.getChildren('text').map((t) => t.getText()), ['drama', 'poison']);
    const adr = v4.getChild('adr')!;
    assert.equal(adr.getChildText('street'), 'Via Cappello 23');
    assert.equal(adr.getChildText('country'), 'Italy');
    assert.equal(adr.getChild('parameters')!.getChild('type')!.getChildText('text'), 'home');
  });

  it('keeps email and tel types and the preference, tel as a tel: URI, the JID as impp', () => {
    const email = v4.getChild('email')!;
    assert.equal(email.getChildText('text'), 'juliet@example.org');
    assert.deepEqual(email.getChild('parameters')!.getChild('type')!.getChildren('text').map((t) => t.getText()), ['home']);
    assert.equal(email.getChild('parameters')!.getChild('pref')!.getChildText('integer'), '1');
    const tel = v4.getChild('tel')!;
    assert.equal(tel.getChildText('uri'), 'tel:+39 045 1234');
    assert.deepEqual(tel.getChild('parameters')!.getChild('type')!.getChildren('text').map((t) => t.getText()), ['work', 'voice']);
    assert.equal(v4.getChild('impp')!.getChildText('uri'), 'xmpp:juliet@example.com');
  });

  it('leaves PHOTO to the avatar bridge and drops what vCard4 profiles do not carry', () => {
    assert.equal(v4.getChild('photo'), undefined);
    assert.equal(v4.getChildElements().some((c) => c.name.startsWith('x-')), false);
  });

  it('gives an empty vcard for an empty vCard and skips empty values', () => {
    assert.equal(serialize(vcardTempToVcard4(parse(`<vCard xmlns='vcard-temp'/>`))), `<vcard xmlns="${NS_VCARD4}"/>`);
    assert.equal(vcardTempToVcard4(parse(`<vCard xmlns='vcard-temp'><FN> </FN><EMAIL><HOME/></EMAIL><N/></vCard>`)).getChildElements().length, 0);
  });
});

describe('vCard4 to vcard-temp', () => {
  it('round-trips what it maps', () => {
    const back = vcard4ToVcardTemp(vcardTempToVcard4(LEGACY));
    assert.equal(back.attrs.xmlns, 'vcard-temp');
    assert.equal(back.getChildText('FN'), 'Juliet Capulet');
    assert.equal(back.getChildText('NICKNAME'), 'Jules');
    assert.equal(back.getChildText('BDAY'), '1996-07-24');
    assert.equal(back.getChildText('URL'), 'https://example.org/juliet');
    assert.equal(back.getChildText('DESC'), 'Balcony enthusiast');
    assert.equal(back.getChildText('JABBERID'), 'juliet@example.com');
    assert.equal(serialize(back.getChild('N')!), '<N><FAMILY>Capulet</FAMILY><GIVEN>Juliet</GIVEN><MIDDLE>M</MIDDLE></N>');
    assert.equal(serialize(back.getChild('ORG')!), '<ORG><ORGNAME>House Capulet</ORGNAME><ORGUNIT>Verona</ORGUNIT></ORG>');
    assert.equal(serialize(back.getChild('EMAIL')!), '<EMAIL><HOME/><PREF/><INTERNET/><USERID>juliet@example.org</USERID></EMAIL>');
    assert.equal(serialize(back.getChild('TEL')!), '<TEL><WORK/><VOICE/><NUMBER>+39 045 1234</NUMBER></TEL>');
    assert.equal(serialize(back.getChild('ADR')!), '<ADR><HOME/><STREET>Via Cappello 23</STREET><LOCALITY>Verona</LOCALITY><CTRY>Italy</CTRY></ADR>');
    assert.deepEqual(back.getChild('CATEGORIES')!.getChildren('KEYWORD').map((k) => k.getText()), ['drama', 'poison']);
  });

  it('reads what a vCard4 client publishes (XEP-0292 §3 example shapes)', () => {
    const back = vcard4ToVcardTemp(parse(`<vcard xmlns='${NS_VCARD4}'>
      <fn><text>Peter Saint-Andre</text></fn>
      <n><surname>Saint-Andre</surname><given>Peter</given><additional></additional></n>
      <nickname><text>stpeter</text></nickname>
      <tel><parameters><type><text>work</text><text>textphone</text></type></parameters><uri>tel:+1-303-308-3282</uri></tel>
      <note><text>first</text></note><note><text>second</text></note>
      <impp><uri>sip:x@example.com</uri></impp>
    </vcard>`));
    assert.equal(back.getChildText('FN'), 'Peter Saint-Andre');
    assert.equal(serialize(back.getChild('N')!), '<N><FAMILY>Saint-Andre</FAMILY><GIVEN>Peter</GIVEN></N>');
    assert.equal(serialize(back.getChild('TEL')!), '<TEL><WORK/><TEXT/><NUMBER>+1-303-308-3282</NUMBER></TEL>');
    assert.deepEqual(back.getChildren('DESC').map((d) => d.getText()), ['first'], 'one DESC');
    assert.equal(back.getChild('JABBERID'), undefined, 'only xmpp: URIs are JIDs');
  });

  it('gives an empty vCard for no vCard4', () => {
    assert.equal(serialize(vcard4ToVcardTemp(undefined)), '<vCard xmlns="vcard-temp"/>');
  });
});
