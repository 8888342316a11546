/**
 * The byte layer of the scripted client: an XML stream over TCP (RFC 6120 §4) or over
 * WebSocket (RFC 7395), behind one interface so the client never branches on the transport.
 */
import { connect as tcpConnect } from 'node:net';
import { WebSocket } from 'ws';
import { StreamParser } from '../core/xml-parser.js';
import { parseFrame } from '../core/xml-frame.js';
import { NS_CLIENT, NS_FRAMING, serialize, withNamespace, type Element } from '../core/xml.js';

export interface ConnectionEvents {
  /** A top-level element of the stream (stanza or nonza); framing elements are not reported. */
  element(el: Element): void;
  /** The connection ended (the peer closed the stream or the socket). */
  closed(): void;
}

export interface StreamConnection {
  /** Open the stream to `domain` (again after SASL: RFC 6120 §6.4.6). */
  open(domain: string): void;
  send(el: Element): void;
  /** Close the stream, wait (bounded by `ms`) for the peer to close, then drop the connection. */
  close(ms: number): Promise<void>;
}

const STREAM_HEADER = (domain: string): string =>
  `<?xml version='1.0'?><stream:stream xmlns='${NS_CLIENT}' xmlns:stream='http://etherx.jabber.org/streams' to='${domain}' version='1.0'>`;

/** A c2s connection over plain TCP. */
export async function connectTcp(host: string, port: number, events: ConnectionEvents): Promise<StreamConnection> {
  const socket = tcpConnect({ host, port });
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  const parser = new StreamParser({
    streamOpen: () => undefined,
    element: (el) => events.element(el),
    streamClose: () => socket.end(),
    error: () => socket.destroy(),
  }, { maxStanzaSize: 16 * 1024 * 1024 });
  socket.on('data', (d: Buffer) => parser.write(d));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => { events.closed(); resolve(); }));
  return {
    open(domain) {
      parser.reset();
      socket.write(STREAM_HEADER(domain));
    },
    send(el) { if (!socket.destroyed) socket.write(serialize(el)); },
    async close(ms) {
      if (!socket.destroyed && socket.writable) socket.write('</stream:stream>');
      const timer = setTimeout(() => socket.destroy(), ms);
      await closed;
      clearTimeout(timer);
    },
  };
}

/** A c2s connection over WebSocket, `xmpp` subprotocol, one element per message (RFC 7395 §3.3.3). */
export async function connectWebSocket(url: string, events: ConnectionEvents): Promise<StreamConnection> {
  const ws = new WebSocket(url, 'xmpp');
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  const closed = new Promise<void>((resolve) => ws.once('close', () => { events.closed(); resolve(); }));
  ws.on('error', () => undefined);
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const parsed = parseFrame(isBinary ? '' : data.toString('utf8'), { maxDepth: 256, maxAttributes: 256 });
    if ('error' in parsed) { ws.terminate(); return; }
    const el = parsed.element;
    if (el.attrs.xmlns === NS_FRAMING) {
      // RFC 7395 §3.6: the server's <close/> ends the stream; answer by closing the WebSocket.
      if (el.name === 'close') ws.close(1000);
      return;
    }
    events.element(el);
  });
  const frame = (text: string): void => { if (ws.readyState === WebSocket.OPEN) ws.send(text); };
  return {
    open(domain) { frame(`<open xmlns='${NS_FRAMING}' to='${domain}' version='1.0'/>`); },
    // RFC 7395 §3.3.3: every element carries its namespace explicitly.
    send(el) { frame(serialize(el.attrs.xmlns === undefined ? withNamespace(el, NS_CLIENT) : el)); },
    async close(ms) {
      frame(`<close xmlns='${NS_FRAMING}'/>`);
      const timer = setTimeout(() => ws.terminate(), ms);
      await closed;
      clearTimeout(timer);
    },
  };
}
