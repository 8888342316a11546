/**
 * @module bench/relay
 * The ceiling: a raw `ws` relay with no XMPP. A client connects to `/?me=A&peer=B` and every
 * text message it sends goes, unchanged, to the client that connected as B, with the same
 * output batching as our server (one write per socket per event-loop turn). Run as its own
 * process by run.ts; prints `relay listening <port>` once ready.
 */
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** Start the relay on `port` (0 = any) of 127.0.0.1; resolves with the port. */
export async function startRelay(port = 0): Promise<{ port: number; close: () => Promise<void> }> {
  const http = createServer((_req, res) => res.writeHead(426).end());
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 256 * 1024 });
  const clients = new Map<string, WebSocket>();
  const sockets = new WeakMap<WebSocket, Socket>();
  const corked = new Set<Socket>();
  const uncork = (socket: Socket): void => {
    corked.delete(socket);
    socket.uncork();
  };
  wss.on('connection', (ws, req) => {
    sockets.set(ws, req.socket);
    const query = new URL(req.url ?? '/', 'http://relay').searchParams;
    const me = query.get('me') ?? '';
    const peerId = query.get('peer') ?? '';
    clients.set(me, ws);
    let peer: WebSocket | undefined;
    let peerSocket: Socket | undefined;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (peer === undefined || peer.readyState !== 1) {
        peer = clients.get(peerId);
        peerSocket = peer === undefined ? undefined : sockets.get(peer);
      }
      if (peer === undefined) return;
      // the same output batching as our server: everything for one socket in one loop turn leaves in one write
      if (peerSocket !== undefined && !corked.has(peerSocket)) {
        corked.add(peerSocket);
        peerSocket.cork();
        setImmediate(uncork, peerSocket);
      }
      peer.send(data, { binary: isBinary });
    });
    ws.on('close', () => {
      if (clients.get(me) === ws) clients.delete(me);
    });
    ws.on('error', () => ws.terminate());
  });
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  const address = http.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise<void>((resolve) => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      http.close(() => resolve());
    }),
  };
}

if (process.argv[1]?.endsWith('relay.js')) {
  const relay = await startRelay(Number(process.argv[2] ?? 0));
  process.stdout.write(`relay listening ${relay.port}\n`);
  const stop = (): void => void relay.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
