// Character classes of XML 1.0 (5th edition) used by the tokenizer: Char
// (§2.2), NameStartChar / NameChar (§2.3), and the characters that may never
// appear in a document at all. Pure functions over UTF-16 code units.

// XML 1.0 §2.2 Char: C0 controls other than TAB/LF/CR and U+FFFE/U+FFFF are never allowed.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const INVALID_CHARS = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
// Same, plus unpaired surrogates (in /u mode a surrogate class only matches lone halves).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const INVALID_CHARS_U = /[\x00-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]/u;

// ASCII character classes (XML 1.0 §2.3 NameStartChar / NameChar).
const NAME_START = 1;
const NAME_CHAR = 2;
const CC = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x3a;
  const other = (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e;
  CC[c] = letter ? NAME_START | NAME_CHAR : other ? NAME_CHAR : 0;
}

// XML 1.0 (5th ed.) §2.3 NameStartChar above ASCII. Surrogates are accepted as
// halves of supplementary characters (#x10000-#xEFFFF); lone ones are rejected earlier.
function isNameStartHi(c: number): boolean {
  return (c >= 0xc0 && c <= 0xd6) || (c >= 0xd8 && c <= 0xf6) || (c >= 0xf8 && c <= 0x2ff) ||
    (c >= 0x370 && c <= 0x37d) || (c >= 0x37f && c <= 0x1fff) || c === 0x200c || c === 0x200d ||
    (c >= 0x2070 && c <= 0x218f) || (c >= 0x2c00 && c <= 0x2fef) || (c >= 0x3001 && c <= 0xdb7f) ||
    (c >= 0xdc00 && c <= 0xdfff) || (c >= 0xf900 && c <= 0xfdcf) || (c >= 0xfdf0 && c <= 0xfffd);
}

// XML 1.0 (5th ed.) §2.3 NameChar above ASCII.
function isNameCharHi(c: number): boolean {
  return isNameStartHi(c) || c === 0xb7 || (c >= 0x300 && c <= 0x36f) || c === 0x203f || c === 0x2040;
}

/** XML 1.0 §2.3 NameStartChar (the code unit `c`; surrogate halves count as name characters). */
export function isNameStart(c: number): boolean {
  return c < 128 ? (CC[c]! & NAME_START) !== 0 : isNameStartHi(c);
}

/** End of the name continuing at buf[i]: the first index in [i, len) that is not a NameChar, else len. */
export function nameEnd(buf: string, i: number, len: number): number {
  for (; i < len; i++) {
    const c = buf.charCodeAt(i);
    if (c < 128) {
      if ((CC[c]! & NAME_CHAR) === 0) return i;
    } else if (!isNameCharHi(c)) {
      return i;
    }
  }
  return i;
}

/** XML 1.0 §2.2 Char, for a code point (e.g. the value of a character reference). */
export function isXmlChar(v: number): boolean {
  return v === 0x9 || v === 0xa || v === 0xd || (v >= 0x20 && v <= 0xd7ff) ||
    (v >= 0xe000 && v <= 0xfffd) || (v >= 0x10000 && v <= 0x10ffff);
}
