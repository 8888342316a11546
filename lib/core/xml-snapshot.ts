/**
 * @module xml-snapshot
 * A record of everything an element's serialisation depends on (names, attribute names and
 * values, text, the children in order, all the way down), and the check that an element still
 * matches one. The check compares references and short strings, no markup is built, so it
 * costs a fraction of serialising again: xml.ts uses it to reuse a remembered serialisation
 * only while it is still exactly what serialising would give.
 */

/** An element as far as serialisation sees it (ltx's, or a foreign copy of the same shape). */
interface Node {
  readonly name: string;
  readonly attrs: Record<string, unknown>;
  readonly children: readonly unknown[];
}

/** Starts an element in a snapshot, and ends its attributes (no name, value or text is either object). */
const OPEN = {};
const END = {};
/** Deeper trees are not recorded (serialised in full each time). */
const MAX_DEPTH = 32;

function isNode(c: unknown): c is Node {
  return typeof c === 'object' && c !== null && typeof (c as Node).name === 'string' &&
    Array.isArray((c as Node).children) && typeof (c as Node).attrs === 'object';
}

/**
 * One snapshot at a time, in an array that is reused (taking one allocates nothing once the
 * array has grown to fit).
 */
export class Snapshot {
  #items: unknown[] = [];
  #length = 0;

  /**
   * Record `el` with its attributes and its first `count` children (later ones are not part of
   * it). False, and nothing recorded, when something in it is not plain data (an object as an
   * attribute value or child: its text could change without any change the check would see).
   */
  take(el: Node, count: number): boolean {
    this.#length = record(el, count, this.#items, 0, 0);
    if (this.#length !== -1) return true;
    this.#length = 0;
    return false;
  }

  /** Whether `el` (its attributes and first `count` children) still matches what was recorded. */
  matches(el: Node, count: number): boolean {
    return this.#length !== 0 && el.children.length >= count && check(el, count, this.#items, 0, 0) === this.#length;
  }
}

/** Record `el` into `out` from position `p`; the position after it, or -1. */
function record(el: Node, count: number, out: unknown[], p: number, depth: number): number {
  if (depth > MAX_DEPTH) return -1;
  out[p++] = OPEN;
  out[p++] = el.name;
  const attrs = el.attrs;
  for (const k in attrs) {
    const v = attrs[k];
    if (typeof v === 'object' && v !== null) return -1;
    out[p++] = k;
    out[p++] = v;
  }
  out[p++] = END;
  const children = el.children;
  if (depth > 0) {
    out[p++] = children;
    out[p++] = children.length;
  }
  for (let i = 0; i < count; i++) {
    const c = children[i];
    if (isNode(c)) {
      p = record(c, c.children.length, out, p, depth + 1);
      if (p === -1) return -1;
    } else if (typeof c === 'object' && c !== null) {
      return -1;
    } else {
      out[p++] = c;
    }
  }
  return p;
}

/** The position after `el` in the snapshot, or -1 at the first difference. */
function check(el: Node, count: number, s: readonly unknown[], p: number, depth: number): number {
  if (s[p] !== OPEN || s[p + 1] !== el.name) return -1;
  p += 2;
  const attrs = el.attrs;
  for (const k in attrs) {
    if (s[p] !== k || s[p + 1] !== attrs[k]) return -1;
    p += 2;
  }
  if (s[p++] !== END) return -1;
  const children = el.children;
  if (depth > 0) {
    // the same array, as long as then: text() and friends replace it, append() lengthens it
    if (s[p] !== children || s[p + 1] !== children.length) return -1;
    p += 2;
  }
  for (let i = 0; i < count; i++) {
    const c = children[i];
    if (isNode(c)) {
      p = check(c, c.children.length, s, p, depth + 1);
      if (p === -1) return -1;
    } else if (s[p++] !== c) {
      return -1;
    }
  }
  return p;
}
