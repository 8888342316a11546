/**
 * Test helper for converse.js (the devDependency, version 14) in chromium: a small HTTP server
 * on loopback that serves converse's dist/ files and a page that initialises it against our
 * WebSocket endpoint (nothing comes from a CDN: every request leaving loopback is refused and
 * recorded), and a `ConversePage` operated through converse's own UI: the login form, the
 * groupchat's message box, its message list.
 */
import { createServer, type Server } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, sep } from 'node:path';
import type { Browser, Page } from 'playwright-core';

/** converse.js's dist folder in node_modules. */
export const CONVERSE_DIST = dirname(createRequire(import.meta.url).resolve('converse.js/dist/converse.min.js'));

const TYPES: Record<string, string> = {
  '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.woff': 'font/woff', '.woff2': 'font/woff2', '.ttf': 'font/ttf', '.mp3': 'audio/mpeg', '.ogg': 'audio/ogg', '.map': 'application/json',
};

/** The page: converse's bundle and stylesheet from /dist/, initialised with `settings`. */
function pageHtml(settings: Record<string, unknown>): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>converse.js test page</title>
<link rel="stylesheet" href="/dist/converse.min.css">
<script type="module" src="/dist/converse.min.js"></script>
</head><body class="converse-fullscreen">
<script type="module">converse.initialize(${JSON.stringify(settings).replace(/</g, '\\u003c')});</script>
</body></html>`;
}

/** Serves /dist/* from converse.js and `/` as the page; `origin` is its http://127.0.0.1:port. */
export class ConverseSite {
  readonly #server: Server;
  #origin = '';
  #settings: Record<string, unknown>;
  constructor(settings: Record<string, unknown> = {}) {
    this.#settings = settings;
    this.#server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(pageHtml({ assets_path: '/dist/', ...this.#settings }));
        return;
      }
      const file = normalize(join(CONVERSE_DIST, path.replace(/^\/dist\//, '/')));
      let ok = path.startsWith('/dist/') && file.startsWith(CONVERSE_DIST + sep);
      try { ok &&= statSync(file).isFile(); } catch { ok = false; }
      if (!ok) { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      createReadStream(file).pipe(res);
    });
  }

  get origin(): string { return this.#origin; }

  /** converse.initialize's settings for pages opened from now on (added to the current ones). */
  configure(settings: Record<string, unknown>): void {
    this.#settings = { ...this.#settings, ...settings };
  }

  async listen(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(port, '127.0.0.1', resolve));
    this.#origin = `http://127.0.0.1:${(this.#server.address() as { port: number }).port}`;
    return this.#origin;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** converse.js in a tab, operated through its UI. */
export class ConversePage {
  readonly page: Page;
  /** Uncaught exceptions in the page. */
  readonly errors: string[] = [];
  /** Requests to anywhere but loopback (refused). */
  readonly offsite: string[] = [];

  private constructor(page: Page) {
    this.page = page;
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => this.errors.push(err.message));
  }

  /** A new tab in its own browser context at the site; requests leaving loopback are refused. */
  static async open(browser: Browser, site: ConverseSite): Promise<ConversePage> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const chat = new ConversePage(await context.newPage());
    await context.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      if (['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
      chat.offsite.push(url.href);
      return route.abort('blockedbyclient');
    });
    await chat.page.goto(site.origin);
    return chat;
  }

  /** Sign in through converse's login form. */
  async signIn(jid: string, password: string): Promise<void> {
    await this.page.fill('#converse-login-jid', jid);
    await this.page.fill('#converse-login-password', password);
    await this.page.click('#converse-login button[type="submit"]');
  }

  /** Join `room` as `nick` through the groupchats menu's "Add groupchat" dialog. */
  async joinRoom(room: string, nick: string): Promise<void> {
    await this.page.click('converse-rooms-list converse-dropdown button.dropdown-toggle');
    await this.page.click('converse-rooms-list .show-add-muc-modal');
    const dialog = this.page.locator('converse-add-muc-modal');
    await dialog.locator('input[name="chatroom"]').fill(room);
    await dialog.locator('input[name="nickname"]').fill(nick);
    await dialog.locator('input[name="join"]').click();
  }

  /** The image the room's heading shows as its avatar (an SVG <image> href), once there is one. */
  async roomAvatar(room: string): Promise<string> {
    const image = this.page.locator(`converse-muc[jid="${room}"] converse-muc-heading converse-avatar image`);
    await image.first().waitFor({ state: 'attached' });
    return (await image.first().getAttribute('href')) ?? '';
  }

  /** The groupchat view of `room` once converse shows it as entered (its message box is there). */
  async waitForRoom(room: string): Promise<void> {
    await this.page.locator(`converse-muc[jid="${room}"] textarea.chat-textarea`).waitFor();
  }

  /** Type `text` into the room's message box and press Enter, as a person does. */
  async sendToRoom(room: string, text: string): Promise<void> {
    const box = this.page.locator(`converse-muc[jid="${room}"] textarea.chat-textarea`);
    await box.fill(text);
    await box.press('Enter');
  }

  /** Wait for a message in the room's list with this text; returns its author as shown. */
  async waitForRoomMessage(room: string, text: string): Promise<string> {
    const msg = this.page.locator(`converse-muc[jid="${room}"] converse-chat-message`, { has: this.page.locator('.chat-msg__text', { hasText: text }) });
    await msg.first().waitFor();
    return ((await msg.first().locator('.chat-msg__author').first().textContent()) ?? '').trim();
  }

  async close(): Promise<void> {
    await this.page.context().close();
  }
}
