/**
 * @module bench/micro/fanout-path
 * In-process cost of fan-out (core fanout.ts) and of the 1:1 WebSocket framing it changed.
 * 1. One 1:1 message framed for WebSocket: `serialize(frameElement(el))` (a copy with xmlns,
 *    then serialised) against `frameText(el)` (the namespace written on the start tag).
 * 2. One groupchat message to N bound sessions on null WebSocket-like transports, per copy:
 *    a `withAttrs` copy per recipient (full serialisation each) through `server.route`;
 *    prepared copies (content serialised once) through `server.route`; prepared copies handed
 *    straight to `session.send`. Process CPU per delivered copy.
 * `node build/bench/micro/fanout-path.js [occupants] [rounds]` after `npm run build`.
 */
import { createServer, prepareBroadcast, serialize, withAttrs, xml, type Element, type Server } from '../../lib/index.js';
import { frameElement, frameText } from '../../lib/modules/websocket/framing.js';
import { BODY, frame, median, MICRO_CONFIG, NullTransport } from './harness.js';

/** Serialises as the websocket module does. */
class WsLikeTransport extends NullTransport {
  override send(element: Element): void {
    this.bytes += frameText(element).length;
    if (element.name === 'message') this.stanzas++;
  }
}

function framing(n: number): { copy: number; text: number } {
  const el = withAttrs(frame(`<message xmlns="jabber:client" to="b@localhost" type="chat" id="m1"><body>hello ${BODY}</body><active xmlns="http://jabber.org/protocol/chatstates"/></message>`), { xmlns: undefined, from: 'a@localhost/r' });
  let sink = 0;
  const time = (fn: () => string): number => {
    const start = process.cpuUsage();
    for (let i = 0; i < n; i++) sink += fn().length;
    const used = process.cpuUsage(start);
    return ((used.user + used.system) * 1000) / n;
  };
  const copy = time(() => serialize(frameElement(el)));
  const text = time(() => frameText(el));
  if (sink === 0) throw new Error('nothing serialised');
  return { copy, text };
}

type Mode = 'copy per recipient, route' | 'prepared, route' | 'prepared, session.send';

async function fanout(occupants: number): Promise<{ round(mode: Mode): Promise<number>; stop(): Promise<void> }> {
  const server: Server = createServer({ storage: 'memory', ...MICRO_CONFIG, modules_enabled: ['saslauth', 'blocklist', 'carbons'] });
  await server.start();
  const ts: WsLikeTransport[] = [];
  const jids: string[] = [];
  for (let i = 0; i < occupants; i++) {
    const t = new WsLikeTransport();
    const w = server.sessions.create(t);
    w.streamOpened({ to: 'localhost', version: '1.0' });
    w.setAuthenticated(`u${i}`);
    w.streamOpened({ to: 'localhost', version: '1.0' });
    w.bindResource('r');
    w.received(xml('presence'));
    ts.push(t);
    jids.push(`u${i}@localhost/r`);
  }
  let seq = 0;
  return {
    async round(mode: Mode): Promise<number> {
      const before = ts.reduce((a, t) => a + t.stanzas, 0);
      const messages = 20;
      const start = process.cpuUsage();
      for (let m = 0; m < messages; m++) {
        const template = xml('message', { from: 'room@conference.localhost/nick', type: 'groupchat', id: `g${seq++}` },
          xml('body', {}, `hello ${BODY}`),
          xml('occupant-id', { xmlns: 'urn:xmpp:occupant-id:0', id: 'dGhpcyBpcyBhbiBvY2N1cGFudCBpZA==' }),
          xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: 'room@conference.localhost', id: `sid-${seq}` }));
        if (mode === 'copy per recipient, route') {
          for (const to of jids) server.route(withAttrs(template, { to }));
        } else {
          const prepared = prepareBroadcast(template);
          if (mode === 'prepared, route') for (const to of jids) server.route(prepared.copyTo(to));
          else for (const to of jids) server.sessions.get(to)!.send(prepared.copyTo(to));
        }
        await new Promise((r) => setImmediate(r));
      }
      const used = process.cpuUsage(start);
      const delivered = ts.reduce((a, t) => a + t.stanzas, 0) - before;
      if (delivered !== messages * occupants) throw new Error(`delivered ${delivered} of ${messages * occupants}`);
      return ((used.user + used.system) * 1000) / delivered;
    },
    stop: () => server.stop(),
  };
}

const occupants = Number(process.argv[2] ?? 1000);
const rounds = Number(process.argv[3] ?? 9);

const framings: { copy: number; text: number }[] = [];
framing(200_000); // warm-up
for (let r = 0; r < rounds; r++) framings.push(framing(200_000));
const copy = median(framings.map((f) => f.copy));
const text = median(framings.map((f) => f.text));
console.log(`1:1 WebSocket framing, median of ${rounds} rounds (ns of CPU per message):`);
console.log(`  serialize(frameElement(el))  ${copy.toFixed(0)} ns`);
console.log(`  frameText(el)                ${text.toFixed(0)} ns (${((text / copy - 1) * 100).toFixed(1)}%)`);

const modes: Mode[] = ['copy per recipient, route', 'prepared, route', 'prepared, session.send'];
const f = await fanout(occupants);
for (const mode of modes) await f.round(mode); // warm-up
const results: number[][] = modes.map(() => []);
for (let r = 0; r < rounds; r++) for (let m = 0; m < modes.length; m++) results[m]!.push(await f.round(modes[m]!));
console.log(`fan-out of a groupchat message to ${occupants} sessions (blocklist, carbons loaded), median of ${rounds} rounds (ns of CPU per delivered copy):`);
const base = median(results[0]!);
modes.forEach((mode, m) => {
  const v = median(results[m]!);
  console.log(`  ${mode.padEnd(26)} ${v.toFixed(0)} ns${m === 0 ? '' : ` (${((v / base - 1) * 100).toFixed(1)}%)`}`);
});
await f.stop();
