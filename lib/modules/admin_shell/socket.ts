/**
 * @module admin_shell/socket
 * The admin socket: a UNIX socket only its owner may use (mode 0600, created so from the
 * start), one JSON request per line in, one JSON reply per line out, requests of a connection
 * answered in order. A socket file left by a crashed server is replaced; one a live server
 * answers on refuses the start. The file is removed when the socket closes.
 *
 * Request: `{"line": "c2s show"}` (a shell line) or `{"args": ["user", "delete", "a@b"]}`.
 * Reply: `{"ok": true, "lines": [...]}` or `{"ok": false, "lines": [...], "error": "..."}`.
 */
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { ServerError, type Logger } from '../../core/api.js';

export interface AdminRequest {
  readonly line?: string;
  readonly args?: readonly string[];
}

export interface AdminReply {
  readonly ok: boolean;
  readonly lines: readonly string[];
  readonly error?: string;
  /** Runs once the reply is written (a shutdown starts after its confirmation went out). */
  readonly after?: () => void;
}

export interface AdminSocket {
  readonly path: string;
  close(): Promise<void>;
}

export interface AdminSocketOptions {
  /** Most bytes of one request line (admin_shell_max_request_bytes). */
  readonly maxRequestBytes: number;
  readonly log: Logger;
}

/**
 * Listen on `path` and answer each request with `handle`.
 * @throws XS_ERR_MODULE_LOAD when a live server answers on `path`, or it is not a socket, or listening fails
 */
export async function openAdminSocket(path: string, handle: (req: AdminRequest) => Promise<AdminReply>, options: AdminSocketOptions): Promise<AdminSocket> {
  const refuse = (reason: string): ServerError => new ServerError('XS_ERR_MODULE_LOAD', { module: 'admin_shell', host: '*', reason });
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  await removeStale(path, refuse);
  const connections = new Set<Socket>();
  const server = createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    serve(socket, handle, options);
  });
  // The socket file is created 0600: no moment where another user could connect.
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => { server.off('error', reject); resolve(); });
    });
  } catch (err) {
    throw refuse(`cannot listen on the admin socket ${path} (admin_socket): ${(err as Error).message}`);
  } finally {
    process.umask(umask);
  }
  chmodSync(path, 0o600);
  server.on('error', (err) => options.log.error({ err }, 'admin socket error'));
  options.log.info({ path }, 'admin socket listening');
  return {
    path,
    close: () => closeServer(server, connections, path),
  };
}

/** A socket file nobody answers on is a crashed server's: remove it. A live one refuses. */
async function removeStale(path: string, refuse: (reason: string) => ServerError): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw refuse(`${path} exists and is not a socket (admin_socket): remove it or choose another path`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => { probe.destroy(); resolve(true); });
    probe.once('error', () => resolve(false));
  });
  if (live) throw refuse(`another server is running on this data_path: its admin socket ${path} answers (stop it first, or give this server another data_path or admin_socket)`);
  unlinkSync(path);
}

function serve(socket: Socket, handle: (req: AdminRequest) => Promise<AdminReply>, options: AdminSocketOptions): void {
  let buffered = '';
  let queue = Promise.resolve();
  socket.setEncoding('utf8');
  socket.on('error', () => undefined);
  const answer = (reply: AdminReply): void => {
    if (socket.destroyed) return;
    const { after, ...wire } = reply;
    socket.write(`${JSON.stringify(wire)}\n`, () => after?.());
  };
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() === '') continue;
      queue = queue.then(async () => answer(await respond(line, handle, options.log)));
    }
    if (Buffer.byteLength(buffered) > options.maxRequestBytes) {
      buffered = '';
      queue = queue.then(() => {
        answer({ ok: false, lines: [], error: `request longer than admin_shell_max_request_bytes (${options.maxRequestBytes})` });
        socket.end();
      });
    }
  });
}

/** One request line to its reply; bad input is an error reply, never a crash. */
async function respond(line: string, handle: (req: AdminRequest) => Promise<AdminReply>, log: Logger): Promise<AdminReply> {
  let req: unknown;
  try {
    req = JSON.parse(line);
  } catch {
    return { ok: false, lines: [], error: 'a request is one JSON object per line: {"line": "c2s show"}' };
  }
  const r = req as AdminRequest;
  const valid = typeof req === 'object' && req !== null
    && (typeof r.line === 'string' || (Array.isArray(r.args) && r.args.every((a) => typeof a === 'string')));
  if (!valid) return { ok: false, lines: [], error: 'a request needs "line" (a string) or "args" (an array of strings)' };
  try {
    return await handle(r);
  } catch (err) {
    log.error({ err }, 'admin command failed');
    return { ok: false, lines: [], error: (err as Error)?.message ?? String(err) };
  }
}

async function closeServer(server: Server, connections: Set<Socket>, path: string): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const c of connections) c.end();
  setTimeout(() => { for (const c of connections) c.destroy(); }, 1000).unref();
  await closed;
  try {
    unlinkSync(path); // net removes it on close already; this covers the rest
  } catch {
    // already gone
  }
}
