/**
 * @module cli/prosody/lua-config
 * Reads a prosody.cfg.lua without running it: assignments (`name = value`), `local name =
 * value` (usable by later values), `VirtualHost "name"` (or `Host`), `Component "name"
 * "module"` (or an external component without a module), `Include "file"` (globs in the file
 * name, relative to the including file), `;` and comments. As in Prosody, an assignment
 * belongs to the section opened last (the global section before any). Other statements are
 * syntax errors with file:line; a value that needs Lua to be run (a variable, a function call)
 * is kept as an Unsupported value, and a call statement is kept as a note, both with file:line.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { LuaSyntaxError, tokenize, type Token } from './lua-lexer.js';
import { LuaReader, Unsupported, type LuaValue } from './lua-value.js';

/** One assignment, where it was written. */
export interface ConfigEntry {
  readonly name: string;
  readonly value: LuaValue;
  readonly file: string;
  readonly line: number;
}

/** The global section, a VirtualHost or a Component, with its assignments in order. */
export interface ConfigSection {
  readonly kind: 'global' | 'VirtualHost' | 'Component';
  /** The host name ('*' for the global section). */
  readonly name: string;
  /** A component's module (undefined: an external component, XEP-0114). */
  readonly module?: string;
  readonly file: string;
  readonly line: number;
  readonly entries: ConfigEntry[];
}

/** Something read but not understood (not an error): where, and what. */
export interface ConfigNote {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export interface ProsodyConfig {
  /** The global section first, then hosts and components in the order they were opened. */
  readonly sections: ConfigSection[];
  readonly notes: ConfigNote[];
  /** Every file read (the config and what it included). */
  readonly files: string[];
}

const MAX_INCLUDE_DEPTH = 16;
const UNSUPPORTED_KEYWORDS = new Set(['if', 'for', 'while', 'repeat', 'function', 'do', 'return', 'goto', 'break', 'end', 'else', 'elseif', 'until', 'then']);

/** Read a config file (and what it includes). @throws LuaSyntaxError; Error when the file cannot be read. */
export function readProsodyConfig(file: string): ProsodyConfig {
  const path = resolve(file);
  const global: ConfigSection = { kind: 'global', name: '*', file: path, line: 1, entries: [] };
  const state = { sections: [global], current: global, notes: [] as ConfigNote[], files: [] as string[], locals: new Map<string, LuaValue>() };
  readFile(path, state, 0);
  return { sections: state.sections, notes: state.notes, files: state.files };
}

/** Parse config text (for tests and for included files). */
export function parseProsodyConfig(source: string, file: string): ProsodyConfig {
  const global: ConfigSection = { kind: 'global', name: '*', file, line: 1, entries: [] };
  const state = { sections: [global], current: global, notes: [] as ConfigNote[], files: [file], locals: new Map<string, LuaValue>() };
  parseInto(source, file, state, 0);
  return { sections: state.sections, notes: state.notes, files: state.files };
}

interface State {
  sections: ConfigSection[];
  current: ConfigSection;
  notes: ConfigNote[];
  files: string[];
  locals: Map<string, LuaValue>;
}

function readFile(path: string, state: State, depth: number): void {
  state.files.push(path);
  parseInto(readFileSync(path, 'utf8'), path, state, depth);
}

function parseInto(source: string, file: string, state: State, depth: number): void {
  const r = new LuaReader(tokenize(source, file), file, (name) => state.locals.get(name));
  const str = (t: Token, what: string): string => {
    // `F "x"` or `F("x")`
    if (t.kind === 'string') return t.text;
    if (t.kind === 'punct' && t.text === '(') {
      const s = r.next();
      if (s.kind !== 'string') r.fail(`${what} expects a string`, s.line);
      r.expect(')');
      return s.text;
    }
    return r.fail(`${what} expects a string, found '${t.text}'`, t.line);
  };
  while (r.peek().kind !== 'eof') {
    const t = r.next();
    if (t.kind === 'punct' && t.text === ';') continue;
    if (t.kind !== 'name') r.fail(`a statement was expected, found '${t.text}'`, t.line);
    if (UNSUPPORTED_KEYWORDS.has(t.text)) {
      r.fail(`the Lua statement '${t.text}' is not supported by the importer (only assignments, local, VirtualHost, Component and Include are read)`, t.line);
    }
    if (t.text === 'local') {
      const n = r.next();
      if (n.kind !== 'name') r.fail(`a name was expected after 'local', found '${n.text}'`, n.line);
      r.expect('=');
      state.locals.set(n.text, r.expression());
      continue;
    }
    const following = r.peek();
    if (following.kind === 'punct' && following.text === '=') {
      r.next();
      state.current.entries.push({ name: t.text, value: r.expression(), file, line: t.line });
      continue;
    }
    if (t.text === 'VirtualHost' || t.text === 'Host') {
      const name = str(r.next(), t.text);
      state.current = { kind: 'VirtualHost', name, file, line: t.line, entries: [] };
      state.sections.push(state.current);
      continue;
    }
    if (t.text === 'Component') {
      const name = str(r.next(), 'Component');
      const more = r.peek();
      const module = more.kind === 'string' || (more.kind === 'punct' && more.text === '(') ? str(r.next(), 'Component') : undefined;
      state.current = { kind: 'Component', name, module, file, line: t.line, entries: [] };
      state.sections.push(state.current);
      continue;
    }
    if (t.text === 'Include') {
      include(str(r.next(), 'Include'), file, t.line, state, depth);
      continue;
    }
    // Any other statement: a call (`RunScript "x"`, `Lua.print(...)`) or a field assignment
    const ref = r.reference(t);
    if (r.accept('=')) {
      r.expression();
      state.notes.push({ file, line: t.line, message: `assignment to ${ref instanceof Unsupported ? ref.what.replace(/^the variable /, '') : t.text} not carried over (only plain option names are read)` });
    } else {
      state.notes.push({ file, line: t.line, message: `statement not carried over: ${ref instanceof Unsupported ? ref.what : t.text}` });
    }
  }
}

function include(pattern: string, from: string, line: number, state: State, depth: number): void {
  if (depth >= MAX_INCLUDE_DEPTH) throw new LuaSyntaxError({ file: from, line }, `Include nested deeper than ${MAX_INCLUDE_DEPTH} files (a loop?)`);
  const path = isAbsolute(pattern) ? pattern : join(dirname(from), pattern);
  const name = basename(path);
  let files: string[];
  if (name.includes('*')) {
    const re = new RegExp(`^${name.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    try {
      files = readdirSync(dirname(path)).filter((f) => re.test(f)).sort().map((f) => join(dirname(path), f));
    } catch {
      files = [];
    }
    files = files.filter((f) => { try { return statSync(f).isFile(); } catch { return false; } });
  } else {
    files = [path];
  }
  for (const f of files) {
    try {
      statSync(f);
    } catch {
      state.notes.push({ file: from, line, message: `Include "${pattern}": ${f} cannot be read` });
      continue;
    }
    readFile(f, state, depth + 1);
  }
}
