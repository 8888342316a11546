/**
 * Script variables: `${Name's full JID}` (the JID the client bound), `${Name's JID}` (its bare
 * JID) and `${Name's resource}`, substituted in `sends:` and `receives:` blocks. The values
 * are XML-escaped, since they land in attributes or text.
 */
import { escapeAttr } from '../core/xml.js';

/** What a client makes known to the script once connected (or declared, for the bare JID). */
export interface ClientIdentity {
  readonly bareJid: string;
  /** Undefined until the client has bound a resource. */
  readonly fullJid: string | undefined;
}

const VARIABLE = /\$\{([^}]*)\}/g;

/**
 * Replace the variables in `text`. Throws an Error naming the variable when it is unknown or
 * not yet known (a full JID before the client connected).
 */
export function substitute(text: string, clients: ReadonlyMap<string, ClientIdentity>): string {
  return text.replace(VARIABLE, (whole, expr: string) => {
    const m = /^(.+?)'s (full JID|JID|resource)$/.exec(expr.trim());
    if (!m) throw new Error(`unknown variable ${whole} (known: \${Name's full JID}, \${Name's JID}, \${Name's resource})`);
    const c = clients.get(m[1]!);
    if (!c) throw new Error(`${whole}: no [Client] named '${m[1]}'`);
    if (m[2] === 'JID') return escapeAttr(c.bareJid);
    if (c.fullJid === undefined) throw new Error(`${whole}: ${m[1]} has not connected yet`);
    return escapeAttr(m[2] === 'full JID' ? c.fullJid : c.fullJid.slice(c.fullJid.indexOf('/') + 1));
  });
}
