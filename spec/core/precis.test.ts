/**
 * Tests for lib/core/precis.ts and precis-classes.ts: the RFC 8264 §8 derived property of
 * every code point, the contextual rules and the Bidi Rule, the UsernameCaseMapped and
 * OpaqueString profiles (RFC 8265 examples) and the JID parts (RFC 7622 §3.5 examples).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  PrecisError,
  approximateBidiClass,
  classValue,
  classViolation,
  derivedProperty,
  isVirama,
  localpart,
  opaqueString,
  precisCategory,
  resourcepart,
  tryLocalpart,
  tryResourcepart,
  tryUsernameCaseMapped,
  usernameCaseMapped,
} from '../../lib/core/precis.js';
import type { DerivedProperty, PrecisCategory } from '../../lib/core/precis.js';

/** Assert that `fn` throws a PrecisError whose reason names `codePoint` as U+XXXX. */
function refuses(fn: () => unknown, codePoint?: number): PrecisError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof PrecisError, `expected a PrecisError, got ${String(caught)}`);
  if (codePoint !== undefined) {
    const hex = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
    assert.ok(caught.reason.includes(hex), `reason '${caught.reason}' should name ${hex}`);
    assert.equal(caught.codePoint, codePoint);
  }
  return caught;
}

// Derived property counts per Unicode version, from an independent derivation of the PRECIS
// tables from the UCD ("PRECIS Framework Unicode Update Analysis"); 14.0 also matches
// draft-nemoto-precis-unicode14.
const COUNTS: Record<string, Record<DerivedProperty, number>> = {
  '14.0': { PVALID: 130627, 'ID_DIS or FREE_PVAL': 13248, CONTEXTJ: 2, CONTEXTO: 25, DISALLOWED: 140442, UNASSIGNED: 829768 },
  '15.0': { PVALID: 134975, 'ID_DIS or FREE_PVAL': 13382, CONTEXTJ: 2, CONTEXTO: 25, DISALLOWED: 140449, UNASSIGNED: 825279 },
  '16.0': { PVALID: 140020, 'ID_DIS or FREE_PVAL': 14149, CONTEXTJ: 2, CONTEXTO: 25, DISALLOWED: 140449, UNASSIGNED: 819467 },
  '17.0': { PVALID: 144715, 'ID_DIS or FREE_PVAL': 14257, CONTEXTJ: 2, CONTEXTO: 25, DISALLOWED: 140449, UNASSIGNED: 814664 },
};

// [code point, category, value] per rule of RFC 8264 §8, including ones that test the order
const KNOWN: Array<[number, PrecisCategory, DerivedProperty]> = [
  [0x00df, 'Exceptions', 'PVALID'], [0x03c2, 'Exceptions', 'PVALID'], [0x00b7, 'Exceptions', 'CONTEXTO'],
  [0x0661, 'Exceptions', 'CONTEXTO'], [0x06f5, 'Exceptions', 'CONTEXTO'], [0x0640, 'Exceptions', 'DISALLOWED'],
  [0x3033, 'Exceptions', 'DISALLOWED'], [0x0378, 'Unassigned', 'UNASSIGNED'],
  [0xe0080, 'Unassigned', 'UNASSIGNED'], // Cn and Default_Ignorable: Unassigned comes first
  [0x0041, 'ASCII7', 'PVALID'], [0x007e, 'ASCII7', 'PVALID'], [0x200c, 'JoinControl', 'CONTEXTJ'],
  [0x200d, 'JoinControl', 'CONTEXTJ'], [0x1100, 'OldHangulJamo', 'DISALLOWED'],
  [0x115f, 'OldHangulJamo', 'DISALLOWED'], // also Default_Ignorable: OldHangulJamo comes first
  [0xd7fb, 'OldHangulJamo', 'DISALLOWED'], [0x200b, 'PrecisIgnorableProperties', 'DISALLOWED'],
  [0x00ad, 'PrecisIgnorableProperties', 'DISALLOWED'], [0x202e, 'PrecisIgnorableProperties', 'DISALLOWED'],
  [0x2066, 'PrecisIgnorableProperties', 'DISALLOWED'], [0xfffe, 'PrecisIgnorableProperties', 'DISALLOWED'],
  [0x10ffff, 'PrecisIgnorableProperties', 'DISALLOWED'], [0xfdd0, 'PrecisIgnorableProperties', 'DISALLOWED'],
  [0x0000, 'Controls', 'DISALLOWED'], [0x0009, 'Controls', 'DISALLOWED'], [0x0085, 'Controls', 'DISALLOWED'],
  [0xff21, 'HasCompat', 'ID_DIS or FREE_PVAL'], [0x2163, 'HasCompat', 'ID_DIS or FREE_PVAL'],
  [0x212a, 'HasCompat', 'ID_DIS or FREE_PVAL'], [0x00a0, 'HasCompat', 'ID_DIS or FREE_PVAL'],
  [0x00e9, 'LetterDigits', 'PVALID'], [0xac00, 'LetterDigits', 'PVALID'], [0x0301, 'LetterDigits', 'PVALID'],
  [0x0966, 'LetterDigits', 'PVALID'], [0x1f88, 'OtherLetterDigits', 'ID_DIS or FREE_PVAL'],
  [0x16ee, 'OtherLetterDigits', 'ID_DIS or FREE_PVAL'], [0x20dd, 'OtherLetterDigits', 'ID_DIS or FREE_PVAL'],
  [0x0020, 'Spaces', 'ID_DIS or FREE_PVAL'], [0x1680, 'Spaces', 'ID_DIS or FREE_PVAL'],
  [0x2665, 'Symbols', 'ID_DIS or FREE_PVAL'], [0x2603, 'Symbols', 'ID_DIS or FREE_PVAL'],
  [0x20ac, 'Symbols', 'ID_DIS or FREE_PVAL'], [0x2014, 'Punctuation', 'ID_DIS or FREE_PVAL'],
  [0x00bf, 'Punctuation', 'ID_DIS or FREE_PVAL'], [0xd800, 'Other', 'DISALLOWED'],
  [0xe000, 'Other', 'DISALLOWED'], [0x2028, 'Other', 'DISALLOWED'], [0x0600, 'Other', 'DISALLOWED'],
];

describe('PRECIS derived property (RFC 8264 §8)', () => {
  it('walks every code point 0..0x10FFFF in a few seconds with the published counts and known values', () => {
    const started = performance.now();
    const counts: Record<string, number> = {};
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      const value = derivedProperty(cp);
      counts[value] = (counts[value] ?? 0) + 1;
    }
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 5000, `took ${elapsed} ms`);
    assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), 0x110000);
    assert.equal(counts.CONTEXTJ, 2);
    assert.equal(counts.CONTEXTO, 25); // the 5 + 20 of RFC 5892 §2.6
    const version = process.versions.unicode ?? '';
    const expected = COUNTS[version];
    if (expected) assert.deepEqual(counts, expected, `Unicode ${version}`);
    for (const [cp, category, value] of KNOWN) {
      assert.equal(precisCategory(cp), category, `category of U+${cp.toString(16)}`);
      assert.equal(derivedProperty(cp), value, `value of U+${cp.toString(16)}`);
    }
    assert.throws(() => derivedProperty(0x110000), RangeError);
  });

  it('accepts a one-code-point string exactly when its class value allows it, for every code point', () => {
    // classViolation() first tries a whole-string shortcut (regexes and one NFKC comparison);
    // this checks that the shortcut never accepts what the per-code-point rules refuse.
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      const s = String.fromCodePoint(cp);
      for (const stringClass of ['IdentifierClass', 'FreeformClass'] as const) {
        const value = classValue(cp, stringClass);
        // alone, only the Arabic-Indic digits satisfy their contextual rule (A.8, A.9)
        const valid = value === 'PVALID' || value === 'FREE_PVAL' || (value === 'CONTEXTO' && /[\u0660-\u0669\u06f0-\u06f9]/.test(s));
        if ((classViolation(s, stringClass) === undefined) !== valid) assert.fail(`U+${cp.toString(16)} in the ${stringClass}`);
      }
    }
  });

  it('gives ID_DIS in the IdentifierClass and FREE_PVAL in the FreeformClass (§4.2, §4.3)', () => {
    assert.equal(classValue(0x2665, 'IdentifierClass'), 'ID_DIS');
    assert.equal(classValue(0x2665, 'FreeformClass'), 'FREE_PVAL');
    assert.equal(classValue(0x0061, 'FreeformClass'), 'PVALID');
    assert.equal(classValue(0x200b, 'FreeformClass'), 'DISALLOWED');
    assert.equal(classValue(0x0378, 'IdentifierClass'), 'UNASSIGNED');
  });

  it('finds the viramas (Canonical_Combining_Class 9) through canonical ordering', () => {
    // every ccc=9 code point of UnicodeData 14.0
    const ucd14 = [
      0x94d, 0x9cd, 0xa4d, 0xacd, 0xb4d, 0xbcd, 0xc4d, 0xccd, 0xd3b, 0xd3c, 0xd4d, 0xdca, 0xe3a, 0xeba, 0xf84,
      0x1039, 0x103a, 0x1714, 0x1715, 0x1734, 0x17d2, 0x1a60, 0x1b44, 0x1baa, 0x1bab, 0x1bf2, 0x1bf3, 0x2d7f,
      0xa806, 0xa82c, 0xa8c4, 0xa953, 0xa9c0, 0xaaf6, 0xabed, 0x10a3f, 0x11046, 0x11070, 0x1107f, 0x110b9,
      0x11133, 0x11134, 0x111c0, 0x11235, 0x112ea, 0x1134d, 0x11442, 0x114c2, 0x115bf, 0x1163f, 0x116b6,
      0x1172b, 0x11839, 0x1193d, 0x1193e, 0x119e0, 0x11a34, 0x11a47, 0x11a99, 0x11c3f, 0x11d44, 0x11d45, 0x11d97,
    ];
    for (const cp of ucd14) assert.ok(isVirama(cp), `U+${cp.toString(16)} is a virama`);
    // nukta (7), kana voicing (8), sheva (10), acute (230), a letter, a decomposable letter
    for (const cp of [0x093c, 0x3099, 0x05b0, 0x0301, 0x0915, 0x00e9]) assert.equal(isVirama(cp), false);
    let total = 0;
    for (let cp = 0; cp <= 0x1ffff; cp++) if (/^\p{M}$/u.test(String.fromCodePoint(cp)) && isVirama(cp)) total++;
    assert.ok(total >= ucd14.length && total < ucd14.length + 20, `${total} viramas`);
  });

  it('approximates Bidi_Class for the Bidi Rule', () => {
    const cases: Array<[number, string]> = [
      [0x61, 'L'], [0xe9, 'L'], [0x436, 'L'], [0x5c71, 'L'], [0x966, 'L'], [0x2b0, 'L'], [0x5d0, 'R'],
      [0x5f3, 'R'], [0x7ca, 'R'], [0x627, 'AL'], [0x6fd, 'AL'], [0x31, 'EN'], [0x6f1, 'EN'], [0xb2, 'EN'],
      [0x661, 'AN'], [0x66b, 'AN'], [0x301, 'NSM'], [0x5b4, 'NSM'], [0x64b, 'NSM'], [0x2b, 'ES'], [0x2d, 'ES'],
      [0x2c, 'CS'], [0x2e, 'CS'], [0x3a, 'CS'], [0xa0, 'CS'], [0x23, 'ET'], [0x20ac, 'ET'], [0x21, 'ON'],
      [0xb7, 'ON'], [0x30fb, 'ON'], [0x2b9, 'ON'], [0x200c, 'BN'], [0x20, 'WS'], [0x0a, 'B'], [0x09, 'S'],
    ];
    for (const [cp, bidi] of cases) assert.equal(approximateBidiClass(cp), bidi, `U+${cp.toString(16)}`);
  });
});

describe('UsernameCaseMapped (RFC 8265 §3.3)', () => {
  it('accepts the legal usernames of RFC 8265 §3.5 (Table 3)', () => {
    assert.equal(usernameCaseMapped('juliet@example.com'), 'juliet@example.com');
    assert.equal(usernameCaseMapped('Juliet@Example.COM'), 'juliet@example.com');
    assert.equal(usernameCaseMapped('fussball'), 'fussball');
    assert.equal(usernameCaseMapped('fu\u00dfball'), 'fu\u00dfball'); // toLowerCase keeps ß (no folding to ss)
    assert.equal(usernameCaseMapped('\u03c0'), '\u03c0');
    assert.equal(usernameCaseMapped('\u03a3'), '\u03c3');
    assert.equal(usernameCaseMapped('\u03c3'), '\u03c3');
    assert.equal(usernameCaseMapped('\u03c2'), '\u03c2');
  });

  it('refuses the strings of RFC 8265 §3.5 (Table 4) with a reason naming the code point', () => {
    refuses(() => usernameCaseMapped('foo bar'), 0x20);
    assert.match(refuses(() => usernameCaseMapped('')).reason, /empty/);
    refuses(() => usernameCaseMapped('henry\u2163'), 0x2163);
    refuses(() => usernameCaseMapped('\u2663'), 0x2663);
  });

  it('maps fullwidth and halfwidth forms, lower-cases and normalises to NFC', () => {
    assert.equal(usernameCaseMapped('\uff21\uff2c\uff29\uff23\uff25'), 'alice');
    assert.equal(usernameCaseMapped('\uff76\uff9e'), '\u30ac'); // halfwidth KA + voicing mark → GA
    assert.equal(usernameCaseMapped('Jos\u00e9'), 'jos\u00e9');
    assert.equal(usernameCaseMapped('Jose\u0301'), 'jos\u00e9');
    assert.equal(usernameCaseMapped('\u00c9'), usernameCaseMapped('E\u0301'));
    refuses(() => usernameCaseMapped('\u212aelvin'), 0x212a); // KELVIN SIGN: HasCompat, refused before case mapping
  });

  it('lower-cases Greek sigma the way toLowerCase() does (Final_Sigma context)', () => {
    // toLowerCase() maps Σ to final ς at the end of a word and to σ elsewhere; ς is PVALID
    // (RFC 5892 §2.6), lower-case input is left alone, so "ΣΑΣ" and "σασ" stay different users.
    assert.equal(usernameCaseMapped('\u03a3\u0391\u03a3'), '\u03c3\u03b1\u03c2');
    assert.equal(usernameCaseMapped('\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3'), '\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c2');
    assert.equal(usernameCaseMapped('\u03c3\u03b1\u03c3'), '\u03c3\u03b1\u03c3');
    assert.notEqual(usernameCaseMapped('\u03a3\u0391\u03a3'), usernameCaseMapped('\u03c3\u03b1\u03c3'));
  });

  it('applies the Bidi Rule (RFC 5893 §2) to strings with right-to-left code points', () => {
    assert.equal(usernameCaseMapped('\u0645\u062d\u0645\u062f'), '\u0645\u062d\u0645\u062f'); // Arabic
    assert.equal(usernameCaseMapped('\u05e9\u05dc\u05d5\u05dd'), '\u05e9\u05dc\u05d5\u05dd'); // Hebrew
    assert.equal(usernameCaseMapped('\u05e9\u05dc\u05d5\u05dd1'), '\u05e9\u05dc\u05d5\u05dd1'); // ends with EN
    assert.equal(usernameCaseMapped('\u0645\u062d\u0645\u062f\u064c'), '\u0645\u062d\u0645\u062f\u064c'); // then NSM
    assert.match(refuses(() => usernameCaseMapped('\u05e9\u05dc\u05d5\u05ddA'), 0x61).reason, /rule 2/);
    assert.match(refuses(() => usernameCaseMapped('a\u05e9\u05dc\u05d5\u05dd'), 0x5e9).reason, /rule 5/);
    assert.match(refuses(() => usernameCaseMapped('1\u05e9\u05dc\u05d5\u05dd'), 0x31).reason, /rule 1/);
    assert.match(refuses(() => usernameCaseMapped('\u05e9\u05dc\u05d5\u05dd!'), 0x21).reason, /rule 3/);
    assert.match(refuses(() => usernameCaseMapped('\u0628' + '1\u0661')).reason, /rule 4/);
    // RFC 5893 §1.4: AN alone makes a string right-to-left, and then must not come first
    assert.match(refuses(() => usernameCaseMapped('\u0661\u0662')).reason, /rule 1/);
    assert.equal(tryUsernameCaseMapped('\u0628\u0661\u0662'), '\u0628\u0661\u0662');
  });

  it('checks the contextual rules of RFC 5892 Appendix A', () => {
    assert.equal(usernameCaseMapped('col\u00b7lega'), 'col\u00b7lega'); // A.3 MIDDLE DOT between l and l
    refuses(() => usernameCaseMapped('co\u00b7lega'), 0xb7);
    assert.equal(usernameCaseMapped('\u0375\u03b1'), '\u0375\u03b1'); // A.4 keraia before Greek
    refuses(() => usernameCaseMapped('\u0375a'), 0x375);
    assert.equal(usernameCaseMapped('\u05d0\u05f3'), '\u05d0\u05f3'); // A.5 geresh after Hebrew
    refuses(() => usernameCaseMapped('a\u05f4'), 0x5f4);
    assert.equal(usernameCaseMapped('\u30ab\u30fb\u30ab'), '\u30ab\u30fb\u30ab'); // A.7 with Katakana
    refuses(() => usernameCaseMapped('a\u30fbb'), 0x30fb);
    refuses(() => usernameCaseMapped('\u0628\u0661\u06f2'), 0x661); // A.8 digits mixed with extended
    assert.equal(usernameCaseMapped('\u0915\u094d\u200d\u0937'), '\u0915\u094d\u200d\u0937'); // A.2 ZWJ after virama
    assert.equal(usernameCaseMapped('\u0915\u094d\u200c\u0937'), '\u0915\u094d\u200c\u0937'); // A.1 ZWNJ after virama
    refuses(() => usernameCaseMapped('a\u200db'), 0x200d);
    // A.1's Joining_Type branch is not implemented (no such JS property): a Persian ZWNJ is refused
    refuses(() => usernameCaseMapped('\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645'), 0x200c);
  });

  it('is idempotent', () => {
    for (const s of ['ＡＬＩＣＥ', 'ΣΑΣ', 'Jose\u0301', '\uff76\uff9e', 'İstanbul', '\u05e9\u05dc\u05d5\u05dd1', 'col·lega']) {
      const once = usernameCaseMapped(s);
      assert.equal(usernameCaseMapped(once), once, s);
    }
  });
});

describe('localpart (RFC 7622 §3.3)', () => {
  it('accepts the localparts of RFC 7622 §3.5 Table 1', () => {
    const cases: Array<[string, string]> = [
      ['juliet', 'juliet'], ['foo\\20bar', 'foo\\20bar'], ['fussball', 'fussball'],
      ['fu\u00dfball', 'fu\u00dfball'], ['\u03c0', '\u03c0'], ['\u03a3', '\u03c3'], ['\u03c3', '\u03c3'],
      ['\u03c2', '\u03c2'], ['king', 'king'],
    ];
    for (const [input, output] of cases) assert.equal(localpart(input), output, input);
  });

  it('refuses the localparts of RFC 7622 §3.5 Table 2', () => {
    refuses(() => localpart('"juliet"'), 0x22);
    refuses(() => localpart('foo bar'), 0x20);
    refuses(() => localpart('')); // "@example.com/"
    refuses(() => localpart('henry\u2163'), 0x2163);
    refuses(() => localpart('\u265a'), 0x265a);
  });

  it('refuses the look-alike accounts of the attack run and maps fullwidth ones', () => {
    assert.equal(localpart('\uff41\uff4c\uff49\uff43\uff45'), 'alice');
    assert.equal(localpart('ＡＬＩＣＥ'), 'alice');
    const refused: Array<[string, number]> = [
      ['ali\u200bce', 0x200b], ['ali\u00adce', 0xad], ['a b', 0x20], ['al\u2028ice', 0x2028],
      ['alice\uffff', 0xffff], ['\u2665alice', 0x2665], ['ali\u202ece', 0x202e], ['al\uD800ice', 0xd800],
    ];
    for (const [input, cp] of refused) {
      const err = refuses(() => localpart(input), cp);
      assert.equal(err.profile, 'localpart');
      assert.equal(tryLocalpart(input), undefined, JSON.stringify(input));
    }
  });

  it('refuses the characters of RFC 7622 §3.3.1 on the ASCII and the Unicode path', () => {
    for (const ch of '"&\'/:<>@') {
      refuses(() => localpart(`a${ch}b`), ch.charCodeAt(0));
      refuses(() => localpart(`\u00e9${ch}b`), ch.charCodeAt(0));
      assert.equal(tryLocalpart(`\uff41${ch}`), undefined);
    }
    refuses(() => localpart('a\uff20b'), 0x40); // FULLWIDTH COMMERCIAL AT becomes "@" first
    assert.equal(usernameCaseMapped('a@b'), 'a@b'); // the profile alone allows them
  });

  it('limits localparts to 1023 octets of UTF-8', () => {
    assert.equal(tryLocalpart('a'.repeat(1023))?.length, 1023);
    assert.equal(tryLocalpart('a'.repeat(1024)), undefined);
    assert.equal(tryLocalpart('\u00e9'.repeat(511))?.length, 511); // 1022 octets
    assert.equal(tryLocalpart('\u00e9'.repeat(512)), undefined); // 1024 octets
    assert.equal(tryLocalpart('\uff41'.repeat(1023)), 'a'.repeat(1023)); // limit applies after mapping
    assert.match(refuses(() => localpart('\u00e9'.repeat(100000))).reason, /1023/);
  });

  it('gives the same result on the ASCII fast path as on the full path', () => {
    for (let c = 0; c < 0x80; c++) {
      const ch = String.fromCharCode(c);
      const fast = tryLocalpart(`X${ch}y`);
      const full = tryLocalpart(`X${ch}y\u00e9`); // the é forces the Unicode path
      assert.equal(full, fast === undefined ? undefined : `${fast}\u00e9`, `U+${c.toString(16)}`);
      const fastR = tryResourcepart(`X${ch}y`);
      const fullR = tryResourcepart(`X${ch}y\u00e9`);
      assert.equal(fullR, fastR === undefined ? undefined : `${fastR}\u00e9`, `U+${c.toString(16)}`);
    }
  });

  it('returns undefined for a non-string in the try variants', () => {
    assert.equal(tryLocalpart(undefined as unknown as string), undefined);
    assert.equal(tryResourcepart(null as unknown as string), undefined);
    assert.ok(refuses(() => localpart(42 as unknown as string)) instanceof Error);
  });
});

describe('OpaqueString (RFC 8265 §4.2) and resourcepart (RFC 7622 §3.4)', () => {
  it('accepts the legal passwords of RFC 8265 §4.3 (Table 5)', () => {
    assert.equal(opaqueString('correct horse battery staple'), 'correct horse battery staple');
    assert.equal(opaqueString('Correct Horse Battery Staple'), 'Correct Horse Battery Staple');
    assert.equal(opaqueString('\u03c0\u00df\u00e5'), '\u03c0\u00df\u00e5');
    assert.equal(opaqueString('Jack of \u2666s'), 'Jack of \u2666s');
    assert.equal(opaqueString('foo\u1680bar'), 'foo bar');
  });

  it('refuses the passwords of RFC 8265 §4.3 (Table 6)', () => {
    assert.match(refuses(() => opaqueString('')).reason, /empty/);
    refuses(() => opaqueString('my cat is a \u0009by'), 0x09);
  });

  it('accepts the resourceparts of RFC 7622 §3.5 Table 1', () => {
    for (const r of ['foo', 'foo bar', 'foo@bar', '\u265a', 'foobar', 'b@example.net']) assert.equal(resourcepart(r), r);
    // Table 2 row 18 lists "juliet@example.com/ foo" as invalid, but no rule of RFC 7622 or
    // RFC 8265 refuses a leading space (OpaqueString allows U+0020), so it is accepted.
    assert.equal(resourcepart(' foo'), ' foo');
    refuses(() => resourcepart('')); // "juliet@example.com/" and "@example.com/"
  });

  it('allows symbols and spaces, maps non-ASCII spaces, normalises to NFC, keeps case', () => {
    assert.equal(resourcepart('phone \u2603'), 'phone \u2603');
    assert.equal(resourcepart('\u00a0x'), ' x');
    assert.equal(resourcepart('a\u3000b\u2009c'), 'a b c');
    assert.equal(resourcepart('Cafe\u0301'), 'Caf\u00e9');
    assert.equal(resourcepart('\uff21'), '\uff21'); // no width mapping in OpaqueString
    assert.equal(resourcepart('l\u00b7l'), 'l\u00b7l');
  });

  it('refuses bidi controls, invisible characters, controls and unassigned code points', () => {
    const refused: Array<[string, number]> = [
      ['\u202ephone', 0x202e], ['pho\u2066ne', 0x2066], ['a\u202ab', 0x202a], ['a\u2069', 0x2069],
      ['ali\u200bce', 0x200b], ['ali\u00adce', 0xad], ['a\u0000b', 0x00], ['a\u0007b', 0x07], ['a\nb', 0x0a],
      ['a\u007f', 0x7f], ['a\u0085', 0x85], ['x\u0378', 0x378], ['x\uD800', 0xd800], ['x\uE000', 0xe000],
      ['a\u00b7b', 0xb7], ['\u{1F468}\u200d\u{1F469}', 0x200d],
    ];
    for (const [input, cp] of refused) {
      refuses(() => resourcepart(input), cp);
      assert.equal(tryResourcepart(input), undefined, JSON.stringify(input));
    }
  });

  it('limits resourceparts to 1023 octets of UTF-8', () => {
    assert.equal(tryResourcepart('r'.repeat(1023))?.length, 1023);
    assert.equal(tryResourcepart('r'.repeat(1024)), undefined);
    assert.equal(tryResourcepart('\u2603'.repeat(341))?.length, 341); // 1023 octets
    assert.equal(tryResourcepart('\u2603'.repeat(342)), undefined);
  });
});
