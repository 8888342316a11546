// Decoding of character data and attribute values for the tokenizer:
// references (XML 1.0 §4.1, restricted by RFC 6120 §11.1 to character
// references and the five predefined entities), end-of-line handling (§2.11),
// attribute-value normalisation (§3.3.3) and ']]>' in text (§2.4). The
// scanner decides where text ends; this turns buf[start..stop) into a string.
import { isNameStart, isXmlChar, nameEnd } from './xml-chars.js';

/** Longest reference accepted between '&' and ';' (covers &#x0010FFFF; and names). */
const MAX_REF = 32;
/** "Not found" in the search caches: beyond any buffer index. */
const NONE = 0x3fffffff;

/**
 * Decoder over the tokenizer's current input buffer. It caches "next
 * occurrence at or after" positions of '&', CR and ']]>' so that text cut into
 * many small pieces (between tags) is searched once, not once per piece; the
 * tokenizer calls {@link CharData.invalidate} whenever the buffer changes.
 * Errors are reported through `fail` and signalled by a null result.
 */
export class CharData {
  readonly #fail: (condition: string, text: string) => false;
  #nextAmp = -1;
  #nextCr = -1;
  #nextCdEnd = -1;
  /** Index of ';' of the last reference decoded by #ref(). */
  #refEnd = 0;

  constructor(fail: (condition: string, text: string) => false) {
    this.#fail = fail;
  }

  /** The buffer changed: forget the cached positions. */
  invalidate(): void {
    this.#nextAmp = this.#nextCr = this.#nextCdEnd = -1;
  }

  /** Index of the next ']]>' at or after `from`, or a number beyond the buffer. */
  cdataEnd(buf: string, from: number): number {
    let cd = this.#nextCdEnd;
    if (cd < from) {
      cd = buf.indexOf(']]>', from);
      this.#nextCdEnd = cd = cd === -1 ? NONE : cd;
    }
    return cd;
  }

  /**
   * The input ends at `end` inside text (`text`) or an attribute value that
   * began at `start`: where the part that can be decoded now ends. Held back
   * for the next chunk: an unterminated reference, a CR (maybe half of CRLF,
   * XML 1.0 §2.11) and, in text, ']' (maybe the start of ']]>', §2.4).
   */
  decodableEnd(buf: string, start: number, end: number, text: boolean): number {
    const lim = end - MAX_REF > start ? end - MAX_REF : start;
    for (let i = end - 1; i >= lim; i--) {
      const c = buf.charCodeAt(i);
      if (c === 0x3b) break;
      if (c === 0x26) return i;
    }
    let stop = end;
    for (let k = text ? 2 : 1; k > 0 && stop > start; k--) {
      const c = buf.charCodeAt(stop - 1);
      if (c !== 0x0d && (!text || c !== 0x5d)) break;
      stop--;
    }
    return stop;
  }

  /** Character data buf[start..stop): references and line ends decoded; null after an error. */
  text(buf: string, start: number, stop: number): string | null {
    // XML 1.0 §2.4: ']]>' must not appear in character data.
    if (this.cdataEnd(buf, start) + 3 <= stop) {
      this.#fail('not-well-formed', "']]>' is not allowed in character data");
      return null;
    }
    let amp = this.#nextAmp;
    if (amp < start) {
      amp = buf.indexOf('&', start);
      this.#nextAmp = amp = amp === -1 ? NONE : amp;
    }
    const cr = this.#crFrom(buf, start);
    const first = amp < cr ? amp : cr;
    if (first >= stop) return buf.slice(start, stop);
    let out = '';
    let last = start;
    for (let i = first; i < stop; i++) {
      const c = buf.charCodeAt(i);
      if (c === 0x26) {
        const r = this.#ref(buf, i, stop);
        if (r === null) return null;
        out += buf.slice(last, i) + r;
        i = this.#refEnd;
        last = i + 1;
      } else if (c === 0x0d) {
        // XML 1.0 §2.11 end-of-line handling
        out += buf.slice(last, i) + '\n';
        if (i + 1 < stop && buf.charCodeAt(i + 1) === 0x0a) i++;
        last = i + 1;
      }
    }
    return out + buf.slice(last, stop);
  }

  /** CDATA section content buf[start..stop): only end-of-line normalisation (XML 1.0 §2.11). */
  cdata(buf: string, start: number, stop: number): string {
    const cr = this.#crFrom(buf, start);
    if (cr >= stop) return buf.slice(start, stop);
    let out = '';
    let last = start;
    for (let i = cr; i < stop; i++) {
      if (buf.charCodeAt(i) !== 0x0d) continue;
      out += buf.slice(last, i) + '\n';
      if (i + 1 < stop && buf.charCodeAt(i + 1) === 0x0a) i++;
      last = i + 1;
    }
    return out + buf.slice(last, stop);
  }

  /** Attribute value buf[vs..ve): references, no '<', whitespace normalised (XML 1.0 §3.3.3); null after an error. */
  attrValue(buf: string, vs: number, ve: number): string | null {
    let i = vs;
    for (; i < ve; i++) {
      const c = buf.charCodeAt(i);
      if (c < 0x3d && (c === 0x3c || c === 0x26 || c < 0x20)) break;
    }
    if (i === ve) return buf.slice(vs, ve);
    let out = '';
    let last = vs;
    for (; i < ve; i++) {
      const c = buf.charCodeAt(i);
      if (c >= 0x3d) continue;
      if (c === 0x3c) {
        this.#fail('not-well-formed', "'<' is not allowed in attribute values");
        return null;
      }
      if (c === 0x26) {
        const r = this.#ref(buf, i, ve);
        if (r === null) return null;
        out += buf.slice(last, i) + r;
        i = this.#refEnd;
        last = i + 1;
      } else if (c < 0x20) {
        out += buf.slice(last, i) + ' ';
        if (c === 0x0d && i + 1 < ve && buf.charCodeAt(i + 1) === 0x0a) i++;
        last = i + 1;
      }
    }
    return out + buf.slice(last, ve);
  }

  #crFrom(buf: string, from: number): number {
    let cr = this.#nextCr;
    if (cr < from) {
      cr = buf.indexOf('\r', from);
      this.#nextCr = cr = cr === -1 ? NONE : cr;
    }
    return cr;
  }

  /**
   * Decode the reference starting at buf[a] === '&' (ending before `stop`).
   * RFC 6120 §11.1: only the five predefined entities and character references.
   */
  #ref(buf: string, a: number, stop: number): string | null {
    const lim = a + MAX_REF + 1 < stop ? a + MAX_REF + 1 : stop;
    let semi = -1;
    for (let i = a + 1; i < lim; i++) {
      if (buf.charCodeAt(i) === 0x3b) { semi = i; break; }
    }
    if (semi === -1) {
      this.#fail('not-well-formed', "'&' must start a reference ending in ';' (escape it as &amp;)");
      return null;
    }
    this.#refEnd = semi;
    const c1 = buf.charCodeAt(a + 1);
    if (c1 === 0x23) {
      // XML 1.0 §4.1 CharRef
      let i = a + 2;
      const hex = buf.charCodeAt(i) === 0x78;
      if (hex) i++;
      let v = 0;
      if (i === semi) v = -1;
      for (; i < semi && v >= 0; i++) {
        const c = buf.charCodeAt(i);
        let d: number;
        if (c >= 0x30 && c <= 0x39) d = c - 0x30;
        else if (hex && c >= 0x61 && c <= 0x66) d = c - 0x57;
        else if (hex && c >= 0x41 && c <= 0x46) d = c - 0x37;
        else { v = -1; break; }
        v = v * (hex ? 16 : 10) + d;
        if (v > 0x10ffff) v = 0x110000;
      }
      if (v < 0) {
        this.#fail('not-well-formed', 'malformed character reference');
        return null;
      }
      if (!isXmlChar(v)) {
        this.#fail('not-well-formed', `character reference ${buf.slice(a, semi + 1)} is not an XML character (XML 1.0 §2.2)`);
        return null;
      }
      return String.fromCodePoint(v);
    }
    // XML 1.0 §4.6 predefined entities
    const n = semi - a - 1;
    if (n === 2) {
      const c2 = buf.charCodeAt(a + 2);
      if (c2 === 0x74 && c1 === 0x6c) return '<';
      if (c2 === 0x74 && c1 === 0x67) return '>';
    } else if (n === 3) {
      if (buf.startsWith('amp', a + 1)) return '&';
    } else if (n === 4) {
      if (buf.startsWith('quot', a + 1)) return '"';
      if (buf.startsWith('apos', a + 1)) return "'";
    }
    if (n > 0 && isNameStart(c1) && nameEnd(buf, a + 2, semi) === semi) {
      this.#fail('restricted-xml', `entity reference ${buf.slice(a, semi + 1)} is not allowed (RFC 6120 §11.1)`);
    } else {
      this.#fail('not-well-formed', "'&' must start a reference ending in ';' (escape it as &amp;)");
    }
    return null;
  }
}
