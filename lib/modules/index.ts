/**
 * @module modules
 * The built-in modules, by name. A misspelt dependency is a start error, and the
 * README's option reference is checked against the option specs declared here.
 */
import type { ModuleDefinition } from '../core/api.js';
import c2s from './c2s/index.js';
import saslauth from './saslauth/index.js';
import bind from './bind/index.js';
import http from './http/index.js';
import http_files from './http_files/index.js';
import http_openmetrics from './http_openmetrics/index.js';
import presence from './presence/index.js';
import message from './message/index.js';
import iq from './iq/index.js';
import offline from './offline/index.js';
import roster from './roster/index.js';
import disco from './disco/index.js';
import ping from './ping/index.js';
import register from './register/index.js';
import websocket from './websocket/index.js';
import limits from './limits/index.js';
import smacks from './smacks/index.js';
import csi_simple from './csi_simple/index.js';
import carbons from './carbons/index.js';
import mam from './mam/index.js';
import mucMam from './muc_mam/index.js';
import version from './version/index.js';
import time from './time/index.js';
import uptime from './uptime/index.js';
import lastactivity from './lastactivity/index.js';
import server_contact_info from './server_contact_info/index.js';
import external_services from './external_services/index.js';
import privateStorage from './private/index.js';
import vcard from './vcard/index.js';
import vcard4 from './vcard4/index.js';
import vcard_legacy from './vcard_legacy/index.js';
import vcard_muc from './vcard_muc/index.js';
import bookmarks from './bookmarks/index.js';
import tombstones from './tombstones/index.js';
import blocklist from './blocklist/index.js';
import admin_shell from './admin_shell/index.js';
import pep from './pep/index.js';
import invites from './invites/index.js';
import invites_register from './invites_register/index.js';
import invites_adhoc from './invites_adhoc/index.js';
import invites_page from './invites_page/index.js';
import pubsub from './pubsub/index.js';
import muc from './muc/index.js';
import http_file_share from './http_file_share/index.js';
import cluster from './cluster/index.js';

export const BUILTIN_MODULES: readonly ModuleDefinition[] = [
  c2s,
  saslauth,
  bind,
  http,
  http_files,
  http_openmetrics,
  presence,
  message,
  iq,
  offline,
  roster,
  disco,
  ping,
  register,
  websocket,
  limits,
  smacks,
  csi_simple,
  carbons,
  mam,
  mucMam,
  version,
  time,
  uptime,
  lastactivity,
  server_contact_info,
  external_services,
  privateStorage,
  vcard,
  vcard4,
  vcard_legacy,
  vcard_muc,
  bookmarks,
  tombstones,
  blocklist,
  admin_shell,
  pep,
  invites,
  invites_register,
  invites_adhoc,
  invites_page,
  pubsub,
  muc,
  http_file_share,
  cluster,
];
