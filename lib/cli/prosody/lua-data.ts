/**
 * @module cli/prosody/lua-data
 * Prosody's `internal` storage files, read without running Lua: a key-value file (`.dat`) is
 * `return <value>;`, a list file (`.list`, archives such as offline messages) is a series of
 * `item(<value>);`. Values are tables, strings, numbers, booleans and nil (util.serialization's
 * output); anything else is a syntax error with file:line.
 */
import { tokenize } from './lua-lexer.js';
import { findUnsupported, LuaReader, type LuaValue } from './lua-value.js';

/** The value of a `.dat` file. @throws LuaSyntaxError. */
export function parseDataFile(source: string, file: string): LuaValue {
  const r = new LuaReader(tokenize(source, file), file);
  const ret = r.next();
  if (ret.kind !== 'name' || ret.text !== 'return') r.fail(`'return' expected at the start of a data file, found '${ret.text}'`, ret.line);
  const value = checked(r, r.expression());
  r.accept(';');
  if (r.peek().kind !== 'eof') r.fail(`end of file expected after the returned value, found '${r.peek().text}'`);
  return value;
}

/** The items of a `.list` file, in order. @throws LuaSyntaxError. */
export function parseListFile(source: string, file: string): LuaValue[] {
  const r = new LuaReader(tokenize(source, file), file);
  const items: LuaValue[] = [];
  while (r.peek().kind !== 'eof') {
    const t = r.next();
    if (t.kind !== 'name' || t.text !== 'item') r.fail(`'item(' expected in a list file, found '${t.text}'`, t.line);
    r.expect('(');
    items.push(checked(r, r.expression()));
    r.expect(')');
    r.accept(';');
  }
  return items;
}

function checked(r: LuaReader, v: LuaValue): LuaValue {
  const u = findUnsupported(v);
  if (u) r.fail(`${u.what} in a data file (only plain values are expected)`, u.line);
  return v;
}
