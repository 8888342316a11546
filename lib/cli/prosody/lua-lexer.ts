/**
 * @module cli/prosody/lua-lexer
 * A tokenizer for the part of Lua that Prosody's config files and data files use: names,
 * numbers (decimal, hex, exponents), strings ('...' and "..." with every Lua 5.4 escape,
 * `[[long strings]]` of any level), comments (`--`, `--[[ ]]`) and punctuation. Nothing is
 * ever executed. Strings are byte strings in Lua (Prosody writes non-ASCII as `\195\169`), so
 * they are decoded as bytes and then read as UTF-8.
 */

/** Where something is: file and line, for messages (`prosody.cfg.lua:12`). */
export interface Position {
  readonly file: string;
  readonly line: number;
}

/** A token: `name`, `number`, `string`, `punct` (`=`, `{`, `..`, ...) or `eof`. */
export interface Token {
  readonly kind: 'name' | 'number' | 'string' | 'punct' | 'eof';
  /** The name, punctuation, or the decoded string. */
  readonly text: string;
  /** For numbers. */
  readonly value?: number;
  readonly line: number;
}

/** A syntax error with the file and line it was found at. */
export class LuaSyntaxError extends Error {
  readonly file: string;
  readonly line: number;
  constructor(pos: Position, message: string) {
    super(`${pos.file}:${pos.line}: ${message}`);
    this.name = 'LuaSyntaxError';
    this.file = pos.file;
    this.line = pos.line;
  }
}

const PUNCT = ['...', '..', '==', '~=', '<=', '>=', '::', '//', '<<', '>>',
  '=', '{', '}', '[', ']', '(', ')', ';', ',', '.', ':', '+', '-', '*', '/', '%', '^', '#', '<', '>', '~', '&', '|'];
const SIMPLE_ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34, "'": 39, '\n': 10 };

/** Split Lua source into tokens. @throws LuaSyntaxError on a malformed string, number or comment. */
export function tokenize(source: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const fail = (message: string): never => { throw new LuaSyntaxError({ file, line }, message); };
  // A shebang line is allowed at the start of a chunk
  if (source.startsWith('#')) while (i < source.length && source[i] !== '\n') i++;

  /** `[` `=`* `[`: the level of a long bracket starting at `at`, or -1. */
  const longLevel = (at: number): number => {
    if (source[at] !== '[') return -1;
    let j = at + 1;
    while (source[j] === '=') j++;
    return source[j] === '[' ? j - at - 1 : -1;
  };
  /** Read a long bracket's content from `i` (at its `[`); newlines counted. */
  const readLong = (level: number): string => {
    const startLine = line;
    i += level + 2;
    if (source[i] === '\r') i++;
    if (source[i] === '\n') { i++; line++; }
    const close = `]${'='.repeat(level)}]`;
    const end = source.indexOf(close, i);
    if (end === -1) throw new LuaSyntaxError({ file, line: startLine }, 'unfinished long string or comment');
    const text = source.slice(i, end);
    for (const ch of text) if (ch === '\n') line++;
    i = end + close.length;
    return text;
  };

  while (i < source.length) {
    const c = source[i]!;
    if (c === '\n') { line++; i++; continue; }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') { i++; continue; }
    if (c === '-' && source[i + 1] === '-') {
      i += 2;
      const level = longLevel(i);
      if (level >= 0) readLong(level);
      else while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i, i + 256))!;
      tokens.push({ kind: 'name', text: m[0], line });
      i += m[0].length;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const m = /^(0[xX][0-9a-fA-F]*(\.[0-9a-fA-F]*)?([pP][+-]?[0-9]+)?|[0-9]*\.?[0-9]*([eE][+-]?[0-9]+)?)/.exec(source.slice(i, i + 128))!;
      const text = m[0];
      if (/[A-Za-z_0-9.]/.test(source[i + text.length] ?? '')) fail(`malformed number near '${source.slice(i, i + text.length + 1)}'`);
      const value = /^0[xX]/.test(text) ? parseHex(text) : Number(text);
      if (Number.isNaN(value)) fail(`malformed number '${text}'`);
      tokens.push({ kind: 'number', text, value, line });
      i += text.length;
      continue;
    }
    if (c === '"' || c === "'") {
      const startLine = line;
      tokens.push({ kind: 'string', text: readQuoted(c), line: startLine });
      continue;
    }
    if (c === '[') {
      const level = longLevel(i);
      if (level >= 0) {
        const startLine = line;
        tokens.push({ kind: 'string', text: readLong(level), line: startLine });
        continue;
      }
    }
    const p = PUNCT.find((q) => source.startsWith(q, i));
    if (!p) fail(`unexpected character ${JSON.stringify(c)}`);
    tokens.push({ kind: 'punct', text: p!, line });
    i += p!.length;
  }
  tokens.push({ kind: 'eof', text: '<end of file>', line });
  return tokens;

  function readQuoted(quote: string): string {
    i++;
    const bytes: number[] = [];
    const pushText = (s: string): void => { for (const b of Buffer.from(s, 'utf8')) bytes.push(b); };
    while (true) {
      if (i >= source.length) fail('unfinished string');
      const ch = source[i]!;
      if (ch === quote) { i++; break; }
      if (ch === '\n') fail('unfinished string (a newline inside quotes)');
      if (ch !== '\\') {
        const cp = source.codePointAt(i)!;
        pushText(String.fromCodePoint(cp));
        i += cp > 0xffff ? 2 : 1;
        continue;
      }
      const e = source[i + 1] ?? '';
      if (e in SIMPLE_ESCAPES) {
        bytes.push(SIMPLE_ESCAPES[e]!);
        if (e === '\n') line++;
        i += 2;
      } else if (e === '\r') {
        bytes.push(10); line++; i += source[i + 2] === '\n' ? 3 : 2;
      } else if (e === 'x') {
        const h = /^[0-9a-fA-F]{2}/.exec(source.slice(i + 2, i + 4));
        if (!h) fail('hexadecimal digit expected in \\x escape');
        bytes.push(parseInt(h![0], 16)); i += 4;
      } else if (/[0-9]/.test(e)) {
        const d = /^[0-9]{1,3}/.exec(source.slice(i + 1, i + 4))![0];
        const n = Number(d);
        if (n > 255) fail(`decimal escape too large: \\${d}`);
        bytes.push(n); i += 1 + d.length;
      } else if (e === 'z') {
        i += 2;
        while (i < source.length && /\s/.test(source[i]!)) { if (source[i] === '\n') line++; i++; }
      } else if (e === 'u') {
        const u = /^\{([0-9a-fA-F]{1,8})\}/.exec(source.slice(i + 2, i + 12));
        if (!u) fail('malformed \\u{...} escape');
        const cp = parseInt(u![1]!, 16);
        if (cp > 0x10ffff) fail('\\u escape beyond U+10FFFF');
        pushText(String.fromCodePoint(cp)); i += 2 + u![0].length;
      } else {
        fail(`invalid escape sequence '\\${e}'`);
      }
    }
    return Buffer.from(bytes).toString('utf8');
  }
}

function parseHex(text: string): number {
  const m = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?$/.exec(text);
  if (!m || (m[1] === '' && !m[2])) return NaN;
  let v = m[1] ? parseInt(m[1], 16) : 0;
  if (m[2]) for (let k = 0; k < m[2].length; k++) v += parseInt(m[2][k]!, 16) / 16 ** (k + 1);
  return m[3] ? v * 2 ** Number(m[3]) : v;
}
