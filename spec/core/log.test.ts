/**
 * Tests for lib/core/log.ts, log-sinks.ts and log-format.ts: Prosody's `log` shapes, levels per
 * sink, files (buffered, reopened after a rename as logrotate does), the console format chosen
 * by the terminal flag, and a missing log folder refused at start naming the option.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, flushLogs, reopenLogFiles } from '../../lib/core/log.js';
import { parseLogOption, resolveSinkFiles } from '../../lib/core/log-sinks.js';
import { INVALID } from '../../lib/core/options.js';
import { Server } from '../../lib/core/server.js';
import { Config } from '../../lib/core/config.js';
import { isServerError } from '../../lib/core/errors.js';

function sink(): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({ write(c: Buffer, _e, done) { chunks.push(c.toString()); done(); } });
  return { stream, text: () => chunks.join('') };
}

/** SonicBoom opens files asynchronously; wait until a flush succeeds and the text is there. */
async function fileHas(file: string, text: string, flush: () => void): Promise<string> {
  for (let i = 0; i < 200; i++) {
    try { flush(); } catch { /* not open yet */ }
    const body = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (body.includes(text)) return body;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${file} never got ${text}`);
}

describe('log option', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xs-log-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('parses Prosody\'s shapes: a level, a sink name, level -> sinks, and a list of sink tables', () => {
    assert.deepEqual(parseLogOption('debug'), [{ to: 'console', levels: { min: 'debug' } }]);
    assert.deepEqual(parseLogOption('*stdout'), [{ to: 'stdout', levels: undefined }]);
    assert.deepEqual(parseLogOption('/var/log/x.log'), [{ to: 'file', filename: '/var/log/x.log', levels: undefined }]);
    assert.deepEqual(parseLogOption({ info: 'a.log', error: ['*console', 'b.log'] }), [
      { to: 'file', filename: 'a.log', levels: { min: 'info' } },
      { to: 'console', levels: { min: 'error' } },
      { to: 'file', filename: 'b.log', levels: { min: 'error' } },
    ]);
    const list = parseLogOption([{ levels: { min: 'info' }, to: 'file', filename: 'x.log' }, { levels: ['error', 'warning'], to: 'console', format: 'text' }, '*stderr']);
    assert.notEqual(list, INVALID);
    const [file, console, stderr] = list as Exclude<typeof list, typeof INVALID>;
    assert.deepEqual(file, { to: 'file', filename: 'x.log', levels: { min: 'info', max: undefined }, format: undefined });
    assert.deepEqual([...(console!.levels as Set<string>)], ['error', 'warn']);
    assert.equal(console!.format, 'text');
    assert.equal(stderr!.to, 'stderr');
    for (const bad of [42, '', '*syslog', { loud: 'x.log' }, [{ to: 'file' }], [{ to: 'console', levels: ['noisy'] }], [{ to: 'console', colour: true }]]) {
      assert.equal(parseLogOption(bad), INVALID, JSON.stringify(bad));
    }
  });

  it('an invalid log value, or a log file in a missing folder, is a config error at start naming the option', () => {
    assert.throws(() => new Server(new Config({ log: { loud: 'x.log' } })), (err: unknown) => isServerError(err) && /Option 'log'/.test(err.message));
    assert.throws(() => resolveSinkFiles([{ to: 'file', filename: 'nowhere/x.log' }], dir),
      (err: unknown) => isServerError(err) && err.code === 'XS_ERR_OPTION_INVALID' && /'log'.*nowhere.*does not exist/.test(err.message));
    assert.throws(() => new Server(new Config({ log: { info: 'missing-folder/x.log' } }, join(dir, 'c.json'))), /Option 'log'.*missing-folder/);
  });

  it('each sink gets its levels: min, an exact list, and log_level for sinks that name none', async () => {
    const all = join(dir, 'all.log');
    const errors = join(dir, 'errors.log');
    const console = sink();
    const logger = createLogger({
      level: 'warn', console: console.stream, tty: false,
      sinks: resolveSinkFiles([{ to: 'file', filename: 'all.log', levels: { min: 'debug' } }, { to: 'file', filename: 'errors.log', levels: new Set(['error'] as const) }, { to: 'console' }], dir),
    });
    logger.debug('d-line');
    logger.info('i-line');
    logger.warn('w-line');
    logger.error('e-line');
    logger.fatal('f-line');
    const body = await fileHas(all, 'f-line', () => flushLogs(logger));
    assert.deepEqual(body.trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg), ['d-line', 'i-line', 'w-line', 'e-line', 'f-line']);
    const errs = await fileHas(errors, 'e-line', () => flushLogs(logger));
    assert.deepEqual(errs.trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg), ['e-line']);
    assert.deepEqual(console.text().trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg), ['w-line', 'e-line', 'f-line'], 'log_level warn');
  });

  it('reopenLogFiles writes to a new file after the old one was renamed (logrotate, SIGUSR1)', async () => {
    const file = join(dir, 'rotate.log');
    const logger = createLogger({ sinks: resolveSinkFiles([{ to: 'file', filename: file }], dir) });
    logger.info('before rotation');
    await fileHas(file, 'before rotation', () => flushLogs(logger));
    renameSync(file, `${file}.1`);
    reopenLogFiles(logger);
    logger.info('after rotation');
    await fileHas(file, 'after rotation', () => flushLogs(logger));
    assert.ok(!readFileSync(file, 'utf8').includes('before rotation'));
    assert.ok(!readFileSync(`${file}.1`, 'utf8').includes('after rotation'));
  });

  it('the console writes text when it is a terminal and JSON lines otherwise; format overrides', () => {
    const tty = sink();
    createLogger({ console: tty.stream, tty: true }).child({ session: 's1' }).info({ ip: '192.0.2.1', username: 'a b' }, 'authentication failed');
    assert.match(tty.text(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}authentication failed session=s1 ip=192\.0\.2\.1 username="a b"\n$/);
    const pipe = sink();
    createLogger({ console: pipe.stream, tty: false }).info({ ip: '192.0.2.1' }, 'hello');
    const line = JSON.parse(pipe.text()) as Record<string, unknown>;
    assert.equal(line.msg, 'hello');
    assert.equal(line.level, 30);
    const forced = sink();
    createLogger({ console: forced.stream, tty: true, sinks: [{ to: 'console', format: 'json' }] }).info('forced');
    assert.equal((JSON.parse(forced.text()) as { msg: string }).msg, 'forced');
    const err = sink();
    createLogger({ console: err.stream, tty: true }).error({ err: new Error('boom') }, 'failed');
    assert.match(err.text(), /ERROR failed\n {2}Error: boom\n\s+at /);
  });
});
