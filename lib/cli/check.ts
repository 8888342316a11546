/**
 * @module check
 * `xmpp-server check`: validate the config, every host's modules and options, certificate
 * files, listening ports and (PostgreSQL) the database, explaining each problem. Returns the exit code (1 on problems).
 */
import { createServer as createTcpServer } from 'node:net';
import { resolve } from 'node:path';
import type { HostCertificate } from '../core/certificates.js';
import { Config, loadConfigFile } from '../core/config.js';
import { createLogger } from '../core/log.js';
import { createServer } from '../index.js';
import { defaultConfig } from './default-config.js';
import type { Server } from '../core/server.js';
import { isServerError } from '../core/errors.js';
import { checkCoreOptions, checkGlobalOnly, checkModuleOptions, checkUnknownKeys, type Report } from './check-options.js';
import { checkStorage } from './check-storage.js';

/** Run every check; print one line per finding to `out`. */
export async function runCheck(configFile: string | undefined, out: NodeJS.WritableStream): Promise<number> {
  let problems = 0;
  const report: Report = {
    ok: (t) => out.write(`ok       ${t}\n`),
    problem: (t) => { problems++; out.write(`PROBLEM  ${t}\n`); },
    warn: (t) => out.write(`warning  ${t}\n`),
  };
  let server: Server;
  try {
    const loaded = configFile ? await loadConfigFile(configFile) : new Config(defaultConfig());
    // Every invalid core option is reported; the rest is checked without them.
    const config = checkCoreOptions(loaded, report);
    server = createServer(config, { logger: createLogger({ level: 'silent' }) });
    report.ok(configFile ? `config file ${resolve(configFile)} parsed` : 'no config file: the built-in default (VirtualHost localhost, chat page at /)');
  } catch (err) {
    report.problem((err as Error).message);
    return 1;
  }
  const plans = await checkModules(server, report);
  checkModuleOptions(server, report);
  checkGlobalOnly(server, report);
  checkUnknownKeys(server, report);
  checkCertificates(server, report);
  await checkPorts(plans, report);
  await checkStorage(server, report);
  out.write(problems ? `${problems} problem(s) found\n` : 'no problems found\n');
  return problems ? 1 : 0;
}

type Plans = { host: string; module: string; options: Record<string, unknown> }[];

async function checkModules(server: Server, report: Report): Promise<Plans> {
  const plans: Plans = [];
  try {
    await server.modules.resolveThirdParty(server.core.plugin_paths.map((p) => resolve(server.config.file ? resolve(server.config.file, '..') : '.', p)));
  } catch (err) {
    report.problem((err as Error).message);
  }
  for (const host of server.config.servedNames()) {
    const what = server.isComponent(host) ? 'component' : 'host';
    try {
      const steps = server.modules.plan(host);
      for (const { name, planned } of steps) plans.push({ host, module: name, options: planned.options as Record<string, unknown> });
      report.ok(`${what} ${host}: modules ${steps.map((s) => s.name).join(', ')}`);
    } catch (err) {
      // Invalid options: checkModuleOptions reports each of them, on every host.
      if (!isServerError(err) || err.code !== 'XS_ERR_OPTION_INVALID') report.problem(`${what} ${host}: ${(err as Error).message}`);
    }
  }
  return plans;
}

/**
 * Each host's certificate and key as the server will load them (the core's certificates: the
 * same error text as at start), then what only matters later: expiry and the host's name.
 */
function checkCertificates(server: Server, report: Report): void {
  for (const host of server.config.servedNames()) {
    const cert = String(server.config.raw(host, 'certificate') ?? '(unset)');
    let found: HostCertificate | undefined;
    try {
      found = server.certificates.get(host);
    } catch (err) {
      report.problem(`host ${host}: certificate ${cert} / key ${String(server.config.raw(host, 'key') ?? '(unset)')}: ${(err as Error).message}`);
      continue;
    }
    if (found === undefined) continue;
    const { x509 } = found;
    const problems: string[] = [];
    if (new Date(x509.validTo).getTime() < Date.now()) problems.push(`it expired on ${x509.validTo}`);
    if (new Date(x509.validFrom).getTime() > Date.now()) problems.push(`it is not valid before ${x509.validFrom}`);
    if (!x509.checkHost(host)) problems.push(`it does not name '${host}' (subject: ${x509.subject.replace(/\n/g, ', ')})`);
    if (problems.length) report.problem(`host ${host}: certificate ${cert}: ${problems.join('; ')}`);
    else report.ok(`host ${host}: certificate ${cert} valid until ${x509.validTo}`);
  }
}

/** Try to bind every `<x>_ports` option of every planned module on its `<x>_interfaces`. */
async function checkPorts(plans: Plans, report: Report): Promise<void> {
  const seen = new Set<string>();
  for (const { module, options } of plans) {
    for (const [name, value] of Object.entries(options)) {
      if (!name.endsWith('_ports') || !Array.isArray(value)) continue;
      const ifaceValue = options[name.replace(/_ports$/, '_interfaces')];
      const ifaces = Array.isArray(ifaceValue) ? (ifaceValue as string[]) : ['*'];
      for (const port of value as number[]) {
        for (const iface of ifaces) {
          const key = `${iface}:${port}`;
          if (port === 0 || seen.has(key)) continue;
          seen.add(key);
          const error = await tryListen(port, iface === '*' ? undefined : iface);
          if (error) report.problem(`${name} (module '${module}'): cannot listen on ${iface === '*' ? 'all interfaces' : iface} port ${port}: ${explain(error)}`);
          else report.ok(`${name} (module '${module}'): port ${port} on ${iface === '*' ? 'all interfaces' : iface} is free`);
        }
      }
    }
  }
}

function tryListen(port: number, host: string | undefined): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((done) => {
    const srv = createTcpServer();
    srv.once('error', (err: NodeJS.ErrnoException) => done(err));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => done(undefined)));
  });
}

function explain(err: NodeJS.ErrnoException): string {
  if (err.code === 'EADDRINUSE') return 'the port is in use (is another server, or this one, already running?)';
  if (err.code === 'EACCES') return 'permission denied (ports below 1024 need privileges)';
  if (err.code === 'EADDRNOTAVAIL') return 'no such local address on this machine';
  return err.message;
}
