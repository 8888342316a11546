/**
 * Test helper for the browser tests: Debian's chromium driven by playwright-core, a
 * `ChatPage` that operates examples/web like a person would (through its form fields and
 * buttons), a TCP relay to cut a page's connection, and where screenshots go.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, connect, type Server as NetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (`.ci/run` installs the `chromium` package); XS_CHROMIUM overrides it. */
export const CHROMIUM = process.env.XS_CHROMIUM ?? '/usr/bin/chromium';

/** Where tests save screenshots (git-ignored). */
export const ARTIFACTS = join(import.meta.dirname, '..', '..', '..', 'spec-artifacts');

/** Start headless chromium. Throws with the fix when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set XS_CHROMIUM`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

/** The path of a screenshot file under spec-artifacts/ (the folder is created). */
export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

/** examples/web in a browser tab, operated through its UI. */
export class ChatPage {
  readonly page: Page;
  /** Uncaught exceptions in the page. */
  readonly errors: string[] = [];

  private constructor(page: Page) {
    this.page = page;
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => this.errors.push(err.message));
  }

  /**
   * A new tab in its own browser context (its own storage), at `url`, once the page is ready.
   * `selfSigned`: accept the test certificate for https:// and wss://.
   */
  static async open(browser: Browser, url: string, { selfSigned = false, viewport = { width: 1000, height: 640 } } = {}): Promise<ChatPage> {
    const context = await browser.newContext({ viewport, ignoreHTTPSErrors: selfSigned });
    const chat = new ChatPage(await context.newPage());
    await chat.page.goto(url);
    await chat.ready();
    return chat;
  }

  /** The app has run: discovery filled in the WebSocket URL. */
  async ready(): Promise<void> {
    await this.page.waitForFunction(() => (document.getElementById('service') as HTMLInputElement | null)?.value !== '');
  }

  async signIn(jid: string, password: string, service?: string): Promise<void> {
    await this.page.fill('#jid', jid);
    await this.page.fill('#password', password);
    if (service !== undefined) {
      await this.page.click('summary');
      await this.page.fill('#service', service);
    }
    await this.page.click('#sign-in');
  }

  /** The connection state line: { state: data-state, text }. */
  async status(): Promise<{ state: string; text: string }> {
    const el = this.page.locator('#status');
    return { state: (await el.getAttribute('data-state')) ?? '', text: (await el.textContent()) ?? '' };
  }

  /** Wait until the state line is in `state`; returns its text. */
  async waitForState(state: 'offline' | 'connecting' | 'online' | 'reconnecting'): Promise<string> {
    await this.page.locator(`#status[data-state="${state}"]`).waitFor();
    return (await this.status()).text;
  }

  /** Wait for the sign-in error and return it. */
  async loginError(): Promise<string> {
    const el = this.page.locator('#login-error');
    await el.waitFor({ state: 'visible' });
    return (await el.textContent()) ?? '';
  }

  /** Wait until the contact is listed (with that availability, when given). */
  async waitForContact(jid: string, availability?: 'online' | 'away' | 'busy' | 'offline'): Promise<void> {
    const which = availability === undefined ? '' : `[data-availability="${availability}"]`;
    await this.page.locator(`#contacts li[data-jid="${jid}"]${which}`).waitFor();
  }

  async addContact(jid: string): Promise<void> {
    await this.page.fill('#add-jid', jid);
    await this.page.click('#add-form button[type="submit"]');
  }

  /** Accept the pending contact request from `jid`. */
  async accept(jid: string): Promise<void> {
    await this.page.locator(`#requests li[data-jid="${jid}"] button`, { hasText: 'Accept' }).click();
  }

  async openConversation(jid: string): Promise<void> {
    await this.page.locator(`#contacts li[data-jid="${jid}"] button`).click();
    await this.page.locator('#peer-name').filter({ hasText: jid }).waitFor();
  }

  async send(text: string): Promise<void> {
    await this.page.locator('#message:enabled').fill(text);
    await this.page.click('#send');
    await this.waitForLine('out', text);
  }

  /** Wait for a line of the open conversation. */
  async waitForLine(direction: 'in' | 'out' | 'notice', text: string): Promise<void> {
    await this.page.locator(`#messages li.line.${direction}`, { hasText: text }).waitFor();
  }

  /** The unread badge of a contact ('' when none). */
  async unread(jid: string): Promise<string> {
    const badge = this.page.locator(`#contacts li[data-jid="${jid}"] .badge`);
    return (await badge.count()) > 0 ? ((await badge.textContent()) ?? '') : '';
  }

  async close(): Promise<void> {
    await this.page.context().close();
  }
}

/**
 * A TCP relay on loopback in front of a port: lets a test cut every connection through it
 * (a lost network) and refuse new ones for a while (an unreachable server).
 */
export class TcpRelay {
  readonly target: number;
  #server: NetServer | undefined;
  #port = 0;
  readonly #sockets = new Set<Socket>();

  constructor(target: number) {
    this.target = target;
  }

  get port(): number {
    return this.#port;
  }

  /** Listen (again, on the same port after the first time). */
  async listen(): Promise<number> {
    const server = createServer((client) => {
      const upstream = connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as { port: number }).port;
    this.#server = server;
    return this.#port;
  }

  /** Stop listening and drop every relayed connection. */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
