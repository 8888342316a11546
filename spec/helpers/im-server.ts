/**
 * Test helper for the IM modules: the shared test server (spec/helpers/server.ts) without TLS,
 * SASL PLAIN allowed, accounts created up front, and the client helpers bound to its port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server, RawConfig, ModuleDefinition } from '../../lib/index.js';
import { rawClient, xmppJsClient, type ImClient, type RawStream } from './im-clients.js';
import { startTestServer } from './server.js';

export interface ImServer {
  readonly server: Server;
  readonly port: number;
  /** Connect with @xmpp/client. */
  xmppjs(user: string, resource?: string): Promise<ImClient>;
  /** Connect with the raw scripted client. */
  raw(user: string, resource?: string): Promise<ImClient & { stream: RawStream }>;
  /** Stop the clients this helper opened, then the server. */
  stop(): Promise<void>;
}

export const PASSWORD = 'secret-pw';

/** What every IM test adds to the test server defaults: no TLS, PLAIN allowed, the IM modules. */
export const IM_CONFIG: RawConfig = Object.freeze({
  c2s_require_encryption: false,
  allow_unencrypted_plain_auth: true,
  modules_enabled: ['roster', 'saslauth', 'disco', 'ping'],
});

/**
 * Start a server (startTestServer + IM_CONFIG + `extra`) and create `users` (password PASSWORD);
 * `modules`: extra module definitions (test modules) the config may enable.
 */
export async function startImServer(users: readonly string[] = [], extra: RawConfig = {}, modules?: readonly ModuleDefinition[]): Promise<ImServer> {
  const t = await startTestServer({ ...IM_CONFIG, ...extra }, { users: Object.fromEntries(users.map((u) => [u, PASSWORD])), modules });
  const clients: ImClient[] = [];
  const track = async <C extends ImClient>(p: Promise<C>): Promise<C> => {
    const c = await p;
    clients.push(c);
    return c;
  };
  return {
    server: t.server,
    port: t.c2sPort,
    xmppjs: (user, resource) => track(xmppJsClient(t.c2sPort, user, PASSWORD, resource)),
    raw: (user, resource) => track(rawClient(t.c2sPort, user, PASSWORD, resource)),
    stop: async () => {
      await Promise.all(clients.map((c) => c.stop()));
      await t.stop();
    },
  };
}

/** A temporary folder for SQLite data, removed by the returned function. */
export function tempDataPath(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'xmpp-im-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
