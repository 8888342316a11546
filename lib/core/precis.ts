/**
 * @module precis
 * PRECIS profiles (RFC 8265) for XMPP addresses (RFC 7622): UsernameCaseMapped for localparts
 * (RFC 7622 §3.3) and OpaqueString for resourceparts (RFC 7622 §3.4). Each comes as a throwing
 * function (PrecisError) and a try* variant returning undefined, for peer input on hot paths.
 * Printable ASCII takes a fast path with no Unicode work. Nothing is cached: callers cache.
 */
import { Buffer } from 'node:buffer';
import {
  approximateBidiClass,
  classViolation,
  codePoints,
  formatCodePoint,
  type BidiClass,
  type ClassViolation,
  type StringClass,
} from './precis-classes.js';

export {
  approximateBidiClass,
  classValue,
  classViolation,
  contextRuleHolds,
  derivedProperty,
  formatCodePoint,
  isVirama,
  precisCategory,
} from './precis-classes.js';
export type { BidiClass, ClassValue, ClassViolation, DerivedProperty, PrecisCategory, StringClass } from './precis-classes.js';

export type PrecisProfile = 'UsernameCaseMapped' | 'OpaqueString' | 'localpart' | 'resourcepart';

/** A string that a PRECIS profile refuses; `reason` names the offending code point as U+XXXX. */
export class PrecisError extends Error {
  readonly #profile: PrecisProfile;
  readonly #reason: string;
  readonly #codePoint: number | undefined;

  constructor(profile: PrecisProfile, reason: string, codePoint?: number) {
    super(`${profile}: ${reason}`);
    this.name = 'PrecisError';
    this.#profile = profile;
    this.#reason = reason;
    this.#codePoint = codePoint;
  }

  get profile(): PrecisProfile {
    return this.#profile;
  }

  get reason(): string {
    return this.#reason;
  }

  /** The refused code point, when one code point is to blame. */
  get codePoint(): number | undefined {
    return this.#codePoint;
  }
}

interface Refusal {
  readonly reason: string;
  readonly codePoint?: number;
}
type Outcome = string | Refusal | ClassViolation;

/** RFC 7622 §3.3, §3.4: a localpart or resourcepart is at most 1023 octets of UTF-8. */
const MAX_BYTES = 1023;
/**
 * Width mapping, case mapping, space mapping and NFC shrink UTF-8 at most threefold (U+FF21
 * to "a", three conjoining jamo to one syllable), so input of more UTF-16 units than this
 * cannot become 1023 octets; it is refused before any Unicode work.
 */
const MAX_INPUT_UNITS = 4 * MAX_BYTES;

const NOT_A_STRING: Refusal = { reason: 'not a string' };
const TOO_LONG: Refusal = { reason: `longer than ${MAX_BYTES} octets of UTF-8 (RFC 7622 §3.3, §3.4)` };

const ASCII_IDENTIFIER = /^[\x21-\x7e]+$/; // ASCII7 (RFC 8264 §9.11): all PVALID
const ASCII_FREEFORM = /^[\x20-\x7e]+$/; // ASCII7 and SPACE: all valid in the FreeformClass
// ASCII7 without the characters RFC 7622 §3.3.1 excludes from localparts: "&'/:<>@
const ASCII_LOCALPART = /^[\x21\x23-\x25\x28-\x2e\x30-\x39\x3b\x3d\x3f\x41-\x7e]+$/;
const LOCALPART_EXCLUDED = /["&'/:<>@]/;
const WIDE_OR_NARROW = /[\u3000\uff01-\uffee]/;
const SPACE_SEPARATOR = /\p{Zs}/gu;
// Every code point with Bidi_Class R, AL or AN lies in these blocks (see RTL_BLOCKS).
const MAYBE_RTL = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff\u{10800}-\u{10fff}\u{1e800}-\u{1efff}]/u;

/**
 * RFC 8265 §3.3.1 width mapping: fullwidth/halfwidth code points (decomposition type <wide>
 * or <narrow>: U+3000 and U+FF01..FFEE, all in the BMP) to their decomposition. U+FF01..FF5E
 * map arithmetically to U+0021..007E; the rest go through NFKC one by one, which gives the
 * decomposition except that U+FFE3 and the halfwidth Hangul letters decompose one step
 * further (U+0020 U+0304 rather than U+00AF; conjoining rather than compatibility jamo);
 * both forms are disallowed in the IdentifierClass, so only the refusal message differs.
 */
function mapWidth(s: string): string {
  if (!WIDE_OR_NARROW.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    if (unit >= 0xff01 && unit <= 0xff5e) out += String.fromCharCode(unit - 0xfee0);
    else if (unit === 0x3000 || (unit >= 0xff5f && unit <= 0xffee)) out += String.fromCharCode(unit).normalize('NFKC');
    else out += String.fromCharCode(unit); // surrogate halves are copied in order
  }
  return out;
}

const RTL_ALLOWED: ReadonlySet<BidiClass> = new Set(['R', 'AL', 'AN', 'EN', 'ES', 'CS', 'ET', 'ON', 'BN', 'NSM']);
const LTR_ALLOWED: ReadonlySet<BidiClass> = new Set(['L', 'EN', 'ES', 'CS', 'ET', 'ON', 'BN', 'NSM']);

function bidiRefusal(rule: number, text: string, cp?: number): Refusal {
  return { reason: `the Bidi Rule (RFC 5893 §2, rule ${rule}) refuses the string: ${text}`, codePoint: cp };
}

/**
 * RFC 8265 §3.3.1 directionality rule: the Bidi Rule of RFC 5893 §2, for strings with a
 * right-to-left code point (RFC 5893 §1.4: Bidi_Class R, AL or AN). Bidi_Class is approximated
 * (approximateBidiClass); the R/AL distinction does not matter to the rule.
 */
function bidiRuleViolation(s: string): Refusal | undefined {
  if (!MAYBE_RTL.test(s)) return undefined;
  const cps = codePoints(s);
  const classes = cps.map(approximateBidiClass);
  if (!classes.some((c) => c === 'R' || c === 'AL' || c === 'AN')) return undefined;
  const first = classes[0] as BidiClass;
  const rtl = first === 'R' || first === 'AL';
  if (!rtl && first !== 'L') {
    return bidiRefusal(1, `it starts with ${formatCodePoint(cps[0] as number)} (Bidi_Class ${first})`, cps[0]);
  }
  const allowed = rtl ? RTL_ALLOWED : LTR_ALLOWED;
  for (let i = 0; i < classes.length; i++) {
    const c = classes[i] as BidiClass;
    if (!allowed.has(c)) {
      const what = `${formatCodePoint(cps[i] as number)} (Bidi_Class ${c}) in a ${rtl ? 'right-to-left' : 'left-to-right'} string`;
      return bidiRefusal(rtl ? 2 : 5, what, cps[i]);
    }
  }
  let end = classes.length - 1;
  while (end > 0 && classes[end] === 'NSM') end--;
  const last = classes[end] as BidiClass;
  const goodEnd = rtl ? last === 'R' || last === 'AL' || last === 'EN' || last === 'AN' : last === 'L' || last === 'EN';
  if (!goodEnd) return bidiRefusal(rtl ? 3 : 6, `it ends with ${formatCodePoint(cps[end] as number)} (Bidi_Class ${last})`, cps[end]);
  if (rtl && classes.includes('EN') && classes.includes('AN')) {
    return bidiRefusal(4, 'it mixes European (EN) and Arabic-Indic (AN) digits');
  }
  return undefined;
}

/**
 * The string class check of preparation on `prepared`, then again on `output` when the
 * enforcement mappings changed it (RFC 8264 §7 puts the class rules after all mappings).
 */
function checkClass(prepared: string, output: string, stringClass: StringClass): ClassViolation | undefined {
  return classViolation(prepared, stringClass) ?? (output === prepared ? undefined : classViolation(output, stringClass));
}

// RFC 8265 §3.3.2 (preparation) and §3.3.3 (enforcement)
function enforceUsernameCaseMapped(input: string): Outcome {
  if (typeof input !== 'string') return NOT_A_STRING;
  if (input.length === 0) return { reason: 'the empty string is not a username (RFC 8265 §3.3.3)' };
  // Printable ASCII: PVALID, left-to-right, NFC; only the case mapping changes anything.
  if (ASCII_IDENTIFIER.test(input)) return input.toLowerCase();
  const prepared = mapWidth(input); // width mapping rule
  const output = prepared.toLowerCase().normalize('NFC'); // case mapping rule, normalization rule
  return checkClass(prepared, output, 'IdentifierClass') ?? bidiRuleViolation(output) ?? output;
}

// RFC 8265 §4.2.2 (preparation) and §4.2.3 (enforcement)
function enforceOpaqueString(input: string): Outcome {
  if (typeof input !== 'string') return NOT_A_STRING;
  if (input.length === 0) return { reason: 'the empty string is not allowed (RFC 8265 §4.2.3)' };
  if (ASCII_FREEFORM.test(input)) return input; // nothing to map, all valid
  // additional mapping rule: non-ASCII spaces (Zs) to U+0020; normalization rule: NFC
  const output = input.replace(SPACE_SEPARATOR, ' ').normalize('NFC');
  return checkClass(input, output, 'FreeformClass') ?? output;
}

// RFC 7622 §3.3: UsernameCaseMapped, §3.3.1's excluded characters, 1023 octets
function enforceLocalpart(input: string): Outcome {
  if (typeof input !== 'string') return NOT_A_STRING;
  if (input.length <= MAX_BYTES && ASCII_LOCALPART.test(input)) return input.toLowerCase();
  if (input.length > MAX_INPUT_UNITS) return TOO_LONG;
  const output = enforceUsernameCaseMapped(input);
  if (typeof output !== 'string') return output;
  const excluded = LOCALPART_EXCLUDED.exec(output);
  if (excluded) {
    const cp = excluded[0].charCodeAt(0);
    return { reason: `${formatCodePoint(cp)} is not allowed in a localpart (RFC 7622 §3.3.1)`, codePoint: cp };
  }
  return Buffer.byteLength(output, 'utf8') > MAX_BYTES ? TOO_LONG : output;
}

// RFC 7622 §3.4: OpaqueString, 1023 octets
function enforceResourcepart(input: string): Outcome {
  if (typeof input !== 'string') return NOT_A_STRING;
  if (input.length <= MAX_BYTES && ASCII_FREEFORM.test(input)) return input;
  if (input.length > MAX_INPUT_UNITS) return TOO_LONG;
  const output = enforceOpaqueString(input);
  if (typeof output !== 'string') return output;
  return Buffer.byteLength(output, 'utf8') > MAX_BYTES ? TOO_LONG : output;
}

function unwrap(profile: PrecisProfile, outcome: Outcome): string {
  if (typeof outcome === 'string') return outcome;
  throw new PrecisError(profile, outcome.reason, outcome.codePoint);
}

function orUndefined(outcome: Outcome): string | undefined {
  return typeof outcome === 'string' ? outcome : undefined;
}

/** Enforce the UsernameCaseMapped profile (RFC 8265 §3.3); throws PrecisError. */
export function usernameCaseMapped(input: string): string {
  return unwrap('UsernameCaseMapped', enforceUsernameCaseMapped(input));
}

/** usernameCaseMapped, or undefined for refused input. */
export function tryUsernameCaseMapped(input: string): string | undefined {
  return orUndefined(enforceUsernameCaseMapped(input));
}

/** Enforce the OpaqueString profile (RFC 8265 §4.2); throws PrecisError. */
export function opaqueString(input: string): string {
  return unwrap('OpaqueString', enforceOpaqueString(input));
}

/** opaqueString, or undefined for refused input. */
export function tryOpaqueString(input: string): string | undefined {
  return orUndefined(enforceOpaqueString(input));
}

/** A JID localpart (RFC 7622 §3.3); throws PrecisError. */
export function localpart(input: string): string {
  return unwrap('localpart', enforceLocalpart(input));
}

/** localpart, or undefined for refused input. */
export function tryLocalpart(input: string): string | undefined {
  return orUndefined(enforceLocalpart(input));
}

/** A JID resourcepart (RFC 7622 §3.4); throws PrecisError. */
export function resourcepart(input: string): string {
  return unwrap('resourcepart', enforceResourcepart(input));
}

/** resourcepart, or undefined for refused input. */
export function tryResourcepart(input: string): string | undefined {
  return orUndefined(enforceResourcepart(input));
}
