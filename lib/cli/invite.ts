/**
 * @module cli/invite
 * `xmpp-server invite create USER@HOST | HOST`: an account invitation (XEP-0401), for that
 * username only or for any, written straight to the host's invitation store (as Prosody's
 * `prosodyctl mod_invites generate`): a running server reads tokens from storage on every use,
 * so it accepts the new one at once. Prints the xmpp: URI and, when invites_page is enabled,
 * the landing page URL. Runs without loading modules (a running server may hold the ports).
 */
import type { Writable } from 'node:stream';
import type { Server } from '../core/server.js';
import type { MapStore } from '../core/module-api.js';
import { isServerError } from '../core/errors.js';
import { normalizeUsername } from '../core/storage/accounts.js';
import { parseJid } from '../core/jid.js';
import { INVITE_EXPIRY_OPTION, INVITE_STORE, InviteStore } from '../modules/invites/store.js';
import invitesPage, { INVITES_PAGE_APP, INVITES_PAGE_PATH, landingUrl } from '../modules/invites_page/index.js';
import { HTTP_OPTIONS } from '../modules/http/options.js';

export const INVITE_USAGE = '  xmpp-server invite create USER@HOST|HOST [--config FILE]   an account invitation (for that name, or any)';

/** The modules that make invitations usable on a host (each loads `invites`). */
const INVITE_MODULES = ['invites', 'invites_register', 'invites_adhoc', 'invites_page'];

/** The host's invitation store, read and written through the storage driver. */
function storeFor(server: Server, host: string): InviteStore {
  const driver = server.storage;
  const map: MapStore = {
    get: (user, key) => driver.mapGet(host, INVITE_STORE, user, key),
    set: (user, key, value) => driver.mapSet(host, INVITE_STORE, user, key, value),
    all: (user) => driver.mapAll(host, INVITE_STORE, user) as Record<string, unknown>,
    count: (user) => driver.mapCount(host, INVITE_STORE, user),
  };
  return new InviteStore(host, map, server.config.option(host, 'invite_expiry', INVITE_EXPIRY_OPTION, 'invites'));
}

/**
 * The landing page's base URL as the configuration gives it (the server may not be running):
 * http_external_url, else https when the host has a certificate, else plain http.
 */
function pageUrl(server: Server, host: string): string {
  const { config } = server;
  const o = HTTP_OPTIONS;
  const path = (config.option(host, 'http_paths', o.http_paths, 'http')[INVITES_PAGE_APP] ?? INVITES_PAGE_PATH).replace(/\$host/g, host).replace(/\/+$/, '') || '/';
  const external = config.option(host, 'http_external_url', o.http_external_url, 'http');
  if (external !== undefined) return `${external.replace(/\/+$/, '')}${path}`;
  const name = config.option(host, 'http_host', o.http_host, 'http') ?? host;
  const https = config.option(host, 'https_ports', o.https_ports, 'http')[0];
  const http = config.option(host, 'http_ports', o.http_ports, 'http')[0];
  const secure = https !== undefined && (config.source(host, 'certificate') !== undefined || http === undefined);
  const port = secure ? https : http;
  const scheme = secure ? 'https' : 'http';
  const portPart = port === undefined || port === (secure ? 443 : 80) ? '' : `:${port}`;
  return `${scheme}://${name}${portPart}${path}`;
}

/** Run `invite ...`; the exit code (0 done, 1 refused, 2 usage). */
export function inviteCommand(server: Server, args: readonly string[], out: Writable, err: Writable): number {
  const [sub, target] = args;
  if (sub !== 'create' || target === undefined) {
    err.write(`usage:\n${INVITE_USAGE}\n`);
    return 2;
  }
  const jid = parseJid(target);
  if (!jid || jid.resource !== undefined) {
    err.write(`'${target}' is neither a host nor user@host\n`);
    return 2;
  }
  const host = jid.domain;
  if (!server.isLocalHost(host)) {
    err.write(`Host '${host}' is not a VirtualHost in the config (hosts: ${server.hostNames.join(', ')})\n`);
    return 1;
  }
  if (!INVITE_MODULES.some((m) => server.moduleEnabled(m, host))) {
    err.write(`Invitations are not enabled on ${host}: add "invites_register" (and "invites_page") to modules_enabled\n`);
    return 1;
  }
  let username: string | undefined;
  try {
    username = jid.local === undefined ? undefined : normalizeUsername(jid.local);
  } catch (e) {
    err.write(`${isServerError(e) ? e.message : String(e)}\n`);
    return 1;
  }
  if (username !== undefined && server.accounts.exists(host, username)) {
    err.write(`The account ${username}@${host} exists already\n`);
    return 1;
  }
  const invite = storeFor(server, host).createAccount({ username });
  out.write(`Invitation created for ${username === undefined ? `an account on ${host}` : `${username}@${host}`}, valid until ${new Date(invite.expires).toISOString()}\n`);
  out.write(`URI: ${invite.uri}\n`);
  if (server.moduleEnabled('invites_page', host)) {
    const template = server.config.option(host, 'invites_page', invitesPage.options!.invites_page, 'invites_page');
    out.write(`Landing page: ${landingUrl(template, pageUrl(server, host), invite.token)}\n`);
  }
  return 0;
}
