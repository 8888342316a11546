/**
 * @module http_openmetrics
 * Metrics for Prometheus (Prosody's mod_http_openmetrics): the host-agnostic http app
 * `openmetrics` at `/metrics`, in OpenMetrics text when the scraper asks for it (`Accept:
 * application/openmetrics-text`, as Prometheus does) and Prometheus text 0.0.4 otherwise.
 * Readable only from `openmetrics_allow_ips` (loopback by default) and `openmetrics_allow_cidr`;
 * behind a trusted proxy that is the forwarded client address (`request.ip`), so a public
 * client of the proxy is refused. Others get 403.
 *
 * Counts come from the events that exist (session-created, authentication-success/-failure,
 * c2s-closed, smacks-hibernation-*) and, where the core fires none, from `server.stats`
 * (stanzas, back-pressure, WebSocket close codes, storage latency), read at scrape time.
 * Enable it in the global modules_enabled: the per-host counts come from the hosts it runs on.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { AddressList, defineModule, type CloseReason, type Session } from '../../core/api.js';
import type { HttpRequest, HttpResponse, HttpResult } from '../../core/http-api.js';
import { createRegistry, takeSnapshot, Tallies, type ProcessSnapshot } from './metrics.js';
import { OPENMETRICS_OPTIONS } from './options.js';

/** The module's state on one server (what load() returns). */
interface State {
  readonly tallies: Tallies;
}

/** Why a session ended, for the `reason` label. */
function closeKind(reason: CloseReason | undefined): string {
  if (reason?.condition !== undefined) return 'stream_error';
  return reason?.dropped === true ? 'dropped' : 'normal';
}

/** Whether the scraper asked for OpenMetrics (RFC 9110 §12.5.1, without weights: asked at all). */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return accept.split(',').some((part) => {
    const [type, ...params] = part.split(';').map((x) => x.trim().toLowerCase());
    return type === 'application/openmetrics-text' && !params.some((p) => /^q=0(?:\.0*)?$/.test(p));
  });
}

function countClosed(tallies: Tallies, host: string, session: Session, reason: CloseReason | undefined): void {
  tallies.sessionsClosed.inc({ host, transport: session.transport.kind, reason: closeKind(reason) });
  if (reason?.condition !== undefined) tallies.streamErrors.inc({ host, condition: reason.condition });
}

export default defineModule({
  name: 'http_openmetrics',
  global: true,
  depends: ['http'],
  description: 'Metrics at /metrics in OpenMetrics / Prometheus text (Prosody\'s mod_http_openmetrics), for allowed addresses only.',
  options: OPENMETRICS_OPTIONS,

  load(module): State {
    const allowed = new AddressList([...module.options.openmetrics_allow_ips, ...module.options.openmetrics_allow_cidr]);
    const tallies = new Tallies();
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    module.onUnload(() => { loop.disable(); });
    let snapshot: ProcessSnapshot | undefined;
    const source = {
      server: module.server,
      tallies,
      process: (): ProcessSnapshot => (snapshot ??= takeSnapshot(loop)),
    };
    const registries = {
      prometheus: createRegistry(source, Registry.PROMETHEUS_CONTENT_TYPE),
      openmetrics: createRegistry(source, Registry.OPENMETRICS_CONTENT_TYPE),
    };

    const serve = async (req: HttpRequest, res: HttpResponse): Promise<HttpResult> => {
      if (!allowed.has(req.ip)) {
        module.log.info({ ip: req.ip }, 'metrics request refused (openmetrics_allow_ips, openmetrics_allow_cidr)');
        return 403;
      }
      const registry = wantsOpenMetrics(req.headers.accept) ? registries.openmetrics : registries.prometheus;
      snapshot = undefined; // one reading of the process per scrape
      const text = await registry.metrics();
      res.header('cache-control', 'no-store');
      res.send(req.method === 'HEAD' ? undefined : text, registry.contentType);
      return undefined;
    };
    module.provides('http', {
      name: 'openmetrics',
      default_path: '/metrics',
      cors: { enabled: false },
      route: { GET: serve },
    });

    // Sessions without a host yet (closed before their stream named one) end on the global bus.
    module.hook('session-created', ({ session }) => { tallies.sessionsCreated.inc({ transport: session.transport.kind }); });
    module.hook('c2s-closed', ({ session, reason }) => { countClosed(tallies, session.host ?? '', session, reason); });
    return { tallies };
  },

  addHost(module, { tallies }) {
    const host = module.host;
    module.hook('authentication-success', ({ mechanism }) => { tallies.authentications.inc({ host, mechanism, outcome: 'success' }); });
    module.hook('authentication-failure', ({ mechanism }) => { tallies.authentications.inc({ host, mechanism: mechanism ?? '', outcome: 'failure' }); });
    module.hook('c2s-closed', ({ session, reason }) => { countClosed(tallies, host, session, reason); });
    module.hook('smacks-hibernation-start', () => { tallies.hibernations.inc({ host }); });
    module.hook('smacks-hibernation-end', () => { tallies.resumptions.inc({ host }); });
    module.hook('smacks-hibernation-timeout', () => { tallies.hibernationTimeouts.inc({ host }); });
  },
});
