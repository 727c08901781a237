/**
 * The entry of h2load's extra threads (-t N: threads 1..N-1; thread 0 runs in the main thread):
 * run one LoadWorker, send its output lines and final counters to the main thread.
 */
import { parentPort, workerData } from 'worker_threads';
import { LoadWorker, WorkerInit } from './worker';

/** Messages a thread posts to the main thread. */
export type ThreadMessage =
  | { type: 'out'; text: string }
  /** Loaded and set up: waiting for 'go' (the main thread starts the clock once every thread is ready). */
  | { type: 'ready' }
  /** Requests done and errored so far (live progress on a TTY). */
  | { type: 'progress'; done: number; errored: number }
  | { type: 'done'; stats: import('./stats').WorkerStats };

/** What the main thread posts to a thread. */
export type MainMessage = { type: 'go' };

if (parentPort) {
  const port = parentPort;
  const init = workerData as WorkerInit;
  if (init.postData) init.postData = Buffer.from(init.postData);
  const w = new LoadWorker(init, (text) => port.postMessage({ type: 'out', text } satisfies ThreadMessage));
  let ticker: NodeJS.Timeout | undefined;
  port.once('message', (m: MainMessage) => {
    if (m.type !== 'go') return;
    if (init.liveProgress) {
      ticker = setInterval(
        () => port.postMessage({ type: 'progress', done: w.stats.reqDone, errored: w.stats.reqError } satisfies ThreadMessage),
        200,
      );
      ticker.unref();
    }
    void w.run().then((stats) => {
      if (ticker) clearInterval(ticker);
      port.postMessage({ type: 'done', stats } satisfies ThreadMessage);
    });
  });
  port.postMessage({ type: 'ready' } satisfies ThreadMessage);
}
