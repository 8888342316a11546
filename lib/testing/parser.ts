/**
 * Parser for scansion scripts (the conversation-test format of Prosody's community).
 *
 * - `# text` lines before the first object are the header: the first is the title, the
 *   others the description, except metadata `# modules: a, b` and `# config: {json}`
 *   (this runner's extensions). `##` lines are comments everywhere; `#` lines after the
 *   header are comments too. A line of dashes (`-----`) is a separator.
 * - `[Client] Name` starts an object; its indented `key: value` lines are `jid`, `password`
 *   and `mechanism`.
 * - Actions: `Name connects`, `Name disconnects`, `Name sends:` and `Name receives:` followed
 *   by indented XML (one or more elements), and `Name receives: nothing`.
 */
import { ScansionSyntaxError, type ClientSpec, type ScansionScript, type Step } from './script.js';
import { parseXmlBlock } from './xml-block.js';

const OBJECT = /^\[(\w+)\]\s*(.+?)\s*$/;
const PROPERTY = /^([\w-]+)\s*:\s*(.*?)\s*$/;
const ACTION = /^(.+?)\s+(connects|disconnects|sends:|receives:)\s*(.*?)\s*$/;
const METADATA = /^(modules|config)\s*:\s*(.*?)\s*$/i;
const CLIENT_KEYS = ['jid', 'password', 'mechanism'];

const indented = (line: string): boolean => /^[ \t]/.test(line) && line.trim() !== '';

/**
 * Parse a script's text. Throws {@link ScansionSyntaxError} (with the line number) for
 * anything it does not understand: an unknown object type or property, an action naming an
 * undeclared client, a `sends:` without XML, invalid `# config:` JSON.
 */
export function parseScansion(text: string, source = '<script>'): ScansionScript {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const fail = (line: number, message: string): never => { throw new ScansionSyntaxError(source, line, message); };
  let title: string | undefined;
  const description: string[] = [];
  const modules: string[] = [];
  let config: Record<string, unknown> = {};
  const clients: ClientSpec[] = [];
  const steps: Step[] = [];
  let inHeader = true;

  // The indented lines following line i (a block), joined; returns the index after them.
  const block = (i: number): { text: string; next: number } => {
    const out: string[] = [];
    let j = i + 1;
    while (j < lines.length && (indented(lines[j]!) || (lines[j]!.trim() === '' && j + 1 < lines.length && indented(lines[j + 1]!)))) {
      out.push(lines[j]!);
      j++;
    }
    return { text: out.join('\n'), next: j };
  };

  let i = 0;
  while (i < lines.length) {
    const raw = lines[i]!;
    const lineNo = i + 1;
    const line = raw.trim();
    if (line === '' || /^-+$/.test(line) || line.startsWith('##')) { i++; continue; }
    if (line.startsWith('#')) {
      const comment = line.slice(1).trim();
      if (inHeader) {
        const meta = METADATA.exec(comment);
        if (meta) {
          if (meta[1]!.toLowerCase() === 'modules') {
            modules.push(...meta[2]!.split(/[\s,]+/).filter(Boolean));
          } else {
            let parsed: unknown;
            try { parsed = JSON.parse(meta[2]!); } catch (err) { fail(lineNo, `# config: is not valid JSON (${(err as Error).message})`); }
            if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail(lineNo, '# config: must be a JSON object');
            config = { ...config, ...(parsed as Record<string, unknown>) };
          }
        } else if (title === undefined) {
          title = comment;
        } else if (comment !== '') {
          description.push(comment);
        }
      }
      i++;
      continue;
    }
    if (indented(raw)) fail(lineNo, `unexpected indented line (not under a [Client] or a sends:/receives: action): ${JSON.stringify(line)}`);
    inHeader = false;

    const obj = OBJECT.exec(line);
    if (obj) {
      if (obj[1] !== 'Client') fail(lineNo, `unknown object type [${obj[1]}] (this runner knows [Client])`);
      const name = obj[2]!;
      if (clients.some((c) => c.name === name)) fail(lineNo, `[Client] ${name} is declared twice`);
      const props: Record<string, string> = {};
      const { next } = block(i);
      for (let j = i + 1; j < next; j++) {
        const l = lines[j]!.trim();
        if (l === '' || l.startsWith('#')) continue;
        const p = PROPERTY.exec(l);
        if (!p) fail(j + 1, `expected "key: value" in [Client] ${name}, got ${JSON.stringify(l)}`);
        if (!CLIENT_KEYS.includes(p![1]!)) fail(j + 1, `unknown [Client] property '${p![1]}' (known: ${CLIENT_KEYS.join(', ')})`);
        props[p![1]!] = p![2]!;
      }
      if (!props.jid) fail(lineNo, `[Client] ${name} has no jid:`);
      if (!/^[^@/\s]+@[^@/\s]+(\/.+)?$/.test(props.jid!)) fail(lineNo, `[Client] ${name}: jid '${props.jid}' is not user@host or user@host/resource`);
      clients.push({ name, jid: props.jid!, password: props.password ?? 'password', mechanism: props.mechanism, line: lineNo });
      i = next;
      continue;
    }

    const act = ACTION.exec(line);
    if (!act) fail(lineNo, `expected "[Client] Name" or "<Name> connects|disconnects|sends:|receives:", got ${JSON.stringify(line)}`);
    const [, client, verb] = act!;
    const rest = act![3] ?? '';
    if (!clients.some((c) => c.name === client)) {
      fail(lineNo, `no [Client] named '${client}' (declared: ${clients.map((c) => c.name).join(', ') || 'none'})`);
    }
    if (verb === 'connects' || verb === 'disconnects') {
      if (rest) fail(lineNo, `unexpected text after '${verb}': ${JSON.stringify(rest)}`);
      steps.push({ kind: verb, client: client!, line: lineNo });
      i++;
      continue;
    }
    const { text: body, next } = block(i);
    if (verb === 'receives:' && rest.toLowerCase() === 'nothing') {
      if (body.trim()) fail(lineNo, "'receives: nothing' cannot be followed by XML");
      steps.push({ kind: 'nothing', client: client!, line: lineNo });
      i = next;
      continue;
    }
    const xml = [rest, body].filter((s) => s.trim() !== '').join('\n');
    if (!xml.trim()) fail(lineNo, `'${client} ${verb}' needs XML: indent it on the following lines`);
    // Check the XML now (variables stand for plain text), so a typo fails before any server starts.
    try {
      parseXmlBlock(xml.replace(/\$\{[^}]*\}/g, 'x'));
    } catch (err) {
      fail(lineNo, `the XML of '${client} ${verb}' is not well-formed: ${(err as Error).message}`);
    }
    steps.push({ kind: verb === 'sends:' ? 'sends' : 'receives', client: client!, line: lineNo, xml });
    i = next;
  }
  return { source, title, description, modules, config, clients, steps };
}
