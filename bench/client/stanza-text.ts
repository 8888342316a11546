/**
 * @module bench/client/stanza-text
 * Just enough reading of the one-element WebSocket messages of RFC 7395 for a load generator:
 * the element name, an attribute of the start tag, the text inside. No XML parser, on purpose.
 */

/** The framing namespace of RFC 7395 §3.3.2. */
export const NS_FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';

/** The qualified name of the top-level element ('open', 'stream:features', 'message', ...). */
export function elementName(text: string): string {
  let i = text.charCodeAt(0) === 60 ? 1 : text.indexOf('<') + 1;
  const start = i;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // space, tab, CR, LF, '>' and '/' end the name
    if (c === 32 || c === 62 || c === 47 || c === 9 || c === 10 || c === 13) break;
  }
  return text.slice(start, i);
}

/** The local part of a qualified name ('stream:features' -> 'features'). */
export function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon === -1 ? qname : qname.slice(colon + 1);
}

/**
 * The value of an attribute of the top-level start tag, entity references left as they are
 * (the generator only reads JIDs and ids it wrote itself).
 */
export function attribute(text: string, name: string): string | undefined {
  const end = text.indexOf('>');
  const limit = end === -1 ? text.length : end;
  let from = 0;
  while (true) {
    const at = text.indexOf(name, from);
    if (at === -1 || at > limit) return undefined;
    const before = text.charCodeAt(at - 1);
    const eq = at + name.length;
    // a whole attribute name: preceded by whitespace, followed by '='
    if ((before === 32 || before === 9 || before === 10 || before === 13) && text.charCodeAt(eq) === 61) {
      const quote = text[eq + 1];
      if (quote === '"' || quote === "'") {
        const close = text.indexOf(quote, eq + 2);
        return close === -1 ? undefined : text.slice(eq + 2, close);
      }
    }
    from = at + name.length;
  }
}

/** The character data of a leaf element (`<challenge xmlns='...'>abc=</challenge>` -> 'abc='). */
export function innerText(text: string): string {
  const open = text.indexOf('>');
  if (open === -1 || text.charCodeAt(open - 1) === 47) return '';
  const close = text.lastIndexOf('</');
  return close > open ? text.slice(open + 1, close) : '';
}

/** The text of the first `<name>` child found anywhere inside (no nesting of the same name). */
export function childText(text: string, name: string): string | undefined {
  const open = text.indexOf(`<${name}`);
  if (open === -1) return undefined;
  const gt = text.indexOf('>', open);
  if (gt === -1 || text.charCodeAt(gt - 1) === 47) return '';
  const close = text.indexOf(`</${name}>`, gt);
  return close === -1 ? undefined : text.slice(gt + 1, close);
}

/** Escape character data and attribute values. */
export function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
