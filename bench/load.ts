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
import { runGrowthStep } from './scenarios/growth.js';
import type { FromLoad, ScenarioRequest, ScenarioResult, ToLoad } from './protocol.js';

function tell(message: FromLoad): void {
  process.send?.(message);
}

let release: (() => void) | undefined;

async function run(request: ScenarioRequest): Promise<ScenarioResult> {
  loadKeyCache(request.scramCacheFile);
  const progress = (text: string): void => tell({ type: 'progress', text });
  const held = (sessions: number, phase?: string, seconds?: number): Promise<void> => new Promise<void>((resolve) => {
    release = resolve;
    tell({ type: 'held', sessions, ...(phase === undefined ? {} : { phase }), ...(seconds === undefined ? {} : { seconds }) });
  });
  let result: ScenarioResult;
  switch (request.scenario) {
    case 'connect':
      result = await runConnect(request, progress);
      break;
    case 'messages':
      result = await runMessages(request, progress);
      break;
    case 'idle':
      result = await runIdle(request, progress, held);
      break;
    case 'hibernate':
      result = await runHibernate(request, progress, held);
      break;
    case 'muc':
      result = await runMuc(request, progress);
      break;
    case 'muc-burst':
      result = await runMucBurst(request, progress);
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
  run(message.request).then(
    (result) => tell({ type: 'result', result }),
    (err: unknown) => tell({ type: 'failed', message: (err as Error)?.stack ?? String(err) }),
  ).finally(() => process.disconnect?.());
});

if (!process.send) {
  process.stderr.write('bench/load.js is started by bench/run.js (npm run bench)\n');
  process.exitCode = 2;
}
