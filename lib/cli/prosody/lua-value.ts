/**
 * @module cli/prosody/lua-value
 * Lua values as the importer sees them, and an expression reader over tokens: nil, booleans,
 * numbers, strings, table constructors (`,` or `;` separators, `[k] = v`, `name = v`,
 * positional items), unary minus, `+ - * / % ^`, `..` and parentheses (Prosody writes infinity
 * as `(1/0)`). A variable, field or function call is read syntactically and becomes an
 * {@link Unsupported} value naming what it was and where: nothing is evaluated.
 */
import { LuaSyntaxError, type Token } from './lua-lexer.js';

/** A table key: Prosody's data files use strings, numbers and `false` (roster metadata). */
export type LuaKey = string | number | boolean;

/** A value the importer cannot know without running Lua (a variable, a function call). */
export class Unsupported {
  constructor(readonly what: string, readonly line: number) {}
}

export type LuaValue = null | boolean | number | string | LuaTable | Unsupported;

/** A Lua table: its entries in source order; positional items get keys 1, 2, ... */
export class LuaTable {
  readonly entries: { key: LuaKey; value: LuaValue }[] = [];

  /** The value at `key` (the last one written when a key repeats), undefined when absent. */
  get(key: LuaKey): LuaValue | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i]!.key === key) return this.entries[i]!.value;
    return undefined;
  }

  /** The values at 1..n when the table is a sequence (no other keys), else undefined. */
  sequence(): LuaValue[] | undefined {
    const out: LuaValue[] = [];
    for (const { key, value } of this.entries) {
      if (key !== out.length + 1) return undefined;
      out.push(value);
    }
    return out;
  }

  /** The sequence part 1..n (Lua's ipairs), whatever other keys there are. */
  ipairs(): LuaValue[] {
    const out: LuaValue[] = [];
    for (let v = this.get(1); v !== undefined && v !== null; v = this.get(out.length + 1)) out.push(v);
    return out;
  }

  /** The entries with string keys, last write wins. */
  fields(): Map<string, LuaValue> {
    const out = new Map<string, LuaValue>();
    for (const { key, value } of this.entries) if (typeof key === 'string') out.set(key, value);
    return out;
  }
}

/** The first {@link Unsupported} inside a value, if any. */
export function findUnsupported(v: LuaValue | undefined): Unsupported | undefined {
  if (v instanceof Unsupported) return v;
  if (v instanceof LuaTable) {
    for (const e of v.entries) {
      const u = findUnsupported(e.value);
      if (u) return u;
    }
  }
  return undefined;
}

const BINARY: Record<string, number> = { '..': 1, '+': 2, '-': 2, '*': 3, '/': 3, '//': 3, '%': 3, '^': 5 };
const MAX_DEPTH = 200;

/** A cursor over tokens with the expression grammar. */
export class LuaReader {
  #pos = 0;
  #depth = 0;
  /**
   * @param resolve the value of a plain name (a config file's `local`), undefined when unknown
   */
  constructor(private readonly tokens: Token[], readonly file: string, private readonly resolve?: (name: string) => LuaValue | undefined) {}

  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.#pos + ahead, this.tokens.length - 1)]!;
  }

  next(): Token {
    const t = this.peek();
    if (this.#pos < this.tokens.length - 1) this.#pos++;
    return t;
  }

  /** True (and consumed) when the next token is the punctuation `p`. */
  accept(p: string): boolean {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === p) { this.#pos++; return true; }
    return false;
  }

  expect(p: string, what = `'${p}'`): void {
    if (!this.accept(p)) this.fail(`${what} expected near '${this.peek().text}'`);
  }

  fail(message: string, line = this.peek().line): never {
    throw new LuaSyntaxError({ file: this.file, line }, message);
  }

  /** One expression. */
  expression(minPrec = 0): LuaValue {
    if (++this.#depth > MAX_DEPTH) this.fail('nesting too deep');
    try {
      let left = this.unary();
      while (true) {
        const t = this.peek();
        const prec = t.kind === 'punct' ? BINARY[t.text] : undefined;
        if (prec === undefined || prec < minPrec || (prec === minPrec && t.text !== '..' && t.text !== '^')) break;
        this.next();
        // '..' and '^' are right associative
        const right = this.expression(t.text === '..' || t.text === '^' ? prec : prec + 1);
        left = binary(t.text, left, right, t.line);
      }
      return left;
    } finally {
      this.#depth--;
    }
  }

  unary(): LuaValue {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === '-') {
      this.next();
      const v = this.expression(4);
      if (typeof v === 'number') return -v;
      return v instanceof Unsupported ? v : new Unsupported('unary minus on a non-number', t.line);
    }
    if ((t.kind === 'punct' && (t.text === '#' || t.text === '~')) || (t.kind === 'name' && t.text === 'not')) {
      this.next();
      this.expression(4);
      return new Unsupported(`the operator '${t.text}'`, t.line);
    }
    return this.primary();
  }

  primary(): LuaValue {
    const t = this.next();
    switch (t.kind) {
      case 'number': return t.value!;
      case 'string': return t.text;
      case 'name':
        if (t.text === 'nil') return null;
        if (t.text === 'true') return true;
        if (t.text === 'false') return false;
        if (t.text === 'function') this.fail('a function value cannot be imported', t.line);
        return this.reference(t);
      case 'punct':
        if (t.text === '{') return this.table(t.line);
        if (t.text === '(') {
          const v = this.expression();
          this.expect(')');
          return v;
        }
        break;
      default: break;
    }
    return this.fail(`unexpected '${t.text}'`, t.line);
  }

  /** A name, then any `.field`, `[k]`, `:m(...)`, call arguments: read, never resolved. */
  reference(first: Token): LuaValue {
    const next = this.peek();
    const plain = !(next.kind === 'string' || (next.kind === 'punct' && ['.', ':', '[', '(', '{'].includes(next.text)));
    const known = plain ? this.resolve?.(first.text) : undefined;
    if (known !== undefined) return known;
    let text = first.text;
    while (true) {
      const t = this.peek();
      if (t.kind === 'punct' && (t.text === '.' || t.text === ':')) {
        this.next();
        const n = this.next();
        if (n.kind !== 'name') this.fail(`name expected after '${t.text}'`, n.line);
        text += t.text + n.text;
      } else if (t.kind === 'punct' && t.text === '[') {
        this.next(); this.expression(); this.expect(']'); text += '[...]';
      } else if (t.kind === 'punct' && t.text === '(') {
        this.next();
        if (!this.accept(')')) {
          do this.expression(); while (this.accept(','));
          this.expect(')');
        }
        text += '(...)';
      } else if (t.kind === 'string' || (t.kind === 'punct' && t.text === '{')) {
        this.primary();
        text += '(...)';
      } else {
        break;
      }
    }
    return new Unsupported(text.includes('(') ? `the function call ${text}` : `the variable ${text}`, first.line);
  }

  table(line: number): LuaTable {
    const table = new LuaTable();
    let n = 0;
    while (!this.accept('}')) {
      const t = this.peek();
      if (t.kind === 'eof') this.fail(`'}' expected (to close '{' at line ${line})`);
      if (t.kind === 'punct' && t.text === '[' ) {
        this.next();
        const key = this.expression();
        this.expect(']');
        this.expect('=');
        if (key === null || key instanceof LuaTable || key instanceof Unsupported || Number.isNaN(key)) {
          this.fail('a table key must be a string, number or boolean', t.line);
        }
        table.entries.push({ key, value: this.expression() });
      } else if (t.kind === 'name' && this.peek(1).kind === 'punct' && this.peek(1).text === '=') {
        this.next(); this.next();
        table.entries.push({ key: t.text, value: this.expression() });
      } else {
        table.entries.push({ key: ++n, value: this.expression() });
      }
      if (!this.accept(',') && !this.accept(';')) {
        this.expect('}', `'}' (to close '{' at line ${line})`);
        break;
      }
    }
    return table;
  }
}

function binary(op: string, a: LuaValue, b: LuaValue, line: number): LuaValue {
  if (a instanceof Unsupported) return a;
  if (b instanceof Unsupported) return b;
  if (op === '..') {
    const str = (v: LuaValue): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
    const x = str(a), y = str(b);
    return x !== undefined && y !== undefined ? x + y : new Unsupported('\'..\' on a value that is not a string or number', line);
  }
  if (typeof a !== 'number' || typeof b !== 'number') return new Unsupported(`'${op}' on a value that is not a number`, line);
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return a / b;
    case '//': return Math.floor(a / b);
    case '%': return a - Math.floor(a / b) * b;
    default: return a ** b;
  }
}
