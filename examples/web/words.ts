/**
 * The chat page's plain-words explanations: what went wrong when signing in or while
 * connected (an @xmpp/client error, a stream error, a SASL failure), and whether trying
 * again automatically makes sense. No DOM, so it is tested in Node.
 */

/** An error as @xmpp/client reports it (XMPPError, StreamError, SASLError, a socket error). */
export interface ClientError {
  readonly name?: string;
  readonly message?: string;
  readonly condition?: string;
  readonly text?: string;
  readonly code?: string;
}

/** What to tell the user, and what to do next. */
export interface Explanation {
  readonly text: string;
  /** Trying again will not help (wrong password, replaced by another login): stop and show the form. */
  readonly fatal: boolean;
}

const NO_MECHANISM = /no compatible mechanism/i;

/**
 * Explain an error in plain words.
 * @param err what @xmpp/client emitted or threw
 * @param url the WebSocket URL in use (for "cannot reach")
 * @param domain the XMPP domain signed in to
 */
export function explainError(err: ClientError, url: string, domain: string): Explanation {
  const condition = err.condition ?? '';
  const serverText = err.text ? ` The server said: “${err.text}”` : '';
  if (err.name === 'SASLError') {
    // RFC 6120 §6.5.10 not-authorized; §6.5.1 aborted; §6.5.2 account-disabled
    if (condition === 'not-authorized') return { text: 'Wrong address or password.', fatal: true };
    if (condition === 'account-disabled') return { text: 'This account is disabled.', fatal: true };
    if (condition === 'encryption-required') return { text: `The server requires an encrypted connection for signing in.${serverText}`, fatal: true };
    if (NO_MECHANISM.test(err.message ?? '') || NO_MECHANISM.test(condition)) {
      return {
        text: 'The server offers no way to sign in over this connection: it does not consider this WebSocket secure. '
          + 'Use wss://, or see “no stream features” under Troubleshooting in the README.',
        fatal: true,
      };
    }
    return { text: `Signing in failed (${condition || 'unknown reason'}).${serverText}`, fatal: true };
  }
  if (err.name === 'StreamError') {
    // RFC 6120 §4.9.3
    switch (condition) {
      case 'host-unknown': return { text: `This server does not serve ${domain}. Check the part of your address after the @.`, fatal: true };
      case 'conflict': return { text: 'You signed in somewhere else with the same address, so this tab was signed out.', fatal: true };
      case 'system-shutdown': return { text: 'The server is restarting. Reconnecting…', fatal: false };
      case 'policy-violation': return { text: `The server closed the connection (policy violation).${serverText}`, fatal: true };
      case 'not-authorized': return { text: `The server refused this connection.${serverText}`, fatal: true };
      case 'connection-timeout': return { text: 'The connection timed out. Reconnecting…', fatal: false };
      default: return { text: `The server closed the connection (${condition || 'stream error'}).${serverText}`, fatal: false };
    }
  }
  if (/^SASL: Mechanism .* not found/.test(err.message ?? '')) {
    // @xmpp/client sends a PLAIN password only over wss:// or to localhost.
    return { text: 'This page sends your password only over an encrypted connection (wss://) or to localhost. Open the page over https://.', fatal: true };
  }
  if (err.code === 'ECONNERROR' || /websocket/i.test(err.message ?? '')) {
    return { text: `Cannot reach the server at ${url}. Check that it is running and that the address is right.`, fatal: false };
  }
  if (err.name === 'TimeoutError') return { text: 'The server did not answer in time.', fatal: false };
  return { text: `Something went wrong: ${err.message ?? String(err)}`, fatal: false };
}

/** Describe a stanza error (RFC 6120 §8.3.3) on a message that could not be delivered. */
export function explainStanzaError(condition: string | undefined, text: string | undefined): string {
  const reasons: Readonly<Record<string, string>> = {
    'service-unavailable': 'the recipient cannot receive messages right now',
    'item-not-found': 'there is no such user',
    'remote-server-not-found': 'their server cannot be reached from here',
    'not-allowed': 'you are not allowed to send this',
    'forbidden': 'you are not allowed to send this',
    'policy-violation': 'the message breaks a server rule',
  };
  const reason = (condition && reasons[condition]) ?? condition ?? 'unknown reason';
  return `Not delivered: ${reason}${text ? ` (${text})` : ''}.`;
}
