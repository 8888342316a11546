/**
 * @module http_file_share
 * HTTP File Upload (XEP-0363, `urn:xmpp:http:upload:0`) as a component, Prosody's
 * mod_http_file_share: `"Component": { "upload.example.org": { "module": "http_file_share" } }`.
 * A user asks the component for a slot; the answer holds a PUT URL (with a signed bearer token)
 * and a GET URL on the http module (the app `file_share`, at `/file_share` on the component's
 * http_host; `http_external_url` behind a proxy). Files live under
 * `<data_path>/http_file_share/<component>/` named by random slot ids, with their metadata in
 * storage; they expire after `http_file_share_expires_after` in the background.
 */
import { defineModule, errorReply, parseJid, type Element, type Session, type StanzaEvent } from '../../core/api.js';
import { httpUrl } from '../../core/http-api.js';
import { getHandler } from './get.js';
import { FILE_SHARE_OPTIONS, type FileShareOptions } from './options.js';
import { putHandler } from './put.js';
import { checkLimits, NS_UPLOAD, parseRequest, quotaRefusal, refusalStanza, sizeForm, slotStanza, type Refusal } from './request.js';
import { Uploads } from './uploads.js';

declare module '../../core/api.js' {
  interface Events {
    /** Component bus: delete expired uploads now (a run is bounded by http_file_share_expiry_batch); resolves to how many went. */
    'http_file_share/expire': Record<string, never>;
  }
}

const APP = 'file_share';
const HOUR_MS = 3_600_000;

/** Prosody's default: ten files of the largest size a day. */
function dailyQuota(o: FileShareOptions): number {
  return o.http_file_share_daily_quota ?? 10 * o.http_file_share_size_limit;
}

export default defineModule({
  name: 'http_file_share',
  depends: ['http', 'disco'],
  events: ['http_file_share/*'],
  description: 'HTTP File Upload (XEP-0363) as a component: upload slots, files served over HTTP, quotas and expiry.',
  options: FILE_SHARE_OPTIONS,
  load(module) {
    const o = module.options;
    const uploads = new Uploads(module, o.http_file_share_secret);
    const active = new Set<string>();

    // XEP-0363 §3: disco#info identity store/file, the feature and the size form
    const name = module.server.config.raw(module.host, 'name');
    module.provides('identity', { category: 'store', type: 'file', name: typeof name === 'string' ? name : 'HTTP File Upload' });
    module.provides('feature', NS_UPLOAD);
    module.provides('disco-extension', sizeForm(o.http_file_share_size_limit));

    module.provides('http', {
      name: APP,
      default_path: `/${APP}`,
      body: 'stream',
      // Browser clients upload from their own origin: the preflight must allow the token and type.
      cors: { headers: ['Authorization', 'Content-Type'], methods: ['GET', 'HEAD', 'PUT'] },
      route: {
        'PUT /*': putHandler(uploads, active, module.log),
        'GET /*': getHandler(uploads, o.http_file_share_safe_file_types),
      },
    });

    /** The VirtualHosts whose users may upload when no access list is set: the parent, else all. */
    const parents = module.server.hostNames.filter((h) => module.host.endsWith(`.${h}`));
    const access = new Set(o.http_file_share_access.map((e) => e.toLowerCase()));
    const mayUpload = (origin: Session | undefined, jid: { bare: string; domain: string }): boolean => {
      if (access.size > 0) return access.has(jid.bare) || access.has(jid.domain);
      if (origin?.authenticated !== true) return false;
      return parents.length > 0 ? parents.includes(jid.domain) : module.server.isLocalHost(jid.domain);
    };

    const send = (origin: Session | undefined, el: Element): true => {
      if (origin) origin.send(el);
      else module.server.route(el);
      return true;
    };

    module.hook(`iq-get/host/${NS_UPLOAD}:request`, ({ origin, stanza }: StanzaEvent) => {
      const from = parseJid(stanza.attrs.from as string | undefined);
      // XEP-0363 §4 (example 8): not-allowed for who may not upload
      if (!from || !mayUpload(origin, from)) return send(origin, errorReply(stanza, 'cancel', 'not-allowed', 'You are not allowed to upload files here'));
      const request = stanza.getChild('request', NS_UPLOAD)!;
      const ask = parseRequest(request, o);
      if ('condition' in ask) return send(origin, refusalStanza(stanza, ask));
      const now = Date.now();
      let refusal: Refusal | undefined = checkLimits(ask, o);
      if (!refusal) {
        const quota = dailyQuota(o);
        const { used, fitsAt } = uploads.usage(from.bare, now, ask.size, quota);
        if (used + ask.size > quota) refusal = quotaRefusal('Daily quota reached', fitsAt);
      }
      const globalQuota = o.http_file_share_global_quota;
      if (!refusal && globalQuota !== undefined && uploads.total + ask.size > globalQuota) refusal = quotaRefusal('Global quota reached', undefined);
      if (refusal) return send(origin, refusalStanza(stanza, refusal));
      const base = httpUrl(module, APP, `/${APP}`);
      if (base === undefined) return send(origin, errorReply(stanza, 'wait', 'internal-server-error', 'File sharing is not reachable over HTTP'));
      const slot = { owner: from.bare, name: ask.name, size: ask.size, type: ask.type, created: now, deadline: now + o.http_file_share_slot_expires_after * 1000 };
      const id = uploads.create(slot);
      const url = `${base.replace(/\/+$/, '')}/${id}/${encodeURIComponent(ask.name)}`;
      module.log.info({ slot: id, owner: from.bare, size: ask.size, type: ask.type }, 'upload slot issued');
      return send(origin, slotStanza(stanza, url, url, uploads.token(id, slot)));
    });

    // Expiry: at start, hourly, and again at once while a run leaves expired files behind.
    let running: Promise<number> | undefined;
    const sweep = async (): Promise<number> => {
      const after = o.http_file_share_expires_after;
      if (after < 0) return 0;
      let deleted = 0;
      for (;;) {
        const run = await uploads.expire(Date.now() - after * 1000, o.http_file_share_expiry_batch);
        deleted += run.deleted;
        if (!run.more || run.deleted === 0) break;
      }
      if (deleted > 0) module.log.info({ deleted }, 'expired uploads deleted');
      return deleted;
    };
    const expireNow = (): Promise<number> => {
      running ??= sweep().finally(() => { running = undefined; });
      return running;
    };
    module.hook('http_file_share/expire', () => expireNow());
    const tick = (): void => {
      expireNow().catch((err: unknown) => module.log.error({ err }, 'expiring uploads failed'));
    };
    module.setTimer(0, tick);
    module.setInterval(HOUR_MS, tick);
  },
});
