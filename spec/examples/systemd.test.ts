/**
 * examples/xmpp-server.service: the hardening options are there, and `systemd-analyze verify`
 * (when systemd is installed; .ci/run installs it) finds nothing to say about the unit; a copy
 * with a misspelt key shows that it would.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const UNIT = join(import.meta.dirname, '..', '..', '..', 'examples', 'xmpp-server.service');

function verify(file: string): { status: number | null; text: string } | undefined {
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return undefined;
  return { status: r.status, text: `${r.stdout}${r.stderr}` };
}

describe('examples/xmpp-server.service', () => {
  const unit = readFileSync(UNIT, 'utf8');

  it('runs as its own user with the hardening options and no capabilities', () => {
    const settings = new Map(unit.split('\n').filter((l) => /^\w+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const expected: Record<string, string> = {
      User: 'xmpp-server', NoNewPrivileges: 'true', ProtectSystem: 'strict', ProtectHome: 'true', PrivateTmp: 'true',
      PrivateDevices: 'true', CapabilityBoundingSet: '', RestrictSUIDSGID: 'true', StateDirectory: 'xmpp-server',
      ReadWritePaths: '/var/lib/xmpp-server /var/log/xmpp-server', ExecReload: '/bin/kill -USR1 $MAINPID',
    };
    for (const [key, value] of Object.entries(expected)) assert.equal(settings.get(key), value, key);
    assert.match(settings.get('ExecStart') ?? '', /xmpp-server start --config \/etc\/xmpp-server\/config\.json$/);
  });

  it('passes systemd-analyze verify', (t) => {
    const result = verify(UNIT);
    if (result === undefined) {
      t.skip('systemd-analyze is not installed: the unit was not verified');
      return;
    }
    assert.equal(result.status, 0, result.text);
    assert.equal(result.text.trim(), '', 'no warnings about the unit');

    const dir = mkdtempSync(join(tmpdir(), 'xs-unit-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const typo = join(dir, 'xmpp-server.service');
    writeFileSync(typo, unit.replace('ProtectSystem=strict', 'ProtectSystm=strict'));
    assert.match(verify(typo)!.text, /Unknown key 'ProtectSystm'/, 'verify does report a bad unit');
  });
});
