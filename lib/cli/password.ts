/**
 * @module password
 * The password of `register` and `passwd`: from the argument (kept working, with a warning:
 * it shows in `ps` and the shell's history), else typed at a prompt without echo when stdin is
 * a terminal (twice, to catch a typo), else the first line of stdin (`echo pw | xmpp-server ...`).
 */
import type { ReadStream } from 'node:tty';

export interface PasswordIo {
  readonly stdin: NodeJS.ReadableStream & Partial<Pick<ReadStream, 'isTTY' | 'setRawMode'>>;
  readonly stderr: NodeJS.WritableStream;
}

export class PasswordError extends Error {}

/** The password to use; throws PasswordError when none can be had. */
export async function obtainPassword(given: string | undefined, io: PasswordIo = { stdin: process.stdin, stderr: process.stderr }): Promise<string> {
  if (given !== undefined) {
    io.stderr.write('warning: a password given on the command line can be seen by other users (ps) and stays in the shell history; '
      + 'leave it out to be asked for it, or pipe it on stdin\n');
    return given;
  }
  if (io.stdin.isTTY && io.stdin.setRawMode) {
    const first = await prompt('Password: ', io);
    const second = await prompt('Retype password: ', io);
    if (first !== second) throw new PasswordError('the passwords do not match');
    if (first === '') throw new PasswordError('the password is empty');
    return first;
  }
  const line = await firstLine(io.stdin);
  if (line === undefined || line === '') throw new PasswordError('no password: give it as an argument, type it at the prompt, or pipe it on stdin');
  return line;
}

/** Read one line from a terminal in raw mode, echoing nothing. */
function prompt(question: string, io: PasswordIo): Promise<string> {
  const { stdin, stderr } = io;
  stderr.write(question);
  stdin.setRawMode!(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (err?: Error): void => {
      stdin.removeListener('data', onData);
      stdin.setRawMode!(false);
      stdin.pause();
      stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new PasswordError('cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else if (ch >= ' ') typed += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** The first line of a non-terminal stdin (without its line ending); undefined at once-empty input. */
function firstLine(stdin: NodeJS.ReadableStream): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let text = '';
    let got = false;
    const finish = (): void => {
      stdin.removeListener('data', onData);
      stdin.removeListener('end', finish);
      stdin.removeListener('error', reject);
      stdin.pause();
      resolve(got ? text.split(/\r?\n/)[0] : undefined);
    };
    const onData = (chunk: Buffer | string): void => {
      got = true;
      text += chunk.toString();
      if (/\r?\n/.test(text)) finish();
    };
    stdin.on('data', onData);
    stdin.once('end', finish);
    stdin.once('error', reject);
    stdin.resume();
  });
}
