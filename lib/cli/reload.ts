/**
 * @module cli/reload
 * SIGHUP for `xmpp-server start`: read the config file again and apply it (as the admin shell's
 * `config reload` does), logging what took effect and what needs a restart.
 */
import type { Server } from '../core/server.js';

/** Reload the config on SIGHUP until the server stops. */
export function reloadOnHangup(server: Server): void {
  const onHangup = (): void => {
    server.log.info({ signal: 'SIGHUP' }, 'signal received: reloading the config');
    server.control.reloadConfig().then(
      (report) => {
        for (const line of report.applied) server.log.info({ change: line }, 'config reload: applied');
        for (const line of report.restart) server.log.warn({ change: line }, 'config reload: needs a restart');
        for (const line of report.failed) server.log.error({ change: line }, 'config reload: failed');
      },
      (err: unknown) => { server.log.error({ err }, 'config reload failed; the running config stays'); },
    );
  };
  process.on('SIGHUP', onHangup);
  server.events.on('server-stopped', () => { process.off('SIGHUP', onHangup); });
}
