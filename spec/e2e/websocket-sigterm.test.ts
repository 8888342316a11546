/**
 * End to end: `xmpp-server start` as a real process receiving SIGTERM closes its WebSocket
 * sessions with system-shutdown, <close/> and close 1001 after the client's <close/>, then
 * exits 0.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WsProbe, errorCondition } from '../helpers/ws-probe.js';

const CLI = join(import.meta.dirname, '..', '..', 'lib', 'cli', 'main.js');

describe('SIGTERM', () => {
  it('closes every WebSocket session with system-shutdown and exits 0', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'xs-sigterm-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({
      storage: 'memory', log_level: 'error', data_path: dir,
      modules_enabled: ['saslauth', 'websocket'], consider_websocket_secure: true,
      c2s_ports: [0], c2s_interfaces: ['127.0.0.1'], http_ports: [0], http_interfaces: ['127.0.0.1'], https_ports: [],
      VirtualHost: { localhost: {} },
    }));
    const child = spawn(process.execPath, [CLI, 'start', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no WebSocket URL announced: ${out}`)), 10_000);
      const onData = (chunk: Buffer): void => {
        out += chunk.toString();
        const m = /WebSocket\s+(ws:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
    });
    const { port } = new URL(url);
    const p = await WsProbe.connect(Number(port));
    await p.open();
    child.kill('SIGTERM');
    const error = await p.until(/^<stream:error/);
    assert.equal(errorCondition(error.input), 'system-shutdown');
    assert.match(await p.next(), /^<close /);
    p.sendText("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
    assert.equal((await p.waitClose()).code, 1001);
    await p.waitEnd();
    assert.equal(await exited, 0, out);
  });
});
