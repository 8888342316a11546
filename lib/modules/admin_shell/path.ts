/**
 * @module admin_shell/path
 * Where the admin socket is: `admin_socket` resolved against data_path (Prosody's rule), by
 * default `<data_path>/xmpp-server.sock`. The command line finds a running server with it.
 */
import { resolve } from 'node:path';

/** The socket's file name under data_path when `admin_socket` is not set. */
export const DEFAULT_SOCKET_NAME = 'xmpp-server.sock';

/** The admin socket's path for a server whose data_path is `dataPath`. */
export function adminSocketPath(dataPath: string, option: string | undefined): string {
  return resolve(dataPath, option === undefined || option === '' ? DEFAULT_SOCKET_NAME : option);
}
