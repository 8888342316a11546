/**
 * @module invites_page
 * A landing page for each invitation (Prosody's community mod_invites_page, XEP-0401 §5.2),
 * served by the http module at `/invite?TOKEN` (move it with `http_paths.invites_page`): how to
 * join with an XMPP app (the xmpp: URI) or in the browser (a link to the chat page carrying the
 * token). Its URL is each invitation's landing page (ad-hoc results, `xmpp-server invite create`).
 */
import { defineModule, INVALID, option } from '../../core/api.js';
import { httpUrl, type HttpRequest, type HttpResponse } from '../../core/http-api.js';
import { landingPage, PAGE_HEADERS } from './page.js';

/** The app's name (the key of http_paths) and default path. */
export const INVITES_PAGE_APP = 'invites_page';
export const INVITES_PAGE_PATH = '/invite';

/** `invites_page`'s placeholder for the token (Prosody's template syntax). */
export const TOKEN_PLACEHOLDER = '{invite.token}';

/** An invitation's landing page URL from the `invites_page` template, or from the page's own URL. */
export function landingUrl(template: string | undefined, pageUrl: string | undefined, token: string): string | undefined {
  if (template !== undefined) return template.split(TOKEN_PLACEHOLDER).join(encodeURIComponent(token));
  return pageUrl === undefined ? undefined : `${pageUrl}?${encodeURIComponent(token)}`;
}

const HTTP_URL = /^https?:\/\/[^\s/?#]+(?:\/[^\s#]*)?$/i;

export default defineModule({
  name: 'invites_page',
  depends: ['invites', 'http'],
  description: 'A web landing page for each invitation, linking to XMPP apps and the web chat page.',
  options: {
    invites_page: option.string<string | undefined>({
      default: undefined, pattern: HTTP_URL, patternText: 'that is an http(s) URL (with {invite.token} where the token goes)',
      doc: 'URL of an invitation\'s landing page, {invite.token} replaced by the token (Prosody\'s option). Default: this module\'s page, /invite?{invite.token} on the host\'s HTTP URL.',
    }),
    invites_page_chat_url: option.custom<string | false | undefined>({
      default: undefined,
      describe: 'an http(s) URL, or false',
      parse: (raw) => (raw === false || (typeof raw === 'string' && HTTP_URL.test(raw)) ? raw : INVALID),
      doc: 'The web chat page the landing page links to for registering in the browser (it reads the token from the link\'s #fragment). Default: the http_files app of the host when http_files is enabled (the chat page of examples/web); false: no link.',
    }),
    site_name: option.string<string | undefined>({ default: undefined, doc: 'The name invitation pages give the service (Prosody\'s option); default: the host name.' }),
  },
  load(module) {
    const { host, server } = module;
    const template = module.options.invites_page;
    const siteName = module.options.site_name ?? host;
    const pageUrl = (): string | undefined => httpUrl(module, INVITES_PAGE_APP, INVITES_PAGE_PATH);
    const chatUrl = (): string | undefined => {
      const configured = module.options.invites_page_chat_url;
      if (configured !== undefined) return configured === false ? undefined : configured;
      return server.moduleEnabled('http_files', host) ? httpUrl(module, 'files', '/files') : undefined;
    };

    module.hook('invite-landing-page', ({ invite }) => landingUrl(template, pageUrl(), invite.token));

    const serve = (req: HttpRequest, res: HttpResponse): number | undefined => {
      for (const [k, v] of Object.entries(PAGE_HEADERS)) res.header(k, v);
      let token: string;
      try {
        token = decodeURIComponent(req.url.search.slice(1));
      } catch {
        return 404;
      }
      const invite = token === '' ? undefined : module.service('invites')?.get(token);
      if (!invite) {
        res.status(404).header('content-type', 'text/html; charset=utf-8');
        res.page(404, 'This invitation is invalid, was already used, or has expired.');
        return undefined;
      }
      res.status(200).send(landingPage(invite, host, chatUrl(), siteName));
      return undefined;
    };
    module.provides('http', { name: INVITES_PAGE_APP, default_path: INVITES_PAGE_PATH, route: { GET: serve } });
  },
});
