// The namespace and tree layer of the tokenizer: document state (prolog,
// stream or frame content, closed), prefix resolution with xmlns scopes
// (Namespaces in XML), building ltx Elements, delivering top-level elements,
// and the RFC 6120 §4 / RFC 7395 §3.3.3 rules that concern namespaces.
import { Element, NS_STREAMS, NS_XML, NS_CLIENT } from './xml.js';
import { isNameStart } from './xml-chars.js';

/** Callbacks of a Tokenizer (xml-tokenizer.ts); all are invoked synchronously from `feed()`. */
export interface TokenizerHandler {
  /** Stream mode only: the stream header `<stream:stream ...>` (attributes as written). */
  streamOpen(attrs: Record<string, string>, name: string): void;
  /** A complete top-level element (a stanza, or the frame's single element). */
  element(el: Element): void;
  /** Stream mode only: `</stream:stream>`. */
  streamClose(): void;
  /** A stream error condition (RFC 6120 §4.9.3); reported at most once until `reset()`. */
  error(condition: string, text: string): void;
}

// Document state (TreeBuilder.state).
export const S_PROLOG = 0; // before the stream header / the frame's element
export const S_CONTENT = 1; // inside the stream / the frame's element
export const S_DONE = 2; // frame: element complete, only whitespace may follow
export const S_CLOSED = 3; // stream: </stream:stream> seen, input ignored
export const S_FAILED = 4; // error reported, input ignored until reset()

// Start-tag flags: which namespace work an element needs.
export const F_NSDECL = 1; // some attribute is xmlns:prefix
export const F_PREFIXED = 2; // some attribute name has a prefix
export const F_RESERVED_DEFAULT = 4; // the xmlns attribute is NS_XML or NS_XMLNS

/** Namespaces in XML §3: the namespace of the reserved xmlns prefix, which nothing may be bound to. */
export const NS_XMLNS = 'http://www.w3.org/2000/xmlns/';

/** The limits a {@link TreeBuilder} enforces (read on every element, so they may change). */
export interface TreeLimits {
  readonly maxDepth: number;
  readonly maxStanzaSize: number;
}

/** Error text of the stanza size limit (policy-violation). */
export const TOO_LARGE = 'stanza too large';

const hasOwn = Object.prototype.hasOwnProperty;

/** Namespaces in XML §3: a QName has at most one colon, with an NCName on each side. */
function isBadQName(name: string, colon: number): boolean {
  return colon === 0 || colon === name.length - 1 || name.indexOf(':', colon + 1) !== -1 ||
    !isNameStart(name.charCodeAt(colon + 1));
}

/** RFC 7395 §3.3.3: a frame must not be an RFC 6120 stream header (checked before prefix resolution). */
function isStreamOpening(name: string, attrs: Record<string, string>): boolean {
  if (name === 'stream:stream') return true;
  const colon = name.indexOf(':');
  if (name.slice(colon + 1) !== 'stream') return false;
  return (colon === -1 ? attrs.xmlns : attrs['xmlns:' + name.slice(0, colon)]) === NS_STREAMS;
}

/**
 * Builds the elements of a stream or frame from the scanner's tags and text.
 * Stream mode: the first element is the stream header (reported, not built),
 * its children are delivered one by one. Frame mode: one element. A delivered
 * element carries an explicit `xmlns` and the stream-header prefix
 * declarations its subtree uses, so it serialises standalone.
 */
export class TreeBuilder {
  readonly #handler: TokenizerHandler;
  readonly #frame: boolean;
  readonly #limits: TreeLimits;
  readonly #fail: (condition: string, text: string) => false;
  #state = S_PROLOG;
  /** Incremented by reset(), so a handler that restarts the stream can be detected. */
  #epoch = 0;
  /** Open elements of the current top-level element, outermost first. */
  #stack: Element[] = [];
  #rootName = '';
  #rootDefault: string;
  // In-scope prefix bindings, innermost last; the first #rootCount come from the stream header.
  #nsPrefix: string[] = [];
  #nsUri: string[] = [];
  #nsDepth: number[] = [];
  #rootCount = 0;
  /** Stream-header prefixes referenced by the current top-level element's subtree. */
  #usedRoot: string[] = [];

  /** `fail` reports a stream error through the scanner (which stops) and returns false. */
  constructor(handler: TokenizerHandler, frame: boolean, limits: TreeLimits, fail: (condition: string, text: string) => false) {
    this.#handler = handler;
    this.#frame = frame;
    this.#limits = limits;
    this.#fail = fail;
    this.#rootDefault = frame ? NS_CLIENT : '';
  }

  /** One of the S_* document states. */
  get state(): number {
    return this.#state;
  }

  /** Number of open elements inside the stream (or frame); 0 between top-level elements. */
  get depth(): number {
    return this.#stack.length;
  }

  /** The name the next end tag must have, or null if no end tag may come now. */
  expectedEnd(): string | null {
    const depth = this.#stack.length;
    if (depth > 0) return this.#stack[depth - 1]!.name;
    if (this.#state === S_CONTENT && !this.#frame) return this.#rootName;
    return null;
  }

  /** Error reported: stop, drop the partial element, tell the handler. */
  abort(condition: string, text: string): void {
    this.#state = S_FAILED;
    this.#stack.length = 0;
    this.#handler.error(condition, text);
  }

  /** A new stream (or frame) begins: the next element is a stream header (or the frame's element). */
  reset(): void {
    this.#state = S_PROLOG;
    // Once per WebSocket frame: truncating an empty array is a runtime call, so only when needed.
    if (this.#stack.length !== 0) this.#stack.length = 0;
    if (this.#nsPrefix.length !== 0) {
      this.#nsPrefix.length = 0;
      this.#nsUri.length = 0;
      this.#nsDepth.length = 0;
    }
    this.#rootCount = 0;
    if (this.#usedRoot.length !== 0) this.#usedRoot.length = 0;
    this.#rootName = '';
    this.#rootDefault = this.#frame ? NS_CLIENT : '';
    this.#epoch++;
  }

  /** Character data inside the innermost open element; adjacent pieces are merged into one text node. */
  text(s: string): void {
    const ch = this.#stack[this.#stack.length - 1]!.children;
    const n = ch.length;
    const last = n > 0 ? ch[n - 1] : undefined;
    if (typeof last === 'string') ch[n - 1] = last + s;
    else ch.push(s);
  }

  /**
   * A complete start tag (attributes as written, F_* flags); `self` for an
   * empty-element tag. `size`: code units of the top-level element up to the end of this tag.
   */
  open(name: string, attrs: Record<string, string>, flags: number, self: boolean, size: number): boolean {
    if (this.#state === S_PROLOG) {
      if (!this.#frame) return this.#openStream(name, attrs, flags, self);
      if (isStreamOpening(name, attrs)) {
        return this.#fail('not-well-formed', 'RFC 7395 §3.3.3: <stream:stream> is not used over WebSocket; open with <open xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>');
      }
      this.#state = S_CONTENT;
    }
    const depth = this.#stack.length + 1;
    if (depth > this.#limits.maxDepth) return this.#fail('policy-violation', 'maximum element depth exceeded');
    if (depth === 1 && this.#usedRoot.length !== 0) this.#usedRoot.length = 0;
    if ((flags !== 0 || name.indexOf(':') !== -1) && !this.#namespaces(name, attrs, flags, depth)) return false;
    const el = new Element(name);
    el.attrs = attrs;
    if (depth === 1) {
      // The top-level element must serialise standalone: explicit default namespace.
      if (!hasOwn.call(attrs, 'xmlns') && this.#rootDefault !== '') attrs.xmlns = this.#rootDefault;
    } else {
      const parent = this.#stack[depth - 2]!;
      el.parent = parent;
      parent.children.push(el);
    }
    if (size > this.#limits.maxStanzaSize) return this.#fail('policy-violation', TOO_LARGE);
    if (self) return this.#close(el, depth, size);
    this.#stack.push(el);
    return true;
  }

  /** A complete end tag (matched against {@link TreeBuilder.expectedEnd}); `size` as for open(). */
  end(size: number): boolean {
    const depth = this.#stack.length;
    if (depth === 0) {
      // RFC 6120 §4.4: closing the stream
      this.#state = S_CLOSED;
      this.#handler.streamClose();
      return true;
    }
    return this.#close(this.#stack.pop()!, depth, size);
  }

  #lookup(prefix: string): string | undefined {
    if (prefix === 'xml') return NS_XML;
    const P = this.#nsPrefix;
    for (let k = P.length - 1; k >= 0; k--) {
      if (P[k] === prefix) {
        if (k < this.#rootCount && !this.#usedRoot.includes(prefix)) this.#usedRoot.push(prefix);
        return this.#nsUri[k];
      }
    }
    return undefined;
  }

  /** Namespaces in XML: record declarations of an element at `depth`, resolve its prefixes. */
  #namespaces(name: string, attrs: Record<string, string>, flags: number, depth: number): boolean {
    const fail = this.#fail;
    // Namespaces in XML §3: the xml and xmlns namespaces cannot be the default namespace.
    if ((flags & F_RESERVED_DEFAULT) !== 0) {
      return fail('not-well-formed', 'invalid namespace declaration xmlns (Namespaces in XML §3)');
    }
    if ((flags & F_NSDECL) !== 0) {
      for (const k in attrs) {
        if (!k.startsWith('xmlns:')) continue;
        const prefix = k.slice(6);
        const uri = attrs[k]!;
        // Namespaces in XML §3: 'xmlns:' NCName; no undeclaring (1.0); the reserved prefixes and names.
        if (isBadQName(k, 5) || uri === '' || prefix === 'xmlns' || uri === NS_XMLNS || (prefix === 'xml') !== (uri === NS_XML)) {
          return fail('not-well-formed', `invalid namespace declaration ${k} (Namespaces in XML §3)`);
        }
        if (prefix === 'xml') continue;
        this.#nsPrefix.push(prefix);
        this.#nsUri.push(uri);
        this.#nsDepth.push(depth);
      }
    }
    const colon = name.indexOf(':');
    if (colon !== -1) {
      if (isBadQName(name, colon)) return fail('not-well-formed', `invalid qualified name ${name}`);
      const prefix = name.slice(0, colon);
      if (prefix === 'xmlns' || this.#lookup(prefix) === undefined) {
        return fail('bad-namespace-prefix', `undeclared namespace prefix '${prefix}' (RFC 6120 §4.9.3.2)`);
      }
    }
    if ((flags & F_PREFIXED) !== 0) {
      // Expanded names (local name, space, namespace) of the prefixed attributes seen so far.
      let first = '';
      let seen: Set<string> | null = null;
      for (const k in attrs) {
        const ac = k.indexOf(':');
        if (ac === -1 || k.startsWith('xmlns:')) continue;
        if (isBadQName(k, ac)) return fail('not-well-formed', `invalid qualified name ${k}`);
        const prefix = k.slice(0, ac);
        const uri = this.#lookup(prefix);
        if (uri === undefined) {
          return fail('bad-namespace-prefix', `undeclared namespace prefix '${prefix}' (RFC 6120 §4.9.3.2)`);
        }
        // Namespaces in XML §6.3: no two attributes with the same expanded name
        // (unprefixed attributes are in no namespace, so only prefixed ones can clash).
        const expanded = k.slice(ac + 1) + ' ' + uri;
        if (first === '') {
          first = expanded;
        } else {
          seen ??= new Set([first]);
          if (seen.has(expanded)) {
            return fail('not-well-formed', `duplicate attribute ${k}: same namespace and local name as another (Namespaces in XML §6.3)`);
          }
          seen.add(expanded);
        }
      }
    }
    return true;
  }

  #close(el: Element, depth: number, size: number): boolean {
    const D = this.#nsDepth;
    let n = D.length;
    if (n > this.#rootCount) {
      while (n > this.#rootCount && D[n - 1]! >= depth) n--;
      D.length = n;
      this.#nsPrefix.length = n;
      this.#nsUri.length = n;
    }
    if (depth > 1) return true;
    if (size > this.#limits.maxStanzaSize) return this.#fail('policy-violation', TOO_LARGE);
    const used = this.#usedRoot;
    for (let k = 0; k < used.length; k++) {
      const prefix = used[k]!;
      const key = 'xmlns:' + prefix;
      if (!hasOwn.call(el.attrs, key)) {
        const at = this.#nsPrefix.lastIndexOf(prefix, this.#rootCount - 1);
        (el.attrs as Record<string, string>)[key] = this.#nsUri[at]!;
      }
    }
    if (this.#frame) this.#state = S_DONE;
    this.#handler.element(el);
    return true;
  }

  #openStream(name: string, attrs: Record<string, string>, flags: number, self: boolean): boolean {
    if (!this.#namespaces(name, attrs, flags, 0)) return false;
    this.#rootCount = this.#nsPrefix.length;
    const colon = name.indexOf(':');
    const local = colon === -1 ? name : name.slice(colon + 1);
    const ns = colon === -1 ? attrs.xmlns : this.#lookup(name.slice(0, colon));
    // RFC 6120 §4.9.3.10 invalid-namespace
    if (local !== 'stream' || ns !== NS_STREAMS) {
      return this.#fail('invalid-namespace', `the stream element must be <stream> in ${NS_STREAMS} (RFC 6120 §4.9.3.10)`);
    }
    const content = attrs.xmlns;
    if (content === undefined || content === '' || content === NS_STREAMS) {
      return this.#fail('invalid-namespace', 'the stream header must declare a content namespace (RFC 6120 §4.8.2)');
    }
    this.#rootName = name;
    this.#rootDefault = content;
    this.#state = S_CONTENT;
    const epoch = this.#epoch;
    this.#handler.streamOpen(attrs, name);
    if (self && this.#epoch === epoch && this.#state === S_CONTENT) {
      this.#state = S_CLOSED;
      this.#handler.streamClose();
    }
    return true;
  }
}
