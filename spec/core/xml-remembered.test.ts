// Tests for serializeRemembered (lib/core/xml.ts) and its snapshot (lib/core/xml-snapshot.ts):
// the same element serialised again gives exactly what serialising it afresh gives, whatever
// changed in it since, and reuses the remembered text only when nothing did.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Element, serialize, serializeRemembered, serializeWithAttr, xml } from '../../lib/core/xml.js';
import { parseFrame } from '../../lib/core/xml-frame.js';
import { addStanzaId } from '../../lib/core/mam/stanza-id.js';

function message(): Element {
  const r = parseFrame('<message xmlns="jabber:client" to="b@localhost" type="chat" id="m1"><body>hi &amp; bye</body><x xmlns="urn:x" a="1"><y>deep</y></x></message>');
  if ('error' in r) assert.fail(r.error.text);
  r.element.attrs.from = 'a@localhost/r';
  return r.element;
}

/** What serialising a structurally equal copy gives (no remembered text can apply to it). */
function fresh(el: Element): string {
  const copy = (e: Element): Element => {
    const c = new Element(e.name, { ...(e.attrs as Record<string, string>) });
    for (const ch of e.children) c.children.push(typeof ch === 'string' ? ch : copy(ch as Element));
    return c;
  };
  return serialize(copy(el));
}

describe('serializeRemembered', () => {
  it('gives what serialize gives, and the same again while nothing changed', () => {
    const m = message();
    const text = serializeRemembered(m);
    assert.equal(text, fresh(m));
    assert.equal(serialize(m), text);
    assert.equal(serializeWithAttr(m, 'xmlns', 'jabber:client'), text);
  });

  it('adds children appended since (a stanza-id), and drops them once removed', () => {
    const m = message();
    const text = serializeRemembered(m);
    addStanzaId(m, 'b@localhost', 'abc');
    const withId = serialize(m);
    assert.equal(withId, fresh(m));
    assert.ok(withId.endsWith('<stanza-id xmlns="urn:xmpp:sid:0" by="b@localhost" id="abc"/></message>'));
    m.children.pop();
    assert.equal(serialize(m), text);
  });

  it('an element remembered without children gets its appended ones', () => {
    const m = xml('message', { to: 'b@localhost' });
    assert.equal(serializeRemembered(m), '<message to="b@localhost"/>');
    m.append(xml('body', {}, 'x'));
    assert.equal(serialize(m), '<message to="b@localhost"><body>x</body></message>');
  });

  const changes: Array<[string, (m: Element) => void]> = [
    ['an attribute of the element', (m) => { m.attrs.to = 'c@localhost'; }],
    ['an attribute added', (m) => { m.attrs['xml:lang'] = 'en'; }],
    ['an attribute removed', (m) => { delete m.attrs.type; }],
    ['the element name', (m) => { m.name = 'presence'; }],
    ['a child text replaced', (m) => { m.getChild('body')!.text('changed'); }],
    ['a child text edited in place', (m) => { m.getChild('body')!.children[0] = 'edited'; }],
    ['a child attribute', (m) => { m.getChild('x')!.attrs.a = '2'; }],
    ['a grandchild text', (m) => { (m.getChild('x')!.getChild('y')!.children as string[])[0] = 'shallow'; }],
    ['a grandchild appended', (m) => { m.getChild('x')!.getChild('y')!.append(xml('z')); }],
    ['a child removed', (m) => { m.children.splice(0, 1); }],
    ['a child replaced', (m) => { m.children[0] = xml('body', {}, 'other'); }],
    ['the children reordered', (m) => { m.children.reverse(); }],
    ['a child renamed', (m) => { (m.getChild('body') as Element).name = 'subject'; }],
  ];
  for (const [what, change] of changes) {
    it(`serialises afresh after a change to ${what}`, () => {
      const m = message();
      const before = serializeRemembered(m);
      change(m);
      const after = serialize(m);
      assert.notEqual(after, before);
      assert.equal(after, fresh(m));
    });
  }

  it('remembers only the last element', () => {
    const a = message();
    const b = message();
    serializeRemembered(a);
    serializeRemembered(b);
    a.attrs.id = 'other';
    assert.equal(serialize(a), fresh(a));
    assert.equal(serialize(b), fresh(b));
  });

  it('does not remember an element with an object for an attribute value', () => {
    const value = { toString: () => 'one' };
    const m = xml('message', {}, xml('body'));
    (m.attrs as Record<string, unknown>).id = value;
    assert.equal(serializeRemembered(m), '<message id="one"><body/></message>');
    value.toString = () => 'two';
    assert.equal(serialize(m), '<message id="two"><body/></message>');
  });
});
