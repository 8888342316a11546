/**
 * Test helper (a child process): one client that floods the server with messages to itself
 * over TCP as fast as the socket takes them, reading and discarding the echoes. Started with
 * `fork(file, [port, user, password, seconds])`; reports { sent } when done.
 */
import { login } from './wire-client.js';

const [port, user, password, seconds] = process.argv.slice(2);
const { client, jid } = await login(Number(port), user!, password!, 'flood');
const socket = client.socket;
// Discard what comes back (the wire client keeps text; the flood must not grow the child forever).
socket.removeAllListeners('data');
socket.on('data', () => undefined);
const chunk = Array.from({ length: 500 }, (_, i) => `<message to='${jid}' type='chat' id='f${i}'><body>flood ${i}</body></message>`).join('');
const end = Date.now() + Number(seconds) * 1000;
let sent = 0;
process.send?.({ type: 'started' });
while (Date.now() < end) {
  sent += 500;
  if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
}
process.send?.({ type: 'done', sent });
socket.destroy();
process.exit(0);
