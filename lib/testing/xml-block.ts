/**
 * The XML of a `sends:` / `receives:` block: one or more elements, parsed with the core's
 * restricted-XML parser inside a wrapper whose default namespace is `jabber:client` and
 * which declares the `scansion:` prefix (so `scansion:strict="true"` needs no declaration).
 */
import { parseFrame } from '../core/xml-frame.js';
import { Element, NS_CLIENT } from '../core/xml.js';

/** The namespace the `scansion:` prefix is bound to inside blocks. */
export const NS_SCANSION = 'https://matthewwild.co.uk/projects/scansion';
/** The wildcard value: matches any attribute value or any text. */
export const ANY = '{scansion:any}';

/** Parse a block into its top-level elements; throws an Error saying why it is not XML. */
export function parseXmlBlock(text: string): Element[] {
  const wrapped = `<scansion-block xmlns='${NS_CLIENT}' xmlns:scansion='${NS_SCANSION}'>${text}</scansion-block>`;
  const result = parseFrame(wrapped, { maxDepth: 256, maxAttributes: 256 });
  if ('error' in result) throw new Error(`invalid XML (${result.error.condition}): ${result.error.text}`);
  const children = result.element.children.filter((c): c is Element => typeof c !== 'string');
  if (result.element.children.some((c) => typeof c === 'string' && c.trim() !== '')) throw new Error('text outside of an element');
  if (children.length === 0) throw new Error('no element');
  return children.map((c) => {
    const copy = withoutParent(c);
    // A top-level element carries its namespace explicitly, as on the wire.
    if (copy.attrs.xmlns === undefined) copy.attrs.xmlns = NS_CLIENT;
    return copy;
  });
}

function withoutParent(el: Element): Element {
  const copy = new Element(el.name, { ...(el.attrs as Record<string, string>) });
  for (const c of el.children) copy.children.push(typeof c === 'string' ? c : withoutParent(c));
  for (const c of copy.children) if (typeof c !== 'string') c.parent = copy;
  return copy;
}

/** A copy without the `scansion:*` attributes (what is actually sent). */
export function withoutScansionAttrs(el: Element): Element {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(el.attrs as Record<string, string>)) {
    if (!k.startsWith('scansion:') && k !== 'xmlns:scansion') attrs[k] = v;
  }
  const copy = new Element(el.name, attrs);
  for (const c of el.children) copy.children.push(typeof c === 'string' ? c : withoutScansionAttrs(c));
  for (const c of copy.children) if (typeof c !== 'string') c.parent = copy;
  return copy;
}
