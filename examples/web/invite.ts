/**
 * Invitations on the chat page: the link an invitation's landing page gives
 * (`#invite&preauth=TOKEN&domain=HOST[&username=NAME][&inviter=JID]`, in the fragment so the
 * token never reaches a server log), and pre-authenticated in-band registration (XEP-0445,
 * XEP-0077) over a WebSocket (RFC 7395) before signing in with the new account.
 */

/** What an invitation link carries. */
export interface InviteLink {
  readonly token: string;
  readonly domain: string;
  /** The only username the invitation allows, when it fixes one. */
  readonly username?: string;
  /** Who invited (a contact invitation): the new account and they become contacts. */
  readonly inviter?: string;
}

/** The invitation in a location fragment, or undefined. */
export function parseInviteLink(hash: string): InviteLink | undefined {
  if (!hash.startsWith('#invite&')) return undefined;
  const params = new URLSearchParams(hash.slice('#invite&'.length));
  const token = params.get('preauth') ?? '';
  const domain = params.get('domain') ?? '';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(token) || domain === '' || /[\s/@]/.test(domain)) return undefined;
  const username = params.get('username') || undefined;
  const inviter = params.get('inviter') || undefined;
  return { token, domain, ...(username ? { username } : {}), ...(inviter ? { inviter } : {}) };
}

const NS_FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const NS_PARS = 'urn:xmpp:pars:0';
const NS_REGISTER = 'jabber:iq:register';

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Plain words for the errors registration can end with. */
const REGISTRATION_ERRORS: Readonly<Record<string, string>> = {
  forbidden: 'This invitation is invalid, was already used, or has expired.',
  conflict: 'That username is taken. Choose another one.',
  'not-acceptable': 'That username or password cannot be used.',
  'service-unavailable': 'This server does not accept registrations.',
  'resource-constraint': 'This invitation is being used right now. Try again in a moment.',
  'policy-violation': 'Too many registrations from here. Try again later.',
};

/** The error of an iq reply, in plain words (the server's own text when it gave one). */
function explain(reply: Element): string {
  const error = reply.getElementsByTagName('error')[0];
  const condition = error ? [...error.children].find((c) => c.localName !== 'text')?.localName ?? '' : '';
  const text = error?.getElementsByTagName('text')[0]?.textContent ?? '';
  if (condition === 'not-acceptable' && text) return `${text}.`;
  return REGISTRATION_ERRORS[condition] ?? (text || `Registration failed (${condition || 'unknown error'}).`);
}

/**
 * Create `username` with `password` on the invitation's domain: open a stream over `service`,
 * present the token (XEP-0445 §3.2), register (XEP-0077 §3.1), close. Rejects with a sentence.
 */
export function registerWithInvite(service: string, invite: InviteLink, username: string, password: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(service, 'xmpp');
    } catch {
      reject(new Error('The server cannot be reached.'));
      return;
    }
    let step: 'features' | 'preauth' | 'register' | 'done' = 'features';
    const finish = (error?: string): void => {
      if (step === 'done') return;
      step = 'done';
      if (ws.readyState === WebSocket.OPEN) ws.send(`<close xmlns='${NS_FRAMING}'/>`);
      ws.close();
      if (error === undefined) resolve();
      else reject(new Error(error));
    };
    ws.onopen = () => ws.send(`<open xmlns='${NS_FRAMING}' to='${escapeXml(invite.domain)}' version='1.0'/>`);
    ws.onerror = () => finish('The server cannot be reached.');
    ws.onclose = () => finish('The connection closed before the account was created.');
    ws.onmessage = (event: MessageEvent<string>) => {
      const el = new DOMParser().parseFromString(String(event.data), 'application/xml').documentElement;
      if (step === 'features' && el.localName === 'features') {
        const invites = [...el.children].some((c) => c.localName === 'register' && (c.namespaceURI === 'urn:xmpp:invite' || c.namespaceURI === 'urn:xmpp:ibr-token:0'));
        if (!invites) return finish('This server does not accept invitations.');
        step = 'preauth';
        ws.send(`<iq xmlns='jabber:client' type='set' id='preauth1'><preauth xmlns='${NS_PARS}' token='${escapeXml(invite.token)}'/></iq>`);
      } else if (el.localName === 'iq' && el.getAttribute('id') === 'preauth1') {
        if (el.getAttribute('type') !== 'result') return finish(explain(el));
        step = 'register';
        ws.send(`<iq xmlns='jabber:client' type='set' id='register1'><query xmlns='${NS_REGISTER}'>`
          + `<username>${escapeXml(username)}</username><password>${escapeXml(password)}</password></query></iq>`);
      } else if (el.localName === 'iq' && el.getAttribute('id') === 'register1') {
        finish(el.getAttribute('type') === 'result' ? undefined : explain(el));
      } else if (el.localName === 'close' || el.localName === 'error') {
        finish('The server ended the connection.');
      }
    };
  });
}
