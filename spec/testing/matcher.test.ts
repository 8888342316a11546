/** matchStanza: scansion's matching rules, and the readable report of a mismatch. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { matchStanza, explainMismatch, parseXmlBlock } from '../../lib/testing/index.js';

const one = (text: string) => parseXmlBlock(text)[0]!;
const match = (expected: string, received: string) => matchStanza(one(expected), one(received));

describe('matchStanza', () => {
  it('matches equal stanzas, whatever the attribute order and namespace declarations', () => {
    assert.equal(match('<message to="a@b" type="chat"><body>hi</body></message>', '<message xmlns="jabber:client" type="chat" to="a@b"><body>hi</body></message>'), undefined);
  });

  it('requires every expected attribute, and refuses extra ones', () => {
    assert.match(match('<presence type="unavailable"/>', '<presence/>')!.reason, /attribute 'type' missing/);
    assert.match(match('<presence/>', '<presence type="unavailable"/>')!.reason, /unexpected attribute type='unavailable'/);
    assert.match(match('<iq type="result"/>', '<iq type="error"/>')!.reason, /attribute 'type': expected 'result', got 'error'/);
  });

  it('{scansion:any} accepts any value or text, but the attribute must be there', () => {
    assert.equal(match('<iq id="{scansion:any}" type="set"/>', '<iq id="x7" type="set"/>'), undefined);
    assert.match(match('<iq id="{scansion:any}"/>', '<iq/>')!.reason, /attribute 'id' missing/);
    assert.equal(match('<message><body>{scansion:any}</body></message>', '<message><body>whatever</body></message>'), undefined);
  });

  it('compares text, ignoring surrounding whitespace', () => {
    assert.equal(match('<message><body>\n  hi\n</body></message>', '<message><body>hi</body></message>'), undefined);
    const m = match('<message><body>hi</body></message>', '<message><body>bye</body></message>')!;
    assert.equal(m.path, '/message/body[1]');
    assert.match(m.reason, /text: expected "hi", got "bye"/);
  });

  it('ignores extra children of a jabber:client element (a <delay/> or <stanza-id/> added by the server)', () => {
    assert.equal(match(
      '<message><body>hi</body></message>',
      '<message><stanza-id xmlns="urn:xmpp:sid:0" id="1" by="a"/><body>hi</body><delay xmlns="urn:xmpp:delay" stamp="t"/></message>',
    ), undefined);
  });

  it('is strict inside payload namespaces: an extra child fails, scansion:strict="false" relaxes', () => {
    const received = '<iq type="result"><query xmlns="jabber:iq:roster"><item jid="a@b"/><item jid="c@d"/></query></iq>';
    const m = match('<iq type="result"><query xmlns="jabber:iq:roster"><item jid="a@b"/></query></iq>', received)!;
    assert.equal(m.path, '/iq/query[1]');
    assert.match(m.reason, /unexpected child <item xmlns='jabber:iq:roster'> in a strict element/);
    assert.equal(match('<iq type="result"><query xmlns="jabber:iq:roster" scansion:strict="false"><item jid="c@d"/></query></iq>', received), undefined);
    assert.match(match('<message scansion:strict="true"><body>hi</body></message>', '<message><body>hi</body><thread>t</thread></message>')!.reason, /unexpected child <thread/);
  });

  it('pairs children in any order, each received child used once', () => {
    assert.equal(match(
      '<iq><query xmlns="urn:x"><f var="2"/><f var="1"/></query></iq>',
      '<iq><query xmlns="urn:x"><f var="1"/><f var="2"/></query></iq>',
    ), undefined);
    assert.ok(match('<iq><q xmlns="urn:x" scansion:strict="false"><f/><f/></q></iq>', '<iq><q xmlns="urn:x"><f/></q></iq>'));
  });

  it('compares namespaces, inherited or declared', () => {
    const m = match('<iq><ping xmlns="urn:xmpp:ping"/></iq>', '<iq><ping xmlns="urn:example:ping"/></iq>')!;
    assert.match(m.reason, /no child <ping xmlns='urn:xmpp:ping'>/);
    assert.match(match('<message/>', '<presence/>')!.reason, /expected <message xmlns='jabber:client'>, got <presence xmlns='jabber:client'>/);
  });

  it('explains a mismatch with the path, the reason and both stanzas', () => {
    const expected = one('<message to="a@b"><body>hi</body></message>');
    const received = one('<message to="a@b"><body>ho</body></message>');
    const text = explainMismatch(expected, received, matchStanza(expected, received)!);
    assert.match(text, /^mismatch at \/message\/body\[1\]: text: expected "hi", got "ho"\nexpected:\n {4}<message/);
    assert.match(text, /received:\n {4}<message [^\n]*>\n {6}<body>ho<\/body>/);
  });
});
