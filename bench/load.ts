/**
 * @module bench/load
 * The load generator process (forked by run.ts, one per scenario run): WebSocket client code
 * only, nothing from lib/. Takes one scenario request over IPC, answers with its result.
 */
import { loadKeyCache, saveKeyCache } from './client/scram.js';
import { runConnect } from './scenarios/connect.js';
import { runMessages } from './scenarios/messages.js';
import { runIdle } from './scenarios/idle.js';
import { runHibernate } from './scenarios/hibernate.js';
import { runMuc } from './scenarios/muc.js';
import { runMucBurst } from './scenarios/muc-burst.js';
import { runLogins } from './scenarios/logins.js';
import { windowStarted } from './window.js';
import { runGrowthStep } from './scenarios/growth.js';
import type { FromLoad, ScenarioRequest, ScenarioResult, ToLoad } from './protocol.js';

function tell(message: FromLoad): void {
  process.send?.(message);
}

let release: (() => void) | undefined;
let go: (() => void) | undefined;

async function run(request: ScenarioRequest): Promise<ScenarioResult> {
  loadKeyCache(request.scramCacheFile);
  const progress = (text: string): void => tell({ type: 'progress', text });
  const held = (sessions: number, phase?: string, seconds?: number): Promise<void> => new Promise<void>((resolve) => {
    release = resolve;
    tell({ type: 'held', sessions, ...(phase === undefined ? {} : { phase }), ...(seconds === undefined ? {} : { seconds }) });
  });
  // --workers: wait for the orchestrator's go once set up, so that the workers measure together
  const ready = (): Promise<void> => (request.worker === undefined ? Promise.resolve() : new Promise<void>((resolve) => {
    go = resolve;
    tell({ type: 'ready' });
  }));
  let result: ScenarioResult;
  switch (request.scenario) {
    case 'connect':
      result = await runConnect(request, progress, ready);
      break;
    case 'messages':
      result = await runMessages(request, progress, ready);
      break;
    case 'idle':
      result = await runIdle(request, progress, held);
      break;
    case 'hibernate':
      result = await runHibernate(request, progress, held);
      break;
    case 'muc':
      result = await runMuc(request, progress, ready);
      break;
    case 'muc-burst':
      result = await runMucBurst(request, progress);
      break;
    case 'logins':
      result = await runLogins(request, progress);
      break;
    case 'growth':
      result = await runGrowthStep(request, progress);
      break;
  }
  await saveKeyCache(request.scramCacheFile);
  return result;
}

process.on('message', (message: ToLoad) => {
  if (message.type === 'release') {
    release?.();
    return;
  }
  if (message.type === 'window-started') {
    windowStarted();
    return;
  }
  if (message.type === 'go') {
    go?.();
    return;
  }
  // disconnect once the last message is written (a result with raw samples is large)
  const last = (m: FromLoad): void => void process.send?.(m, undefined, {}, () => process.disconnect?.());
  run(message.request).then(
    (result) => last({ type: 'result', result }),
    (err: unknown) => last({ type: 'failed', message: (err as Error)?.stack ?? String(err) }),
  );
});

if (!process.send) {
  process.stderr.write('bench/load.js is started by bench/run.js (npm run bench)\n');
  process.exitCode = 2;
}
