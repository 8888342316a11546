/**
 * @module admin_shell/parse
 * One line of the admin shell into words: the space form (`c2s close juliet@localhost "bye"`)
 * or Prosody's form (`c2s:close("juliet@localhost", "bye")`). Quotes are double or single, with
 * backslash escapes inside.
 */

/** A line the shell cannot read (an unterminated quote, a stray parenthesis). */
export class ParseError extends Error {}

const PROSODY_FORM = /^([a-z_][a-z0-9_]*):([a-z_][a-z0-9_]*)\s*(?:\((.*)\))?$/is;

/**
 * The words of a command line: [group, action, ...arguments], or [] for an empty line.
 * @throws ParseError for an unterminated quote or unbalanced parentheses
 * @example parseCommand('c2s:close("a@b", "bye")') // ['c2s', 'close', 'a@b', 'bye']
 * @example parseCommand('user list localhost')     // ['user', 'list', 'localhost']
 */
export function parseCommand(line: string): string[] {
  const text = line.trim().replace(/;\s*$/, '');
  if (text === '') return [];
  const m = PROSODY_FORM.exec(text);
  if (m) return [m[1]!.toLowerCase(), m[2]!.toLowerCase(), ...words(m[3] ?? '', true)];
  const [group, ...rest] = words(text, false);
  const colon = group!.indexOf(':');
  if (colon > 0 && !group!.includes('@')) return [group!.slice(0, colon).toLowerCase(), group!.slice(colon + 1).toLowerCase(), ...rest];
  return rest.length > 0 ? [group!.toLowerCase(), rest[0]!.toLowerCase(), ...rest.slice(1)] : [group!.toLowerCase()];
}

/** Split on whitespace (and commas inside Prosody's parentheses), honouring quotes. */
function words(text: string, commas: boolean): string[] {
  const out: string[] = [];
  let i = 0;
  const isSep = (c: string): boolean => /\s/.test(c) || (commas && c === ',');
  while (i < text.length) {
    const c = text[i]!;
    if (isSep(c)) { i++; continue; }
    if (c === '"' || c === "'") {
      let word = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new ParseError(`unterminated ${c === '"' ? 'double' : 'single'} quote`);
        const d = text[j]!;
        if (d === '\\' && j + 1 < text.length) { word += text[j + 1]; j += 2; continue; }
        if (d === c) break;
        word += d;
        j++;
      }
      out.push(word);
      i = j + 1;
      continue;
    }
    if (c === '(' || c === ')') throw new ParseError(`unexpected '${c}' (write group:action("argument", ...) or group action argument ...)`);
    let j = i;
    while (j < text.length && !isSep(text[j]!) && !`"'()`.includes(text[j]!)) j++;
    const word = text.slice(i, j);
    if (!(commas && word === 'nil')) out.push(word);
    i = j;
  }
  return out;
}
