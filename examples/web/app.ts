/**
 * The chat page's DOM: the sign-in form, the connection state, the contact list with
 * presence and requests, and the open conversation. XMPP lives in chat.ts; this file
 * renders what it reports and forwards what the user does. Bundled by `npm run build:web`.
 */
import { ChatSession, type Account, type ChatView, type ConnectionState } from './chat.js';
import { bareJid, isContactAddress, type Contact } from './contacts.js';
import { discoverWebSocketUrl } from './discovery.js';
import { parseInviteLink, registerWithInvite, type InviteLink } from './invite.js';

const SAVED = 'xmpp-chat-account';

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
}

/** Create an element with attributes and text or child nodes (never HTML strings). */
function h(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

const ui = {
  status: $('status'),
  signOut: $<HTMLButtonElement>('sign-out'),
  login: $('login'),
  loginForm: $<HTMLFormElement>('login-form'),
  jid: $<HTMLInputElement>('jid'),
  password: $<HTMLInputElement>('password'),
  remember: $<HTMLInputElement>('remember'),
  service: $<HTMLInputElement>('service'),
  loginError: $('login-error'),
  signIn: $<HTMLButtonElement>('sign-in'),
  chat: $('chat'),
  requests: $('requests'),
  contacts: $('contacts'),
  noContacts: $('no-contacts'),
  addForm: $<HTMLFormElement>('add-form'),
  addJid: $<HTMLInputElement>('add-jid'),
  addError: $('add-error'),
  peerDot: $('peer-dot'),
  peerName: $('peer-name'),
  peerStatus: $('peer-status'),
  peerAdd: $<HTMLButtonElement>('peer-add'),
  messages: $('messages'),
  sendForm: $<HTMLFormElement>('send-form'),
  message: $<HTMLInputElement>('message'),
  send: $<HTMLButtonElement>('send'),
  register: $('register'),
  registerForm: $<HTMLFormElement>('register-form'),
  registerIntro: $('register-intro'),
  registerUsername: $<HTMLInputElement>('register-username'),
  registerPassword: $<HTMLInputElement>('register-password'),
  registerError: $('register-error'),
  createAccount: $<HTMLButtonElement>('create-account'),
};

const AVAILABILITY_WORDS = { online: 'Online', away: 'Away', busy: 'Busy', offline: 'Offline' } as const;

let session: ChatSession | undefined;
let active: string | undefined;

function showError(el: HTMLElement, text: string | undefined): void {
  el.textContent = text ?? '';
  el.hidden = !text;
}

function setState(state: ConnectionState, text: string): void {
  ui.status.dataset.state = state;
  ui.status.textContent = text;
  const online = state === 'online';
  ui.message.disabled = !online || active === undefined;
  ui.send.disabled = ui.message.disabled;
}

function updateTitle(): void {
  const unread = session?.contacts.sorted().reduce((n, c) => n + c.unread, 0) ?? 0;
  document.title = unread > 0 ? `(${unread}) XMPP chat` : 'XMPP chat';
}

function renderContacts(): void {
  if (!session) return;
  const list = session.contacts;
  const items = list.sorted().map((c) => {
    const availability = list.availability(c);
    const notes: string[] = [];
    if (!c.inRoster) notes.push('not in your contacts');
    else if (c.pending) notes.push('waiting for approval');
    const status = list.statusText(c) || AVAILABILITY_WORDS[availability];
    const button = h('button', { type: 'button', class: 'contact-button' },
      h('span', { class: 'dot', 'data-availability': availability, title: AVAILABILITY_WORDS[availability] }),
      h('span', { class: 'who' },
        h('span', { class: 'name' }, list.label(c)),
        h('span', { class: 'presence' }, [status, ...notes].join(' · '))),
      ...(c.unread > 0 ? [h('span', { class: 'badge', 'aria-label': `${c.unread} unread` }, String(c.unread))] : []));
    button.addEventListener('click', () => openConversation(c.jid));
    return h('li', { 'data-jid': c.jid, 'data-availability': availability, ...(c.jid === active ? { 'aria-current': 'true' } : {}) }, button);
  });
  ui.contacts.replaceChildren(...items);
  ui.noContacts.hidden = items.length > 0;
  renderPeer();
  updateTitle();
}

function renderRequests(): void {
  if (!session) return;
  const s = session;
  ui.requests.replaceChildren(...[...s.requests].map((jid) => {
    const answer = (accept: boolean) => () => { s.answerRequest(jid, accept).catch((err: Error) => showError(ui.addError, err.message)); };
    const accept = h('button', { type: 'button', class: 'primary' }, 'Accept');
    const decline = h('button', { type: 'button' }, 'Decline');
    accept.addEventListener('click', answer(true));
    decline.addEventListener('click', answer(false));
    return h('li', { 'data-jid': jid }, h('p', {}, h('strong', {}, jid), ' wants to add you as a contact.'), h('div', { class: 'actions' }, accept, decline));
  }));
}

function renderPeer(): void {
  const c = active === undefined ? undefined : session?.contacts.get(active);
  ui.peerAdd.hidden = !session || !c || c.inRoster;
  if (!session || !c) {
    ui.peerName.textContent = 'No conversation open';
    ui.peerStatus.textContent = 'Pick a contact on the left.';
    ui.peerDot.dataset.availability = 'offline';
    return;
  }
  const availability = session.contacts.availability(c);
  ui.peerName.textContent = session.contacts.label(c);
  ui.peerStatus.textContent = [c.name ? c.jid : '', session.contacts.statusText(c) || AVAILABILITY_WORDS[availability]].filter(Boolean).join(' · ');
  ui.peerDot.dataset.availability = availability;
}

function renderMessages(): void {
  const c = active === undefined ? undefined : session?.contacts.get(active);
  const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
  ui.messages.replaceChildren(...(c?.lines ?? []).map((line) =>
    h('li', { class: `line ${line.direction}` }, h('span', { class: 'text' }, line.text), h('time', { datetime: line.at.toISOString() }, time.format(line.at)))));
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

function openConversation(jid: string): void {
  active = jid;
  const c = session?.contacts.get(jid);
  if (c) c.unread = 0;
  renderContacts();
  renderMessages();
  ui.message.disabled = !session?.online;
  ui.send.disabled = ui.message.disabled;
  ui.message.focus();
}

const view: ChatView = {
  state: setState,
  contactsChanged: renderContacts,
  requestsChanged: renderRequests,
  conversationChanged(contact: Contact, incoming: boolean) {
    if (contact.jid === active) renderMessages();
    else if (incoming) contact.unread += 1;
    renderContacts();
  },
  signedOut(error: string | undefined) {
    session = undefined;
    active = undefined;
    sessionStorage.removeItem(SAVED);
    ui.chat.hidden = true;
    ui.signOut.hidden = true;
    ui.login.hidden = false;
    ui.signIn.disabled = false;
    ui.password.value = '';
    showError(ui.loginError, error);
    updateTitle();
    (ui.jid.value ? ui.password : ui.jid).focus();
  },
};

/** The domain a bare user name belongs to: the page's host, or localhost when the page is on an IP address. */
function pageDomain(): string {
  const name = location.hostname;
  return /^[\d.]+$|:|^\[/.test(name) ? 'localhost' : name;
}

async function signIn(account: Account): Promise<void> {
  showError(ui.loginError, undefined);
  ui.signIn.disabled = true;
  const s = new ChatSession(account, view);
  session = s;
  await s.start();
  if (session !== s || !s.online) return;
  if (ui.remember.checked) sessionStorage.setItem(SAVED, JSON.stringify(account));
  ui.login.hidden = true;
  ui.chat.hidden = false;
  ui.signOut.hidden = false;
  renderContacts();
  renderRequests();
  renderMessages();
}

ui.loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  let jid = ui.jid.value.trim();
  // A bare user name means a user of this host.
  if (!jid.includes('@')) jid = `${jid}@${pageDomain()}`;
  if (!isContactAddress(jid)) {
    showError(ui.loginError, 'Enter your address as name@domain, for example alice@localhost.');
    return;
  }
  void signIn({ jid, password: ui.password.value, service: ui.service.value.trim() });
});

ui.signOut.addEventListener('click', () => { void session?.stop(); });

ui.addForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const jid = ui.addJid.value.trim();
  if (!isContactAddress(jid)) {
    showError(ui.addError, 'Enter an address like bob@example.org.');
    return;
  }
  showError(ui.addError, undefined);
  session?.addContact(jid).then(() => {
    ui.addJid.value = '';
    openConversation(bareJid(jid));
  }, (err: Error) => showError(ui.addError, err.message));
});

ui.peerAdd.addEventListener('click', () => {
  if (active === undefined) return;
  session?.addContact(active).catch((err: Error) => showError(ui.addError, err.message));
});

ui.sendForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = ui.message.value;
  if (!session || active === undefined || text.trim() === '') return;
  const to = active;
  session.sendMessage(to, text).then(() => { ui.message.value = ''; }, (err: Error) => {
    session?.contacts.ensure(to).lines.push({ direction: 'notice', text: err.message, at: new Date() });
    renderMessages();
  });
});

/** An invitation link (from its landing page): show the registration form instead of sign-in. */
function showInvite(invite: InviteLink): void {
  ui.login.hidden = true;
  ui.register.hidden = false;
  ui.registerIntro.textContent = invite.inviter
    ? `${invite.inviter} invited you to ${invite.domain}. Choose a username and a password; you will be each other's contacts.`
    : `You are invited to ${invite.domain}. Choose a username and a password.`;
  if (invite.username) {
    ui.registerUsername.value = invite.username;
    ui.registerUsername.readOnly = true;
    ui.registerPassword.focus();
  } else {
    ui.registerUsername.focus();
  }
  ui.registerForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const username = ui.registerUsername.value.trim();
    const password = ui.registerPassword.value;
    const service = ui.service.value.trim();
    showError(ui.registerError, undefined);
    ui.createAccount.disabled = true;
    registerWithInvite(service, invite, username, password).then(() => {
      // The token is spent: drop it from the address bar and history, then sign in.
      history.replaceState(null, '', location.pathname + location.search);
      ui.register.hidden = true;
      ui.jid.value = `${username.toLowerCase()}@${invite.domain}`;
      void signIn({ jid: ui.jid.value, password, service });
    }, (err: Error) => {
      ui.createAccount.disabled = false;
      showError(ui.registerError, err.message);
    });
  });
}

async function main(): Promise<void> {
  ui.jid.placeholder = `alice@${pageDomain()}`;
  ui.service.value = await discoverWebSocketUrl(location, async (path) => {
    const res = await fetch(path, { headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`${res.status}`);
    return res.json() as Promise<unknown>;
  });
  const invite = parseInviteLink(location.hash);
  const saved = sessionStorage.getItem(SAVED);
  if (invite) {
    showInvite(invite);
  } else if (saved) {
    // A reload: sign in again with what this tab kept (the form shows again if that fails).
    const account = JSON.parse(saved) as Account;
    ui.jid.value = account.jid;
    ui.login.hidden = true;
    await signIn(account);
  } else {
    ui.jid.focus();
  }
}

// Closing, reloading or leaving the page ends the stream cleanly (the server would otherwise
// keep the session for a stream management resumption); a page restored from the
// back/forward cache signs in again.
window.addEventListener('pagehide', () => session?.leave());
window.addEventListener('pageshow', (e) => {
  if (e.persisted) location.reload();
});

void main();
