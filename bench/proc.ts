/**
 * @module bench/proc
 * Process helpers for the orchestrator: memory (VmRSS) and CPU time of a process from /proc,
 * waiting for a line of a child's output or for a port, and stopping a child.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { ChildProcess } from 'node:child_process';

/** Resident set size of a process in KiB (VmRSS of /proc/<pid>/status); NaN when unreadable. */
export function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** User + system CPU seconds a process has used (/proc/<pid>/stat); NaN when unreadable. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which may hold spaces) start after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of proc(5), i.e. 11 and 12 here; clock ticks of 1/100 s
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Resolve with the first match of `pattern` in the child's stdout, or reject after `ms`. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, ms: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${pattern} in output: ${seen.slice(-500)}`)), ms);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      const m = pattern.exec(seen);
      if (m) done(undefined, m);
    };
    const onExit = (code: number | null): void => done(new Error(`exited (${code}) before ready: ${seen.slice(-1000)}`));
    const done = (err?: Error, m?: RegExpExecArray): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m!);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Resolve once something accepts TCP connections on 127.0.0.1:port, or reject after `ms`. */
export async function waitForPort(port: number, ms: number, child?: ChildProcess): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child && child.exitCode !== null) throw new Error(`exited (${child.exitCode}) before listening on ${port}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`nothing listening on 127.0.0.1:${port} after ${ms} ms`);
}

/** A port that was free a moment ago (for servers that need one in their config). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** SIGTERM the child, SIGKILL it after `ms`, resolve once it has exited. */
export async function stopChild(child: ChildProcess, ms = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
