/**
 * @module cli/drain
 * `xmpp-server drain`: stop the server running on this config's data_path so that its clients
 * carry on elsewhere (a rolling restart, a node of a cluster taken out). It asks the running
 * server (admin socket) for its graceful stop: listeners close, sessions with stream
 * management are stored and closed as resumable (XEP-0198; another node sharing the storage
 * resumes them), WebSocket clients are sent `<close see-other-uri/>` where
 * `websocket_see_other_uri` is set (RFC 7395 §3.6.1), the rest get system-shutdown. Then it
 * waits until that server has exited.
 */
import type { Config } from '../core/config.js';
import { AdminClient, adminSocketFor, askRunningServer, noServer, printReply } from './shell.js';

/** How long `drain` waits for the server to exit (its own stop has timeouts of its own). */
const WAIT_MS = 120_000;

export async function drain(config: Config, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const path = adminSocketFor(config);
  const reply = await askRunningServer(config, ['server', 'shutdown', 'drained: resume on another node']);
  if (reply === undefined) {
    err.write(noServer(path));
    return 1;
  }
  const code = printReply(reply);
  if (code !== 0) return code;
  // the server names its process; until it has exited, its stop is not over
  const pid = Number(/\(process (\d+)\)/.exec(reply.lines.join('\n'))?.[1]);
  const until = Date.now() + WAIT_MS;
  while (running(pid) && (await stillThere(pid, path))) {
    if (Date.now() > until) {
      err.write(`The server on ${path} is still running after ${WAIT_MS / 1000} s\n`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  out.write('Drained: the server has stopped\n');
  return 0;
}

/** Whether process `pid` exists (when the reply named none, only the socket can tell). */
function running(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** With a pid, running() said it all; without one, whether the admin socket still answers. */
async function stillThere(pid: number, path: string): Promise<boolean> {
  if (Number.isSafeInteger(pid) && pid > 0) return true;
  const client = await AdminClient.connect(path);
  client?.close();
  return client !== undefined;
}
