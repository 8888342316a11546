/**
 * Test helper: the real `stanza` client library over plain TCP on loopback (through the test
 * transport in stanza-tcp.ts): log in, wait for an event, stop.
 */
import { createClient, type Agent, type AgentEvents } from 'stanza';
import { StanzaTcpTransport } from './stanza-tcp.js';
import { PASSWORD } from './im-server.js';

/** Log in as user@localhost to the c2s `port`; resolves once the session is started. */
export async function stanzaLogin(port: number, user: string, resource = 'stanza', password = PASSWORD): Promise<Agent> {
  const client = createClient({
    jid: `${user}@localhost`, password, resource, server: 'localhost',
    transports: { tcp: `xmpp://127.0.0.1:${port}` }, transportPreferenceOrder: ['tcp'], autoReconnect: false,
  });
  client.transports.tcp = StanzaTcpTransport;
  await new Promise<void>((resolve, reject) => {
    client.on('session:started', () => resolve());
    client.on('auth:failed', () => reject(new Error('auth:failed')));
    client.connect();
  });
  return client;
}

/** The next `event` of a stanza client whose payload matches `pred`. */
export function nextEvent<E extends keyof AgentEvents>(client: Agent, event: E, pred: (p: AgentEvents[E]) => boolean = () => true, ms = 5000): Promise<AgentEvents[E]> {
  return new Promise((resolve, reject) => {
    const handler = (payload: AgentEvents[E]): void => {
      if (!pred(payload)) return;
      clearTimeout(timer);
      client.off(event, handler as never);
      resolve(payload);
    };
    const timer = setTimeout(() => { client.off(event, handler as never); reject(new Error(`timed out waiting for ${String(event)}`)); }, ms);
    client.on(event, handler as never);
  });
}

/** Disconnect; stanza may not report the end of a TCP stream it closed, so wait at most 2 s. */
export async function stanzaStop(client: Agent): Promise<void> {
  const done = new Promise<void>((resolve) => client.once('disconnected', () => resolve()));
  client.disconnect();
  await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
}
