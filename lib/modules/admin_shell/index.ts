/**
 * @module admin_shell
 * Prosody's mod_admin_shell: `xmpp-server shell` talks to the running server over a UNIX socket
 * only its owner can use (`admin_socket`, default `<data_path>/xmpp-server.sock`, mode 0600):
 * sessions (show, close), users (list, create, password, delete), modules (list, reload), the
 * config (reload) and the server (shutdown). A global module: one socket per server.
 */
import { defineModule, option } from '../../core/api.js';
import { CommandError, runCommand } from './commands.js';
import { ParseError, parseCommand } from './parse.js';
import { adminSocketPath } from './path.js';
import { openAdminSocket, type AdminReply, type AdminRequest, type AdminSocket } from './socket.js';

export default defineModule({
  name: 'admin_shell',
  global: true,
  description: 'Administration over a local UNIX socket (xmpp-server shell): sessions, users, modules, config reload, shutdown.',
  options: {
    admin_socket: option.string({
      default: '', scope: 'global',
      doc: 'Path of the admin socket, relative to data_path; empty means `<data_path>/xmpp-server.sock` (Prosody\'s `admin_socket`).',
    }),
    admin_shell_max_request_bytes: option.integer({
      default: 65536, min: 256, max: 16 * 1024 * 1024, scope: 'global',
      doc: 'Longest request line the admin socket accepts (bytes); a longer one is refused and the connection closed.',
    }),
  },

  async load(module): Promise<AdminSocket> {
    const { server, log } = module;
    const path = adminSocketPath(server.dataPath, module.options.admin_socket);
    const handle = async (req: AdminRequest): Promise<AdminReply> => {
      try {
        const words = req.args !== undefined ? [...req.args] : parseCommand(req.line ?? '');
        const result = await runCommand(server, words, log);
        return { ok: true, lines: result.lines, after: result.after };
      } catch (err) {
        if (err instanceof CommandError || err instanceof ParseError) return { ok: false, lines: [], error: err.message };
        throw err;
      }
    };
    return openAdminSocket(path, handle, { maxRequestBytes: module.options.admin_shell_max_request_bytes, log });
  },

  async unload(_module, socket) {
    await socket?.close();
  },
});
