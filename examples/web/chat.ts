/**
 * One signed-in chat session over XMPP (RFC 6120/6121) with @xmpp/client on a WebSocket
 * (RFC 7395): sign in, roster and roster pushes, presence and subscription requests,
 * messages, and reconnecting with back-off when the connection is lost: @xmpp/client resumes
 * the session with stream management (XEP-0198) when the server still holds it, so nothing
 * sent meanwhile is lost, and signs in afresh otherwise. Talks to the page only through the
 * `ChatView` interface.
 */
import { client, xml } from '@xmpp/client';
import type { Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { ContactList, bareJid, type Contact } from './contacts.js';
import { explainError, explainStanzaError, type ClientError } from './words.js';

const NS_ROSTER = 'jabber:iq:roster';

/** The connection states the page shows. */
export type ConnectionState = 'offline' | 'connecting' | 'online' | 'reconnecting';

/** Where and as whom to sign in. */
export interface Account {
  /** A bare JID, user@domain. */
  readonly jid: string;
  readonly password: string;
  /** The ws:// or wss:// URL of the endpoint. */
  readonly service: string;
}

/** What the session tells the page. */
export interface ChatView {
  state(state: ConnectionState, text: string): void;
  /** The contact list or someone's presence changed. */
  contactsChanged(): void;
  /** A line was added to a contact's conversation. */
  conversationChanged(contact: Contact, incoming: boolean): void;
  /** The list of pending subscription requests changed. */
  requestsChanged(): void;
  /** The session ended for good (sign-in failed, or a fatal error); `error` says why, if it was not asked for. */
  signedOut(error: string | undefined): void;
}

/** The event @xmpp/client's stream management emits when a session was resumed. */
interface ResumeEvents {
  on(event: 'resumed', listener: () => void): void;
}

const FIRST_DELAY = 1000;
const MAX_DELAY = 30_000;

function randomId(): string {
  // crypto.getRandomValues works outside secure contexts too (randomUUID does not).
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A signed-in (or signing-in) user. */
export class ChatSession {
  readonly contacts = new ContactList();
  /** Bare JIDs asking to see our presence. */
  readonly requests = new Set<string>();
  readonly account: Account;
  readonly #view: ChatView;
  readonly #xmpp: Client;
  readonly #domain: string;
  #online = false;
  #wasOnline = false;
  #ended = false;
  #lastError: ClientError | undefined;

  constructor(account: Account, view: ChatView) {
    this.account = account;
    this.#view = view;
    const at = account.jid.lastIndexOf('@');
    this.#domain = account.jid.slice(at + 1);
    const options = {
      service: account.service,
      domain: this.#domain,
      username: account.jid.slice(0, at),
      password: account.password,
      resource: `web-${randomId().slice(0, 6)}`,
      // @xmpp/client would call crypto.randomUUID, which plain-http pages on a LAN address lack.
      userAgent: xml('user-agent', { id: randomId() }),
    };
    this.#xmpp = client(options);
    this.#xmpp.reconnect.delay = FIRST_DELAY;
    this.#wire();
  }

  /** Whether the session can send now. */
  get online(): boolean {
    return this.#online;
  }

  /** The bare JID signed in as. */
  get jid(): string {
    return bareJid(this.account.jid);
  }

  #wire(): void {
    const x = this.#xmpp;
    x.on('error', (err: ClientError) => this.#onError(err));
    x.on('status', (status: string) => {
      if (status === 'connecting' && !this.#wasOnline) this.#view.state('connecting', `Connecting to ${this.account.service}…`);
    });
    x.on('online', () => {
      // A new session (the first, or after the old one could not be resumed): what we knew of
      // our contacts' presence is stale; initial presence brings it again (RFC 6121 §4.2).
      this.contacts.clearPresence();
      this.#connected();
      this.#afterLogin().catch((err: ClientError) => this.#onError(err));
    });
    // XEP-0198 §5: the same session goes on; what it missed arrives now, presence included.
    // (@xmpp/stream-management is an event emitter; its published types do not say so yet.)
    (x.streamManagement as unknown as ResumeEvents).on('resumed', () => this.#connected());
    x.on('disconnect', () => {
      this.#online = false;
      if (this.#ended || !this.#wasOnline) return;
      this.#view.contactsChanged();
      const why = this.#lastError ? explainError(this.#lastError, this.account.service, this.#domain) : undefined;
      this.#view.state('reconnecting', why && !why.fatal && why.text.endsWith('Reconnecting…') ? why.text : 'Connection lost. Reconnecting…');
    });
    x.reconnect.on('reconnecting', () => {
      // Back off: 1 s, 2 s, 4 s ... up to 30 s between attempts.
      x.reconnect.delay = Math.min(x.reconnect.delay * 2, MAX_DELAY);
    });
    x.on('stanza', (stanza: Element) => {
      try {
        if (stanza.is('presence')) this.#onPresence(stanza);
        else if (stanza.is('message')) this.#onMessage(stanza);
      } catch (err) {
        console.error('stanza handling failed', err);
      }
    });
    // RFC 6121 §2.1.6: roster pushes come from the server (no from, or our bare JID).
    x.iqCallee.set(NS_ROSTER, 'query', (ctx: { stanza: Element; element: Element }) => {
      const from = ctx.stanza.attrs.from as string | undefined;
      if (from !== undefined && bareJid(from) !== this.jid) return xml('error', { type: 'cancel' }, xml('service-unavailable', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
      for (const item of ctx.element.getChildren('item')) this.contacts.applyRosterItem(item.attrs as { jid: string });
      this.#view.contactsChanged();
      return true;
    });
  }

  #connected(): void {
    this.#online = true;
    this.#wasOnline = true;
    this.#lastError = undefined;
    this.#xmpp.reconnect.delay = FIRST_DELAY;
    this.#view.state('online', `Online as ${this.jid}`);
    this.#view.contactsChanged();
  }

  /**
   * The page goes away (closed, reloaded, navigated from): end the stream cleanly with
   * `<close/>` (RFC 7395 §3.6), so the server ends the session at once instead of keeping it
   * for a resumption that will not come.
   */
  leave(): void {
    void this.#end();
  }

  /** Sign in. Resolves once online; on failure the view gets signedOut(reason). */
  async start(): Promise<void> {
    try {
      await this.#xmpp.start();
    } catch (err) {
      const reason = explainError(this.#lastError ?? (err as ClientError), this.account.service, this.#domain);
      await this.#end();
      this.#view.signedOut(reason.text);
    }
  }

  /** Sign out (or give up): no more reconnecting. */
  async stop(): Promise<void> {
    await this.#end();
    this.#view.signedOut(undefined);
  }

  async #end(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.#online = false;
    this.#xmpp.reconnect.stop();
    this.#view.state('offline', 'Not connected');
    try {
      await this.#xmpp.stop();
    } catch {
      // already disconnected
    }
  }

  #onError(err: ClientError): void {
    this.#lastError = err;
    if (!this.#wasOnline || this.#ended) return; // start() explains sign-in failures
    const why = explainError(err, this.account.service, this.#domain);
    if (why.fatal) {
      void this.#end().then(() => this.#view.signedOut(why.text));
    }
  }

  /** Roster first, then initial presence (RFC 6121 §2.2, §4.2), so presence finds the contacts. */
  async #afterLogin(): Promise<void> {
    const query = await this.#xmpp.iqCaller.get(xml('query', { xmlns: NS_ROSTER }));
    const items = query?.getChildren('item').map((i: Element) => i.attrs as { jid: string }) ?? [];
    this.contacts.replaceRoster(items);
    this.#view.contactsChanged();
    await this.#xmpp.send(xml('presence'));
  }

  #onPresence(stanza: Element): void {
    const from = stanza.attrs.from as string | undefined;
    if (!from) return;
    const type = stanza.attrs.type as string | undefined;
    const bare = bareJid(from);
    if (type === 'subscribe') {
      // RFC 6121 §3.1.3: approve someone we asked first; ask about anyone else.
      if (this.contacts.expectsSubscribe(bare)) void this.#xmpp.send(xml('presence', { to: bare, type: 'subscribed' }));
      else {
        this.requests.add(bare);
        this.#view.requestsChanged();
      }
      return;
    }
    if (type === 'unsubscribe' || type === 'unsubscribed' || type === 'subscribed') {
      if (type === 'unsubscribe' && this.requests.delete(bare)) this.#view.requestsChanged();
      return; // the roster push that follows carries the new state
    }
    if (type !== undefined && type !== 'unavailable') return; // probe, error
    if (bare === this.jid) return; // our other devices
    if (this.contacts.applyPresence(from, type, stanza.getChildText('show') ?? undefined, stanza.getChildText('status') ?? undefined)) {
      this.#view.contactsChanged();
    }
  }

  #onMessage(stanza: Element): void {
    const from = stanza.attrs.from as string | undefined;
    if (!from) return;
    const contact = this.contacts.ensure(from);
    if (stanza.attrs.type === 'error') {
      const error = stanza.getChild('error');
      const condition = error?.getChildElements().find((c) => c.name !== 'text')?.name;
      contact.lines.push({ direction: 'notice', text: explainStanzaError(condition, error?.getChildText('text') ?? undefined), at: new Date() });
      this.#view.conversationChanged(contact, false);
      return;
    }
    const body = stanza.getChildText('body');
    if (body === null || stanza.attrs.type === 'groupchat' || stanza.attrs.type === 'headline') return;
    contact.lines.push({ direction: 'in', text: body, at: new Date() });
    this.#view.conversationChanged(contact, true);
  }

  /** Send a chat message (RFC 6121 §5.2.2). */
  async sendMessage(to: string, text: string): Promise<void> {
    if (!this.#online) throw new Error('Not connected: the message was not sent.');
    await this.#xmpp.send(xml('message', { to, type: 'chat', id: randomId() }, xml('body', {}, text)));
    const contact = this.contacts.ensure(to);
    contact.lines.push({ direction: 'out', text, at: new Date() });
    this.#view.conversationChanged(contact, false);
  }

  /** Add a contact (RFC 6121 §2.3) and ask to see their presence (§3.1.1). */
  async addContact(jid: string, name?: string): Promise<void> {
    if (!this.#online) throw new Error('Not connected.');
    const bare = bareJid(jid);
    if (bare === this.jid) throw new Error('That is your own address.');
    try {
      await this.#xmpp.iqCaller.set(xml('query', { xmlns: NS_ROSTER }, xml('item', name ? { jid: bare, name } : { jid: bare })));
    } catch (err) {
      throw new Error(`Could not add ${bare}: ${(err as ClientError).condition ?? (err as Error).message}.`, { cause: err });
    }
    await this.#xmpp.send(xml('presence', { to: bare, type: 'subscribe' }));
  }

  /** Answer a subscription request; accepting also asks to see theirs, unless we already do. */
  async answerRequest(jid: string, accept: boolean): Promise<void> {
    this.requests.delete(jid);
    this.#view.requestsChanged();
    if (!accept) {
      await this.#xmpp.send(xml('presence', { to: jid, type: 'unsubscribed' }));
      return;
    }
    await this.#xmpp.send(xml('presence', { to: jid, type: 'subscribed' }));
    const c = this.contacts.get(jid);
    if (!c || !c.inRoster || (c.subscription !== 'to' && c.subscription !== 'both' && !c.pending)) await this.addContact(jid);
  }
}
