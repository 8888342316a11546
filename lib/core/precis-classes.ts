/**
 * @module precis-classes
 * The PRECIS string classes (RFC 8264): the derived property value of a code point (§8, with
 * the categories of §9), what it means for the IdentifierClass (§4.2) and the FreeformClass
 * (§4.3), and the contextual rules of RFC 5892 Appendix A that CONTEXTJ/CONTEXTO code points
 * must satisfy. Unicode data comes from the runtime (regex property escapes and ICU
 * normalisation), so the tables follow the Unicode version of the running Node.
 */

/** The category of RFC 8264 §9 that decided a code point's value (the first that matches in §8). */
export type PrecisCategory =
  | 'Exceptions' // §9.6
  | 'BackwardCompatible' // §9.7 (empty; never returned)
  | 'Unassigned' // §9.10
  | 'ASCII7' // §9.11
  | 'JoinControl' // §9.8
  | 'OldHangulJamo' // §9.9
  | 'PrecisIgnorableProperties' // §9.13
  | 'Controls' // §9.12
  | 'HasCompat' // §9.17
  | 'LetterDigits' // §9.1
  | 'OtherLetterDigits' // §9.18
  | 'Spaces' // §9.14
  | 'Symbols' // §9.15
  | 'Punctuation' // §9.16
  | 'Other'; // none of the above: the final "Else DISALLOWED" of §8

/**
 * The derived property value of RFC 8264 §8, independent of the string class.
 * 'ID_DIS or FREE_PVAL' is disallowed in the IdentifierClass and valid in the FreeformClass.
 */
export type DerivedProperty = 'PVALID' | 'ID_DIS or FREE_PVAL' | 'CONTEXTJ' | 'CONTEXTO' | 'DISALLOWED' | 'UNASSIGNED';

export type StringClass = 'IdentifierClass' | 'FreeformClass';

/**
 * The value for one string class. RFC 8264 §8 notes that ID_PVAL and FREE_DIS never occur
 * (every ID_PVAL code point is PVALID, every FREE_DIS one is DISALLOWED), so they are not here.
 */
export type ClassValue = 'PVALID' | 'FREE_PVAL' | 'ID_DIS' | 'CONTEXTJ' | 'CONTEXTO' | 'DISALLOWED' | 'UNASSIGNED';

/** The first code point of a string that its string class refuses. */
export interface ClassViolation {
  readonly codePoint: number;
  readonly reason: string;
}

// RFC 5892 §2.6, the Exceptions (F) table that RFC 8264 §9.6 refers to.
function exceptionValue(cp: number): 'PVALID' | 'CONTEXTO' | 'DISALLOWED' | undefined {
  if (cp < 0xb7 || cp > 0x30fb) return undefined;
  switch (cp) {
    case 0x00df: case 0x03c2: case 0x06fd: case 0x06fe: case 0x0f0b: case 0x3007:
      return 'PVALID';
    case 0x00b7: case 0x0375: case 0x05f3: case 0x05f4: case 0x30fb:
      return 'CONTEXTO';
    case 0x0640: case 0x07fa: case 0x302e: case 0x302f: case 0x303b:
      return 'DISALLOWED';
  }
  if ((cp >= 0x0660 && cp <= 0x0669) || (cp >= 0x06f0 && cp <= 0x06f9)) return 'CONTEXTO';
  if (cp >= 0x3031 && cp <= 0x3035) return 'DISALLOWED';
  return undefined;
}

const GC_UNASSIGNED = /^\p{Cn}$/u;
const JOIN_CONTROL = /^\p{Join_Control}$/u;
const DEFAULT_IGNORABLE = /^\p{Default_Ignorable_Code_Point}$/u;
const LETTER_DIGITS = /^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u; // RFC 5892 §2.1
const OTHER_LETTER_DIGITS = /^[\p{Lt}\p{Nl}\p{No}\p{Me}]$/u;
const SPACES = /^\p{Zs}$/u;
const SYMBOLS = /^[\p{Sm}\p{Sc}\p{Sk}\p{So}]$/u;
const PUNCTUATION = /^[\p{Pc}\p{Pd}\p{Ps}\p{Pe}\p{Pi}\p{Pf}\p{Po}]$/u;

/** Noncharacter_Code_Point: U+FDD0..FDEF and the last two code points of every plane (a fixed set). */
function isNoncharacter(cp: number): boolean {
  return (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe;
}

/** The §9 category that decides the value of `cp`, tested in the order of RFC 8264 §8. */
export function precisCategory(cp: number): PrecisCategory {
  if (!Number.isInteger(cp) || cp < 0 || cp > 0x10ffff) throw new RangeError(`not a code point: ${cp}`);
  if (exceptionValue(cp) !== undefined) return 'Exceptions';
  // BackwardCompatible (§9.7) is empty. ASCII7 (§9.11) is tested before Unassigned (§9.10):
  // the two sets are disjoint, so the result is the same, and ASCII skips the regex.
  if (cp >= 0x21 && cp <= 0x7e) return 'ASCII7';
  const ch = String.fromCodePoint(cp);
  // §9.10: General_Category Cn but not a noncharacter (those go to PrecisIgnorableProperties)
  if (!isNoncharacter(cp) && GC_UNASSIGNED.test(ch)) return 'Unassigned';
  if (JOIN_CONTROL.test(ch)) return 'JoinControl'; // §9.8
  // §9.9: Hangul_Syllable_Type L, V or T. JS has no such property; these three blocks hold
  // exactly the L/V/T jamo (their unassigned slots were already classed Unassigned above).
  if ((cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0xa960 && cp <= 0xa97f) || (cp >= 0xd7b0 && cp <= 0xd7ff)) {
    return 'OldHangulJamo';
  }
  if (isNoncharacter(cp) || DEFAULT_IGNORABLE.test(ch)) return 'PrecisIgnorableProperties'; // §9.13
  if (cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f)) return 'Controls'; // §9.12: Cc is exactly these
  if (ch.normalize('NFKC') !== ch) return 'HasCompat'; // §9.17
  if (LETTER_DIGITS.test(ch)) return 'LetterDigits';
  if (OTHER_LETTER_DIGITS.test(ch)) return 'OtherLetterDigits';
  if (SPACES.test(ch)) return 'Spaces';
  if (SYMBOLS.test(ch)) return 'Symbols';
  if (PUNCTUATION.test(ch)) return 'Punctuation';
  return 'Other';
}

/** The derived property value of `cp` (RFC 8264 §8). */
export function derivedProperty(cp: number): DerivedProperty {
  const category = precisCategory(cp);
  switch (category) {
    case 'Exceptions':
      return exceptionValue(cp) ?? 'DISALLOWED';
    case 'Unassigned':
      return 'UNASSIGNED';
    case 'ASCII7':
    case 'LetterDigits':
    case 'BackwardCompatible':
      return 'PVALID';
    case 'JoinControl':
      return 'CONTEXTJ';
    case 'HasCompat':
    case 'OtherLetterDigits':
    case 'Spaces':
    case 'Symbols':
    case 'Punctuation':
      return 'ID_DIS or FREE_PVAL';
    default:
      return 'DISALLOWED';
  }
}

/** The value of `cp` in one string class: RFC 8264 §4.2 (IdentifierClass), §4.3 (FreeformClass). */
export function classValue(cp: number, stringClass: StringClass): ClassValue {
  const value = derivedProperty(cp);
  if (value !== 'ID_DIS or FREE_PVAL') return value;
  return stringClass === 'FreeformClass' ? 'FREE_PVAL' : 'ID_DIS';
}

/** "U+XXXX", at least four upper-case hex digits. */
export function formatCodePoint(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Canonical_Combining_Class(cp) == 9 (Virama), for the CONTEXTJ rules of RFC 5892 A.1/A.2.
 * JS has no ccc property escape, so the class is read off NFD's canonical reordering, which
 * moves a mark after a following mark of lower non-zero class: a virama sorts after U+3099
 * (ccc 8) and before U+05B0 (ccc 10). This uses the runtime's own normalisation data, so it
 * stays exact when Unicode adds viramas (unlike a hand-made list).
 */
export function isVirama(cp: number): boolean {
  const ch = String.fromCodePoint(cp);
  const kana = '\u3099'; // ccc 8
  const sheva = '\u05b0'; // ccc 10
  if (ch === kana || ch === sheva || ch.normalize('NFD') !== ch) return false; // no virama decomposes
  return (ch + kana).normalize('NFD') === kana + ch && (sheva + ch).normalize('NFD') === ch + sheva;
}

const GREEK = /^\p{Script=Greek}$/u;
const HEBREW = /^\p{Script=Hebrew}$/u;
const HIRAGANA_KATAKANA_HAN = /^[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]$/u;

function scriptIs(re: RegExp, cp: number | undefined): boolean {
  return cp !== undefined && re.test(String.fromCodePoint(cp));
}

/**
 * Whether the contextual rule of the CONTEXTJ/CONTEXTO code point at `cps[i]` holds
 * (RFC 5892 Appendix A; RFC 8264 §4.2.3/§4.3.3 require it in both string classes).
 * ZWNJ only takes the virama branch of A.1: JS cannot tell Joining_Type, so the
 * "between joining letters" branch is not implemented and such a ZWNJ is refused.
 */
export function contextRuleHolds(cps: readonly number[], i: number): boolean {
  const cp = cps[i];
  const before = i > 0 ? cps[i - 1] : undefined;
  const after = cps[i + 1];
  switch (cp) {
    case 0x200c: // A.1 ZERO WIDTH NON-JOINER
    case 0x200d: // A.2 ZERO WIDTH JOINER
      return before !== undefined && isVirama(before);
    case 0x00b7: // A.3 MIDDLE DOT: between two 'l'
      return before === 0x6c && after === 0x6c;
    case 0x0375: // A.4 GREEK LOWER NUMERAL SIGN (KERAIA): followed by Greek
      return scriptIs(GREEK, after);
    case 0x05f3: // A.5 HEBREW PUNCTUATION GERESH: preceded by Hebrew
    case 0x05f4: // A.6 HEBREW PUNCTUATION GERSHAYIM
      return scriptIs(HEBREW, before);
    case 0x30fb: // A.7 KATAKANA MIDDLE DOT: some Hiragana, Katakana or Han in the string
      return cps.some((c) => scriptIs(HIRAGANA_KATAKANA_HAN, c));
  }
  if (cp !== undefined && cp >= 0x0660 && cp <= 0x0669) {
    return !cps.some((c) => c >= 0x06f0 && c <= 0x06f9); // A.8: not mixed with extended digits
  }
  if (cp !== undefined && cp >= 0x06f0 && cp <= 0x06f9) {
    return !cps.some((c) => c >= 0x0660 && c <= 0x0669); // A.9
  }
  return false;
}

/** The code points of a string (lone surrogates come out as themselves). */
export function codePoints(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const cp = s.codePointAt(i) as number;
    out.push(cp);
    if (cp > 0xffff) i++;
  }
  return out;
}

// Whole-string shortcut for classViolation(). A code point in these general categories that
// is not SPECIAL is, by the order of RFC 8264 §8, PVALID (identifier: letters, digits, marks,
// ASCII7, unless HasCompat) or PVALID/FREE_PVAL (freeform: every assigned graphic category).
const IDENTIFIER_CANDIDATES = /^[\x21-\x7e\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]*$/u;
const FREEFORM_CANDIDATES = /^[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]*$/u;
// Default_Ignorable, the CONTEXTO and DISALLOWED Exceptions, and the OldHangulJamo blocks
// (U+302E/302F, combining marks, come first: no-misleading-character-class objects otherwise)
const SPECIAL =
  /[\u302e-\u302f\p{Default_Ignorable_Code_Point}\u00b7\u0375\u05f3\u05f4\u0640\u0660-\u0669\u06f0-\u06f9\u07fa\u1100-\u11ff\u3031-\u3035\u303b\u30fb\ua960-\ua97f\ud7b0-\ud7ff]/u;

function allValidQuick(s: string, stringClass: StringClass): boolean {
  if (stringClass === 'FreeformClass') return FREEFORM_CANDIDATES.test(s) && !SPECIAL.test(s);
  // A code point with NFKC(cp) != cp has NFKC_Quick_Check=No, so no string holding one is in
  // NFKC: one whole-string comparison rules out HasCompat for every code point.
  return IDENTIFIER_CANDIDATES.test(s) && !SPECIAL.test(s) && s.normalize('NFKC') === s;
}

/**
 * The first code point of `s` that `stringClass` does not allow (RFC 8264 §4.2/§4.3: PVALID,
 * FREE_PVAL in the FreeformClass, or CONTEXTJ/CONTEXTO whose rule holds), or undefined.
 */
export function classViolation(s: string, stringClass: StringClass): ClassViolation | undefined {
  if (allValidQuick(s, stringClass)) return undefined;
  const cps = codePoints(s);
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i] as number;
    if (cp >= 0x21 && cp <= 0x7e) continue; // ASCII7: PVALID (§9.11)
    const value = classValue(cp, stringClass);
    if (value === 'PVALID' || value === 'FREE_PVAL') continue;
    if (value === 'CONTEXTJ' || value === 'CONTEXTO') {
      if (contextRuleHolds(cps, i)) continue;
      return { codePoint: cp, reason: `${formatCodePoint(cp)} is ${value} and its contextual rule (RFC 5892 Appendix A) does not hold here` };
    }
    return { codePoint: cp, reason: `${formatCodePoint(cp)} is ${value} (${precisCategory(cp)}) in the ${stringClass}` };
  }
  return undefined;
}

/** The Bidi_Class values that the Bidi Rule (RFC 5893 §2) distinguishes. */
export type BidiClass = 'L' | 'R' | 'AL' | 'EN' | 'AN' | 'ES' | 'CS' | 'ET' | 'ON' | 'BN' | 'NSM' | 'WS' | 'B' | 'S';

// Bidi_Class is not a JS property escape. approximateBidiClass() starts from this list of
// code points whose class its other rules would get wrong (taken from UnicodeData.txt 14.0;
// sorted by first code point, for the binary search).
const BIDI_EXCEPTIONS: ReadonlyArray<readonly [number, number, BidiClass]> = [
  [0x00a0, 0x00a0, 'CS'], [0x00b0, 0x00b1, 'ET'], [0x00b2, 0x00b3, 'EN'], [0x00b9, 0x00b9, 'EN'],
  [0x02b9, 0x02ba, 'ON'], [0x02c2, 0x02cf, 'ON'], [0x02d2, 0x02df, 'ON'], [0x02e5, 0x02ed, 'ON'],
  [0x02ef, 0x02ff, 'ON'], [0x0600, 0x0605, 'AN'], [0x0606, 0x0607, 'ON'], [0x0609, 0x060a, 'ET'],
  [0x060c, 0x060c, 'CS'], [0x060e, 0x060f, 'ON'], [0x0660, 0x0669, 'AN'], [0x066a, 0x066a, 'ET'],
  [0x066b, 0x066c, 'AN'], [0x06dd, 0x06dd, 'AN'], [0x06de, 0x06de, 'ON'], [0x06e9, 0x06e9, 'ON'],
  [0x06f0, 0x06f9, 'EN'], [0x07f6, 0x07f9, 'ON'], [0x0890, 0x0891, 'AN'], [0x08e2, 0x08e2, 'AN'],
  [0x0cbf, 0x0cbf, 'L'], [0x0cc6, 0x0cc6, 'L'], [0x0f0b, 0x0f0b, 'L'], [0x202f, 0x202f, 'CS'],
  [0x2030, 0x2034, 'ET'], [0x2044, 0x2044, 'CS'], [0x2070, 0x2070, 'EN'], [0x2074, 0x2079, 'EN'],
  [0x207a, 0x207b, 'ES'], [0x2080, 0x2089, 'EN'], [0x208a, 0x208b, 'ES'], [0x2212, 0x2212, 'ES'],
  [0x2213, 0x2213, 'ET'], [0x2488, 0x249b, 'EN'], [0x2e2f, 0x2e2f, 'ON'], [0xa67f, 0xa67f, 'ON'],
  [0xa717, 0xa71f, 'ON'], [0xa788, 0xa788, 'ON'], [0xfb29, 0xfb29, 'ES'], [0xfd3e, 0xfd4f, 'ON'],
  [0xfdcf, 0xfdcf, 'ON'], [0xfdfd, 0xfdff, 'ON'], [0xfe50, 0xfe50, 'CS'], [0xfe52, 0xfe52, 'CS'],
  [0xfe55, 0xfe55, 'CS'], [0xfe62, 0xfe63, 'ES'], [0xfeff, 0xfeff, 'BN'], [0xff0b, 0xff0b, 'ES'],
  [0xff0c, 0xff0c, 'CS'], [0xff0d, 0xff0d, 'ES'], [0xff0e, 0xff0f, 'CS'], [0xff10, 0xff19, 'EN'],
  [0xff1a, 0xff1a, 'CS'], [0x102e1, 0x102fb, 'EN'], [0x1091f, 0x1091f, 'ON'], [0x10b39, 0x10b3f, 'ON'],
  [0x10d30, 0x10d39, 'AN'], [0x10e60, 0x10e7e, 'AN'], [0x11a07, 0x11a08, 'L'], [0x11c3f, 0x11c3f, 'L'],
  [0x1d7ce, 0x1d7ff, 'EN'], [0x1eef0, 0x1eef1, 'ON'], [0x1f100, 0x1f10a, 'EN'], [0x1fbf0, 0x1fbf9, 'EN'],
];

// DerivedBidiClass.txt: the blocks whose code points default to AL, and those defaulting to R.
const RTL_BLOCKS: ReadonlyArray<readonly [number, number, 'R' | 'AL']> = [
  [0x0590, 0x05ff, 'R'], [0x0600, 0x07bf, 'AL'], [0x07c0, 0x085f, 'R'], [0x0860, 0x08ff, 'AL'],
  [0xfb1d, 0xfb4f, 'R'], [0xfb50, 0xfdcf, 'AL'], [0xfdf0, 0xfdff, 'AL'], [0xfe70, 0xfeff, 'AL'],
  [0x10800, 0x10cff, 'R'], [0x10d00, 0x10d3f, 'AL'], [0x10d40, 0x10ebf, 'R'], [0x10ec0, 0x10eff, 'AL'],
  [0x10f00, 0x10f2f, 'R'], [0x10f30, 0x10f6f, 'AL'], [0x10f70, 0x10fff, 'R'], [0x1e800, 0x1ec6f, 'R'],
  [0x1ec70, 0x1ecbf, 'AL'], [0x1ecc0, 0x1ecff, 'R'], [0x1ed00, 0x1ed4f, 'AL'], [0x1ed50, 0x1edff, 'R'],
  [0x1ee00, 0x1eeff, 'AL'], [0x1ef00, 0x1efff, 'R'],
];

function lookup<T>(table: ReadonlyArray<readonly [number, number, T]>, cp: number): T | undefined {
  let lo = 0;
  let hi = table.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const row = table[mid] as readonly [number, number, T];
    if (cp < row[0]) hi = mid - 1;
    else if (cp > row[1]) lo = mid + 1;
    else return row[2];
  }
  return undefined;
}

function asciiBidiClass(cp: number): BidiClass {
  if (cp >= 0x30 && cp <= 0x39) return 'EN';
  if ((cp | 0x20) >= 0x61 && (cp | 0x20) <= 0x7a) return 'L';
  switch (cp) {
    case 0x23: case 0x24: case 0x25: return 'ET';
    case 0x2b: case 0x2d: return 'ES';
    case 0x2c: case 0x2e: case 0x2f: case 0x3a: return 'CS';
    case 0x09: case 0x0b: case 0x1f: return 'S';
    case 0x0a: case 0x0d: case 0x1c: case 0x1d: case 0x1e: return 'B';
    case 0x0c: case 0x20: return 'WS';
  }
  return cp < 0x20 || cp === 0x7f ? 'BN' : 'ON';
}

const NONSPACING = /^[\p{Mn}\p{Me}]$/u;
const FORMAT_OR_IGNORABLE = /^[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]$/u;
const STRONG_LEFT = /^[\p{L}\p{Mc}\p{Nd}\p{Nl}\p{Co}]$/u;
const CURRENCY = /^\p{Sc}$/u;

/**
 * An approximation of Bidi_Class(cp) (UAX #9) for the Bidi Rule: R/AL by the blocks that
 * default to them, NSM for Mn/Me, and general categories elsewhere, corrected by the list
 * above. Checked against UnicodeData 14.0, it is exact for every code point the
 * IdentifierClass admits (PVALID, CONTEXTJ, CONTEXTO); code points added later follow the
 * block and category defaults. It is coarse outside that set (explicit formatting characters
 * come out BN, most symbols and many script-specific numbers ON), which does not matter here:
 * the rule is only applied to strings that already passed the IdentifierClass check.
 */
export function approximateBidiClass(cp: number): BidiClass {
  if (cp < 0x80) return asciiBidiClass(cp);
  const listed = lookup(BIDI_EXCEPTIONS, cp);
  if (listed !== undefined) return listed;
  const ch = String.fromCodePoint(cp);
  if (NONSPACING.test(ch)) return 'NSM';
  const rtl = lookup(RTL_BLOCKS, cp);
  if (rtl !== undefined) return isNoncharacter(cp) ? 'BN' : rtl;
  if (cp === 0x85 || cp === 0x2029) return 'B';
  if (cp === 0x2028 || SPACES.test(ch)) return 'WS';
  if (isNoncharacter(cp) || FORMAT_OR_IGNORABLE.test(ch)) return 'BN';
  if (STRONG_LEFT.test(ch)) return 'L';
  if (CURRENCY.test(ch)) return 'ET';
  return 'ON';
}
