/**
 * Test helper: real nginx and Apache httpd as reverse proxies on loopback, each a foreground
 * child process with its own temp prefix and config, on free ports (plain and TLS), running
 * the snippet that examples/nginx.conf or examples/apache.conf ships. A missing binary is an
 * error, never a skip: .ci/run installs both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A running proxy. */
export interface ProxyProcess {
  readonly kind: 'nginx' | 'apache';
  /** Plain HTTP port on 127.0.0.1. */
  readonly httpPort: number;
  /** TLS port on 127.0.0.1 (same snippet, X-Forwarded-Proto https). */
  readonly httpsPort: number;
  /** Everything the process wrote (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** What the proxy needs: the server's port and a certificate for its TLS listener. */
export interface ProxyOptions {
  readonly upstreamPort: number;
  readonly certificate: string;
  readonly key: string;
  /** The marked blocks of the example to run (default: ['xmpp-websocket']). */
  readonly blocks?: readonly string[];
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Find an executable on PATH plus the sbin folders; throw a clear error if absent. */
export function findExecutable(name: string, hint: string): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // try the next folder
    }
  }
  throw new Error(`${name} is not installed: ${hint} (.ci/run installs it; these e2e tests never skip)`);
}

/**
 * A tested snippet of an example config (between `# >>> <block>` and `# <<< <block>`, by
 * default `xmpp-websocket`), pointed at `port` instead of 5280.
 */
export function exampleSnippet(file: 'nginx.conf' | 'apache.conf', port: number, block = 'xmpp-websocket'): string {
  const text = readFileSync(join(ROOT, 'examples', file), 'utf8');
  const m = new RegExp(`# >>> ${block}\\n([^]*?)\\n\\s*# <<< ${block}`).exec(text);
  if (!m) throw new Error(`examples/${file} has no '# >>> ${block}' ... '# <<< ${block}' block`);
  if (!m[1]!.includes('localhost:5280')) throw new Error(`the snippet in examples/${file} does not point at localhost:5280`);
  return m[1]!.replaceAll('localhost:5280', `localhost:${port}`);
}

/** A currently free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => { socket.destroy(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
}

const isRoot = process.getuid?.() === 0;

async function run(kind: 'nginx' | 'apache', command: string, args: string[], dir: string, ports: [number, number], logFile?: string): Promise<ProxyProcess> {
  let streamed = '';
  const output = (): string => {
    let logged = '';
    try {
      if (logFile) logged = readFileSync(logFile, 'utf8');
    } catch {
      // not written yet, or removed at stop
    }
    return streamed + logged;
  };
  // Its own process group: Apache workers holding a WebSocket tunnel can outlive the parent,
  // so stop() signals the whole group.
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const signalGroup = (signal: NodeJS.Signals): void => {
    try { process.kill(-child.pid!, signal); } catch { /* already gone */ }
  };
  child.stdout!.on('data', (c: Buffer) => { streamed += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { streamed += c.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let running = true;
  void exited.then(() => { running = false; });
  let final = '';
  const stop = async (): Promise<void> => {
    if (running) {
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    signalGroup('SIGKILL');
    final = output();
    rmSync(dir, { recursive: true, force: true });
  };
  // Wait until both ports accept connections (the deadline is only a safety net).
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (!running) {
      await stop();
      throw new Error(`${kind} exited at start:\n${final}`);
    }
    if ((await canConnect(ports[0])) && (await canConnect(ports[1]))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${kind} did not start listening on ${ports.join(' and ')}:\n${final}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { kind, httpPort: ports[0], httpsPort: ports[1], output: () => final || output(), stop };
}

/** Start nginx in the foreground with the example snippet in a plain and a TLS server block. */
export async function startNginx(o: ProxyOptions): Promise<ProxyProcess> {
  const snippet = (o.blocks ?? ['xmpp-websocket']).map((b) => exampleSnippet('nginx.conf', o.upstreamPort, b)).join('\n');
  return startNginxWith({ server: snippet, certificate: o.certificate, key: o.key });
}

/** Start nginx in the foreground with `server` in a plain and a TLS server block, and `http` before them. */
export async function startNginxWith(o: { readonly http?: string; readonly server: string; readonly certificate: string; readonly key: string }): Promise<ProxyProcess> {
  const nginx = findExecutable('nginx', 'apt-get install nginx');
  const dir = mkdtempSync(join(tmpdir(), 'xs-nginx-'));
  const [http, https] = [await freePort(), await freePort()];
  const snippet = o.server;
  const config = `
daemon off;
master_process on;
worker_processes 1;
${isRoot ? 'user root root;' : ''}
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${o.http ?? ''}
  server {
    listen 127.0.0.1:${http};
    server_name _;
${snippet}
  }
  server {
    listen 127.0.0.1:${https} ssl;
    server_name _;
    ssl_certificate ${o.certificate};
    ssl_certificate_key ${o.key};
${snippet}
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), config);
  return run('nginx', nginx, ['-e', 'stderr', '-p', dir, '-c', join(dir, 'nginx.conf')], dir, [http, https]);
}

/** Start Apache httpd in the foreground with the example snippet in a plain and a TLS VirtualHost. */
export async function startApache(o: ProxyOptions): Promise<ProxyProcess> {
  const apache = findExecutable('apache2', 'apt-get install apache2');
  const modules = '/usr/lib/apache2/modules';
  if (!existsSync(join(modules, 'mod_proxy_wstunnel.so'))) throw new Error(`Apache modules not found in ${modules} (apt-get install apache2)`);
  const dir = mkdtempSync(join(tmpdir(), 'xs-apache-'));
  const [http, https] = [await freePort(), await freePort()];
  const snippet = exampleSnippet('apache.conf', o.upstreamPort);
  const load = (name: string, file = `mod_${name}.so`): string => `LoadModule ${name}_module ${modules}/${file}`;
  const config = `
ServerRoot ${dir}
ServerName localhost
DefaultRuntimeDir ${dir}
PidFile ${dir}/httpd.pid
# A file: /dev/stderr cannot be opened when stderr is a pipe.
ErrorLog ${dir}/error.log
LogLevel warn
${load('mpm_event')}
${load('authz_core')}
${load('headers')}
${load('proxy')}
${load('proxy_http')}
${load('proxy_wstunnel')}
${load('socache_shmcb')}
${load('ssl')}
${isRoot ? 'User www-data\nGroup www-data' : ''}
SSLSessionCache shmcb:${dir}/ssl_scache(512000)
Listen 127.0.0.1:${http}
Listen 127.0.0.1:${https}
<VirtualHost 127.0.0.1:${http}>
${snippet}
</VirtualHost>
<VirtualHost 127.0.0.1:${https}>
    SSLEngine on
    SSLCertificateFile ${o.certificate}
    SSLCertificateKeyFile ${o.key}
${snippet}
</VirtualHost>
`;
  writeFileSync(join(dir, 'httpd.conf'), config);
  return run('apache', apache, ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'], dir, [http, https], join(dir, 'error.log'));
}
